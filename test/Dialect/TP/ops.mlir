// RUN: tp-opt %s | tp-opt | FileCheck %s
// RUN: tp-opt %s --mlir-print-op-generic | tp-opt | FileCheck %s

// Round trip of every tp op and of the layout attribute, each optional form
// included. Ops with inferred result types are checked through the types
// the enclosing function returns.

// CHECK: tp.mesh @mesh1d(tp = 4)
// CHECK: tp.mesh @mesh2d(dp = 2, tp = 4)
// CHECK: tp.mesh @quoted("data parallel" = 2, "tensor-parallel" = 2)
// CHECK: tp.parameter @layers.0.w1.weight : tensor<32x64xf32>
// CHECK: tp.parameter @bias : tensor<32xbf16>
tp.mesh @mesh1d(tp = 4)
tp.mesh @mesh2d(dp = 2, tp = 4)
tp.mesh @quoted("data parallel" = 2, "tensor-parallel" = 2)
tp.parameter @"layers.0.w1.weight" : tensor<32x64xf32>
tp.parameter @bias : tensor<32xbf16>

// CHECK-LABEL: func.func @get_parameter
// CHECK-SAME: () -> (tensor<32x64xf32>, tensor<32xbf16>)
// CHECK: %[[W:.*]] = tp.get_parameter @layers.0.w1.weight : tensor<32x64xf32>
// CHECK: %[[B:.*]] = tp.get_parameter @bias : tensor<32xbf16>
// CHECK: return %[[W]], %[[B]]
func.func @get_parameter() -> (tensor<32x64xf32>, tensor<32xbf16>) {
  %w = tp.get_parameter @"layers.0.w1.weight" : tensor<32x64xf32>
  %b = tp.get_parameter @bias : tensor<32xbf16>
  return %w, %b : tensor<32x64xf32>, tensor<32xbf16>
}

// CHECK-LABEL: func.func @linear_with_and_without_bias
// CHECK-SAME: (%[[X:.*]]: tensor<8x16x64xf32>, %[[W:.*]]: tensor<32x64xf32>, %[[B:.*]]: tensor<32xf32>, %[[V:.*]]: tensor<64xf32>)
// CHECK: %[[Y:.*]] = tp.linear "proj" %[[X]], %[[W]] : tensor<8x16x64xf32>, tensor<32x64xf32>
// CHECK: %[[YB:.*]] = tp.linear "proj_b" %[[X]], %[[W]], %[[B]] : tensor<8x16x64xf32>, tensor<32x64xf32>, tensor<32xf32>
// CHECK: %[[Y1:.*]] = tp.linear "vec" %[[V]], %[[W]] : tensor<64xf32>, tensor<32x64xf32>
// CHECK: return %[[Y]], %[[YB]], %[[Y1]] : tensor<8x16x32xf32>, tensor<8x16x32xf32>, tensor<32xf32>
func.func @linear_with_and_without_bias(%x: tensor<8x16x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>, %v: tensor<64xf32>)
    -> (tensor<8x16x32xf32>, tensor<8x16x32xf32>, tensor<32xf32>) {
  %0 = tp.linear "proj" %x, %w : tensor<8x16x64xf32>, tensor<32x64xf32>
  %1 = tp.linear "proj_b" %x, %w, %b : tensor<8x16x64xf32>, tensor<32x64xf32>, tensor<32xf32>
  %2 = tp.linear "vec" %v, %w : tensor<64xf32>, tensor<32x64xf32>
  return %0, %1, %2 : tensor<8x16x32xf32>, tensor<8x16x32xf32>, tensor<32xf32>
}

