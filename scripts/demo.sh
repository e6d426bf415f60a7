#!/usr/bin/env bash
# The main job on its default: the demo reproduction of the paper (Tables 1 and 2, Figures 2
# and 3, learning curves) on the data in $CAST_DATA_DIR (default ../shared/data), about 10-15
# minutes on 2 CPU cores. Rerunning continues where a killed run stopped and skips what is done.
# Usage: scripts/demo.sh [extra 'cast reproduce' options, e.g. --profile small]
set -uo pipefail
cd "$(dirname "$0")/.."
./build/cast doctor || echo "(doctor reported problems; continuing)"
data="${CAST_DATA_DIR:-../shared/data}"
if [ ! -d "$data" ]; then
  echo "No data folder at $data: set CAST_DATA_DIR, or fetch MatBench files with"
  echo "  ./build/cast data fetch matbench_log_kvrh --out data/matbench && export CAST_DATA_DIR=\$PWD/data"
  exit 1
fi
export CAST_DATA_DIR="$data"
echo
exec ./build/cast reproduce all --profile demo "$@"
