#!/usr/bin/env bash
# The sanitizer variant: builds with ASan and UBSan into build-sanitize/ (or
# $TP_BUILD_DIR) and runs the tests. Ends like scripts/test.sh.
#   scripts/test-sanitizers.sh            everything (UBSan on the compiler
#                                         and tools, ASan and UBSan on the
#                                         runtime), every test but the
#                                         8192-wide FeedForward end-to-end
#                                         runs (minutes under ASan, and the
#                                         same code paths as the smaller
#                                         models)
#   scripts/test-sanitizers.sh --runtime  the runtime alone (no cuda backend),
#                                         its unit, MPI and end-to-end tests
#                                         and the replay of the readers' fuzz
#                                         corpora: what .ci/run adds, in a
#                                         few minutes
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runtimeOnly=false
if [ "${1:-}" = --runtime ]; then runtimeOnly=true; fi
build=${TP_BUILD_DIR:-$root/build-sanitize$($runtimeOnly && echo -runtime)}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTP_SANITIZE=ON $($runtimeOnly && echo -DCMAKE_CUDA_COMPILER=OFF)
fi
# MPI keeps allocations until exit by design.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if $runtimeOnly; then
  readers="safetensors safetensors-index npy manifest"
  # shellcheck disable=SC2046 # one target per reader.
  ninja -C "$build" -j "${TP_JOBS:-2}" unittests/runtime/all \
    $(printf 'tp-fuzz-replay-%s ' $readers)
  TP_BUILD_DIR=$build \
    TP_CTEST_ARGS="-R ^(tprt\.|fuzz-replay-(${readers// /|})$)" \
    exec "$root/scripts/test.sh" --no-build
fi
ninja -C "$build" -j "${TP_JOBS:-2}"
TP_BUILD_DIR=$build TP_CTEST_ARGS="-E e2e(-cuda)?-feedforward" \
  exec "$root/scripts/test.sh" --no-build
