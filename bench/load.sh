#!/usr/bin/env bash
# Peak memory per rank while loading `--weights` against the memory plan.
# Builds the FeedForward of python-free-examples with 8192 dims and 512
# tokens, writes a random checkpoint of it (tp-weights init, 768 MiB), and
# for each rank count compiles it for tp:N and runs it once with --weights
# and --bench 1. It prints, per rank count, the largest planned memory of a
# rank (arena + parameters), the largest max RSS of a rank over the whole
# run (loading and compute), their ratio, the slowest rank's load
# throughput, and `cat FILE > /dev/null`'s throughput on the same file.
# Every read is warm-cache: the file is read once before anything is timed,
# and fits in the page cache.
#   bench/load.sh [--no-build] [ranks ...]     (default: 1 2 4 8)
# $TP_BUILD_DIR names another build (with --no-build: one built already).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
if [ "${1:-}" = --no-build ]; then
  shift
else
  "$root/scripts/build.sh" tp-compile tp-weights >/dev/null
fi
rank_counts=("$@")
[ ${#rank_counts[@]} -gt 0 ] || rank_counts=(1 2 4 8)
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

example=$root/python-free-examples/feedforward
sed 's/<8x8192x/<512x8192x/g' "$example/model.mlir" >"$work/model.mlir"
weights=$work/weights.safetensors
"$build/bin/tp-weights" init "$work/model.mlir" --seed 1 -o "$weights"
bytes=$(stat -c %s "$weights")

# The best of 3 warm reads of the whole file.
cat "$weights" >/dev/null
best=0
for _ in 1 2 3; do
  begin=$EPOCHREALTIME
  cat "$weights" >/dev/null
  end=$EPOCHREALTIME
  best=$(awk -v a="$begin" -v e="$end" -v best="$best" \
    'BEGIN { s = e - a; print (s < best || best == 0) ? s : best }')
done
cat_gbs=$(awk -v b="$bytes" -v s="$best" 'BEGIN { printf "%.2f", b / s * 1e-9 }')

printf '%5s %12s %14s %7s %16s %12s\n' ranks "plan (MiB)" "max RSS (MiB)" ratio \
  "load (GB/s/rank)" "cat (GB/s)"
for ranks in "${rank_counts[@]}"; do
  sed 's/"tp": 2/"tp": '"$ranks"'/' "$example/plan.json" >"$work/plan.json"
  exe=$work/ff-$ranks
  "$build/bin/tp-compile" "$work/model.mlir" --mesh "tp:$ranks" \
    --plan "$work/plan.json" -o "$exe"
  threads=$((cores / ranks > 0 ? cores / ranks : 1))
  out=$(OPENBLAS_NUM_THREADS=$threads mpirun -np "$ranks" --bind-to none \
    -x OPENBLAS_NUM_THREADS "$exe" --weights "$weights" --bench 1)
  # memory: rank R: arena A MiB + params P MiB = T MiB planned, max RSS M MiB
  # = B MiB before the model (MPI, libraries) + D MiB
  # [, loaded L MiB in S ms (G GB/s)]
  awk -v r="$ranks" -v cat="$cat_gbs" '
    /^memory: rank/ {
      for (i = 1; i <= NF; i++) {
        if ($i == "planned,") if ($(i - 2) + 0 > plan + 0) plan = $(i - 2)
        if ($i == "RSS") if ($(i + 1) + 0 > rss + 0) rss = $(i + 1)
        if ($i == "GB/s)") { g = substr($(i - 1), 2); if (slowest == "" || g + 0 < slowest + 0) slowest = g }
      }
    }
    END {
      printf "%5d %12.1f %14.1f %7.2f %16s %12.2f\n", r, plan, rss, rss / plan,
        slowest == "" ? "-" : slowest, cat
    }' <<<"$out"
done
