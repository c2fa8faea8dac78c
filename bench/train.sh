#!/usr/bin/env bash
# Times compiled training steps on the cpu target (f32, AdamW) against the
# forward-only step of the same model and against the same GEMMs called
# directly through BLAS (tp-bench-gemm: the forward's y = x w^T and the
# backward's dx = dy w and dw = dy^T x, on the shapes of each rank's
# program). For each model and rank count it prints
#   fwd, step      ms per forward-only and per training step (--bench)
#   step/fwd       the backward costs about twice the forward's FLOPs: the
#                  target is at most 3.3
#   GEMMs          ms of the step's GEMMs alone, on every rank at once
#   GFLOP/s        per rank: of the step (its GEMMs' and attention's FLOPs
#                  over its time) and of the GEMMs alone; the step also
#                  updates every weight, which is not a GEMM
#   coll. B        the bytes the step's collectives move (the report's
#                  collective_bytes: each collective's tensor once)
#   Megatron B     the same count for Megatron's hand-written conjugates under
#                  the same plan (see megatron_bytes)
#   bench/train.sh [steps]      (default 3 timed steps after a warm-up)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
steps=${1:-3}

source "$root/bench/common.sh"
start_executable_bench "$root"
examples=$root/python-free-examples

# The models: the seed's FeedForward(8192) with its batch of 8, the same with
# 512 tokens (where the GEMMs dominate), and the Llama layer example.
mkdir -p "$work/ff-b8" "$work/ff-t512" "$work/llama-layer"
cp "$examples/feedforward/model.mlir" "$examples/feedforward/plan.json" "$work/ff-b8/"
sed 's/<8x8192x/<512x8192x/g' "$examples/feedforward/model.mlir" >"$work/ff-t512/model.mlir"
cp "$examples/feedforward/plan.json" "$work/ff-t512/"
cp "$examples/llama-layer/model.mlir" "$examples/llama-layer/plan.json" "$work/llama-layer/"

# megatron_bytes MODEL RANKS: the collective bytes of one training step under
# Megatron-LM's conjugate pairs for the same plan: f (identity forward,
# all-reduce backward) before each group of column-wise layers whose input
# needs a gradient, g (all-reduce forward, identity backward) after each
# row-wise layer; each moves one [tokens, dim] f32 activation.
megatron_bytes() {
  [ "$2" -eq 1 ] && { echo 0; return; }
  case $1 in
  # g after w2; w1 and w3 read the data x, which needs no gradient: no f.
  ff-b8) echo $((1 * 8 * 8192 * 4)) ;;
  ff-t512) echo $((1 * 512 * 8192 * 4)) ;;
  # g after wo and w2; f before wq/wk/wv and before w1/w3, whose inputs (the
  # norms' outputs) need gradients for the norms' weights.
  llama-layer) echo $((4 * 2 * 16 * 256 * 4)) ;;
  esac
}

printf '%-12s %5s %10s %10s %8s %10s %9s %9s %10s %10s\n' model ranks \
  "fwd (ms)" "step (ms)" step/fwd "GEMMs (ms)" "step GF/s" "GEMM GF/s" \
  "coll. B" "Megatron B"
for model in ff-b8 ff-t512 llama-layer; do
  example=$work/$model
  for ranks in 1 2; do
    threads=$((cores / ranks > 0 ? cores / ranks : 1))
    # One core per rank when there are enough (mpirun's default binding); a
    # lone rank must be free to run BLAS threads on every core.
    bind=(--bind-to core)
    [ "$threads" -gt 1 ] && bind=(--bind-to none)
    export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
    launch=(mpirun -np "$ranks" "${bind[@]}" -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)
    compile=("$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks"
      --plan "$example/plan.json")
    "${compile[@]}" -o "$example/fwd-$ranks"
    "${compile[@]}" --train --optimizer adamw -o "$example/train-$ranks"
    "${compile[@]}" --train --optimizer adamw --emit=tp -o "$example/train-$ranks.mlir"
    "$build/bin/tp-opt" "$example/model.mlir" -o /dev/null --tp-autodiff \
      --tp-parallelize="mesh=tp:$ranks plan=$example/plan.json report-json=$example/train-$ranks.json" \
      >/dev/null
    fwd=$("${launch[@]}" "$example/fwd-$ranks" --random-weights 1 --bench "$steps" |
      sed -n 's/^bench: .*mean \([0-9.]*\) ms.*/\1/p')
    run=$("${launch[@]}" "$example/train-$ranks" --random-weights 1 --bench "$steps" |
      grep '^bench:')
    step=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$run")
    gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$run")
    # Every rank runs its GEMMs at once, as in the model; the slowest counts.
    read -r -a shapes <<<"$(gemm_shapes "$example/train-$ranks.mlir")"
    gemm=$("${launch[@]}" "$build/bin/tp-bench-gemm" --reps "$steps" \
      "${shapes[@]}" | sed -n 's/.*mean \([0-9.]*\) ms, .* \([0-9.]*\) GFLOP\/s/\1 \2/p' |
      sort -g | tail -1)
    moved=$(sed -n 's/.*"collective_bytes": \([0-9.e+]*\),*/\1/p' "$example/train-$ranks.json" | head -1)
    awk -v m="$model" -v r="$ranks" -v f="$fwd" -v s="$step" -v g="${gemm% *}" \
      -v gf="${gemm#* }" -v sf="$gflops" -v c="$moved" -v mb="$(megatron_bytes "$model" "$ranks")" 'BEGIN {
      printf "%-12s %5d %10.1f %10.1f %8.2f %10.1f %9.2f %9.2f %10.0f %10.0f\n",
        m, r, f, s, s / f, g, sf / r, gf, c, mb }'
  done
done
