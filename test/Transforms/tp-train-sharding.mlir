// The training step of tp-autodiff, sharded by tp-parallelize: the backward's
// collectives follow from the layouts, as Megatron writes them by hand.
// RUN: tp-opt %s --tp-autodiff \
// RUN:   --tp-parallelize="mesh=tp:2 plan=%S/Inputs/mlp2-plan.json" \
// RUN:   | FileCheck %s --check-prefix=TP --implicit-check-not=tp.all_gather \
// RUN:       --implicit-check-not=tp.reduce_scatter --implicit-check-not=tp.local_slice
// RUN: tp-opt %s --tp-autodiff \
// RUN:   --tp-parallelize="mesh=dp:2,tp:2 plan=%S/Inputs/mlp2-plan.json" \
// RUN:   | FileCheck %s --check-prefix=DP --implicit-check-not=tp.all_gather \
// RUN:       --implicit-check-not=tp.reduce_scatter --implicit-check-not=tp.local_slice

// Two column-then-row blocks. Forward: one all-reduce after each row-wise
// layer. Backward: the row-wise layers' partial outputs need nothing (their
// output gradient is replicated, and the gradients of their split weights and
// inputs stay split); the column-wise layer up2's input gradient is a partial
// sum, all-reduced once because down1's backward needs it whole; up1's input
// is the step's input, which needs no gradient. The sharded weights'
// gradients need no collective on tp.

// TP-LABEL: func.func @train_step
// TP: tp.linear "down1"
// TP-NEXT: tp.all_reduce {{.*}} on @mesh ["tp"] {{.*}}after layer 'down1'
// TP: tp.linear "down2"
// TP-NEXT: tp.all_reduce {{.*}} on @mesh ["tp"] {{.*}}after layer 'down2'
// TP: %[[DX2:.*]] = tp.linear_input_grad "up2"
// TP-NEXT: tp.all_reduce %[[DX2]] on @mesh ["tp"] {tp.operand_layouts = [#tp.layout<@mesh, [P(sum)]>], tp.reason = "all_reduce over 'tp' after linear_input_grad of layer 'up2': Partial(sum) met Replicate, needed by linear_input_grad of layer 'down1'"
// TP-NOT: tp.all_reduce
// TP: tp.adamw
// TP-NOT: tp.all_reduce
// TP: return

// DP: func.func @train_step(%{{.*}}: tensor<2x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>})
// On tp, the same three all-reduces as without dp.
// DP: tp.all_reduce {{.*}} on @mesh ["tp"] {{.*}}after layer 'down1'
// DP: tp.all_reduce {{.*}} on @mesh ["tp"] {{.*}}after layer 'down2'
// The loss sums over the batch split on dp.
// DP: tp.all_reduce {{.*}} on @mesh ["dp"] {{.*}}after tp.sum
// Every weight gradient is a partial sum over dp, all-reduced before its
// update; on tp it stays split like its weight.
// DP: tp.all_reduce {{.*}} on @mesh ["dp"] {{.*}}after linear_weight_grad of layer 'down2'{{.*}} needed by tp.adamw
// DP: tp.all_reduce {{.*}} on @mesh ["tp"] {{.*}}after linear_input_grad of layer 'up2'
// DP: tp.all_reduce {{.*}} on @mesh ["dp"] {{.*}}after linear_weight_grad of layer 'up2'{{.*}} needed by tp.adamw
// DP: tp.all_reduce {{.*}} on @mesh ["dp"] {{.*}}after linear_weight_grad of layer 'down1'{{.*}} needed by tp.adamw
// DP: tp.all_reduce {{.*}} on @mesh ["dp"] {{.*}}after linear_weight_grad of layer 'up1'{{.*}} needed by tp.adamw
// DP-NOT: tp.all_reduce
// DP: return

module {
  tp.parameter @"up1.weight" : tensor<16x8xf32>
  tp.parameter @"down1.weight" : tensor<8x16xf32>
  tp.parameter @"up2.weight" : tensor<16x8xf32>
  tp.parameter @"down2.weight" : tensor<8x16xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %u1 = tp.get_parameter @"up1.weight" : tensor<16x8xf32>
    %d1 = tp.get_parameter @"down1.weight" : tensor<8x16xf32>
    %u2 = tp.get_parameter @"up2.weight" : tensor<16x8xf32>
    %d2 = tp.get_parameter @"down2.weight" : tensor<8x16xf32>
    %h1 = tp.linear "up1" %x, %u1 : tensor<4x8xf32>, tensor<16x8xf32>
    %a1 = tp.silu %h1 : tensor<4x16xf32>
    %y1 = tp.linear "down1" %a1, %d1 : tensor<4x16xf32>, tensor<8x16xf32>
    %h2 = tp.linear "up2" %y1, %u2 : tensor<4x8xf32>, tensor<16x8xf32>
    %a2 = tp.silu %h2 : tensor<4x16xf32>
    %y2 = tp.linear "down2" %a2, %d2 : tensor<4x16xf32>, tensor<8x16xf32>
    return %y2 : tensor<4x8xf32>
  }
}
