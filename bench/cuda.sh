#!/usr/bin/env bash
# The GPU benchmark, one command for whoever has a GPU (tp-compile --target
# cuda). For the FeedForward at 8192 with batch 8 and with 4096 tokens, and
# the Llama layer, in f32 and bf16: time per step, TFLOP/s, the same GEMMs
# called directly through cuBLAS (tp-bench-cublas) and the ratio; then the
# runtime's overhead per call, from a chain of 256 tiny elementwise ops.
#   bench/cuda.sh [steps]        (default 50)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
steps=${1:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

source "$root/bench/common.sh"
"$root/scripts/build.sh" tp-compile tp-bench-cublas >/dev/null
if ! "$build/bin/tp-bench-cublas" --reps 1 1x1x1 >/dev/null; then
  "$build/bin/tp-bench-cublas" --reps 1 1x1x1 || true
  exit 0
fi
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)

# Each example, the FeedForward and a Llama-7B-shaped block with 4096 tokens
# (its attention is beyond the cuBLAS column, which counts linear layers
# only), in f32 and in bf16.
write_bench_examples "$root" "$work"
models=()
for dtype in f32 bf16; do
  for example in "$root/python-free-examples/feedforward" \
    "$root/python-free-examples/llama-layer" "$work/ff4096" "$work/llama7b-4k"; do
    name=$(basename "$example")-$dtype
    mkdir -p "$work/$name"
    with_dtype "$dtype" <"$example/model.mlir" >"$work/$name/model.mlir"
    cp "$example/plan.json" "$work/$name/"
    models+=("$work/$name:$dtype")
  done
done

printf '%-18s %5s %11s %9s %13s %8s\n' model ranks "step (ms)" TFLOP/s \
  "cuBLAS (ms)" ratio
for entry in "${models[@]}"; do
  example=${entry%%:*} dtype=${entry##*:}
  name=$(basename "$example")
  for ranks in 1 2; do
    [ "$ranks" -gt "$gpus" ] && note=" (ranks share a GPU: MPI fallback)" || note=""
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" --target cuda -o "$work/$name-$ranks"
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" --emit=tp -o "$work/$name-$ranks.mlir"
    run=$(mpirun -np "$ranks" "$work/$name-$ranks" --random-weights 1 \
      --bench "$steps" | grep '^bench:')
    step=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$run")
    gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$run")
    read -r -a shapes <<<"$(gemm_shapes "$work/$name-$ranks.mlir")"
    gemm=$("$build/bin/tp-bench-cublas" --reps "$steps" --dtype "$dtype" \
      "${shapes[@]}" |
      sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p')
    awk -v m="$name" -v r="$ranks" -v s="$step" -v f="$gflops" -v g="$gemm" \
      -v n="$note" 'BEGIN {
      printf "%-18s %5d %11.3f %9.2f %13.3f %8.2f%s\n", m, r, s, f / 1000, g, g / s, n }'
  done
done
echo "(ratio = cuBLAS time / step time; target >= 0.8; llama7b-4k's step also"
echo " runs attention over 4096 tokens, which the cuBLAS column leaves out)"

# Overhead per call: 256 chained silu calls on 64 floats.
chain="$work/chain"
"$build/bin/tp-compile" "$chain/model.mlir" --plan "$chain/plan.json" \
  --target cuda -o "$chain/chain"
step=$("$chain/chain" --random-weights 0 --bench "$steps" |
  sed -n 's/^bench:.*mean \([0-9.]*\) ms.*/\1/p')
awk -v s="$step" 'BEGIN { printf "runtime overhead: %.2f us per call (256 calls in %.3f ms; target < 10 us)\n", s * 1000 / 256, s }'
