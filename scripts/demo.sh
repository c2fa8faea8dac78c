#!/usr/bin/env bash
# The main job: builds tp-mlir, makes weights for the seed's FeedForward
# (dim = hidden_dim = 8192, python-free-examples/feedforward), compiles it for
# 2 ranks, runs it under mpirun, prints the result's checksum, and prints the
# per-rank memory for 1, 2, 4 and 8 ranks (in f32 and bf16) beside the seed's
# table. Then the seed's training run: the training step (loss = output.sum(),
# AdamW) compiled for 2 ranks and trained for a few steps, and the memory of
# training measured on 1, 2, 4 and 8 ranks beside the seed's table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
work=${TP_DEMO_DIR:-$build/demo}
example="$root/python-free-examples/feedforward"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

source "$root/bench/common.sh"
"$root/scripts/build.sh" tp-opt tp-compile tp-weights
mkdir -p "$work"

echo "== weights: tp-weights init (3 x 8192 x 8192 f32, 768 MiB)"
[ -f "$work/ff.safetensors" ] ||
  "$build/bin/tp-weights" init "$example/model.mlir" --seed 0 -o "$work/ff.safetensors"

echo "== tp-compile --mesh tp:2 --plan plan.json --target cpu"
"$build/bin/tp-compile" "$example/model.mlir" --mesh tp:2 \
  --plan "$example/plan.json" --target cpu -o "$work/ff"

echo "== mpirun -np 2 ff --weights ff.safetensors --seed 0 --output y.npy"
mpirun -np 2 --bind-to none "$work/ff" --weights "$work/ff.safetensors" \
  --seed 0 --output "$work/y.npy"
echo "== mpirun -np 2 ff --report"
mpirun -np 2 "$work/ff" --report

echo
echo "== memory per rank (parameters + peak activations, from the report)"
# The same model in bf16: every f32 tensor type made bf16.
with_dtype bf16 <"$example/model.mlir" >"$work/model-bf16.mlir"
printf '%-8s %16s %18s %14s %12s   %s\n' ranks parameters "peak activations" \
  total "total bf16" "seed's table (training with AdamW, per GPU)"
seed_table=(4.04 2.03 1.02 0.60)
i=0
for ranks in 1 2 4 8; do
  for variant in f32 bf16; do
    model=$example/model.mlir
    [ "$variant" = bf16 ] && model=$work/model-bf16.mlir
    "$build/bin/tp-opt" "$model" -o /dev/null \
      --tp-parallelize="mesh=tp:$ranks plan=$example/plan.json report-json=$work/report-$ranks-$variant.json" >/dev/null
  done
  bytes() { sed -n 's/.*"'"$1"'": \([0-9]*\),*/\1/p' "$work/report-$ranks-$2.json" | tail -1; }
  awk -v r="$ranks" -v p="$(bytes parameter_bytes f32)" \
    -v a="$(bytes peak_activation_bytes f32)" \
    -v h="$(bytes parameter_bytes bf16)" -v ha="$(bytes peak_activation_bytes bf16)" \
    -v s="${seed_table[$i]}" 'BEGIN {
    printf "%-8s %13.3f GB %15.4f GB %11.3f GB %9.3f GB   %s GB\n", r, p/1e9, a/1e9, (p+a)/1e9, (h+ha)/1e9, s }'
  i=$((i + 1))
done
echo "(inference holds the weights only: exactly 1/N of 0.805 GB per rank, half"
echo " that in bf16; the seed's training run adds gradients and two AdamW"
echo " moments, 4x the weights)"

echo
echo "== tp-compile --train --optimizer adamw --mesh tp:2 (the seed's training step)"
"$build/bin/tp-compile" "$example/model.mlir" --mesh tp:2 \
  --plan "$example/plan.json" --train --loss sum --optimizer adamw --lr 1e-3 \
  -o "$work/ff-train"
echo "== mpirun -np 2 ff-train --weights ff.safetensors --seed 0 --steps 5 --save trained.safetensors"
mpirun -np 2 --bind-to none "$work/ff-train" --weights "$work/ff.safetensors" \
  --seed 0 --steps 5 --save "$work/trained.safetensors"

echo
echo "== training memory per rank, measured (--bench 1: AdamW, batch 8, f32)"
printf '%-6s %12s %12s %12s %15s %9s   %s\n' ranks planned "max RSS" \
  "model's RSS" "1-rank's / N" "over it" "seed's table (per GPU)"
i=0
one_rank=
for ranks in 1 2 4 8; do
  "$build/bin/tp-compile" "$example/model.mlir" --mesh "tp:$ranks" \
    --plan "$example/plan.json" --train -o "$work/ff-train-$ranks"
  line=$(mpirun -np "$ranks" --bind-to none "$work/ff-train-$ranks" \
    --random-weights 0 --bench 1 | grep "^memory: rank 0:")
  planned=$(sed -n 's/.*= \([0-9.]*\) MiB planned.*/\1/p' <<<"$line")
  rss=$(sed -n 's/.*max RSS \([0-9.]*\) MiB.*/\1/p' <<<"$line")
  model=$(sed -n 's/.*libraries) + \([0-9.]*\) MiB.*/\1/p' <<<"$line")
  one_rank=${one_rank:-$model}
  awk -v r="$ranks" -v p="$planned" -v m="$rss" -v d="$model" -v o="$one_rank" \
    -v s="${seed_table[$i]}" 'BEGIN {
    gb = 1048576 / 1e9
    printf "%-6s %9.3f GB %9.3f GB %9.3f GB %12.3f GB %8.1f%%   %s GB\n", r, p*gb,
      m*gb, d*gb, o*gb/r, (d / (o / r) - 1) * 100, s }'
  i=$((i + 1))
done
echo "(planned: parameters, AdamW's two moments and the activation arena, in"
echo " which each weight's gradient lives only until its update. The model's"
echo " RSS is the peak RSS above what the process held before it (MPI, BLAS,"
echo " the runtime: about 20 MiB), as the seed's PyTorch counts its tensors"
echo " without the CUDA context)"
