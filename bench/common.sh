# Shell functions the benchmarks and the GPU kit share; source it.

# gemm_shapes FILE: the GEMMs of a rank's program (tp-compile --emit=tp) in
# tp-bench-gemm's notation, for a linear layer y[M,N] = x[M,K] w[N,K]^T:
# MxNxK for tp.linear, dx:MxNxK for tp.linear_input_grad (dy, w) and
# dw:MxNxK for tp.linear_weight_grad (dy, x).
gemm_shapes() {
  sed -n 's/.*tp\.\(linear\|linear_input_grad\|linear_weight_grad\) "[^"]*" .* : tensor<\([0-9x]*\)x[a-z0-9]*>, tensor<\([0-9x]*\)x[a-z0-9]*>$/\1 \2 \3/p' "$1" |
    awk '{
      n = split($2, first, "x"); m = 1; for (i = 1; i < n; i++) m *= first[i]
      c = split($3, second, "x")
      if ($1 == "linear") printf "%dx%dx%d ", m, second[1], second[2]
      else if ($1 == "linear_input_grad") printf "dx:%dx%dx%d ", m, second[1], second[2]
      else printf "dw:%dx%dx%d ", m, first[n], second[c]
    }'
}

# with_dtype DTYPE < model.mlir: the model with every f32 tensor type made
# DTYPE, as test/e2e/check.py does.
with_dtype() {
  sed 's/\([x<]\)f32>/\1'"$1"'>/g'
}

# write_bench_examples ROOT DIR: the benchmark's models beside the examples,
# each a folder of DIR with model.mlir and plan.json:
#   ff4096      the FeedForward with 4096 tokens
#   llama7b-4k  one Llama-7B-shaped block with 4096 tokens (attention at
#               length), with the Llama 3 plan of python-free-examples
#   chain       256 chained silu calls on 64 floats: the runtime's overhead
#               per call
write_bench_examples() {
  local root=$1 dir=$2 examples=$1/python-free-examples
  mkdir -p "$dir/ff4096" "$dir/llama7b-4k" "$dir/chain"
  sed 's/<8x8192x/<4096x8192x/g' "$examples/feedforward/model.mlir" \
    >"$dir/ff4096/model.mlir"
  cp "$examples/feedforward/plan.json" "$dir/ff4096/"
  "$root/bench/gen-llama.sh" --seq 4096 >"$dir/llama7b-4k/model.mlir"
  cp "$examples/llama-tiny/plan.json" "$dir/llama7b-4k/"
  {
    echo 'func.func @forward(%x0: tensor<1x64xf32>) -> tensor<1x64xf32> {'
    for i in $(seq 1 256); do
      echo "  %x$i = tp.silu %x$((i - 1)) : tensor<1x64xf32>"
    done
    echo '  return %x256 : tensor<1x64xf32>'
    echo '}'
  } >"$dir/chain/model.mlir"
  echo '{"mesh": {"tp": 1}, "plan": {}}' >"$dir/chain/plan.json"
}

# start_depth_bench "DEFAULT COUNTS" [N ...]: for the benchmarks of models of
# growing depth, sets layer_counts to the given layer counts (or the
# defaults), each checked to be a positive whole number, and tmp to a new
# temporary directory (kept if KEEP=1, else removed on exit) that holds
# plan.json: the Llama 3 tensor-parallel plan with sequence parallelism (as
# python-free-examples/llama-tiny/plan.json) on tp 8, for gen-llama.sh's
# models. The caller defines die.
start_depth_bench() {
  local n defaults=$1
  shift
  layer_counts=("$@")
  [ ${#layer_counts[@]} -gt 0 ] || read -r -a layer_counts <<<"$defaults"
  for n in "${layer_counts[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "layer counts must be positive whole numbers, got '$n'"
  done
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp-bench.XXXXXX")
  if [ "${KEEP:-0}" = 1 ]; then
    echo "keeping $tmp" >&2
  else
    trap 'rm -rf "$tmp"' EXIT
  fi
  cat >"$tmp/plan.json" <<'EOF'
{
  "mesh": {"tp": 8},
  "plan": {
    "tok_embeddings": {"style": "rowwise", "input_layouts": "replicate", "output_layouts": "shard(1)"},
    "norm": "sequence_parallel",
    "output": {"style": "colwise", "input_layouts": "shard(1)", "output_layouts": "replicate"},
    "layers.*.attention_norm": "sequence_parallel",
    "layers.*.attention.wq": "colwise",
    "layers.*.attention.wk": "colwise",
    "layers.*.attention.wv": "colwise",
    "layers.*.attention.wo": {"style": "rowwise", "output_layouts": "shard(1)"},
    "layers.*.ffn_norm": "sequence_parallel",
    "layers.*.feed_forward.w1": "colwise",
    "layers.*.feed_forward.w3": "colwise",
    "layers.*.feed_forward.w2": {"style": "rowwise", "output_layouts": "shard(1)"}
  }
}
EOF
}

# start_executable_bench ROOT: for the benchmarks that run compiled
# executables under mpirun: sets cores and work (a temporary directory
# removed on exit), lets mpirun run as root and oversubscribe the cores, and
# builds tp-opt, tp-compile and tp-bench-gemm.
start_executable_bench() {
  # shellcheck disable=SC2034 # the caller reads cores and work.
  cores=$(nproc)
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
  "$1/scripts/build.sh" tp-opt tp-compile tp-bench-gemm >/dev/null
}
