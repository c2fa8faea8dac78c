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

"$root/scripts/build.sh" tp-compile tp-bench-cublas >/dev/null
if ! "$build/bin/tp-bench-cublas" --reps 1 1x1x1 >/dev/null; then
  "$build/bin/tp-bench-cublas" --reps 1 1x1x1 || true
  exit 0
fi
gpus=$(nvidia-smi -L 2>/dev/null | wc -l || echo 1)

# The linear layers of a rank's program as MxNxK.
gemm_shapes() {
  sed -n 's/.*tp\.linear "[^"]*" .* : tensor<\([0-9x]*\)x[a-z0-9]*>, tensor<\([0-9]*\)x\([0-9]*\)x[a-z0-9]*>.*/\1 \2 \3/p' "$1" |
    awk '{ n = split($1, d, "x"); m = 1; for (i = 1; i < n; i++) m *= d[i]; printf "%dx%dx%d ", m, $2, $3 }'
}

# Each example, the FeedForward with 4096 tokens and one Llama-7B-shaped
# block with 4096 tokens (its attention is beyond the cuBLAS column, which
# counts linear layers only), in f32 and in bf16 (every f32 tensor type made
# bf16, as the e2e tests do).
ff="$root/python-free-examples/feedforward"
layer="$root/python-free-examples/llama-layer"
llama7b="$work/llama7b"
mkdir -p "$llama7b"
"$root/bench/gen-llama.sh" --seq 4096 >"$llama7b/model.mlir"
cp "$root/python-free-examples/llama-tiny/plan.json" "$llama7b/"
models=()
for dtype in f32 bf16; do
  for source in "$ff:feedforward" "$ff:ff4096" "$layer:llama-layer" \
    "$llama7b:llama7b-4k"; do
    example=${source%%:*} name=${source##*:}-$dtype
    mkdir -p "$work/$name"
    sed -e 's/\([x<]\)f32>/\1'"$dtype"'>/g' \
      -e "$([ "${source##*:}" = ff4096 ] && echo 's/<8x8192x/<4096x8192x/g')" \
      "$example/model.mlir" >"$work/$name/model.mlir"
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
mkdir -p "$chain"
{
  echo 'func.func @forward(%x0: tensor<1x64xf32>) -> tensor<1x64xf32> {'
  for i in $(seq 1 256); do
    echo "  %x$i = tp.silu %x$((i - 1)) : tensor<1x64xf32>"
  done
  echo '  return %x256 : tensor<1x64xf32>'
  echo '}'
} >"$chain/model.mlir"
echo '{"mesh": {"tp": 1}, "plan": {}}' >"$chain/plan.json"
"$build/bin/tp-compile" "$chain/model.mlir" --plan "$chain/plan.json" \
  --target cuda -o "$chain/chain"
step=$("$chain/chain" --random-weights 0 --bench "$steps" |
  sed -n 's/^bench:.*mean \([0-9.]*\) ms.*/\1/p')
awk -v s="$step" 'BEGIN { printf "runtime overhead: %.2f us per call (256 calls in %.3f ms; target < 10 us)\n", s * 1000 / 256, s }'
