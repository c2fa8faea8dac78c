// The FeedForward example parses, verifies and prints IR that parses back to
// the same IR.
// RUN: tp-opt %examples/feedforward/model.mlir > %t.1.mlir
// RUN: tp-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: FileCheck %s < %t.1.mlir

// CHECK-COUNT-3: tp.parameter
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<8x8192xf32>) -> tensor<8x8192xf32>
// CHECK: %[[W1:.*]] = tp.get_parameter @w1.weight
// CHECK: %[[W2:.*]] = tp.get_parameter @w2.weight
// CHECK: %[[W3:.*]] = tp.get_parameter @w3.weight
// CHECK: %[[H1:.*]] = tp.linear "w1" %[[X]], %[[W1]]
// CHECK: %[[A:.*]] = tp.silu %[[H1]]
// CHECK: %[[H3:.*]] = tp.linear "w3" %[[X]], %[[W3]]
// CHECK: %[[G:.*]] = tp.mul %[[A]], %[[H3]]
// CHECK: %[[Y:.*]] = tp.linear "w2" %[[G]], %[[W2]]
// CHECK: return %[[Y]]
