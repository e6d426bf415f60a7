#!/usr/bin/env bash
# Run here (the Debian machine the project is set up on): copy the headers, shared libraries and
# CMake package files of the Debian packages cast builds against into .deps/ (git-ignored), for a
# CUDA machine that has PyTorch's LibTorch but not these (the device tool's `carry: [".deps"]`).
# LibTorch itself is not copied: gpu_check.sh builds against that machine's own.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.deps
rm -rf "$dest"; mkdir -p "$dest"
pkgs="libcli11-dev nlohmann-json3-dev libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libsymspg-dev libsymspg1
      gemmi-dev tao-pegtl-dev libsqlite3-dev libsqlite3-0 catch2 libcurl4-openssl-dev libcurl4 libssl-dev libssl3
      zlib1g-dev"
for p in $pkgs; do
  dpkg -s "$p" > /dev/null 2>&1 || continue   # versions differ between releases: take what is installed
  dpkg -L "$p" | while read -r f; do
    case "$f" in
      /usr/include/*|/usr/lib/*/lib*.so*|/usr/lib/*/cmake/*|/usr/share/cmake/*|/usr/lib/cmake/*|/usr/lib/*/pkgconfig/*) ;;
      *) continue ;;
    esac
    [ -f "$f" ] || [ -L "$f" ] || continue
    mkdir -p "$dest$(dirname "$f")"
    cp -a "$f" "$dest$f"
  done
done
du -sh "$dest"
