// RUN: tp-opt %s --tp-reshard --split-input-file --verify-diagnostics | FileCheck %s

// Each placement change gets its collective, right after the producer; a
// value needed the same way by two users is redistributed once; nothing is
// inserted where the layouts agree.

tp.mesh @mesh(tp = 2)
// CHECK-LABEL: func.func @each_change
func.func @each_change(
    %p: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [P(sum)]>},
    %s: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>},
    %r: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
    -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>},
        tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(0)]>},
        tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>},
        tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(0)]>},
        tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>},
        tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
  // CHECK-DAG: %[[AR:.*]] = tp.all_reduce %arg0 on @mesh ["tp"] {{{.*}}tp.reason = "all_reduce over 'tp' after input #0: Partial(sum) met Replicate, needed by the function result #0"
  // CHECK-DAG: %[[RS:.*]] = tp.reduce_scatter %arg0 on @mesh ["tp"] dim 0
  // CHECK-DAG: %[[AG:.*]] = tp.all_gather %arg1 on @mesh ["tp"] dim 1
  // CHECK-DAG: %[[A2A:.*]] = tp.all_to_all %arg1 on @mesh ["tp"] split_dim 0 concat_dim 1
  // CHECK-DAG: %[[SL:.*]] = tp.local_slice %arg2 on @mesh ["tp"] dim 1
  // CHECK: return %[[AR]], %[[RS]], %[[AG]], %[[A2A]], %[[SL]], %arg2
  return %p, %p, %s, %s, %r, %r
      : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>,
        tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A replicated value needed as a partial sum (a row-wise layer's bias) is
// scaled by 1/n on every rank, so that it is added once over the ranks.

tp.mesh @mesh(tp = 4)
// CHECK-LABEL: func.func @bias_to_partial
// CHECK: %[[S:.*]] = tp.scale %arg0 by 2.500000e-01
// CHECK-SAME: tp.reason = "scale over 'tp' after input #0: Replicate met Partial(sum)
// CHECK-SAME: tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]
// CHECK: return %[[S]]
func.func @bias_to_partial(%b: tensor<8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
    -> (tensor<8xf32> {tp.layout = #tp.layout<@mesh, [P(sum)]>}) {
  return %b : tensor<8xf32>
}

// -----

tp.mesh @mesh(tp = 2)
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-1: tp.all_reduce
// CHECK-NOT: tp.all_reduce
func.func @shared(%p: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [P(sum)]>})
    -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
  %a = tp.silu %p {tp.operand_layouts = [#tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<4x8xf32>
  %b = tp.relu %p {tp.operand_layouts = [#tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<4x8xf32>
  %c = tp.add %a, %b {tp.operand_layouts = [#tp.layout<@mesh, [R]>, #tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<4x8xf32>
  return %c : tensor<4x8xf32>
}

// -----

// On a 2-D mesh each axis that differs gets its own collective, in mesh
// order, over that axis only.

tp.mesh @mesh(dp = 2, tp = 2)
// CHECK-LABEL: func.func @two_axes
// CHECK: %[[G:.*]] = tp.all_gather %arg0 on @mesh ["dp"] dim 0
// CHECK-SAME: tp.result_layouts = [#tp.layout<@mesh, [R, P(sum)]>]
// CHECK-NEXT: %[[R:.*]] = tp.all_reduce %[[G]] on @mesh ["tp"]
// CHECK-NEXT: return %[[R]]
func.func @two_axes(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), P(sum)]>})
    -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R, R]>}) {
  return %x : tensor<4x8xf32>
}

// -----

// Two axes splitting one dim split it in mesh order (dp outer, tp inner).
// Leaving dp's split needs the pieces regathered in that order, not a
// gather over dp of tp's pieces: tp's split is undone first, then redone.

tp.mesh @mesh(dp = 2, tp = 2)
// CHECK-LABEL: func.func @same_dim_two_axes
// CHECK: %[[T:.*]] = tp.all_gather %arg0 on @mesh ["tp"] dim 0
// CHECK-NEXT: %[[D:.*]] = tp.all_gather %[[T]] on @mesh ["dp"] dim 0
// CHECK-NEXT: %[[S:.*]] = tp.local_slice %[[D]] on @mesh ["tp"] dim 0
// CHECK-NEXT: return %[[S]]
func.func @same_dim_two_axes(%x: tensor<8x4xf32> {tp.layout = #tp.layout<@mesh, [S(0), S(0)]>})
    -> (tensor<8x4xf32> {tp.layout = #tp.layout<@mesh, [R, S(0)]>}) {
  return %x : tensor<8x4xf32>
}

// -----

tp.mesh @mesh(tp = 2)
// CHECK-LABEL: func.func @agree
// CHECK-NOT: tp.all_
// CHECK-NOT: tp.local_slice
// CHECK-NOT: tp.reduce_scatter
func.func @agree(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>})
    -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>}) {
  %a = tp.silu %x {tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>], tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]} : tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

tp.mesh @mesh(tp = 2)
func.func @make_partial(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>})
    -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
  // expected-error @+1 {{needs operand #0 as Partial(sum) on mesh axis 'tp' but it is Shard(1); a split value cannot become a partial sum}}
  %a = tp.scale %x by 2.000000e+00 {tp.operand_layouts = [#tp.layout<@mesh, [P(sum)]>], tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]} : tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

tp.mesh @mesh(tp = 2)
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{operand #0 has no layout; run tp-propagate before tp-reshard}}
  %a = tp.silu %x : tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

// A split moving to another axis is undone before it is redone there, so
// the dim is never split by both axes at once (6 does not divide by 4).

tp.mesh @mesh(dp = 2, tp = 2)
// CHECK-LABEL: func.func @split_moves_axis
// CHECK: %[[G:.*]] = tp.all_gather %arg0 on @mesh ["tp"] dim 1
// CHECK-NEXT: %[[S:.*]] = tp.local_slice %[[G]] on @mesh ["dp"] dim 1
// CHECK-NEXT: return %[[S]]
func.func @split_moves_axis(%x: tensor<2x6xf32> {tp.layout = #tp.layout<@mesh, [R, S(1)]>})
    -> (tensor<2x6xf32> {tp.layout = #tp.layout<@mesh, [S(1), R]>}) {
  return %x : tensor<2x6xf32>
}
