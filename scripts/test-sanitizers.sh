#!/usr/bin/env bash
# The sanitizer variant: builds everything with ASan and UBSan into
# build-sanitize/ (or $TP_BUILD_DIR) and runs every test but the 8192-wide
# FeedForward end-to-end runs (minutes under ASan, and the same code paths as
# the smaller models). Ends like scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build-sanitize}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTP_SANITIZE=ON
fi
ninja -C "$build" -j "${TP_JOBS:-2}"
# MPI and the CUDA runtime keep allocations until exit by design.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TP_BUILD_DIR=$build TP_CTEST_ARGS="-E e2e(-cuda)?-feedforward" \
  exec "$root/scripts/test.sh" --no-build
