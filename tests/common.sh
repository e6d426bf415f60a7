# Sourced by the shell tests: . "$(dirname "$0")/common.sh" PATH/TO/cast TESTS_DIR
# Sets cast (absolute path of the binary), dir (the tests folder), shared ($CAST_SHARED_DIR or
# ../shared beside the repository) and fails; check NAME CMD... runs CMD and counts a failure;
# need FILE... skips the test (exit 77, ctest's SKIP_RETURN_CODE) naming the first missing file.
cast="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; dir="$(cd "$2" && pwd)"; fails=0
check() { local name="$1"; shift; if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails+1)); fi; }
shared="${CAST_SHARED_DIR:-$dir/../../shared}"
need() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || { echo "skip: $f not found (set CAST_SHARED_DIR to the folder holding data/ and fixtures/)"; exit 77; }
  done
}
