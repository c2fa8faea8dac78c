// tp-compile --train: the FeedForward's training step at every stage, its
// options and their errors.
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --train --emit=tp | FileCheck %s --check-prefix=TP
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --train --optimizer sgd --lr 0.05 --emit=mlir | FileCheck %s --check-prefix=MLIR
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --train --emit=mlir | FileCheck %s --check-prefix=ADAMW
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --train --emit=mlir | FileCheck %s --check-prefix=OVERLAP
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --train --overlap=false --emit=mlir | FileCheck %s --check-prefix=BLOCKING
// RUN: not tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --lr 0.1 --emit=tp 2>&1 | FileCheck %s --check-prefix=NOTRAIN
// RUN: not tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --train --optimizer adam --emit=tp 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// RUN: not tp-compile %examples/feedforward/model.mlir --mesh tp:2 --plan %examples/feedforward/plan.json --train --loss mse --emit=tp 2>&1 | FileCheck %s --check-prefix=LOSS

// The differentiated, sharded program: the forward's one all-reduce and no
// other collective, the weights updated where their gradients are done.
// TP: func.func @train_step(%{{.*}}: tensor<8x8192xf32> {tp.layout = #tp.layout<@mesh, [R]>}) -> (tensor<f32> {tp.layout = #tp.layout<@mesh, [R]>})
// TP-COUNT-1: tp.all_reduce
// TP-NOT: tp.all_reduce
// TP-NOT: tp.all_gather
// TP-NOT: tp.reduce_scatter
// TP-COUNT-3: tp.adamw

// MLIR: llvm.call @tprt_linear_input_grad(
// MLIR: llvm.call @tprt_linear_weight_grad(
// MLIR: llvm.call @tprt_sgd(
// MLIR: @tp_model_manifest({{.*}}\22training\22:{\22loss\22:\22sum\22,\22lr\22:0.050000000000000003,\22optimizer\22:\22sgd\22,\22weight_decay\22:0}

// The step number is fetched once, first; the moments are parameters marked
// as state.
// ADAMW: llvm.func @tp_model_forward(
// ADAMW-NEXT: llvm.mlir.addressof
// ADAMW-NEXT: llvm.call @tprt_step_number(
// ADAMW: llvm.call @tprt_adamw(
// The arena's peak holds one weight's gradient shard (updates free each as
// soon as it is complete) and the forward values kept for the backward
// (the loss among them).
// ADAMW: @tp_model_manifest({{.*}}\22name\22:\22optimizer.w2.weight.exp_avg\22,{{.*}}\22state\22:true
// ADAMW-SAME: \22peak_arena_use\22:{\22gradient_bytes\22:134217728,\22saved_activation_bytes\22:786496}
// ADAMW-SAME: at the arena's peak: parameter gradients 134217728 B, activations kept for the backward 786496 B

// NOTRAIN: tp-compile: error: --lr is an option of --train
// OPTIMIZER: error: unknown optimizer 'adam'; expected sgd or adamw
// LOSS: error: unknown loss 'mse'; expected sum or cross_entropy

// The backward's all-reduces start early and are waited for late; the
// report says what each overlaps.
// OVERLAP: llvm.call @tprt_all_reduce_start(
// OVERLAP: llvm.call @tprt_wait(
// OVERLAP: @tp_model_manifest({{.*}}needed by rms_norm_input_grad of layer 'ffn_norm'\\n overlaps linear_weight_grad 'feed_forward.w1', adamw 'feed_forward.w1.weight'\\n
// BLOCKING-NOT: tprt_all_reduce_start
// BLOCKING-NOT: overlaps
