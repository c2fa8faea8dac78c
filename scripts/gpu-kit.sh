#!/usr/bin/env bash
# Packs the cuda target's GPU checks into gpu-kit/ (or $1), for a machine with
# a GPU but without this project's toolchain, such as the `device` machines
# (CUDA, Python and numpy, but no MLIR, OpenMPI or OpenBLAS). Everything is
# compiled here; the kit holds:
#   bin/       the cuda unit tests, the GPU probe, tp-bench-cublas
#   models/    (packed as models.tar.xz) cuda executables of every example (f32 on 1, 2 and 4 ranks,
#              bf16 on 1 and 2, the Llama layer in f16 too), the FeedForward
#              and a Llama-7B-shaped block with 4096 tokens and a chain of 256
#              tiny calls for the benchmark, and each one's GEMM shapes
#              (*.gemms); tiny Llama's training step on 2 ranks
#   expected/  each example's output from the 1-rank cpu build on the same
#              deterministic weights and inputs (--random-weights 0 --seed 0),
#              which the e2e tests check against numpy, and the checkpoint
#              after 3 training steps
#   debs/      the runtime's libraries outside CUDA (OpenMPI, OpenBLAS, oneDNN),
#              unpacked beside the system there, not over it
#   run.sh     runs it all there: bash gpu-kit/run.sh (compare.py compares
#              outputs)
# With the device tool: run(command="bash gpu-kit/run.sh", carry=["gpu-kit"]).
# The kit is ~27 MiB (the device tool carries 64), the executables packed as
# models.tar.xz; they carry kernels for sm_90 (H100, H200) only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit=${1:-$root/gpu-kit}
build=${TP_BUILD_DIR:-$root/build-gpukit}
examples=$root/python-free-examples

source "$root/bench/common.sh"
"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90
fi
ninja -C "$build" -j "${TP_JOBS:-2}" tp-compile tprt-cuda-kernels-test \
  tprt-cuda-collectives-test tprt-cuda-probe tp-bench-cublas >/dev/null
bin=$build/bin

rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/models" "$kit/expected" "$kit/debs" "$kit/work"
for tool in tprt-cuda-kernels-test tprt-cuda-collectives-test tprt-cuda-probe \
  tp-bench-cublas; do
  strip -o "$kit/bin/$tool" "$(find "$build" -name "$tool" -type f | head -1)"
done

# compile NAME SOURCE DTYPE RANKS...: the example SOURCE with its f32 tensors
# made DTYPE (as test/e2e/check.py does), for cuda on each rank count.
compile() {
  local name=$1 source=$2 dtype=$3
  shift 3
  local model=$kit/work/$name.mlir
  with_dtype "$dtype" <"$source/model.mlir" >"$model"
  for ranks in "$@"; do
    local exe=$kit/models/$name-tp$ranks
    "$bin/tp-compile" "$model" --mesh "tp:$ranks" --plan "$source/plan.json" \
      --target cuda -o "$exe.full"
    strip -o "$exe" "$exe.full" && rm "$exe.full"
    "$bin/tp-compile" "$model" --mesh "tp:$ranks" --plan "$source/plan.json" \
      --emit=tp -o "$kit/work/$name-tp$ranks.tp.mlir"
    gemm_shapes "$kit/work/$name-tp$ranks.tp.mlir" >"$exe.gemms"
  done
}

# expect NAME SOURCE OUTPUTS: the 1-rank cpu build's outputs of the model
# compile wrote.
expect() {
  local name=$1 source=$2 flags=()
  "$bin/tp-compile" "$kit/work/$name.mlir" --mesh tp:1 \
    --plan "$source/plan.json" --target cpu -o "$kit/work/$name-cpu"
  for ((i = 0; i < $3; i++)); do
    flags+=(--output "$kit/expected/$name-output$i.npy")
  done
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    mpirun -np 1 --bind-to none "$kit/work/$name-cpu" --random-weights 0 \
    --seed 0 "${flags[@]}" >/dev/null
}

for model in feedforward llama-layer llama-tiny encoder-block; do
  outputs=1
  [ "$model" = encoder-block ] && outputs=2
  compile "$model-f32" "$examples/$model" f32 1 2 4
  expect "$model-f32" "$examples/$model" "$outputs"
  compile "$model-bf16" "$examples/$model" bf16 1 2
  expect "$model-bf16" "$examples/$model" "$outputs"
done
compile llama-layer-f16 "$examples/llama-layer" f16 1 2
expect llama-layer-f16 "$examples/llama-layer" 1

# A training step (tp-compile --train, AdamW): tiny Llama, whose backward
# uses every backward kernel and, on 2 ranks with sequence parallelism, every
# collective; and the checkpoint the 1-rank cpu build saves after 3 steps
# from the same random weights and inputs, to compare with. (One model on
# one mesh: each cuda executable is 3 MB of the kit's 64 MB.)
# train NAME MODEL PLAN LOSS RANKS...
train() {
  local name=$1 model=$2 plan=$3 loss=$4
  shift 4
  for ranks in "$@"; do
    local exe=$kit/models/train-$name-tp$ranks
    "$bin/tp-compile" "$model" --mesh "tp:$ranks" --plan "$plan" --train \
      --loss "$loss" --target cuda -o "$exe.full"
    strip -o "$exe" "$exe.full" && rm "$exe.full"
  done
  "$bin/tp-compile" "$model" --mesh tp:1 --plan "$plan" --train \
    --loss "$loss" --target cpu -o "$kit/work/train-$name-cpu"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    mpirun -np 1 --bind-to none "$kit/work/train-$name-cpu" \
    --random-weights 0 --seed 0 --steps 3 \
    --save "$kit/expected/train-$name.safetensors" >/dev/null
}
train llama-tiny "$examples/llama-tiny/model.mlir" \
  "$examples/llama-tiny/plan.json" cross_entropy 2

# The benchmark's models: the FeedForward and a Llama-7B-shaped block with
# 4096 tokens, and the chain of tiny calls.
write_bench_examples "$root" "$kit/work"
for dtype in f32 bf16; do
  compile "ff4096-$dtype" "$kit/work/ff4096" "$dtype" 1 2
  compile "llama7b-4k-$dtype" "$kit/work/llama7b-4k" "$dtype" 1 2
done
compile chain-f32 "$kit/work/chain" f32 1

# OpenMPI, and OpenBLAS and oneDNN for the tests that compare with the cpu
# backend, as packages (a third of the libraries' size).
(cd "$kit/debs" && apt-get download -q libopenmpi3 openmpi-bin openmpi-common \
  libpmix2 libhwloc15 libevent-core-2.1-7 libevent-pthreads-2.1-7 \
  libevent-2.1-7 libnuma1 libltdl7 libopenblas0-pthread libdnnl2 \
  libgfortran5 libgomp1 libquadmath0 ocl-icd-libopencl1 >/dev/null 2>&1)
rm -rf "$kit/work"
# The executables share nearly all their bytes (the runtime and its kernels):
# as one xz archive the kit fits the device tool's 64 MiB; run.sh unpacks it.
tar -C "$kit" -cJf "$kit/models.tar.xz" models && rm -rf "$kit/models"
cp "$root/scripts/gpu-kit-run.sh" "$kit/run.sh"
cp "$root/scripts/gpu-kit-compare.py" "$kit/compare.py"
echo "gpu-kit: $(du -sh "$kit" | cut -f1) in $kit; run it there with: bash $(basename "$kit")/run.sh"
