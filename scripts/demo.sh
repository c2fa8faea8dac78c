#!/usr/bin/env bash
# The main job: builds tp-mlir and runs it on the seed's FeedForward
# (python-free-examples/feedforward): shards it over 2 ranks with tp-opt and
# prints the per-rank report for 1, 2, 4 and 8 ranks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" tp-opt
example="$root/python-free-examples/feedforward"
echo "== plan ($example/plan.json)"
cat "$example/plan.json"
echo "== tp-opt --tp-parallelize, mesh tp:2: rank program"
"$build/bin/tp-opt" "$example/model.mlir" \
  --tp-parallelize="mesh=tp:2 plan=$example/plan.json"
for ranks in 1 2 4 8; do
  echo "== report, mesh tp:$ranks"
  "$build/bin/tp-opt" "$example/model.mlir" -o /dev/null \
    --tp-parallelize="mesh=tp:$ranks plan=$example/plan.json report=true"
done
