#!/usr/bin/env bash
# The main job on its default: until the reproduction lands, `cast doctor` and `cast data
# prepare` for every paper task on the data found in $CAST_DATA_DIR or ../shared/data.
set -uo pipefail
cd "$(dirname "$0")/.."
./build/cast doctor || echo "(doctor reported problems; continuing)"
data="${CAST_DATA_DIR:-../shared/data}"
if [ ! -d "$data" ]; then
  echo "No data folder at $data: set CAST_DATA_DIR to run the data demo."; exit 0
fi
run() { echo; echo "== cast data prepare $*"; ./build/cast data prepare "$@" || exit 1; }
run --task log_gvrh --source "$data/matbench/matbench_log_gvrh.subset.json.gz"
run --task log_kvrh --source "$data/matbench/matbench_log_kvrh.subset.json.gz"
run --task formation_energy --source "$data/mp/mp_legacy_36737.jsonl.gz"
run --task band_gap --source "$data/mp/mp_legacy_36737.jsonl.gz"
for t in total_energy formation_energy band_gap log_gvrh log_kvrh; do
  run --task "$t" --source "$data/mp/mp_summary_elastic_3202.jsonl.gz"
done
run --task log_kvrh --source "$data/mp/elastic_tensor_2015.json.gz"
echo; echo "Featurized datasets are cached in ${CAST_CACHE_DIR:-cache}/."
