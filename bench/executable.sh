#!/usr/bin/env bash
# Times compiled executables on the cpu target and compares them with the
# same GEMMs called directly through the library (tp-bench-gemm: OpenBLAS
# for f32, oneDNN for bf16) on the same shapes and thread count. For each
# model, dtype and rank count it prints the time per step (--bench), the
# direct-GEMM time per step, their ratio, and the bytes the collectives move
# per rank against the minimum the plan needs.
#   bench/executable.sh [steps]      (default 20 steps)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
steps=${1:-20}

source "$root/bench/common.sh"
start_executable_bench "$root"

printf '%-17s %5s %12s %12s %8s %12s %14s %14s\n' model ranks "step (ms)" \
  "GEMMs (ms)" ratio GFLOP/s "coll. B/rank" "minimum B/rank"
for entry in feedforward:f32 llama-layer:f32 feedforward:bf16 llama-layer:bf16; do
  model=${entry%%:*} dtype=${entry##*:}
  example="$work/$model-$dtype"
  mkdir -p "$example"
  with_dtype "$dtype" <"$root/python-free-examples/$model/model.mlir" \
    >"$example/model.mlir"
  cp "$root/python-free-examples/$model/plan.json" "$example/"
  element_bytes=4
  [ "$dtype" = bf16 ] && element_bytes=2
  for ranks in 1 2; do
    threads=$((cores / ranks > 0 ? cores / ranks : 1))
    # One core per rank when there are enough (mpirun's default binding);
    # a lone rank must be free to run BLAS threads on every core.
    bind=(--bind-to core)
    [ "$threads" -gt 1 ] && bind=(--bind-to none)
    exe=$example/$ranks
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" -o "$exe"
    "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
      --plan "$example/plan.json" --emit=tp -o "$exe.mlir"
    "$build/bin/tp-opt" "$example/model.mlir" -o /dev/null \
      --tp-parallelize="mesh=tp:$ranks plan=$example/plan.json report-json=$exe.json" >/dev/null
    # OpenBLAS and oneDNN (OpenMP) threads alike.
    export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
    threading=(-x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)
    run=$(mpirun -np "$ranks" "${bind[@]}" "${threading[@]}" "$exe" \
      --random-weights 1 --bench "$steps" | grep '^bench:')
    step=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$run")
    gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$run")
    # Every rank runs its GEMMs at once, as in the model; the slowest counts.
    read -r -a shapes <<<"$(gemm_shapes "$exe.mlir")"
    gemm=$(mpirun -np "$ranks" "${bind[@]}" "${threading[@]}" \
      "$build/bin/tp-bench-gemm" --reps "$steps" --dtype "$dtype" \
      "${shapes[@]}" | sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' | sort -g | tail -1)
    # The first "collective_bytes" is the total (JSON keys print sorted).
    moved=$(sed -n 's/.*"collective_bytes": \([0-9.e+]*\),*/\1/p' "$exe.json" | head -1)
    # Megatron's minimum: one all_reduce of the [tokens, dim] activation per
    # row-wise layer, 2(n-1)/n of it per rank with a ring.
    minimum=$(awk -v f="$example/plan.json" -v n="$ranks" -v e="$element_bytes" -v a="$(sed -n 's/.*"type": "tensor<\([0-9x]*\)x[a-z0-9]*>".*/\1/p' "$exe.json" | head -1)" '
      BEGIN { rows = 0; while ((getline line < f) > 0) if (line ~ /rowwise/) rows++;
              k = split(a, d, "x"); b = e; for (i = 1; i <= k; i++) b *= d[i];
              if (a == "") b = 0; printf "%.0f", rows * 2 * (n - 1) / n * b }')
    awk -v m="$model-$dtype" -v r="$ranks" -v s="$step" -v g="$gemm" -v f="$gflops" \
      -v c="$moved" -v mn="$minimum" 'BEGIN {
      printf "%-17s %5d %12.3f %12.3f %8.2f %12.2f %14.0f %14.0f\n", m, r, s, g, s / g, f, c, mn }'
  done
done
