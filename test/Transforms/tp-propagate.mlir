// RUN: tp-opt %s --tp-propagate --split-input-file --verify-diagnostics | FileCheck %s

// Colwise then rowwise: the hidden activation stays split on its features,
// the rowwise output is a partial sum, pinned to Replicate by the style.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w1.weight" : tensor<16x8xf32>
  tp.parameter @"w2.weight" : tensor<8x16xf32>
  // CHECK-LABEL: func.func @forward
  // CHECK-SAME: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}
  // CHECK-SAME: -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // CHECK: tp.get_parameter @w1.weight {tp.result_layouts = [#tp.layout<@mesh, [S(0)]>]}
    // CHECK: tp.get_parameter @w2.weight {tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]}
    %w1 = tp.get_parameter @"w1.weight" : tensor<16x8xf32>
    %w2 = tp.get_parameter @"w2.weight" : tensor<8x16xf32>
    // CHECK: tp.linear "w1" {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [R]>, #tp.layout<@mesh, [S(0)]>], tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]
    %h = tp.linear "w1" %x, %w1 {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4x8xf32>, tensor<16x8xf32>
    // CHECK: tp.relu {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]
    %a = tp.relu %h : tensor<4x16xf32>
    // CHECK: %[[Y:.*]] = tp.linear "w2" {{.*}}tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
    %y = tp.linear "w2" %a, %w2 {tp.style = #tp.style<rowwise on @mesh["tp"]>} : tensor<4x16xf32>, tensor<8x16xf32>
    // CHECK-NEXT: %[[R:.*]] = tp.annotate %[[Y]] layout <@mesh, [R]>
    // CHECK-NEXT: return %[[R]]
    return %y : tensor<4x8xf32>
  }
}

// -----

// Without styles the cheapest choice is still Megatron's: a linear whose
// input is split on its features contracts locally into a partial sum (its
// weight split on dim 1), and the partial sum flows through a scale and an
// add of two partial sums; the output is reduced only at the end.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"a.weight" : tensor<16x8xf32>
  tp.parameter @"b.weight" : tensor<8x16xf32>
  tp.parameter @"c.weight" : tensor<8x16xf32>
  // CHECK-LABEL: func.func @forward
  // CHECK-SAME: -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %wa = tp.get_parameter @"a.weight" : tensor<16x8xf32>
    // CHECK: tp.get_parameter @b.weight {tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]}
    %wb = tp.get_parameter @"b.weight" : tensor<8x16xf32>
    %wc = tp.get_parameter @"c.weight" : tensor<8x16xf32>
    %h = tp.linear "a" %x, %wa {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4x8xf32>, tensor<16x8xf32>
    // CHECK: tp.linear "b" {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [S(1)]>], tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
    %p = tp.linear "b" %h, %wb : tensor<4x16xf32>, tensor<8x16xf32>
    %q = tp.linear "c" %h, %wc : tensor<4x16xf32>, tensor<8x16xf32>
    // CHECK: tp.scale {{.*}}tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
    %s = tp.scale %p by 5.000000e-01 : tensor<4x8xf32>
    // CHECK: tp.add {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [P(sum)]>, #tp.layout<@mesh, [P(sum)]>], tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
    %r = tp.add %s, %q : tensor<4x8xf32>
    // A nonlinear op needs the complete value.
    // CHECK: tp.silu {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]
    %o = tp.silu %r : tensor<4x8xf32>
    return %o : tensor<4x8xf32>
  }
}

// -----

// Backward: a replicated input whose every user wants it split on the same
// dim arrives split (the slice moves to the source).

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"n.weight" : tensor<8xf32>
  // CHECK-LABEL: func.func @forward
  // CHECK-SAME: tensor<2x4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>}
  func.func @forward(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
    %w = tp.get_parameter @"n.weight" : tensor<8xf32>
    // CHECK: tp.rms_norm "n" {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]
    %n = tp.rms_norm "n" %x, %w eps 1.0e-05 {tp.style = #tp.style<sequence_parallel on @mesh["tp"]>} : tensor<2x4x8xf32>, tensor<8xf32>
    // CHECK: tp.add {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]
    %r = tp.add %x, %n : tensor<2x4x8xf32>
    return %r : tensor<2x4x8xf32>
  }
}

