// The Llama layer example parses, verifies and prints IR that parses back to
// the same IR, and keeps the structure of Llama 3's TransformerBlock.
// RUN: tp-opt %examples/llama-layer/model.mlir > %t.1.mlir
// RUN: tp-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: FileCheck %s < %t.1.mlir

// The nine parameters, by state-dict key, with their global shapes.
// CHECK: tp.parameter @attention.wq.weight : tensor<256x256xf32>
// CHECK-NEXT: tp.parameter @attention.wk.weight : tensor<128x256xf32>
// CHECK-NEXT: tp.parameter @attention.wv.weight : tensor<128x256xf32>
// CHECK-NEXT: tp.parameter @attention.wo.weight : tensor<256x256xf32>
// CHECK-NEXT: tp.parameter @feed_forward.w1.weight : tensor<768x256xf32>
// CHECK-NEXT: tp.parameter @feed_forward.w2.weight : tensor<256x768xf32>
// CHECK-NEXT: tp.parameter @feed_forward.w3.weight : tensor<768x256xf32>
// CHECK-NEXT: tp.parameter @attention_norm.weight : tensor<256xf32>
// CHECK-NEXT: tp.parameter @ffn_norm.weight : tensor<256xf32>

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x256xf32>) -> tensor<2x16x256xf32>
// CHECK: %[[WQ:.*]] = tp.get_parameter @attention.wq.weight
// CHECK: %[[WK:.*]] = tp.get_parameter @attention.wk.weight
// CHECK: %[[WV:.*]] = tp.get_parameter @attention.wv.weight
// CHECK: %[[WO:.*]] = tp.get_parameter @attention.wo.weight
// CHECK: %[[W1:.*]] = tp.get_parameter @feed_forward.w1.weight
// CHECK: %[[W2:.*]] = tp.get_parameter @feed_forward.w2.weight
// CHECK: %[[W3:.*]] = tp.get_parameter @feed_forward.w3.weight
// CHECK: %[[ANW:.*]] = tp.get_parameter @attention_norm.weight
// CHECK: %[[FNW:.*]] = tp.get_parameter @ffn_norm.weight

// Attention: norm, projections, heads, rope, attention, merge, wo, residual.
// CHECK: %[[XN:.*]] = tp.rms_norm "attention_norm" %[[X]], %[[ANW]] eps 1.000000e-05
// CHECK: %[[Q:.*]] = tp.linear "attention.wq" %[[XN]], %[[WQ]]
// CHECK: %[[K:.*]] = tp.linear "attention.wk" %[[XN]], %[[WK]]
// CHECK: %[[V:.*]] = tp.linear "attention.wv" %[[XN]], %[[WV]]
// CHECK: %[[XQ:.*]] = tp.reshape %[[Q]] : tensor<2x16x256xf32> -> tensor<2x16x16x16xf32>
// CHECK: %[[XK:.*]] = tp.reshape %[[K]] : tensor<2x16x128xf32> -> tensor<2x16x8x16xf32>
// CHECK: %[[XV:.*]] = tp.reshape %[[V]] : tensor<2x16x128xf32> -> tensor<2x16x8x16xf32>
// CHECK: %[[RQ:.*]] = tp.rope %[[XQ]] theta 5.000000e+05
// CHECK: %[[RK:.*]] = tp.rope %[[XK]] theta 5.000000e+05
// CHECK: %[[O:.*]] = tp.attention %[[RQ]], %[[RK]], %[[XV]] causal :
// CHECK: %[[OM:.*]] = tp.reshape %[[O]] : tensor<2x16x16x16xf32> -> tensor<2x16x256xf32>
// CHECK: %[[ATTN:.*]] = tp.linear "attention.wo" %[[OM]], %[[WO]]
// CHECK: %[[H:.*]] = tp.add %[[X]], %[[ATTN]]

// Feed-forward: norm, w1/w3, silu, product, w2, residual.
// CHECK: %[[HN:.*]] = tp.rms_norm "ffn_norm" %[[H]], %[[FNW]] eps 1.000000e-05
// CHECK: %[[G:.*]] = tp.linear "feed_forward.w1" %[[HN]], %[[W1]]
// CHECK: %[[U:.*]] = tp.linear "feed_forward.w3" %[[HN]], %[[W3]]
// CHECK: %[[SG:.*]] = tp.silu %[[G]]
// CHECK: %[[GU:.*]] = tp.mul %[[SG]], %[[U]]
// CHECK: %[[FF:.*]] = tp.linear "feed_forward.w2" %[[GU]], %[[W2]]
// CHECK: %[[OUT:.*]] = tp.add %[[H]], %[[FF]]
// CHECK: return %[[OUT]]
