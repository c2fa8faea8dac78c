// RUN: tp-opt %s --tp-autodiff --split-input-file --verify-diagnostics | FileCheck %s
// RUN: tp-opt %s --split-input-file --verify-diagnostics \
// RUN:   --tp-autodiff="loss=sum optimizer=sgd lr=0.5" | FileCheck %s --check-prefix=SGD

// The seed's FeedForward: the loss is the output's sum, the backward runs
// the forward's ops in reverse by their rules (no gradient for the input),
// and each weight is updated by AdamW as soon as its gradient is complete,
// with moments of its own marked optimizer_state.

// CHECK: tp.parameter @w1.weight : tensor<16x8xf32>
// CHECK-NEXT: tp.parameter @optimizer.w1.weight.exp_avg : tensor<16x8xf32> {optimizer_state}
// CHECK-NEXT: tp.parameter @optimizer.w1.weight.exp_avg_sq : tensor<16x8xf32> {optimizer_state}
// CHECK-NEXT: tp.parameter @w2.weight
// CHECK-NEXT: tp.parameter @optimizer.w2.weight.exp_avg :
// CHECK-NEXT: tp.parameter @optimizer.w2.weight.exp_avg_sq :
// CHECK-NEXT: tp.parameter @w3.weight
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>) -> tensor<f32>
// CHECK-SAME: tp.training = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, loss = "sum", lr = 1.000000e-03 : f64, optimizer = "adamw", weight_decay = 1.000000e-02 : f64}
// CHECK: %[[W1:.*]] = tp.get_parameter @w1.weight
// CHECK: %[[W2:.*]] = tp.get_parameter @w2.weight
// CHECK: %[[W3:.*]] = tp.get_parameter @w3.weight
// CHECK: %[[H1:.*]] = tp.linear "w1" %[[X]], %[[W1]]
// CHECK: %[[A:.*]] = tp.silu %[[H1]]
// CHECK: %[[H3:.*]] = tp.linear "w3" %[[X]], %[[W3]]
// CHECK: %[[G:.*]] = tp.mul %[[A]], %[[H3]]
// CHECK: %[[Y:.*]] = tp.linear "w2" %[[G]], %[[W2]]
// CHECK: %[[LOSS:.*]] = tp.sum %[[Y]] : tensor<4x8xf32>
// CHECK: %[[ONE:.*]] = tp.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[DY:.*]] = tp.broadcast %[[ONE]] dims [0, 1] : tensor<f32> -> tensor<4x8xf32>
// CHECK: %[[DG:.*]] = tp.linear_input_grad "w2" %[[DY]], %[[W2]]
// CHECK: %[[DW2:.*]] = tp.linear_weight_grad "w2" %[[DY]], %[[G]]
// CHECK: %[[M2:.*]] = tp.get_parameter @optimizer.w2.weight.exp_avg
// CHECK: %[[V2:.*]] = tp.get_parameter @optimizer.w2.weight.exp_avg_sq
// CHECK: tp.adamw %[[W2]], %[[DW2]], %[[M2]], %[[V2]] lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02
// CHECK: %[[DA:.*]] = tp.mul %[[DG]], %[[H3]]
// CHECK: %[[DH3:.*]] = tp.mul %[[DG]], %[[A]]
// CHECK: %[[DW3:.*]] = tp.linear_weight_grad "w3" %[[DH3]], %[[X]]
// CHECK: tp.adamw %[[W3]], %[[DW3]]
// CHECK: %[[DH1:.*]] = tp.silu_grad %[[H1]], %[[DA]]
// CHECK: %[[DW1:.*]] = tp.linear_weight_grad "w1" %[[DH1]], %[[X]]
// CHECK: tp.adamw %[[W1]], %[[DW1]]
// CHECK-NOT: linear_input_grad
// CHECK: return %[[LOSS]] : tensor<f32>

// Under sgd there is no optimizer state.
// SGD-NOT: optimizer_state
// SGD-LABEL: func.func @train_step
// SGD-SAME: optimizer = "sgd", weight_decay = 0.000000e+00
// SGD: tp.sgd %{{.*}}, %{{.*}} lr 5.000000e-01 weight_decay 0.000000e+00 : tensor<8x16xf32>
// SGD: tp.sgd
// SGD: tp.sgd

