#!/usr/bin/env bash
# TinyLlama's config.json, shrunk, from import to a verified 2-rank run
# (README.md): tp-import, a 2-file Hugging Face checkpoint, tp-compile for
# tp:2, mpirun with --verify. Writes into the directory given (default
# build/hf-llama).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TP_BIN:-$root/build/bin}
work=${1:-$root/build/hf-llama}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$work"
cd "$work"
rm -rf checkpoint

set -x
"$bin/tp-import" "$here/config.json" -o model.mlir --batch 2 --seq 16 \
  --plan-out plan.json
"$bin/tp-weights" init model.mlir --seed 0 --max-shard-size 1MB -o checkpoint
"$bin/tp-weights" ls checkpoint
"$bin/tp-compile" model.mlir --mesh tp:2 --plan plan.json -o hf-llama
mpirun -np 2 --bind-to none ./hf-llama --weights checkpoint --seed 0 \
  --verify --output logits.npy
