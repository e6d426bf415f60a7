#!/usr/bin/env bash
# The main job on its default: the demo reproduction of the paper (Tables 1 and 2, Figures 2
# and 3, learning curves), about 10-15 minutes on 2 CPU cores, on the first data folder found:
# $CAST_DATA_DIR, else ../shared/data, else the embedded demo set data/demo (real MP and MatBench
# entries, data/demo/README.md); `cast doctor` prints which. Rerunning continues where a killed
# run stopped and skips what is done.
# Usage: scripts/demo.sh [extra 'cast reproduce' options, e.g. --profile small]
set -uo pipefail
cd "$(dirname "$0")/.."
./build/cast doctor || echo "(doctor reported problems; continuing)"
if [ -n "${CAST_DATA_DIR:-}" ] && [ ! -d "$CAST_DATA_DIR" ]; then
  echo "CAST_DATA_DIR=$CAST_DATA_DIR is not a folder: unset it to run on ../shared/data or the embedded data/demo,"
  echo "or fetch data, e.g. ./build/cast data fetch matbench_log_kvrh --out data/matbench && export CAST_DATA_DIR=\$PWD/data"
  exit 1
fi
if [ -z "${CAST_DATA_DIR:-}" ] && [ ! -d ../shared/data ] && [ ! -d data/demo ]; then
  echo "No data folder: neither \$CAST_DATA_DIR, ../shared/data nor the embedded data/demo is here"
  exit 1
fi
echo
exec ./build/cast reproduce all --profile demo "$@"
