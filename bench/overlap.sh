#!/usr/bin/env bash
# Times training steps with and without compute/communication overlap
# (tp-overlap-collectives, tp-compile --overlap=false) on the cpu target:
# the Llama layer example and a Llama model of 2 layers at dim 1024 from
# gen-llama.sh, both on tp:2 with AdamW. The two builds run alternately,
# ROUNDS times each, and the table shows the best mean step time of each and
# how many all-reduces the report says overlap other work.
#   bench/overlap.sh [steps]      (default 5 timed steps per run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
steps=${1:-5}
rounds=${ROUNDS:-3}

source "$root/bench/common.sh"
start_executable_bench "$root"
examples=$root/python-free-examples

mkdir -p "$work/llama-layer" "$work/llama-2x1024"
cp "$examples/llama-layer/model.mlir" "$examples/llama-layer/plan.json" "$work/llama-layer/"
"$root/bench/gen-llama.sh" --layers 2 --dim 1024 --heads 16 --kv-heads 8 \
  --ffn 2816 --vocab 4096 --batch 2 --seq 128 >"$work/llama-2x1024/model.mlir"
cp "$examples/llama-tiny/plan.json" "$work/llama-2x1024/"

printf '%-14s %6s %16s %16s %8s %10s\n' model ranks "overlap (ms)" \
  "blocking (ms)" ratio overlapped
for model in llama-layer llama-2x1024; do
  example=$work/$model
  loss=sum
  [ "$model" = llama-2x1024 ] && loss=cross_entropy
  for overlap in true false; do
    "$build/bin/tp-compile" "$example/model.mlir" --mesh tp:2 \
      --plan "$example/plan.json" --train --loss "$loss" --optimizer adamw \
      --overlap="$overlap" -o "$example/train-$overlap"
  done
  overlapped=$("$example/train-true" --report | grep -c '^      overlaps ' || true)
  best_true='' best_false=''
  for _ in $(seq "$rounds"); do
    for overlap in true false; do
      mean=$(OPENBLAS_NUM_THREADS=1 mpirun -np 2 --bind-to core -x OPENBLAS_NUM_THREADS \
        "$example/train-$overlap" --random-weights 1 --bench "$steps" |
        sed -n 's/^bench: .*mean \([0-9.]*\) ms.*/\1/p')
      if [ "$overlap" = true ]; then
        best_true=$(awk -v a="$mean" -v b="${best_true:-$mean}" 'BEGIN { print (a < b ? a : b) }')
      else
        best_false=$(awk -v a="$mean" -v b="${best_false:-$mean}" 'BEGIN { print (a < b ? a : b) }')
      fi
    done
  done
  awk -v m="$model" -v o="$best_true" -v b="$best_false" -v n="$overlapped" 'BEGIN {
    printf "%-14s %6d %16.2f %16.2f %8.3f %10d\n", m, 2, o, b, o / b, n }'
done
