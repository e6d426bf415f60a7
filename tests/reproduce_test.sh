#!/usr/bin/env bash
# cast reproduce end to end on a tiny recipe (tests/fixtures/recipes): every step runs, the
# tables and figures are written; killed with SIGKILL three times and restarted it ends with
# byte-identical tables and no duplicate runs; predict reproduces the stored test predictions;
# explain's attention rows are distributions; two trainers writing one database lose nothing;
# bad input (foreign database, wrong hash, unknown names, missing checkpoint) gets clear errors.
# Usage: reproduce_test.sh PATH/TO/cast TESTS_DIR
set -u
. "$(dirname "$0")/common.sh" "$@"
need "$shared/data/matbench/matbench_log_kvrh.subset.json.gz"
export CAST_DATA_DIR="$shared/data"
unset CAST_TEXT_ENCODER
work=$(mktemp -d /tmp/cast-reproduce-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
recipes="$dir/fixtures/recipes"
export CAST_CACHE_DIR="$work/cache"

# A: uninterrupted.
mkdir -p "$work/a" && cd "$work/a"
"$cast" reproduce all --recipes "$recipes" -j 2 > reproduce.log 2>&1; rc=$?
check "reproduce all exit 0" test $rc -eq 0
[ $rc -eq 0 ] || tail -30 reproduce.log
for f in table1.md table1.tex table1.csv table2.md table2.csv fig2.png fig2.svg fig3.png fig3.svg curves.png; do
  check "reproduce wrote results/demo/$f" test -s "results/demo/$f"
done
check "table1 has CAST with numbers" grep -qE '^\| CAST \| (\*\*|<u>)?[0-9]' results/demo/table1.md
check "table1 has coGN with the paper beside" grep -q '| coGN |.*/ 0.050 (0.001)' results/demo/table1.md
check "table2 has log_kvrh train and val+test" test "$(grep -c '^| log_kvrh |' results/demo/table2.md)" -eq 2
runs_a=$("$cast" results list | grep -c ' done ')
check "six finished runs" test "$runs_a" -eq 6
"$cast" reproduce all --recipes "$recipes" -j 2 > again.log 2>&1
check "second reproduce skips everything" grep -q 'plan: 12 steps, 12 already done' again.log
check "second reproduce runs nothing" grep -q '0 steps run, 12 skipped' again.log
cp results/demo/table1.csv t1.first
"$cast" results table --format csv --profile demo --experiment table1 > t1.regen
check "table1 regenerated from the database alone is byte-identical" cmp -s t1.regen results/demo/table1.csv

# B: the same, killed with SIGKILL at three random moments, then finished.
mkdir -p "$work/b" && cd "$work/b"
for k in 1 2 3; do
  "$cast" reproduce all --recipes "$recipes" -j 2 > "kill$k.log" 2>&1 &
  pid=$!
  sleep "$(python3 -c "import random; print(round(random.uniform(1.5, 9.0), 2))")"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  sleep 0.3
done
check "no child outlives a killed reproduce" test -z "$(pgrep -f "cast-reproduce-test.*/b" || true)"
"$cast" reproduce all --recipes "$recipes" -j 2 > final.log 2>&1; rc=$?
check "restarted reproduce exit 0" test $rc -eq 0
[ $rc -eq 0 ] || tail -30 final.log
check "after kills: table1 byte-identical" cmp -s "$work/a/results/demo/table1.csv" results/demo/table1.csv
check "after kills: table1.md byte-identical" cmp -s "$work/a/results/demo/table1.md" results/demo/table1.md
check "after kills: table2 byte-identical" cmp -s "$work/a/results/demo/table2.csv" results/demo/table2.csv
check "after kills: no duplicate runs" test "$(sqlite3 results/cast.db 'select count(*) from runs')" -eq 6

# predict reproduces the stored test predictions of a run.
cd "$work/a"
run=$("$cast" results list | awk '$3=="cast-scratch" && $5=="0" {print $1}')
"$cast" results export "$run" > stored.csv
"$cast" predict --checkpoint runs/demo/cast-scratch-log_kvrh-s0 "$shared/data/matbench/matbench_log_kvrh.subset.json.gz" \
  --limit 120 -o predicted.csv > predict.log 2>&1
check "predict wrote predictions" test -s predicted.csv
check "predict equals stored test predictions (1e-5)" python3 - stored.csv predicted.csv <<'PY'
import csv, sys
stored = {r['sample_id'] if 'sample_id' in r else r['id']: float(r['y_pred']) for r in csv.DictReader(open(sys.argv[1])) if r.get('split', 'test') == 'test'}
pred = {r['id']: float(r['log_kvrh_predicted']) for r in csv.DictReader(open(sys.argv[2]))}
assert len(stored) >= 5, stored
bad = [(k, v, pred.get(k)) for k, v in stored.items() if k not in pred or abs(pred[k] - v) > 1e-5]
print(len(stored), "test predictions compared;", len(bad), "differ", bad[:3])
sys.exit(1 if bad else 0)
PY

# explain: one row per layer, head, node and token; each row of weights sums to 1.
"$cast" explain --checkpoint runs/demo/cast-log_kvrh-s0 "$dir/fixtures/NaCl-Fm-3m-225.cif" -o nacl > explain.log 2>&1
check "explain wrote csv and png" test -s nacl.csv -a -s nacl.png
check "explain rows are attention distributions" python3 - nacl.csv <<'PY'
import csv, sys, collections
s = collections.defaultdict(float)
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows: s[(r['layer'], r['head'], r['node'])] += float(r['weight'])
assert len(s) == 4 * 8 * 2, len(s)   # 4 layers x 8 heads x 2 nodes (Na, Cl)
sys.exit(0 if all(abs(v - 1) < 1e-4 for v in s.values()) else 1)
PY
err=$("$cast" explain --checkpoint runs/demo/cogn-log_kvrh-s0 "$dir/fixtures/NaCl-Fm-3m-225.cif" 2>&1); rc=$?
check "explain refuses a coGN checkpoint" grep -q "CAST models only" <<<"$err"
err=$("$cast" predict --checkpoint runs/demo/nothing-here "$dir/fixtures/NaCl-Fm-3m-225.cif" 2>&1); rc=$?
check "predict: missing checkpoint named" grep -q "runs/demo/nothing-here: no model.pt" <<<"$err"
check "predict: missing checkpoint exit 1" test $rc -eq 1

# Two trainers writing to one database at once lose nothing.
"$cast" train --model cogn --task log_kvrh --seed 7 --limit 120 --epochs 3 --db two.db --out r7 -q > t7.log 2>&1 &
p1=$!
"$cast" train --model cogn --task log_kvrh --seed 8 --limit 120 --epochs 3 --db two.db --out r8 -q > t8.log 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two concurrent trainers exit 0" test $r1 -eq 0 -a $r2 -eq 0
[ $r1 -eq 0 ] || { echo "--- t7.log"; tail -n 20 t7.log; }
[ $r2 -eq 0 ] || { echo "--- t8.log"; tail -n 20 t8.log; }
check "two concurrent trainers: both runs done" test "$(sqlite3 two.db "select count(*) from runs where status='done'")" -eq 2
check "two concurrent trainers: all epochs" test "$(sqlite3 two.db 'select count(*) from epochs')" -eq 6
check "two concurrent trainers: all predictions" test "$(sqlite3 two.db 'select count(distinct run_id) from predictions')" -eq 2

# Bad input.
echo "not a database" > foreign.db
err=$("$cast" reproduce table1 --recipes "$recipes" --db foreign.db 2>&1); rc=$?
check "foreign database refused, named" grep -q "foreign.db" <<<"$err"
check "foreign database exit != 0" test $rc -ne 0
cp two.db corrupt.db && python3 -c "
f = open('corrupt.db', 'r+b'); f.seek(0); f.write(b'\\x00' * 100); f.close()"
err=$("$cast" results list --db corrupt.db 2>&1); rc=$?
check "corrupted database refused, named" grep -q "corrupt.db" <<<"$err"
check "corrupted database exit != 0" test $rc -ne 0
err=$("$cast" reproduce table1 --recipes "$recipes" --models cogn,gpt 2>&1); rc=$?
check "unknown model lists valid ones" grep -q "unknown model 'gpt'.*cogn, bert, crysmmnet-frozen" <<<"$err"
err=$("$cast" reproduce table1 --recipes "$recipes" --tasks gap 2>&1)
check "unknown task lists valid ones" grep -q "unknown task 'gap'; valid tasks:" <<<"$err"
mkdir -p mirror && echo "not the real file" | gzip > mirror/matbench_log_kvrh.json.gz
err=$("$cast" data fetch matbench_log_kvrh --mirror mirror --out fetched 2>&1); rc=$?
check "fetch: wrong hash refused" grep -q "SHA-256 .* does not match the expected 44b113dd" <<<"$err"
check "fetch: wrong hash exit 1 and not installed" test $rc -eq 1 -a ! -e fetched/matbench_log_kvrh.json.gz
sum=$(sha256sum mirror/matbench_log_kvrh.json.gz | cut -d' ' -f1)
"$cast" data fetch matbench_log_kvrh --mirror mirror --out fetched --sha256 "$sum" > fetch.log 2>&1
check "fetch: mirror copy verified" grep -q "verified" fetch.log
check "fetch: installed" cmp -s mirror/matbench_log_kvrh.json.gz fetched/matbench_log_kvrh.json.gz
err=$("$cast" data fetch matbench_nope 2>&1)
check "fetch: unknown dataset lists valid ones" grep -q "valid datasets: matbench_log_gvrh, matbench_log_kvrh" <<<"$err"

echo "$fails failure(s)"
exit $((fails > 0))