// CHECK-LABEL: func.func @embedding_i64_and_i32_ids
// CHECK-SAME: (%[[IDS:.*]]: tensor<2x16xi64>, %[[IDS32:.*]]: tensor<4xi32>, %[[T:.*]]: tensor<256x64xbf16>)
// CHECK: %[[E:.*]] = tp.embedding "tok_embeddings" %[[IDS]], %[[T]] : tensor<2x16xi64>, tensor<256x64xbf16>
// CHECK: %[[E32:.*]] = tp.embedding "pos" %[[IDS32]], %[[T]] : tensor<4xi32>, tensor<256x64xbf16>
// CHECK: return %[[E]], %[[E32]] : tensor<2x16x64xbf16>, tensor<4x64xbf16>
func.func @embedding_i64_and_i32_ids(%ids: tensor<2x16xi64>, %ids32: tensor<4xi32>, %t: tensor<256x64xbf16>)
    -> (tensor<2x16x64xbf16>, tensor<4x64xbf16>) {
  %0 = tp.embedding "tok_embeddings" %ids, %t : tensor<2x16xi64>, tensor<256x64xbf16>
  %1 = tp.embedding "pos" %ids32, %t : tensor<4xi32>, tensor<256x64xbf16>
  return %0, %1 : tensor<2x16x64xbf16>, tensor<4x64xbf16>
}

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[N:.*]] = tp.rms_norm "attention_norm" %[[X]], %[[W]] eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
// CHECK: return %[[N]] : tensor<2x16x64xf32>
func.func @rms_norm(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = tp.rms_norm "attention_norm" %x, %w eps 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @layer_norm_with_and_without_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[W:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK: %[[N:.*]] = tp.layer_norm "ln_f" %[[X]], %[[W]], %[[B]] eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>
// CHECK: %[[M:.*]] = tp.layer_norm "ln_no_bias" %[[X]], %[[W]] eps 1.250000e-01 : tensor<2x16x64xf32>, tensor<64xf32>
// CHECK: return %[[N]], %[[M]] : tensor<2x16x64xf32>, tensor<2x16x64xf32>
func.func @layer_norm_with_and_without_bias(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<2x16x64xf32>, tensor<2x16x64xf32>) {
  %0 = tp.layer_norm "ln_f" %x, %w, %b eps 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>
  %1 = tp.layer_norm "ln_no_bias" %x, %w eps 0.125 : tensor<2x16x64xf32>, tensor<64xf32>
  return %0, %1 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<8x64xf32>, %[[B:.*]]: tensor<8x64xf32>)
// CHECK: %[[ADD:.*]] = tp.add %[[A]], %[[B]] : tensor<8x64xf32>
// CHECK: %[[MUL:.*]] = tp.mul %[[ADD]], %[[B]] : tensor<8x64xf32>
// CHECK: %[[SILU:.*]] = tp.silu %[[MUL]] : tensor<8x64xf32>
// CHECK: %[[RELU:.*]] = tp.relu %[[SILU]] : tensor<8x64xf32>
// CHECK: %[[GELU:.*]] = tp.gelu %[[RELU]] : tensor<8x64xf32>
// CHECK: %[[TANH:.*]] = tp.gelu %[[GELU]] tanh : tensor<8x64xf32>
// CHECK: %[[SCALE:.*]] = tp.scale %[[TANH]] by 1.250000e-01 : tensor<8x64xf32>
// CHECK: return %[[SCALE]] : tensor<8x64xf32>
func.func @elementwise(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = tp.add %a, %b : tensor<8x64xf32>
  %1 = tp.mul %0, %b : tensor<8x64xf32>
  %2 = tp.silu %1 : tensor<8x64xf32>
  %3 = tp.relu %2 : tensor<8x64xf32>
  %4 = tp.gelu %3 : tensor<8x64xf32>
  %5 = tp.gelu %4 tanh : tensor<8x64xf32>
  %6 = tp.scale %5 by 1.250000e-01 : tensor<8x64xf32>
  return %6 : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @reshape_and_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>)
// CHECK: %[[R:.*]] = tp.reshape %[[X]] : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
// CHECK: %[[T:.*]] = tp.transpose %[[R]] [0, 2, 1, 3] : tensor<2x16x4x16xf32>
// CHECK: %[[T2:.*]] = tp.transpose %[[X]] [2, 0, 1] : tensor<2x16x64xf32>
// CHECK: return %[[T]], %[[T2]] : tensor<2x4x16x16xf32>, tensor<64x2x16xf32>
func.func @reshape_and_transpose(%x: tensor<2x16x64xf32>) -> (tensor<2x4x16x16xf32>, tensor<64x2x16xf32>) {
  %0 = tp.reshape %x : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
  %1 = tp.transpose %0 [0, 2, 1, 3] : tensor<2x16x4x16xf32>
  %2 = tp.transpose %x [2, 0, 1] : tensor<2x16x64xf32>
  return %1, %2 : tensor<2x4x16x16xf32>, tensor<64x2x16xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x16x8xf32>, %[[KT:.*]]: tensor<2x4x8x32xf32>, %[[A:.*]]: tensor<3x5xf16>, %[[B:.*]]: tensor<5x7xf16>)
// CHECK: %[[S:.*]] = tp.matmul %[[Q]], %[[KT]] : tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>
// CHECK: %[[M:.*]] = tp.matmul %[[A]], %[[B]] : tensor<3x5xf16>, tensor<5x7xf16>
// CHECK: return %[[S]], %[[M]] : tensor<2x4x16x32xf32>, tensor<3x7xf16>
func.func @matmul(%q: tensor<2x4x16x8xf32>, %kt: tensor<2x4x8x32xf32>, %a: tensor<3x5xf16>, %b: tensor<5x7xf16>)
    -> (tensor<2x4x16x32xf32>, tensor<3x7xf16>) {
  %0 = tp.matmul %q, %kt : tensor<2x4x16x8xf32>, tensor<2x4x8x32xf32>
  %1 = tp.matmul %a, %b : tensor<3x5xf16>, tensor<5x7xf16>
  return %0, %1 : tensor<2x4x16x32xf32>, tensor<3x7xf16>
}

// The default dim (-1) is elided when printed, whether written or not.
// CHECK-LABEL: func.func @softmax_default_and_explicit_dim
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x16x16xf32>)
// CHECK: %[[P:.*]] = tp.softmax %[[S]] : tensor<2x4x16x16xf32>
// CHECK: %[[P2:.*]] = tp.softmax %[[S]] dim 2 : tensor<2x4x16x16xf32>
// CHECK: %[[PN:.*]] = tp.softmax %[[S]] dim -4 : tensor<2x4x16x16xf32>
// CHECK: %[[PD:.*]] = tp.softmax %[[S]] : tensor<2x4x16x16xf32>
// CHECK: return %[[P]], %[[P2]], %[[PN]], %[[PD]]
func.func @softmax_default_and_explicit_dim(%s: tensor<2x4x16x16xf32>)
    -> (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) {
  %0 = tp.softmax %s : tensor<2x4x16x16xf32>
  %1 = tp.softmax %s dim 2 : tensor<2x4x16x16xf32>
  %2 = tp.softmax %s dim -4 : tensor<2x4x16x16xf32>
  %3 = tp.softmax %s dim -1 : tensor<2x4x16x16xf32>
  return %0, %1, %2, %3 : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>
}

// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x4x16xf32>)
// CHECK: %[[R:.*]] = tp.rope %[[X]] theta 5.000000e+05 : tensor<2x16x4x16xf32>
// CHECK: return %[[R]] : tensor<2x16x4x16xf32>
func.func @rope(%x: tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32> {
  %0 = tp.rope %x theta 5.000000e+05 : tensor<2x16x4x16xf32>
  return %0 : tensor<2x16x4x16xf32>
}

// CHECK-LABEL: func.func @rope_scaled
// CHECK: tp.rope %{{.*}} theta 1.000000e+04 convention half freq_factors [1.000000e+00, 4.000000e+00] attention_factor 1.190000e+00 : tensor<2x16x4x4xf32>
// CHECK: tp.rope_grad %{{.*}} theta 1.000000e+04 convention half freq_factors [1.000000e+00, 4.000000e+00] attention_factor 1.190000e+00 : tensor<2x16x4x4xf32>
func.func @rope_scaled(%x: tensor<2x16x4x4xf32>) -> (tensor<2x16x4x4xf32>, tensor<2x16x4x4xf32>) {
  %0 = tp.rope %x theta 1.0e+04 convention half freq_factors [1.0, 4.0] attention_factor 1.19 : tensor<2x16x4x4xf32>
  %1 = tp.rope_grad %x theta 1.0e+04 convention half freq_factors [1.0, 4.0] attention_factor 1.19 : tensor<2x16x4x4xf32>
  return %0, %1 : tensor<2x16x4x4xf32>, tensor<2x16x4x4xf32>
}

// The convention is printed unless it is the default, interleaved; the
// generic form spells the attribute out.
// CHECK-LABEL: func.func @rope_conventions
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x4x16xf32>)
// CHECK: %[[H:.*]] = tp.rope %[[X]] theta 1.000000e+04 convention half : tensor<2x16x4x16xf32>
// CHECK: %[[I:.*]] = tp.rope %[[H]] theta 1.000000e+04 : tensor<2x16x4x16xf32>
// CHECK: %[[G:.*]] = tp.rope %[[I]] theta 1.000000e+04 convention half : tensor<2x16x4x16xf32>
// CHECK: %[[DH:.*]] = tp.rope_grad %[[G]] theta 1.000000e+04 convention half : tensor<2x16x4x16xf32>
// CHECK: %[[DI:.*]] = tp.rope_grad %[[DH]] theta 1.000000e+04 : tensor<2x16x4x16xf32>
// CHECK: return %[[DI]]
func.func @rope_conventions(%x: tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32> {
  %0 = tp.rope %x theta 1.0e+04 convention half : tensor<2x16x4x16xf32>
  %1 = tp.rope %0 theta 1.0e+04 convention interleaved : tensor<2x16x4x16xf32>
  %2 = "tp.rope"(%1) {theta = 1.0e+04 : f64, convention = #tp<rope_convention half>}
      : (tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32>
  %3 = tp.rope_grad %2 theta 1.0e+04 convention half : tensor<2x16x4x16xf32>
  %4 = tp.rope_grad %3 theta 1.0e+04 convention interleaved : tensor<2x16x4x16xf32>
  return %4 : tensor<2x16x4x16xf32>
}

// CHECK-LABEL: func.func @attention_causal_and_scale
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16x8x16xf32>, %[[K:.*]]: tensor<2x16x2x16xf32>, %[[V:.*]]: tensor<2x16x2x16xf32>, %[[KV:.*]]: tensor<2x32x2x16xf32>)
// CHECK: %[[O:.*]] = tp.attention %[[Q]], %[[K]], %[[V]] : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
// CHECK: %[[OC:.*]] = tp.attention %[[Q]], %[[K]], %[[V]] causal : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
// CHECK: %[[OS:.*]] = tp.attention %[[Q]], %[[KV]], %[[KV]] scale 2.500000e-01 : tensor<2x16x8x16xf32>, tensor<2x32x2x16xf32>, tensor<2x32x2x16xf32>
// CHECK: %[[OCS:.*]] = tp.attention %[[Q]], %[[K]], %[[V]] causal scale 1.250000e-01 : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
// CHECK: return %[[O]], %[[OC]], %[[OS]], %[[OCS]] : tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>
func.func @attention_causal_and_scale(%q: tensor<2x16x8x16xf32>, %k: tensor<2x16x2x16xf32>, %v: tensor<2x16x2x16xf32>, %kv: tensor<2x32x2x16xf32>)
    -> (tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>) {
  %0 = tp.attention %q, %k, %v : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
  %1 = tp.attention %q, %k, %v causal : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
  %2 = tp.attention %q, %kv, %kv scale 0.25 : tensor<2x16x8x16xf32>, tensor<2x32x2x16xf32>, tensor<2x32x2x16xf32>
  %3 = tp.attention %q, %k, %v causal scale 0.125 : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
  return %0, %1, %2, %3 : tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>
}

// CHECK-LABEL: func.func @sum_with_and_without_dims
// CHECK-SAME: (%[[Y:.*]]: tensor<8x16x64xf32>)
// CHECK: %[[ALL:.*]] = tp.sum %[[Y]] : tensor<8x16x64xf32>
// CHECK: %[[ONE:.*]] = tp.sum %[[Y]] dims [1] : tensor<8x16x64xf32>
// CHECK: %[[TWO:.*]] = tp.sum %[[Y]] dims [2, 0] : tensor<8x16x64xf32>
// CHECK: return %[[ALL]], %[[ONE]], %[[TWO]] : tensor<f32>, tensor<8x64xf32>, tensor<16xf32>
func.func @sum_with_and_without_dims(%y: tensor<8x16x64xf32>) -> (tensor<f32>, tensor<8x64xf32>, tensor<16xf32>) {
  %0 = tp.sum %y : tensor<8x16x64xf32>
  %1 = tp.sum %y dims [1] : tensor<8x16x64xf32>
  %2 = tp.sum %y dims [2, 0] : tensor<8x16x64xf32>
  return %0, %1, %2 : tensor<f32>, tensor<8x64xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[LOGITS:.*]]: tensor<2x16x256xf32>, %[[LABELS:.*]]: tensor<2x16xi64>, %[[L1:.*]]: tensor<256xf16>, %[[LAB0:.*]]: tensor<i32>)
// CHECK: %[[LOSS:.*]] = tp.cross_entropy %[[LOGITS]], %[[LABELS]] : tensor<2x16x256xf32>, tensor<2x16xi64>
// CHECK: %[[LOSS1:.*]] = tp.cross_entropy %[[L1]], %[[LAB0]] : tensor<256xf16>, tensor<i32>
// CHECK: return %[[LOSS]], %[[LOSS1]] : tensor<f32>, tensor<f16>
func.func @cross_entropy(%logits: tensor<2x16x256xf32>, %labels: tensor<2x16xi64>, %l1: tensor<256xf16>, %lab0: tensor<i32>)
    -> (tensor<f32>, tensor<f16>) {
  %0 = tp.cross_entropy %logits, %labels : tensor<2x16x256xf32>, tensor<2x16xi64>
  %1 = tp.cross_entropy %l1, %lab0 : tensor<256xf16>, tensor<i32>
  return %0, %1 : tensor<f32>, tensor<f16>
}

// The custom form writes the layout without its `#tp.layout` prefix; the
// generic form (second RUN line) spells it out in full.
// CHECK-LABEL: func.func @annotate_layouts
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[I:.*]]: tensor<8x64xi64>)
// CHECK: tp.annotate %[[X]] layout <@mesh1d, [R]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[X]] layout <@mesh1d, [S(1)]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[X]] layout <@mesh1d, [P(sum)]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[X]] layout <@mesh2d, [S(0), R]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[X]] layout <@mesh2d, [P(sum), S(1)]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[X]] layout <@mesh2d, [S(1), S(1)]> : tensor<8x64xf32>
// CHECK: tp.annotate %[[I]] layout <@quoted, [R, S(0)]> : tensor<8x64xi64>
func.func @annotate_layouts(%x: tensor<8x64xf32>, %i: tensor<8x64xi64>)
    -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xi64>) {
  %0 = tp.annotate %x layout <@mesh1d, [R]> : tensor<8x64xf32>
  %1 = tp.annotate %x layout <@mesh1d, [S(1)]> : tensor<8x64xf32>
  %2 = tp.annotate %x layout <@mesh1d, [P(sum)]> : tensor<8x64xf32>
  %3 = tp.annotate %x layout <@mesh2d, [S(0), R]> : tensor<8x64xf32>
  %4 = tp.annotate %x layout <@mesh2d, [P(sum), S(1)]> : tensor<8x64xf32>
  %5 = tp.annotate %x layout <@mesh2d, [S(1), S(1)]> : tensor<8x64xf32>
  %6 = tp.annotate %i layout <@quoted, [R, S(0)]> : tensor<8x64xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xi64>
}

