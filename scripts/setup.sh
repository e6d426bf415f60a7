#!/usr/bin/env bash
# Installs cast's build and run dependencies from Debian packages, then builds (Release) with ccache.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
# clang + libclang-rt-14-dev: libFuzzer and the sanitizer runtimes (the 'fuzz' preset, fuzz_smoke).
PKGS=(build-essential cmake ninja-build ccache pkg-config git
      libtorch-dev libopenblas0-pthread libopenblas-dev
      libcli11-dev libspdlog-dev libfmt-dev catch2 libsqlite3-dev sqlite3 libbenchmark-dev
      libsymspg-dev gemmi-dev tao-pegtl-dev nlohmann-json3-dev zlib1g-dev gnuplot-nox python3-pymatgen
      libcurl4-openssl-dev libssl-dev clang libclang-rt-14-dev
      libgloo-dev  # c10d's Gloo headers: data-parallel training on CPU (cast train --nproc)
      slurmctld slurmd slurm-client munge  # these four: the Slurm test (tests/slurm_test.sh)
      python3-torch)  # a test-fixture tool only: converts a checkpoint to pytorch_model.bin (scripts/hf_to_pytorch_bin.py)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# LibTorch must use OpenBLAS (pthread), not reference BLAS: ~10x faster on CPU.
if command -v update-alternatives >/dev/null; then
  for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
    cand=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -1 || true)
    [ -n "$cand" ] && { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO update-alternatives --set "$alt" "$cand" >/dev/null || true; }
  done
fi
[ "${1:-}" = "--no-build" ] && exit 0
cmake --preset cpu
cmake --build --preset cpu -j"$(nproc)"