tp.parameter @"w1.weight" : tensor<16x8xf32>
tp.parameter @"w2.weight" : tensor<8x16xf32>
tp.parameter @"w3.weight" : tensor<16x8xf32>
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = tp.get_parameter @"w1.weight" : tensor<16x8xf32>
  %w2 = tp.get_parameter @"w2.weight" : tensor<8x16xf32>
  %w3 = tp.get_parameter @"w3.weight" : tensor<16x8xf32>
  %h1 = tp.linear "w1" %x, %w1 : tensor<4x8xf32>, tensor<16x8xf32>
  %a = tp.silu %h1 : tensor<4x16xf32>
  %h3 = tp.linear "w3" %x, %w3 : tensor<4x8xf32>, tensor<16x8xf32>
  %g = tp.mul %a, %h3 : tensor<4x16xf32>
  %y = tp.linear "w2" %g, %w2 : tensor<4x16xf32>, tensor<8x16xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A weight used twice (tied) gets the sum of both uses' gradients and one
// update, after its last backward use; a value used twice (the residual)
// accumulates its gradients; a bias's gradient sums the leading dims.

// CHECK-LABEL: func.func @train_step
// CHECK: %[[W:.*]] = tp.get_parameter @w.weight
// CHECK: %[[B:.*]] = tp.get_parameter @w.bias
// CHECK: %[[H:.*]] = tp.linear "first" %[[X:.*]], %[[W]], %[[B]]
// CHECK: %[[R:.*]] = tp.add %[[H]], %[[X]]
// CHECK: %[[Y:.*]] = tp.linear "second" %[[R]], %[[W]]
// CHECK: %[[DR:.*]] = tp.linear_input_grad "second"
// CHECK: %[[DW2:.*]] = tp.linear_weight_grad "second"
// CHECK-NOT: tp.adamw
// CHECK: %[[DW1:.*]] = tp.linear_weight_grad "first" %[[DR]], %[[X]]
// CHECK: %[[DB:.*]] = tp.sum %[[DR]] dims [0, 1] : tensor<2x3x4xf32>
// CHECK: %[[DW:.*]] = tp.add %[[DW2]], %[[DW1]]
// CHECK: tp.adamw %[[W]], %[[DW]]
// CHECK: tp.adamw %[[B]], %[[DB]]