// The generic form of an op with a layout is parsed and printed too.
// CHECK-LABEL: func.func @annotate_generic_form
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>)
// CHECK: %[[A:.*]] = tp.annotate %[[X]] layout <@mesh2d, [S(0), P(sum)]> : tensor<8x64xf32>
// CHECK: return %[[A]]
func.func @annotate_generic_form(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = "tp.annotate"(%x) <{layout = #tp.layout<@mesh2d, [S(0), P(sum)]>}> : (tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @all_reduce
// CHECK-SAME: (%[[P:.*]]: tensor<8x64xf32>)
// CHECK: %[[R1:.*]] = tp.all_reduce %[[P]] on @mesh1d ["tp"] : tensor<8x64xf32>
// CHECK: %[[R2:.*]] = tp.all_reduce %[[P]] on @mesh2d ["dp", "tp"] : tensor<8x64xf32>
// CHECK: return %[[R1]], %[[R2]]
func.func @all_reduce(%p: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %0 = tp.all_reduce %p on @mesh1d ["tp"] : tensor<8x64xf32>
  %1 = tp.all_reduce %p on @mesh2d ["dp", "tp"] : tensor<8x64xf32>
  return %0, %1 : tensor<8x64xf32>, tensor<8x64xf32>
}

// CHECK-LABEL: func.func @async_all_reduce
// CHECK: %[[S:.*]] = tp.all_reduce %{{.*}} on @mesh1d ["tp"] async : tensor<8x64xf32>
// CHECK: tp.relu
// CHECK: %[[W:.*]] = tp.wait %[[S]] : tensor<8x64xf32>
// CHECK: return %[[W]]
func.func @async_all_reduce(%p: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %0 = tp.all_reduce %p on @mesh1d ["tp"] async : tensor<8x64xf32>
  %1 = tp.relu %p : tensor<8x64xf32>
  %2 = tp.wait %0 : tensor<8x64xf32>
  return %2, %1 : tensor<8x64xf32>, tensor<8x64xf32>
}

// CHECK-LABEL: func.func @all_gather_global_and_local
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[L:.*]]: tensor<8x16xf32>, %[[I:.*]]: tensor<2x8xi32>)
// CHECK: tp.all_gather %[[X]] on @mesh1d ["tp"] dim 1 : tensor<8x64xf32> -> tensor<8x64xf32>
// CHECK: tp.all_gather %[[L]] on @mesh1d ["tp"] dim 1 : tensor<8x16xf32> -> tensor<8x64xf32>
// CHECK: tp.all_gather %[[I]] on @mesh2d ["dp", "tp"] dim 0 : tensor<2x8xi32> -> tensor<16x8xi32>
func.func @all_gather_global_and_local(%x: tensor<8x64xf32>, %l: tensor<8x16xf32>, %i: tensor<2x8xi32>)
    -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<16x8xi32>) {
  %0 = tp.all_gather %x on @mesh1d ["tp"] dim 1 : tensor<8x64xf32> -> tensor<8x64xf32>
  %1 = tp.all_gather %l on @mesh1d ["tp"] dim 1 : tensor<8x16xf32> -> tensor<8x64xf32>
  %2 = tp.all_gather %i on @mesh2d ["dp", "tp"] dim 0 : tensor<2x8xi32> -> tensor<16x8xi32>
  return %0, %1, %2 : tensor<8x64xf32>, tensor<8x64xf32>, tensor<16x8xi32>
}

