#!/usr/bin/env bash
# scripts/gpu_check.sh OUTDIR [EPOCHS]: the paper profile's GPU figures in under 8 minutes on a
# CUDA machine (an H200). Builds cast against that machine's LibTorch (PyTorch's), with the
# Debian headers and libraries it lacks from .deps/ (scripts/gpu_deps.sh fills it; the device
# tool carries it), then writes into OUTDIR:
#   consistency.txt  CPU-vs-CUDA test of every model's seeded forward and backward (fp32 1e-3, bf16 2e-2)
#   calibrate.txt    each model's training step at paper size on CUDA (bf16), and pretraining's;
#                    where a CAST step's time goes (graph / text encoder, fusion + head, backward, optimiser)
#   scaled.txt       a scaled reproduction on CUDA: log_kvrh, the whole MatBench subset, all seven
#                    models, one seed, LM and pretraining steps included, EPOCHS epochs (default 3)
#   step-times.txt   every step's wall time (cast results step-times)
#   table1.md        the scaled run's Table 1 (test MAEs)
#   paper-plan.txt   the full paper grid priced with these step times (GPU-hours)
#   gpu.db           the store all of it came from
# Data: CAST_DATA_DIR (or ../shared/data) as for every command.
set -euo pipefail
out=${1:?usage: scripts/gpu_check.sh OUTDIR [EPOCHS]}
epochs=${2:-3}
cd "$(dirname "$0")/.."
mkdir -p "$out"; out=$(cd "$out" && pwd)
t0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee "$out/versions.txt"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$out/versions.txt" || true
deps=$PWD/.deps/usr
export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
stamp "configure"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TP;$deps" -DCMAKE_INCLUDE_PATH="$deps/include" \
  -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" -DCAST_BUILD_BENCH=OFF -DCAST_WITH_C10D=OFF -DCAST_USE_CCACHE=OFF \
  > "$out/cmake.log" 2>&1 || { tail -40 "$out/cmake.log"; exit 1; }
stamp "build"
cmake --build build-gpu -j"$(nproc)" --target cast cast_torch_tests > "$out/build.log" 2>&1 ||
  { grep -E "error" -A3 "$out/build.log" | head -60; exit 1; }
cast=$PWD/build-gpu/cast
stamp "consistency"
build-gpu/tests/cast_torch_tests "CPU and CUDA agree*,fusion: the fused attention path*" -s 2>&1 | tail -40 > "$out/consistency.txt" || true
grep -E "test cases|All tests passed" "$out/consistency.txt" || true
stamp "calibrate (paper sizes)"
"$cast" calibrate --profile paper --device cuda --steps 20 --warmup 5 --db "$out/gpu.db" 2>&1 | tee "$out/calibrate.txt"
stamp "scaled reproduction (log_kvrh, $epochs epochs)"
recipes=$out/recipes
rm -rf "$recipes"; cp -r experiments "$recipes"
python3 - "$recipes" "$epochs" <<'PY'
import json, sys, pathlib
d, epochs = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def scale(p):
    # The paper profile with its epochs cut to fit the check; pretraining on 20,000 structures.
    if isinstance(p, dict):
        for k, v in p.items():
            if k == "epochs" and isinstance(v, int): p[k] = min(v, epochs)
            elif k == "limit" and isinstance(v, int) and "task" in p and p.get("task") == "formation_energy": p[k] = 20000
            else: scale(v)
    elif isinstance(p, list):
        for v in p: scale(v)
for f in d.glob("*.json"):
    j = json.loads(f.read_text())
    if isinstance(j, dict) and "profiles" in j and "paper" in j["profiles"]:
        scale(j["profiles"]["paper"]); f.write_text(json.dumps(j, indent=1))
PY
set +e
"$cast" reproduce table1 --profile paper --device cuda --tasks log_kvrh --seeds 0 --recipes "$recipes" \
  --db "$out/gpu.db" > "$out/scaled.txt" 2>&1
rc=$?
set -e
tail -30 "$out/scaled.txt"
stamp "scaled reproduction exit $rc"
"$cast" results step-times --db "$out/gpu.db" > "$out/step-times.txt" 2>&1 || true
"$cast" results table --table 1 --db "$out/gpu.db" --profile paper > "$out/table1.md" 2>&1 || true
"$cast" reproduce all --profile paper --device cuda --dry-run --db "$out/gpu.db" > "$out/paper-plan.txt" 2>&1 || true
tail -3 "$out/paper-plan.txt"
stamp "done"
