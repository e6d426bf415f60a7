#!/usr/bin/env bash
# Training samples/s of one process against N processes (data parallel, issue 13), as cast itself
# measures them (the samples/s column of 'cast train': training split / epoch seconds, validation
# included), at the same global batch. Each configuration prints its epochs and the mean.
# Usage: bench/dist_throughput.sh [PATH/TO/cast] [N=2] [ENTRIES=800] [MODEL=cogn]
#   DEVICE=cuda: one GPU per rank (NCCL) against one process on one GPU.
set -u
cast="${1:-build/cast}"; n="${2:-2}"; limit="${3:-800}"; model="${4:-cogn}"; device="${DEVICE:-cpu}"
src="${CAST_SHARED_DIR:-$(dirname "$0")/../../shared}/data/matbench/matbench_log_kvrh.subset.json.gz"
[ -f "$src" ] || { echo "no $src (set CAST_SHARED_DIR)"; exit 1; }
src="$(cd "$(dirname "$src")" && pwd)/$(basename "$src")"
cast="$(cd "$(dirname "$cast")" && pwd)/$(basename "$cast")"
work=$(mktemp -d /tmp/cast-dist-bench.XXXXXX); trap 'rm -rf "$work"' EXIT; cd "$work"
export CAST_CACHE_DIR="$work/cache"
cores=$(nproc)
run() {  # label threads nproc
  local label="$1" threads="$2" np="$3"
  OMP_NUM_THREADS=$threads "$cast" train --model "$model" --task log_kvrh --source "$src" --limit "$limit" \
    --batch-size 64 --epochs 3 --device "$device" -q --db "$label.db" --out "$label" --nproc "$np" > "$label.log" 2>&1 \
    || { echo "$label failed:"; tail -3 "$label.log"; return; }
  awk -v l="$label" '/^epoch/ {on=1; next} on && /^[0-9]+ / {s+=$5; k++} END {printf "%-28s %8.0f samples/s (mean of %d epochs)\n", l, s/k, k}' "$label.log"
}
echo "$model, $limit entries of log_kvrh, global batch 64, $device, $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "1-process-${cores}-threads" "$cores" 1
run "1-process-$((cores / n > 0 ? cores / n : 1))-threads" $((cores / n > 0 ? cores / n : 1)) 1
run "${n}-processes-$((cores / n > 0 ? cores / n : 1))-threads-each" $((cores / n > 0 ? cores / n : 1)) "$n"