// CHECK-LABEL: func.func @reduce_scatter_global_and_local
// CHECK-SAME: (%[[P:.*]]: tensor<2x16x64xf32>)
// CHECK: tp.reduce_scatter %[[P]] on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x16x64xf32>
// CHECK: tp.reduce_scatter %[[P]] on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x4x64xf32>
// CHECK: tp.reduce_scatter %[[P]] on @mesh2d ["tp", "dp"] dim 2 : tensor<2x16x64xf32> -> tensor<2x16x8xf32>
func.func @reduce_scatter_global_and_local(%p: tensor<2x16x64xf32>)
    -> (tensor<2x16x64xf32>, tensor<2x4x64xf32>, tensor<2x16x8xf32>) {
  %0 = tp.reduce_scatter %p on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  %1 = tp.reduce_scatter %p on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x4x64xf32>
  %2 = tp.reduce_scatter %p on @mesh2d ["tp", "dp"] dim 2 : tensor<2x16x64xf32> -> tensor<2x16x8xf32>
  return %0, %1, %2 : tensor<2x16x64xf32>, tensor<2x4x64xf32>, tensor<2x16x8xf32>
}

// CHECK-LABEL: func.func @all_to_all_global_and_local
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x4x16xf32>, %[[I:.*]]: tensor<8x8xi64>)
// CHECK: tp.all_to_all %[[X]] on @mesh1d ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x4x16xf32> -> tensor<2x8x4x16xf32>
// CHECK: tp.all_to_all %[[X]] on @mesh1d ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x4x16xf32> -> tensor<2x32x1x16xf32>
// CHECK: tp.all_to_all %[[I]] on @mesh2d ["dp", "tp"] split_dim 0 concat_dim 1 : tensor<8x8xi64> -> tensor<1x64xi64>
func.func @all_to_all_global_and_local(%x: tensor<2x8x4x16xf32>, %i: tensor<8x8xi64>)
    -> (tensor<2x8x4x16xf32>, tensor<2x32x1x16xf32>, tensor<1x64xi64>) {
  %0 = tp.all_to_all %x on @mesh1d ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x4x16xf32> -> tensor<2x8x4x16xf32>
  %1 = tp.all_to_all %x on @mesh1d ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x4x16xf32> -> tensor<2x32x1x16xf32>
  %2 = tp.all_to_all %i on @mesh2d ["dp", "tp"] split_dim 0 concat_dim 1 : tensor<8x8xi64> -> tensor<1x64xi64>
  return %0, %1, %2 : tensor<2x8x4x16xf32>, tensor<2x32x1x16xf32>, tensor<1x64xi64>
}

