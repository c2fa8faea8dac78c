#!/usr/bin/env bash
# Writes the Llama model of gen-llama.sh for upstream MLIR's shard pipeline to
# stdout: linalg on tensors with shard annotations, for
#   mlir-opt --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))'
# on a 1-D grid. Each block has the same linear layers, with the same shapes
# and the same plan (wq, wk, wv, w1, w3 split by columns, wo and w2 by rows,
# their outputs replicated, so an all-reduce each), its norms as a product
# with the norm's weight, its SwiGLU and residual adds as linalg ops. Linalg
# has no attention the propagation knows: in its place an elementwise
# exp(q) * k + v, so keys and values are as wide as queries (as with one key
# and value head per query head). Every value reaches the result, since the
# partition fails on values nobody uses. Weights are function arguments, as
# upstream has no named parameters.
#
#   bench/gen-llama-shard.sh [--layers N] [--dim D] [--ffn F] [--seq S]
#                            [--ranks R]
#
# Defaults: 1 layer of a Llama-7B shape with 2048 tokens on 8 ranks.
set -euo pipefail

die() {
  echo "gen-llama-shard.sh: error: $*" >&2
  exit 1
}

layers=1 dim=4096 ffn=11008 seq=2048 ranks=8
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "option $1 needs a value"
  case $1 in
    --layers) layers=$2 ;;
    --dim) dim=$2 ;;
    --ffn) ffn=$2 ;;
    --seq) seq=$2 ;;
    --ranks) ranks=$2 ;;
    *) die "unknown argument '$1'" ;;
  esac
  [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a whole number, got '$2'"
  shift 2
done

t_act="tensor<${seq}x${dim}xf32>"
t_hid="tensor<${seq}x${ffn}xf32>"
t_norm="tensor<${dim}xf32>"
# Weights stored [in, out], as linalg.matmul multiplies them.
t_wq="tensor<${dim}x${dim}xf32>"
t_w13="tensor<${dim}x${ffn}xf32>"
t_w2="tensor<${ffn}x${dim}xf32>"
ew3='indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]'
ew4='indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel", "parallel"]'

out() { printf '%s\n' "$@"; }

# linear RESULT INPUT WEIGHT WEIGHT_TYPE RESULT_TYPE SHARDING [RESULT_SHARDING]
linear() {
  out "  ${1}_w = shard.shard $3 to $6 annotate_for_users : $4" \
      "  ${1}_e = tensor.empty() : $5" \
      "  ${1}_z = linalg.fill ins(%zero : f32) outs(${1}_e : $5) -> $5" \
      "  $1 = linalg.matmul ins($2, ${1}_w : $t_act, $4) outs(${1}_z : $5) -> $5"
}
# rowwise RESULT INPUT INPUT_TYPE WEIGHT WEIGHT_TYPE: a row-split linear
# layer whose output is replicated (an all-reduce).
rowwise() {
  out "  ${1}_w = shard.shard $4 to %row annotate_for_users : $5" \
      "  ${1}_e = tensor.empty() : $t_act" \
      "  ${1}_z = linalg.fill ins(%zero : f32) outs(${1}_e : $t_act) -> $t_act" \
      "  ${1}_p = linalg.matmul ins($2, ${1}_w : $3, $5) outs(${1}_z : $t_act) -> $t_act" \
      "  $1 = shard.shard ${1}_p to %rep : $t_act"
}
# norm RESULT INPUT WEIGHT: the input times the norm's weight per feature.
norm() {
  out "  ${1}_e = tensor.empty() : $t_act" \
      "  $1 = linalg.generic {indexing_maps = [#id, #feature, #id], iterator_types = [\"parallel\", \"parallel\"]}" \
      "      ins($2, $3 : $t_act, $t_norm) outs(${1}_e : $t_act) {" \
      "  ^bb0(%a: f32, %w: f32, %o: f32):" \
      "    %p = arith.mulf %a, %w : f32" \
      "    linalg.yield %p : f32" \
      "  } -> $t_act"
}

{
out "// A ${layers}-layer Llama for upstream MLIR's shard pipeline; written by" \
    "// bench/gen-llama-shard.sh --layers $layers --dim $dim --ffn $ffn --seq $seq --ranks $ranks" \
    "#id = affine_map<(i, j) -> (i, j)>" \
    "#feature = affine_map<(i, j) -> (j)>" \
    "shard.grid @grid(shape = $ranks)"
args="%x: $t_act"
for ((i = 0; i < layers; i++)); do
  args+=", %l${i}_an: $t_norm, %l${i}_wq: $t_wq, %l${i}_wk: $t_wq, %l${i}_wv: $t_wq"
  args+=", %l${i}_wo: $t_wq, %l${i}_fn: $t_norm, %l${i}_w1: $t_w13, %l${i}_w3: $t_w13"
  args+=", %l${i}_w2: $t_w2"
done
out "func.func @forward($args) -> $t_act {" \
    "  %zero = arith.constant 0.0 : f32" \
    "  %one = arith.constant 1.0 : f32" \
    "  %col = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding" \
    "  %row = shard.sharding @grid split_axes = [[0]] : !shard.sharding" \
    "  %rep = shard.sharding @grid split_axes = [[]] : !shard.sharding" \
    "  %h = shard.shard %x to %rep annotate_for_users : $t_act"
h=%h
for ((i = 0; i < layers; i++)); do
  l="%l$i"
  norm "${l}_xn" "$h" "${l}_an"
  linear "${l}_q" "${l}_xn" "${l}_wq" "$t_wq" "$t_act" %col
  linear "${l}_k" "${l}_xn" "${l}_wk" "$t_wq" "$t_act" %col
  linear "${l}_v" "${l}_xn" "${l}_wv" "$t_wq" "$t_act" %col
  out "  ${l}_oe = tensor.empty() : $t_act" \
      "  ${l}_o = linalg.generic {$ew4} ins(${l}_q, ${l}_k, ${l}_v : $t_act, $t_act, $t_act) outs(${l}_oe : $t_act) {" \
      "  ^bb0(%q: f32, %k: f32, %v: f32, %o: f32):" \
      "    %e = math.exp %q : f32" \
      "    %p = arith.mulf %e, %k : f32" \
      "    %s = arith.addf %p, %v : f32" \
      "    linalg.yield %s : f32" \
      "  } -> $t_act"
  rowwise "${l}_attn" "${l}_o" "$t_act" "${l}_wo" "$t_wq"
  out "  ${l}_he = tensor.empty() : $t_act" \
      "  ${l}_h = linalg.add ins($h, ${l}_attn : $t_act, $t_act) outs(${l}_he : $t_act) -> $t_act"
  norm "${l}_hn" "${l}_h" "${l}_fn"
  linear "${l}_g" "${l}_hn" "${l}_w1" "$t_w13" "$t_hid" %col
  linear "${l}_u" "${l}_hn" "${l}_w3" "$t_w13" "$t_hid" %col
  out "  ${l}_gue = tensor.empty() : $t_hid" \
      "  ${l}_gu = linalg.generic {$ew3} ins(${l}_g, ${l}_u : $t_hid, $t_hid) outs(${l}_gue : $t_hid) {" \
      "  ^bb0(%a: f32, %b: f32, %o: f32):" \
      "    %n = arith.negf %a : f32" \
      "    %e = math.exp %n : f32" \
      "    %d = arith.addf %one, %e : f32" \
      "    %s = arith.divf %a, %d : f32" \
      "    %p = arith.mulf %s, %b : f32" \
      "    linalg.yield %p : f32" \
      "  } -> $t_hid"
  rowwise "${l}_ff" "${l}_gu" "$t_hid" "${l}_w2" "$t_w2"
  out "  ${l}_oute = tensor.empty() : $t_act" \
      "  ${l}_out = linalg.add ins(${l}_h, ${l}_ff : $t_act, $t_act) outs(${l}_oute : $t_act) -> $t_act"
  h=${l}_out
done
out "  return $h : $t_act" "}"
}
