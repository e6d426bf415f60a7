#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit + CLI). CI runs exactly this.
# Tests that need ../shared (or $CAST_SHARED_DIR) skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --preset cpu -j2
