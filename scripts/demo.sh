#!/usr/bin/env bash
# The main job: builds tp-mlir and runs it on the seed's FeedForward
# (python-free-examples/feedforward). Until the sharding passes and the
# executable exist, this parses, verifies and prints the model with tp-opt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" tp-opt
example="$root/python-free-examples/feedforward"
echo "== tp-opt $example/model.mlir"
"$build/bin/tp-opt" "$example/model.mlir"
echo "== plan ($example/plan.json)"
cat "$example/plan.json"