// CHECK-LABEL: func.func @local_slice_global_and_local
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[I:.*]]: tensor<8x4xi32>)
// CHECK: tp.local_slice %[[X]] on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x16x64xf32>
// CHECK: tp.local_slice %[[X]] on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x4x64xf32>
// CHECK: tp.local_slice %[[I]] on @mesh2d ["tp"] dim 0 : tensor<8x4xi32> -> tensor<2x4xi32>
func.func @local_slice_global_and_local(%x: tensor<2x16x64xf32>, %i: tensor<8x4xi32>)
    -> (tensor<2x16x64xf32>, tensor<2x4x64xf32>, tensor<2x4xi32>) {
  %0 = tp.local_slice %x on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  %1 = tp.local_slice %x on @mesh1d ["tp"] dim 1 : tensor<2x16x64xf32> -> tensor<2x4x64xf32>
  %2 = tp.local_slice %i on @mesh2d ["tp"] dim 0 : tensor<8x4xi32> -> tensor<2x4xi32>
  return %0, %1, %2 : tensor<2x16x64xf32>, tensor<2x4x64xf32>, tensor<2x4xi32>
}

// CHECK-LABEL: func.func @collectives_on_quoted_axes
// CHECK-SAME: (%[[P:.*]]: tensor<8x64xf32>)
// CHECK: %[[R:.*]] = tp.all_reduce %[[P]] on @quoted ["data parallel"] : tensor<8x64xf32>
// CHECK: %[[S:.*]] = tp.local_slice %[[R]] on @quoted ["tensor-parallel"] dim 1 : tensor<8x64xf32> -> tensor<8x32xf32>
// CHECK: return %[[R]], %[[S]] : tensor<8x64xf32>, tensor<8x32xf32>
func.func @collectives_on_quoted_axes(%p: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x32xf32>) {
  %0 = tp.all_reduce %p on @quoted ["data parallel"] : tensor<8x64xf32>
  %1 = tp.local_slice %0 on @quoted ["tensor-parallel"] dim 1 : tensor<8x64xf32> -> tensor<8x32xf32>
  return %0, %1 : tensor<8x64xf32>, tensor<8x32xf32>
}