// -----

// A dp axis splits the batch of every input; weights stay replicated on it.
// A sharded heads*head_dim dim becomes a sharded heads dim through reshape,
// rope and grouped-query attention, and back.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 2, tp = 2)
  tp.parameter @"wq.weight" : tensor<32x16xf32>
  tp.parameter @"wk.weight" : tensor<16x16xf32>
  // CHECK-LABEL: func.func @forward
  // CHECK-SAME: tensor<2x4x16xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>}
  func.func @forward(%x: tensor<2x4x16xf32>) -> tensor<2x4x32xf32> {
    // CHECK: tp.get_parameter @wq.weight {tp.result_layouts = [#tp.layout<@mesh, [R, S(0)]>]}
    %wq = tp.get_parameter @"wq.weight" : tensor<32x16xf32>
    %wk = tp.get_parameter @"wk.weight" : tensor<16x16xf32>
    // CHECK: tp.linear "wq" {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(0), S(2)]>]
    %q = tp.linear "wq" %x, %wq {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<2x4x16xf32>, tensor<32x16xf32>
    %k = tp.linear "wk" %x, %wk {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<2x4x16xf32>, tensor<16x16xf32>
    // CHECK: tp.reshape {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(0), S(2)]>]
    %q4 = tp.reshape %q : tensor<2x4x32xf32> -> tensor<2x4x8x4xf32>
    %k4 = tp.reshape %k : tensor<2x4x16xf32> -> tensor<2x4x4x4xf32>
    // CHECK: tp.rope {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(0), S(2)]>]
    %rq = tp.rope %q4 theta 1.000000e+04 : tensor<2x4x8x4xf32>
    // CHECK: tp.attention {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [S(0), S(2)]>, #tp.layout<@mesh, [S(0), S(2)]>, #tp.layout<@mesh, [S(0), S(2)]>], tp.result_layouts = [#tp.layout<@mesh, [S(0), S(2)]>]
    %o = tp.attention %rq, %k4, %k4 causal : tensor<2x4x8x4xf32>, tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>
    // CHECK: tp.reshape {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(0), S(2)]>]
    %m = tp.reshape %o : tensor<2x4x8x4xf32> -> tensor<2x4x32xf32>
    return %m : tensor<2x4x32xf32>
  }
}

// -----

// Softmax cannot split the dim it normalises: a value split there is
// gathered (needed Replicate) rather than normalised piecewise.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w.weight" : tensor<8x8xf32>
  // CHECK-LABEL: func.func @forward
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = tp.get_parameter @"w.weight" : tensor<8x8xf32>
    %h = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4x8xf32>, tensor<8x8xf32>
    // CHECK: tp.softmax {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]
    %s = tp.softmax %h : tensor<4x8xf32>
    return %s : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 8)
  tp.parameter @"w1.weight" : tensor<12x8xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x12xf32> {
    %w1 = tp.get_parameter @"w1.weight" : tensor<12x8xf32>
    // expected-error @+1 {{layer 'w1' is colwise over mesh axis 'tp' (8 ranks) but its 12 output features do not divide evenly}}
    %h = tp.linear "w1" %x, %w1 {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4x8xf32>, tensor<12x8xf32>
    return %h : tensor<4x12xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 4, tp = 2)
  // expected-error @+1 {{input #0: batch dim of size 6 does not divide evenly over mesh axis 'dp' (4 ranks)}}
  func.func @forward(%x: tensor<6x8xf32>) -> tensor<6x8xf32> {
    return %x : tensor<6x8xf32>
  }
}

// -----

// expected-error @+1 {{the module does not say which mesh axis is tensor-parallel (tp.tp_axis); run tp-apply-plan first}}
module {
  tp.mesh @mesh(tp = 2)
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    return %x : tensor<4x8xf32>
  }
}

// -----

