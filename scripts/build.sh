#!/usr/bin/env bash
# Installs what the project needs (once), configures and builds it with ninja
# and ccache into build/ (or $TP_BUILD_DIR). Extra arguments are ninja targets;
# $TP_CMAKE_ARGS adds CMake options to the first configure (CI's
# -DTP_UBSAN_COMPILER=ON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  # shellcheck disable=SC2086 # TP_CMAKE_ARGS holds several options.
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    ${TP_CMAKE_ARGS:-}
fi
ninja -C "$build" -j "${TP_JOBS:-2}" "$@"
