#!/bin/bash
# A short, bounded libFuzzer run of every reader target (the CI part of tests/fuzz).
# Usage: fuzz_smoke.sh SRC [FUZZ_BIN_DIR]. Without FUZZ_BIN_DIR it configures and builds
# SRC/build-fuzz with clang (the 'fuzz' preset's settings, fuzz targets only); exits 77 (skip)
# when clang++ or libFuzzer's runtime is missing.
# FUZZ_RUNS (default 2000) and FUZZ_SECONDS (default 15) bound each target.
set -uo pipefail
src=$1
bin=${2:-}
runs=${FUZZ_RUNS:-2000}
secs=${FUZZ_SECONDS:-15}
readers="cif poscar pymatgen_json mp_jsonl matbench id_prop"

if [ -z "$bin" ]; then
  if ! command -v clang++ >/dev/null; then
    echo "fuzz_smoke: skipped: clang++ not found (apt-get install clang libclang-rt-14-dev)"; exit 77
  fi
  probe=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' > "$probe/p.cpp"
  if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err"; then
    echo "fuzz_smoke: skipped: clang++ cannot link libFuzzer (apt-get install libclang-rt-14-dev): $(head -c 300 "$probe/err")"
    rm -rf "$probe"; exit 77
  fi
  rm -rf "$probe"
  build=$src/build-fuzz
  if [ ! -f "$build/CMakeCache.txt" ]; then
    (cd "$src" && cmake --preset fuzz >/dev/null) || { echo "fuzz_smoke: FAILED to configure $build"; exit 1; }
  fi
  cmake --build "$build" --target cast_fuzzers -j "${FUZZ_BUILD_JOBS:-2}" >/dev/null || {
    echo "fuzz_smoke: FAILED to build the fuzz targets in $build"; exit 1; }
  bin=$build/tests/fuzz
fi

bin=$(cd "$bin" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
art=${FUZZ_ARTIFACTS:-/tmp/cast-fuzz-artifacts}  # crash/timeout/oom inputs are kept here
mkdir -p "$art"
bash "$src/tests/fuzz/seed_corpus.sh" "$src" "$work/seeds"
status=0
for r in $readers; do
  exe=$bin/fuzz_$r
  [ -x "$exe" ] || { echo "fuzz_smoke: FAILED: $exe missing"; status=1; continue; }
  mkdir -p "$work/new/$r"
  dict=()
  case $r in cif) dict=(-dict="$src/tests/fuzz/cif.dict") ;; pymatgen_json|mp_jsonl|matbench) dict=(-dict="$src/tests/fuzz/json.dict") ;; esac
  # New inputs go to a scratch corpus (first folder); the seeds are read only.
  if (cd "$work" && "$exe" -artifact_prefix="$art/$r-" "${dict[@]}" -runs="$runs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -malloc_limit_mb=1024 -print_final_stats=1 "$work/new/$r" "$work/seeds/$r" >"$work/$r.log" 2>&1); then
    echo "fuzz_smoke: $r: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$r.log" | grep -o '[0-9]*$') inputs, no crash"
  else
    echo "fuzz_smoke: $r: FAILED (crash, hang, leak or oom); the last lines of its log:"
    tail -40 "$work/$r.log"
    ls "$art/$r"-* 2>/dev/null | while read -r f; do
      echo "  input: $f ($(wc -c <"$f") bytes): keep it in tests/fuzz/regressions/$r/"; done
    status=1
  fi
done
exit $status
