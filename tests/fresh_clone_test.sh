#!/usr/bin/env bash
# A new user's clone with nothing beside it: `git clone` of this repository's HEAD into an empty
# folder, no ../shared, no CAST_DATA_DIR / CAST_SHARED_DIR, and the demo recipe (experiments/,
# profile demo, every task) at a test size runs to the end on the embedded data/demo: tables and
# figures written. The built binary is copied into the clone's build/ (where scripts/setup.sh puts
# it), so that neither its working directory nor its own path leads to ../shared.
# Usage: fresh_clone_test.sh PATH/TO/cast TESTS_DIR
set -u
cast_built="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; dir="$(cd "$2" && pwd)"; fails=0
check() { local name="$1"; shift; if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails+1)); fi; }
repo="$(cd "$dir/.." && pwd)"
if ! git -C "$repo" rev-parse --verify -q HEAD >/dev/null; then echo "skip: $repo is not a git repository"; exit 77; fi
if ! git -C "$repo" ls-files --error-unmatch data/demo/README.md >/dev/null 2>&1; then
  echo "FAIL data/demo is not committed in $repo (the clone would not have it)"; exit 1
fi
unset CAST_DATA_DIR CAST_SHARED_DIR CAST_TEXT_ENCODER CAST_CACHE_DIR
work=$(mktemp -d /tmp/cast-fresh-clone.XXXXXX)
[ -n "${CAST_KEEP_TEST_DIR:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/empty" && cd "$work/empty"
git clone -q "$repo" clone 2>"$work/clone.err" || { cat "$work/clone.err"; echo "FAIL git clone"; exit 1; }
cd clone
check "clone has nothing beside it" test "$(ls -A ..)" = "clone"
check "no shared data around the clone" test ! -e ../shared -a ! -e ../../shared -a ! -e ../../../shared
mkdir -p build && cp "$cast_built" build/cast
cast="$PWD/build/cast"

# Which data folder: the clone's own data/demo, said by doctor.
"$cast" doctor > doctor.log 2>&1
check "doctor names the clone's data/demo" grep -q "^data folder .*$PWD/data/demo.*embedded demo set" doctor.log
grep '^data folder' doctor.log
python3 scripts/cut_demo_data.py --check > cut-check.log 2>&1
check "data/demo verified (sizes, SHA-256, counts for the demo recipes)" grep -q 'ok$' cut-check.log
cat cut-check.log | tail -3

# The demo recipe at a test size: experiments/*.json with the demo profile's tasks and sources,
# limits cut to 64 entries (pretraining 160, LM corpus 200) and one epoch.
mkdir -p "$work/recipes"
python3 - experiments "$work/recipes" <<'PY'
import json, os, shutil, sys
src, out = sys.argv[1:]
for f in os.listdir(src):
    if f.endswith(".json"): shutil.copy(os.path.join(src, f), out)
t1 = json.load(open(os.path.join(src, "table1.json")))
d = t1["profiles"]["demo"]
d["epochs"] = 1
for t in d["tasks"].values(): t["limit"] = min(t["limit"], 64)
for p in d["pretrain"].values(): p["limit"], p["epochs"] = min(p["limit"], 160), 1
t1["profiles"] = {"demo": d}
json.dump(t1, open(os.path.join(out, "table1.json"), "w"), indent=1)
lm = json.load(open(os.path.join(src, "lm-pretrain.json")))
lm["profiles"] = {"demo": dict(lm["profiles"]["demo"], limit=200, epochs=1)}
json.dump(lm, open(os.path.join(out, "lm-pretrain.json"), "w"), indent=1)
PY
start=$(date +%s)
"$cast" reproduce all --profile demo --recipes "$work/recipes" --models cogn,cast-scratch,cast --seeds 0 -j 2 \
  > reproduce.log 2>&1; rc=$?
echo "reproduce took $(( $(date +%s) - start )) s"
check "reproduce all --profile demo exit 0" test $rc -eq 0
[ $rc -eq 0 ] || tail -40 reproduce.log
check "no task skipped for want of data" test -z "$(grep 'skipping task' reproduce.log)"
for f in table1.md table1.csv table2.md table2.csv fig2.png fig2.svg fig3.png fig3.svg curves.png; do
  check "wrote results/demo/$f" test -s "results/demo/$f"
done
for t in total_energy band_gap log_gvrh log_kvrh; do
  check "table2 has $t (train and val+test)" test "$(grep -c "^| $t |" results/demo/table2.md)" -eq 2
done
check "table1 has CAST with numbers" grep -qE '^\| CAST \| (\*\*|<u>)?[0-9]' results/demo/table1.md
check "three runs per task, every one done" test "$("$cast" results list | grep -c ' done ')" -eq 12
check "the datasets were read from the clone's data/demo" \
  test "$(sqlite3 results/cast.db "select count(*) from runs where config like '%$PWD/data/demo/%'")" -eq 12
check "nothing was read from a shared folder" test -z "$(grep -rl 'shared/data' results/cast.db reproduce.log runs 2>/dev/null)"

echo "fresh_clone: $fails failed"
[ $fails -eq 0 ]
