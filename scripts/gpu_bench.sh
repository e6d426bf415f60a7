#!/usr/bin/env bash
# On the GPU machine (device tool): build bench/gpu against PyTorch's LibTorch and time one CAST
# training step at paper size. Needs .deps/include/nlohmann (copied from the Debian package).
set -euo pipefail
OUT="${OUT:-/tmp}"
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'
cmake -S bench/gpu -B /tmp/build-gpu -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release > "$OUT/cmake.log" 2>&1 || { tail -40 "$OUT/cmake.log"; exit 1; }
cmake --build /tmp/build-gpu -j16 > "$OUT/build.log" 2>&1 || { grep -E "error" -A3 "$OUT/build.log" | head -60; exit 1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
/tmp/build-gpu/gpu_step 30 2>&1 | tee "$OUT/gpu_step.txt"
