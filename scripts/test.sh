#!/usr/bin/env bash
# Builds everything and runs every test (the lit suite and the other ctest
# entries). Ends with ctest's summary; exits non-zero if any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${TP_JOBS:-2}"