// The training ops print as they parse.
// CHECK-LABEL: func.func @training_ops
// CHECK: tp.linear_input_grad "w" %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<6x8xf32>
// CHECK: tp.linear_weight_grad "w" %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<4x8xf32>
// CHECK: tp.fill 1.000000e+00 : tensor<f32>
// CHECK: tp.broadcast %{{.*}} dims [0, 1] : tensor<f32> -> tensor<4x6xf32>
// CHECK: tp.silu_grad %{{.*}}, %{{.*}} : tensor<4x6xf32>
// CHECK: tp.gelu_grad %{{.*}}, %{{.*}} tanh : tensor<4x6xf32>
// CHECK: tp.relu_grad %{{.*}}, %{{.*}} : tensor<4x6xf32>
// CHECK: tp.softmax_grad %{{.*}}, %{{.*}} dim 1 : tensor<4x6xf32>
// CHECK: tp.sgd_master %{{.*}}, %{{.*}}, %{{.*}} lr 1.000000e-01 weight_decay 0.000000e+00 : tensor<6xbf16>, tensor<6xf32>
tp.parameter @"b" : tensor<6xbf16>
tp.parameter @"b.master" : tensor<6xf32> {master_of = @"b", optimizer_state}
func.func @training_ops(%dy: tensor<4x6xf32>, %w: tensor<6x8xf32>, %x: tensor<4x8xf32>, %db: tensor<6xbf16>) {
  %0 = tp.linear_input_grad "w" %dy, %w : tensor<4x6xf32>, tensor<6x8xf32>
  %1 = tp.linear_weight_grad "w" %dy, %x : tensor<4x6xf32>, tensor<4x8xf32>
  %one = tp.fill 1.0 : tensor<f32>
  %2 = tp.broadcast %one dims [0, 1] : tensor<f32> -> tensor<4x6xf32>
  %3 = tp.silu_grad %dy, %2 : tensor<4x6xf32>
  %4 = tp.gelu_grad %dy, %2 tanh : tensor<4x6xf32>
  %5 = tp.relu_grad %dy, %2 : tensor<4x6xf32>
  %6 = tp.softmax_grad %dy, %2 dim 1 : tensor<4x6xf32>
  %b = tp.get_parameter @"b" : tensor<6xbf16>
  %m = tp.get_parameter @"b.master" : tensor<6xf32>
  tp.sgd_master %b, %db, %m lr 0.1 weight_decay 0.0 : tensor<6xbf16>, tensor<6xf32>
  return
}
