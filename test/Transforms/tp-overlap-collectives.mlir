// RUN: tp-opt %s --tp-overlap-collectives --split-input-file | FileCheck %s
// RUN: tp-opt %examples/llama-layer/model.mlir --tp-autodiff \
// RUN:   --tp-parallelize="mesh=tp:2 plan=%examples/llama-layer/plan.json" \
// RUN:   --tp-overlap-collectives | FileCheck %s --check-prefix=LAYER

// Megatron's overlap in a rank's backward: the column-wise layers' input
// gradients are summed (tp.add) and all-reduced while the weight gradient
// is computed. The sum moves up to where its terms are ready, the
// all-reduce starts right after it, and its wait sits just before the norm's
// backward reads it.

tp.mesh @mesh(tp = 2)
func.func @input_gradient(%dy: tensor<4x6xf32>, %w1: tensor<6x8xf32>,
                          %w3: tensor<6x8xf32>, %x: tensor<4x8xf32>,
                          %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<6x8xf32>) {
  %dx1 = tp.linear_input_grad "w1" %dy, %w1 : tensor<4x6xf32>, tensor<6x8xf32>
  %dx3 = tp.linear_input_grad "w3" %dy, %w3 : tensor<4x6xf32>, tensor<6x8xf32>
  %dw1 = tp.linear_weight_grad "w1" %dy, %x : tensor<4x6xf32>, tensor<4x8xf32>
  %dx = tp.add %dx1, %dx3 : tensor<4x8xf32>
  %s = tp.all_reduce %dx on @mesh ["tp"] : tensor<4x8xf32>
  %dn = tp.rms_norm_input_grad "norm" %x, %g, %s eps 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>
  return %dn, %dw1 : tensor<4x8xf32>, tensor<6x8xf32>
}

// CHECK-LABEL: func.func @input_gradient
// CHECK: tp.linear_input_grad "w1"
// CHECK-NEXT: tp.linear_input_grad "w3"
// CHECK-NEXT: %[[DX:.*]] = tp.add
// CHECK-NEXT: %[[S:.*]] = tp.all_reduce %[[DX]] on @mesh ["tp"] async
// CHECK-NEXT: tp.linear_weight_grad "w1"
// CHECK-NEXT: %[[W:.*]] = tp.wait %[[S]] : tensor<4x8xf32>
// CHECK-NEXT: tp.rms_norm_input_grad "norm" %{{.*}}, %{{.*}}, %[[W]]

// -----

// Nothing to overlap: the sum's result is read by the next op (a row-wise
// layer's output in the forward), so it stays blocking. Nor does a sum of a
// parameter read become async: an update in place could change it while
// the sum reads it.

tp.mesh @mesh(tp = 2)
tp.parameter @"b" : tensor<4x8xf32>
func.func @blocking(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = tp.relu %x : tensor<4x8xf32>
  %s = tp.all_reduce %a on @mesh ["tp"] : tensor<4x8xf32>
  %y = tp.silu %s : tensor<4x8xf32>
  %b = tp.get_parameter @"b" : tensor<4x8xf32>
  %t = tp.all_reduce %b on @mesh ["tp"] : tensor<4x8xf32>
  %z = tp.relu %x : tensor<4x8xf32>
  %u = tp.add %t, %z : tensor<4x8xf32>
  return %y, %u : tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @blocking
// CHECK-NOT: async
// CHECK-NOT: tp.wait

// -----

// A gradient summed over `dp` (data parallelism) feeds its update, which
// then waits until just before the next update: the sum of w2's gradient
// hides behind w1's backward GEMMs. Every rank starts its sums in the same
// order.

tp.mesh @mesh(dp = 2)
tp.parameter @"w1.weight" : tensor<6x8xf32>
tp.parameter @"w2.weight" : tensor<6x6xf32>
func.func @gradient_sum(%dy: tensor<4x6xf32>, %h: tensor<4x6xf32>,
                        %x: tensor<4x8xf32>) -> tensor<4x6xf32> {
  %w1 = tp.get_parameter @"w1.weight" : tensor<6x8xf32>
  %w2 = tp.get_parameter @"w2.weight" : tensor<6x6xf32>
  %dh = tp.linear_input_grad "w2" %dy, %w2 : tensor<4x6xf32>, tensor<6x6xf32>
  %dw2 = tp.linear_weight_grad "w2" %dy, %h : tensor<4x6xf32>, tensor<4x6xf32>
  %g2 = tp.all_reduce %dw2 on @mesh ["dp"] : tensor<6x6xf32>
  tp.sgd %w2, %g2 lr 0.1 weight_decay 0.0 : tensor<6x6xf32>
  %dw1 = tp.linear_weight_grad "w1" %dh, %x : tensor<4x6xf32>, tensor<4x8xf32>
  %g1 = tp.all_reduce %dw1 on @mesh ["dp"] : tensor<6x8xf32>
  tp.sgd %w1, %g1 lr 0.1 weight_decay 0.0 : tensor<6x8xf32>
  return %dh : tensor<4x6xf32>
}

// CHECK-LABEL: func.func @gradient_sum
// CHECK: %[[DW2:.*]] = tp.linear_weight_grad "w2"
// CHECK-NEXT: %[[G2:.*]] = tp.all_reduce %[[DW2]] on @mesh ["dp"] async
// CHECK-NEXT: %[[DW1:.*]] = tp.linear_weight_grad "w1"
// CHECK-NEXT: %[[G1:.*]] = tp.all_reduce %[[DW1]] on @mesh ["dp"] async
// CHECK-NEXT: %[[W2:.*]] = tp.wait %[[G2]]
// CHECK-NEXT: tp.sgd %{{.*}}, %[[W2]]
// CHECK-NEXT: %[[W1:.*]] = tp.wait %[[G1]]
// CHECK-NEXT: tp.sgd %{{.*}}, %[[W1]]
// CHECK-NEXT: return

// The Llama layer's training step on tp:2: both backward all-reduces (the
// norms' input gradients) overlap the weight gradient and update of the
// last column-wise layer before them; the forward's two stay blocking.
// LAYER-LABEL: func.func @train_step
// LAYER: tp.all_reduce %{{.*}} on @mesh ["tp"] {
// LAYER: tp.all_reduce %{{.*}} on @mesh ["tp"] {
// LAYER: %[[S1:.*]] = tp.all_reduce %{{.*}} on @mesh ["tp"] async
// LAYER-NEXT: tp.linear_weight_grad "feed_forward.w1"
// LAYER: tp.adamw
// LAYER-NEXT: tp.wait %[[S1]]
// LAYER: %[[S2:.*]] = tp.all_reduce %{{.*}} on @mesh ["tp"] async
// LAYER-NEXT: tp.linear_weight_grad "attention.wq"
// LAYER: tp.adamw
// LAYER-NEXT: tp.wait %[[S2]]
