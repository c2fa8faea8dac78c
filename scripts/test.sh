#!/usr/bin/env bash
# Builds everything and runs every test (the lit suite, the runtime's unit
# and MPI tests, the end-to-end runs). Tests that need a GPU skip visibly
# where there is none. Ends with one line "N passed, N failed, N skipped";
# exits non-zero if any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

[ "${1:-}" = --no-build ] || "$root/scripts/build.sh"
cd "$build"
status=0
# shellcheck disable=SC2086 # TP_CTEST_ARGS holds several arguments.
ctest --output-on-failure -j "${TP_JOBS:-2}" ${TP_CTEST_ARGS:-} 2>&1 |
  tee ctest.log || status=$?
# ctest prints its summary before the list of skipped tests; say it last.
awk '
  /tests passed, [0-9]+ tests? failed out of/ { failed = $4; total = $NF }
  /\(Skipped\)$/ { skipped++ }
  END { printf "%d passed, %d failed, %d skipped\n",
               total - failed - skipped, failed, skipped }' ctest.log
exit "$status"
