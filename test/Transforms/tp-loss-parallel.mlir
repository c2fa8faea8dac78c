// A cross-entropy over logits split on their classes (PyTorch's
// loss_parallel): with the output layer column-wise and its output left
// split, the loss and its backward reduce the softmax across the ranks
// themselves, and the logits are never gathered.
// RUN: tp-opt %s --tp-autodiff=loss=cross_entropy \
// RUN:   --tp-parallelize="mesh=tp:2 plan=%S/Inputs/loss-parallel-plan.json report=true" \
// RUN:   | FileCheck %s --implicit-check-not=tp.all_gather
// A plan that gathers the logits instead.
// RUN: tp-opt %s --tp-autodiff=loss=cross_entropy \
// RUN:   --tp-parallelize="mesh=tp:2 plan=%S/Inputs/loss-gathered-plan.json" \
// RUN:   | FileCheck %s --check-prefix=GATHER

// CHECK: cross_entropy over tp tensor<4x16xf32> {{.*}}the loss over vocabulary shards (loss_parallel): the softmax's max and sum and the labels' logits all-reduced over 'tp', the logits never gathered
// CHECK: cross_entropy_grad over tp tensor<4x16xf32> {{.*}}its backward over vocabulary shards
// CHECK: tp.cross_entropy %{{.*}}, %{{.*}} {tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<4x16xf32>, tensor<4xi64>
// The loss is whole on every rank: no rescaling for the split classes.
// CHECK-NOT: tp.scale
// CHECK: tp.cross_entropy_grad {{.*}}tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]} : tensor<4x16xf32>
// CHECK: tp.linear_weight_grad "out"
// CHECK-NOT: tp.all_reduce
// CHECK: tp.adamw

// GATHER: tp.all_gather {{.*}}after layer 'out'
// GATHER: tp.cross_entropy %{{.*}}, %{{.*}} {tp.operand_layouts = [#tp.layout<@mesh, [R]>, #tp.layout<@mesh, [R]>]

tp.parameter @"out.weight" : tensor<32x8xf32>
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x32xf32> {
  %w = tp.get_parameter @"out.weight" : tensor<32x8xf32>
  %y = tp.linear "out" %x, %w : tensor<4x8xf32>, tensor<32x8xf32>
  return %y : tensor<4x32xf32>
}
