// A plan written as PyTorch writes it gives the same program as the
// canonical plan: torchtitan's Llama plan (SequenceParallel norms,
// PrepareModuleInput on attention and feed_forward, row-wise layers
// reduce-scattering onto the sequence, loss_parallel) on tiny Llama's
// training step, against the same plan in tp-mlir's own spelling.
//
// RUN: tp-opt %examples/llama-tiny/model.mlir --tp-autodiff=loss=cross_entropy \
// RUN:   --tp-parallelize="plan=%S/Inputs/torchtitan-plan.json" > %t.pytorch
// RUN: tp-opt %examples/llama-tiny/model.mlir --tp-autodiff=loss=cross_entropy \
// RUN:   --tp-parallelize="plan=%S/Inputs/torchtitan-canonical-plan.json" > %t.canonical
// RUN: diff %t.canonical %t.pytorch
// RUN: FileCheck %s < %t.pytorch
//
// Without a cross-entropy (the forward alone) loss_parallel changes nothing.
// RUN: tp-opt %examples/llama-tiny/model.mlir \
// RUN:   --tp-parallelize="plan=%S/Inputs/torchtitan-plan.json" \
// RUN:   | FileCheck %s --check-prefix=FORWARD

// PrepareModuleInput's redistribution is the all-gather before the
// attention's and the feed-forward's column-wise layers; the loss runs on
// vocabulary shards.
// CHECK-LABEL: func.func @train_step
// CHECK: tp.reduce_scatter {{.*}}after layer 'tok_embeddings'
// CHECK: tp.all_gather {{.*}}after layer 'layers.0.attention_norm'
// CHECK: tp.linear "layers.0.attention.wq"
// CHECK: tp.reduce_scatter
// CHECK: tp.all_gather
// CHECK: tp.linear "layers.0.feed_forward.w1"
// CHECK: tp.cross_entropy %{{.*}}, %{{.*}} {tp.operand_layouts = [#tp.layout<@mesh, [S(2)]>

// FORWARD-LABEL: func.func @forward
// FORWARD: tp.linear "output"
// FORWARD: return