// expected-error @+1 {{the module has no tp.mesh; run tp-apply-plan with a plan or a mesh first}}
module attributes {tp.tp_axis = "tp"} {
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    return %x : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // expected-error @+1 {{is a collective; tp-propagate runs on a global program without collectives}}
    %r = tp.all_reduce %x on @mesh ["tp"] : tensor<4x8xf32>
    return %r : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 2, tp = 2)
  tp.parameter @"w.weight" : tensor<8x8xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = tp.get_parameter @"w.weight" : tensor<8x8xf32>
    // expected-error @+1 {{layer 'w': its style splits over mesh axis 'dp', which is not the tensor-parallel axis 'tp'}}
    %h = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @mesh["dp"]>} : tensor<4x8xf32>, tensor<8x8xf32>
    return %h : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // expected-error @+1 {{'tp.silu' op has a tp.style but is not a layer}}
    %a = tp.silu %x {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4x8xf32>
    return %a : tensor<4x8xf32>
  }
}

// -----

// A row-wise layer's bias is added once over the ranks: the layer needs it as
// a partial sum, while the parameter itself stays whole (Replicate) and is
// scaled by tp-reshard.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w.weight" : tensor<8x16xf32>
  tp.parameter @"w.bias" : tensor<8xf32>
  // CHECK-LABEL: func.func @forward
  func.func @forward(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {
    %w = tp.get_parameter @"w.weight" : tensor<8x16xf32>
    // CHECK: tp.get_parameter @w.bias {tp.result_layouts = [#tp.layout<@mesh, [R]>]}
    %b = tp.get_parameter @"w.bias" : tensor<8xf32>
    // CHECK: tp.linear "w" {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [P(sum)]>], tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
    %y = tp.linear "w" %x, %w, %b {tp.style = #tp.style<rowwise on @mesh["tp"]>} : tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>
    return %y : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w.weight" : tensor<8x8xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = tp.get_parameter @"w.weight" : tensor<8x8xf32>
    // expected-error @+1 {{layer 'w': input layout Shard(-5) is out of range for its rank-2 input}}
    %h = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @mesh["tp"], input = S(-5)>} : tensor<4x8xf32>, tensor<8x8xf32>
    return %h : tensor<4x8xf32>
  }
}

// -----

// The verifier checks styles written by hand as tp-apply-plan checks plans.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"n.weight" : tensor<16xf32>
  func.func @forward(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
    %w = tp.get_parameter @"n.weight" : tensor<16xf32>
    // expected-error @+1 {{layer 'n' (tp.rms_norm) cannot be colwise; it takes sequence_parallel or replicate}}
    %n = tp.rms_norm "n" %x, %w eps 1.0e-05 {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<2x8x16xf32>, tensor<16xf32>
    return %n : tensor<2x8x16xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"n.weight" : tensor<16xf32>
  func.func @forward(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
    %w = tp.get_parameter @"n.weight" : tensor<16xf32>
    // expected-error @+1 {{is sequence_parallel but its input has no sequence dim: it needs [batch, seq, ..., features]}}
    %n = tp.rms_norm "n" %x, %w eps 1.0e-05 {tp.style = #tp.style<sequence_parallel on @mesh["tp"]>} : tensor<8x16xf32>, tensor<16xf32>
    return %n : tensor<8x16xf32>
  }
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  // expected-error @+1 {{model function @forward has no body}}
  func.func private @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
}

// -----

// Two axes may split one factor only if its size divides by both: the 2
// heads of a [2, 8] -> [2, 2, 4] reshape split over dp (2) and tp (2) do not,
// so the reshape keeps one split and the other axis' split is not followed.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 2, tp = 2)
  // CHECK-LABEL: func.func @forward
  func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x2x4xf32> {
    %a = tp.annotate %x layout <@mesh, [S(1), S(1)]> : tensor<2x8xf32>
    // CHECK: tp.reshape {{.*}}tp.operand_layouts = [#tp.layout<@mesh, [S(1), R]>], tp.result_layouts = [#tp.layout<@mesh, [S(1), R]>]
    %r = tp.reshape %a : tensor<2x8xf32> -> tensor<2x2x4xf32>
    return %r : tensor<2x2x4xf32>
  }
}