tp.parameter @"w.weight" : tensor<4x4xf32>
tp.parameter @"w.bias" : tensor<4xf32>
func.func @forward(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %w = tp.get_parameter @"w.weight" : tensor<4x4xf32>
  %b = tp.get_parameter @"w.bias" : tensor<4xf32>
  %h = tp.linear "first" %x, %w, %b : tensor<2x3x4xf32>, tensor<4x4xf32>, tensor<4xf32>
  %r = tp.add %h, %x : tensor<2x3x4xf32>
  %y = tp.linear "second" %r, %w : tensor<2x3x4xf32>, tensor<4x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Shape ops run backward as their inverses; a matmul's backward is a matmul
// with a transposed operand.

// CHECK-LABEL: func.func @train_step
// CHECK: %[[P:.*]] = tp.get_parameter @p
// CHECK: %[[DR:.*]] = tp.broadcast %{{.*}} dims [0] : tensor<f32> -> tensor<16xf32>
// CHECK: %[[DS:.*]] = tp.reshape %[[DR]] : tensor<16xf32> -> tensor<4x4xf32>
// CHECK: %[[DT:.*]] = tp.scale %[[DS]] by 2.500000e-01 : tensor<4x4xf32>
// CHECK: %[[DM:.*]] = tp.transpose %[[DT]] [1, 0] : tensor<4x4xf32>
// CHECK: %[[XT:.*]] = tp.transpose %[[X:.*]] [1, 0] : tensor<4x3xf32>
// CHECK: %[[DP:.*]] = tp.matmul %[[XT]], %[[DM]] : tensor<3x4xf32>, tensor<4x4xf32>
// CHECK: tp.adamw %[[P]], %[[DP]]

tp.parameter @"p" : tensor<3x4xf32>
func.func @forward(%x: tensor<4x3xf32>) -> tensor<16xf32> {
  %p = tp.get_parameter @"p" : tensor<3x4xf32>
  %m = tp.matmul %x, %p : tensor<4x3xf32>, tensor<3x4xf32>
  %t = tp.transpose %m [1, 0] : tensor<4x4xf32>
  %s = tp.scale %t by 0.25 : tensor<4x4xf32>
  %r = tp.reshape %s : tensor<4x4xf32> -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// Rotary embedding's backward rotates back in the forward's convention, with
// its theta: half stays half, interleaved (the default) stays interleaved.

// CHECK-LABEL: func.func @train_step
// CHECK: %[[Q:.*]] = tp.rope %{{.*}} theta 1.000000e+04 convention half : tensor<1x4x2x8xf32>
// CHECK: %[[K:.*]] = tp.rope %{{.*}} theta 5.000000e+05 : tensor<1x4x2x8xf32>
// CHECK: tp.rope_grad %{{.*}} theta 5.000000e+05 : tensor<1x4x2x8xf32>
// CHECK: tp.rope_grad %{{.*}} theta 1.000000e+04 convention half : tensor<1x4x2x8xf32>

tp.parameter @"w.weight" : tensor<16x16xf32>
func.func @forward(%x: tensor<1x4x16xf32>) -> tensor<1x4x2x8xf32> {
  %w = tp.get_parameter @"w.weight" : tensor<16x16xf32>
  %h = tp.linear "w" %x, %w : tensor<1x4x16xf32>, tensor<16x16xf32>
  %r = tp.reshape %h : tensor<1x4x16xf32> -> tensor<1x4x2x8xf32>
  %q = tp.rope %r theta 1.0e+04 convention half : tensor<1x4x2x8xf32>
  %k = tp.rope %q theta 5.0e+05 : tensor<1x4x2x8xf32>
  return %k : tensor<1x4x2x8xf32>
}

// -----

// A bf16 weight trains in mixed precision: an f32 master copy and f32
// moments; the update writes the master and rounds it into the weight.

// CHECK: tp.parameter @h.weight : tensor<4x4xbf16>
// CHECK-NEXT: tp.parameter @optimizer.h.weight.master : tensor<4x4xf32> {master_of = @h.weight, optimizer_state}
// CHECK-NEXT: tp.parameter @optimizer.h.weight.exp_avg : tensor<4x4xf32> {optimizer_state}
// CHECK-NEXT: tp.parameter @optimizer.h.weight.exp_avg_sq : tensor<4x4xf32> {optimizer_state}
// CHECK-LABEL: func.func @train_step
// CHECK: tp.adamw_master %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr {{.*}} : tensor<4x4xbf16>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
// SGD-LABEL: func.func @train_step
// SGD: tp.sgd_master %{{.*}}, %{{.*}}, %{{.*}} lr 5.000000e-01 weight_decay 0.000000e+00 : tensor<4x4xbf16>, tensor<4x4xf32>

tp.parameter @"h.weight" : tensor<4x4xbf16>
func.func @forward(%x: tensor<2x4xbf16>) -> tensor<2x4xbf16> {
  %w = tp.get_parameter @"h.weight" : tensor<4x4xbf16>
  %y = tp.linear "h" %x, %w : tensor<2x4xbf16>, tensor<4x4xbf16>
  return %y : tensor<2x4xbf16>
}

// -----

// An op without a derivative rule on the way from a parameter to the loss.

tp.parameter @"w.weight" : tensor<8x8xf32>
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = tp.get_parameter @"w.weight" : tensor<8x8xf32>
  %h = tp.linear "w" %x, %w : tensor<2x8xf32>, tensor<8x8xf32>
  // A backward op has no rule of its own (no second derivatives).
  // expected-error @below {{'tp.silu_grad' op has no derivative rule, but the loss depends on a parameter through it}}
  %g = tp.silu_grad %h, %x : tensor<2x8xf32>
  return %g : tensor<2x8xf32>
}

// -----

// An op without a rule off the path from the parameters is no obstacle; a
// loss that depends on no parameter is.

// expected-error @below {{a training step needs parameters, but the loss of @forward depends on none}}
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %g = tp.silu_grad %x, %x : tensor<2x8xf32>
  return %g : tensor<2x8xf32>
}

// -----

// expected-error @below {{a training step needs a model function that returns one float tensor (the loss is taken of it); @forward returns 2 values}}
func.func @forward(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  return %x, %x : tensor<2x8xf32>, tensor<2x8xf32>
}
