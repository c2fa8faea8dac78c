#!/usr/bin/env bash
# Installs what the project needs (once), configures and builds it with ninja
# and ccache into build/ (or $TP_BUILD_DIR). Extra arguments are ninja targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
ninja -C "$build" -j "${TP_JOBS:-2}" "$@"
