#!/usr/bin/env bash
# Times compiled executables on the cpu target and compares them with the
# same GEMMs called directly through OpenBLAS (tp-bench-gemm) on the same
# shapes and thread count. For each model and rank count it prints the time
# per step (--bench), the direct-GEMM time per step, their ratio, and the
# bytes the collectives move per rank against the minimum the plan needs.
#   bench/executable.sh [steps]      (default 20 steps)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
steps=${1:-20}
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

"$root/scripts/build.sh" tp-opt tp-compile tp-bench-gemm >/dev/null

# The linear layers of a rank's program as MxNxK (y[M,N] = x[M,K] w[N,K]^T).
gemm_shapes() {
  sed -n 's/.*tp\.linear "[^"]*" .* : tensor<\([0-9x]*\)xf32>, tensor<\([0-9]*\)x\([0-9]*\)xf32>.*/\1 \2 \3/p' "$1" |
    awk '{ n = split($1, d, "x"); m = 1; for (i = 1; i < n; i++) m *= d[i]; printf "%dx%dx%d ", m, $2, $3 }'
}

printf '%-12s %5s %12s %12s %8s %12s %14s %14s\n' model ranks "step (ms)" \
  "GEMMs (ms)" ratio GFLOP/s "coll. B/rank" "minimum B/rank"
for model in feedforward llama-layer; do
  example="$root/python-free-examples/$model"
  for ranks in 1 2; do
    threads=$((cores / ranks > 0 ? cores / ranks : 1))
    # One core per rank when there are enough (mpirun's default binding);
    # a lone rank must be free to run BLAS threads on every core.
    bind=(--bind-to core)
    [ "$threads" -gt 1 ] && bind=(--bind-to none)
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" -o "$work/$model-$ranks"
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" --emit=tp -o "$work/$model-$ranks.mlir"
    "$build/bin/tp-opt" "$example/model.mlir" -o /dev/null \
      --tp-parallelize="mesh=tp:$ranks plan=$example/plan.json report-json=$work/$model-$ranks.json" >/dev/null
    run=$(OPENBLAS_NUM_THREADS=$threads mpirun -np "$ranks" "${bind[@]}" \
      -x OPENBLAS_NUM_THREADS "$work/$model-$ranks" --random-weights 1 \
      --bench "$steps" | grep '^bench:')
    step=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$run")
    gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$run")
    # Every rank runs its GEMMs at once, as in the model; the slowest counts.
    read -r -a shapes <<<"$(gemm_shapes "$work/$model-$ranks.mlir")"
    gemm=$(OPENBLAS_NUM_THREADS=$threads mpirun -np "$ranks" "${bind[@]}" \
      -x OPENBLAS_NUM_THREADS "$build/bin/tp-bench-gemm" --reps "$steps" \
      "${shapes[@]}" | sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' | sort -g | tail -1)
    # The first "collective_bytes" is the total (JSON keys print sorted).
    moved=$(sed -n 's/.*"collective_bytes": \([0-9.e+]*\),*/\1/p' "$work/$model-$ranks.json" | head -1)
    # Megatron's minimum: one all_reduce of the [tokens, dim] activation per
    # row-wise layer, 2(n-1)/n of it per rank with a ring.
    minimum=$(awk -v f="$example/plan.json" -v n="$ranks" -v a="$(sed -n 's/.*"type": "tensor<\([0-9x]*\)xf32>".*/\1/p' "$work/$model-$ranks.json" | head -1)" '
      BEGIN { rows = 0; while ((getline line < f) > 0) if (line ~ /rowwise/) rows++;
              k = split(a, d, "x"); b = 4; for (i = 1; i <= k; i++) b *= d[i];
              if (a == "") b = 0; printf "%.0f", rows * 2 * (n - 1) / n * b }')
    awk -v m="$model" -v r="$ranks" -v s="$step" -v g="$gemm" -v f="$gflops" \
      -v c="$moved" -v mn="$minimum" 'BEGIN {
      printf "%-12s %5d %12.3f %12.3f %8.2f %12.2f %14.0f %14.0f\n", m, r, s, g, s / g, f, c, mn }'
  done
done
