#!/usr/bin/env bash
# Runs the cuda target's GPU checks that scripts/gpu-kit.sh packed, on the
# machine with the GPU (copied into the kit as run.sh):
#   1. the cuda unit tests: every kernel in f32, f16 and bf16 against the cpu
#      backend (and under compute-sanitizer's memcheck and racecheck where
#      it is there),
#      the collectives on 2 and 4 ranks (NCCL, or the MPI fallback where
#      ranks share a GPU);
#   2. every example on 1, 2 and 4 ranks against the 1-rank cpu build's
#      output (f32: 2e-4 of the largest output, f16 3e-3, bf16 2e-2, as
#      test/e2e/check.py allows), and tiny Llama's training step on 2 ranks
#      against the 1-rank cpu build's checkpoint after 3 steps (1e-3);
#   3. the benchmark: step time, TFLOP/s, the same GEMMs through cuBLAS
#      alone and the ratio (target >= 0.8), and the runtime's overhead per
#      call (target < 10 us).
# The log goes to $OUT (the device tool's) or gpu-kit/. Ends with one line
# "N passed, N failed"; exits non-zero if any check fails.
set -uo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
# The log goes to $OUT (the device tool brings back a few files from there),
# the outputs of the runs beside the kit.
log=${OUT:-$kit}/gpu-kit.log
out=$kit/out
steps=${TP_BENCH_STEPS:-50}
mkdir -p "$out"
# Everything below runs as `main`, its output also in the log.
main() {
  # The executables travel as one xz archive (they share nearly all their
  # bytes: 80 MB packs into about 2).
  if [ ! -d "$kit/models" ]; then
    tar -C "$kit" -xJf "$kit/models.tar.xz" 2>/dev/null ||
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
        "$kit/models.tar.xz" "$kit"
  fi
  # The libraries of the kit's .debs (OpenMPI, which the executables were
  # linked with, OpenBLAS, oneDNN), unpacked beside the system, not over it;
  # OpenMPI relocated there with OPAL_PREFIX.
  root=/tmp/tp-gpu-kit-root
  for deb in "$kit"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  lib=$root/usr/lib/x86_64-linux-gnu
  export OPAL_PREFIX=$root/usr
  export LD_LIBRARY_PATH=$lib:$lib/openmpi/lib:$lib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  mpirun=$root/usr/bin/mpirun.openmpi
  # As root, more ranks than cores, shared memory only, no ptrace-based copies
  # (refused in containers).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_pml=ob1
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

  # cuBLAS, cuBLASLt, the CUDA runtime and NCCL: the system's, else the ones in
  # Python's nvidia-* wheels.
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libnccl.so.2; do
    if ! ldconfig -p | grep -q "$lib"; then
      found=$(find /usr/local /opt /usr/lib -name "$lib" 2>/dev/null | head -1)
      [ -n "$found" ] && LD_LIBRARY_PATH=$(dirname "$found"):${LD_LIBRARY_PATH:-}
    fi
  done
  export LD_LIBRARY_PATH

  nvidia-smi -L || true
  echo "mpirun: $mpirun ($("$mpirun" --version 2>&1 | head -1))"
  missing=$(ldd "$kit/models/llama-layer-f32-tp1" "$kit"/bin/* | grep 'not found')
  [ -n "$missing" ] && echo "gpu-kit: missing libraries:" && echo "$missing"
  if ! "$kit/bin/tprt-cuda-probe" true; then
    echo "gpu-kit: no usable GPU here; nothing to check"
    exit 1
  fi

  passed=0 failed=0
  # check NAME COMMAND...: runs a check and counts it.
  check() {
    local name=$1
    shift
    echo "=== $name"
    if "$@"; then
      passed=$((passed + 1))
      echo "--- $name: ok"
    else
      failed=$((failed + 1))
      echo "--- $name: FAILED"
    fi
  }

  check kernels "$kit/bin/tprt-cuda-kernels-test"
  # Out-of-bounds accesses and shared-memory races in the kernels, where the
  # machine has NVIDIA's checker (the death tests fork; their children are not
  # checked).
  if command -v compute-sanitizer >/dev/null; then
    for tool in memcheck racecheck; do
      check "kernels-$tool" compute-sanitizer --tool "$tool" --error-exitcode 1 \
        "$kit/bin/tprt-cuda-kernels-test" --gtest_filter=-*DeathTest*
    done
  fi
  for ranks in 2 4; do
    check "collectives-np$ranks" "$mpirun" -np "$ranks" --bind-to none \
      "$kit/bin/tprt-cuda-collectives-test"
  done

  # A Python with numpy, for the comparisons.
  python=python3
  "$python" -c 'import numpy' 2>/dev/null || python=/usr/bin/python3

  # compare DTYPE ACTUAL EXPECTED: within the dtype's tolerance (compare.py).
  compare() {
    "$python" "$kit/compare.py" "$@"
  }

  # e2e EXE: runs a model and compares each output with the cpu build's.
  e2e() {
    local exe=$1 name ranks dtype flags=() status=0
    name=$(basename "$exe")
    ranks=${name##*-tp}
    dtype=${name%-tp*}
    dtype=${dtype##*-}
    local expected=("$kit/expected/${name%-tp*}"-output*.npy)
    for ((i = 0; i < ${#expected[@]}; i++)); do
      flags+=(--output "$out/$name-output$i.npy")
    done
    "$mpirun" -np "$ranks" --bind-to none "$exe" --random-weights 0 --seed 0 \
      "${flags[@]}" || return 1
    for ((i = 0; i < ${#expected[@]}; i++)); do
      compare "$dtype" "$out/$name-output$i.npy" "${expected[$i]}" || status=1
    done
    return "$status"
  }

  for exe in "$kit"/models/*-tp[0-9]; do
    name=$(basename "$exe")
    [[ $name == train-* ]] && continue
    [ -e "$kit/expected/${name%-tp*}-output0.npy" ] && check "e2e $name" e2e "$exe"
  done

  # train EXE: 3 training steps, whose saved checkpoint (weights and AdamW
  # state) must match the 1-rank cpu build's.
  train() {
    local exe=$1 name ranks
    name=$(basename "$exe")
    ranks=${name##*-tp}
    "$mpirun" -np "$ranks" --bind-to none "$exe" --random-weights 0 --seed 0 \
      --steps 3 --save "$out/$name.safetensors" || return 1
    compare train "$out/$name.safetensors" \
      "$kit/expected/${name%-tp*}.safetensors"
  }

  for exe in "$kit"/models/train-*-tp[0-9]; do
    [ -e "$exe" ] && check "train $(basename "$exe")" train "$exe"
  done

  echo "=== benchmark ($steps steps)"
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
  printf '%-18s %5s %11s %9s %13s %8s\n' model ranks "step (ms)" TFLOP/s \
    "cuBLAS (ms)" ratio
  for model in feedforward-f32 ff4096-f32 llama-layer-f32 llama7b-4k-f32 \
    feedforward-bf16 ff4096-bf16 llama-layer-bf16 llama7b-4k-bf16; do
    for ranks in 1 2; do
      exe=$kit/models/$model-tp$ranks
      note=""
      [ "$ranks" -gt "$gpus" ] && note=" (ranks share a GPU: MPI fallback)"
      run=$("$mpirun" -np "$ranks" --bind-to none "$exe" --random-weights 1 \
        --bench "$steps" | grep '^bench:')
      step=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$run")
      gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$run")
      read -r -a shapes <"$exe.gemms"
      gemm=$("$kit/bin/tp-bench-cublas" --reps "$steps" --dtype "${model##*-}" \
        "${shapes[@]}" | sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p')
      awk -v m="$model" -v r="$ranks" -v s="$step" -v f="$gflops" -v g="$gemm" \
        -v n="$note" 'BEGIN { if (s == "" || g == "") { printf "%-18s %5d failed%s\n", m, r, n; exit }
        printf "%-18s %5d %11.3f %9.2f %13.3f %8.2f%s\n", m, r, s, f / 1000, g, g / s, n }'
    done
  done
  echo "(ratio = cuBLAS time / step time; target >= 0.8; llama7b-4k's step also"
  echo " runs attention over 4096 tokens, which the cuBLAS column leaves out)"
  step=$("$mpirun" -np 1 "$kit/models/chain-f32-tp1" --random-weights 0 --bench "$steps" |
    sed -n 's/^bench:.*mean \([0-9.]*\) ms.*/\1/p')
  awk -v s="$step" 'BEGIN { printf "runtime overhead: %.2f us per call (256 calls in %.3f ms; target < 10 us)\n", s * 1000 / 256, s }'

  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

main 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
