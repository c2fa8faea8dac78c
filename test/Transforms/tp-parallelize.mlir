// The whole pipeline on the examples: the collectives each plan implies and
// no others, and the per-rank parameter bytes.

// The seed's FeedForward, w1/w3 colwise, w2 rowwise: exactly one all_reduce,
// after w2, nothing between w1/w3 and w2; parameters 3*8192*8192*4/N bytes.
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:2 plan=%examples/feedforward/plan.json" | FileCheck %s --check-prefixes=FF,FF2
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:4 plan=%examples/feedforward/plan.json" | FileCheck %s --check-prefixes=FF,FF4
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:8 plan=%examples/feedforward/plan.json" | FileCheck %s --check-prefixes=FF,FF8

// FF-LABEL: func.func @forward
// FF2-SAME: %[[X:.*]]: tensor<8x8192xf32> {tp.layout = #tp.layout<@mesh, [R]>}
// FF2: %[[W1:.*]] = tp.get_parameter @w1.weight layout <@mesh, [S(0)]> {{.*}} : tensor<4096x8192xf32>
// FF2: %[[W2:.*]] = tp.get_parameter @w2.weight layout <@mesh, [S(1)]> {{.*}} : tensor<8192x4096xf32>
// FF2: %[[W3:.*]] = tp.get_parameter @w3.weight layout <@mesh, [S(0)]> {{.*}} : tensor<4096x8192xf32>
// FF4: tp.get_parameter @w1.weight layout <@mesh, [S(0)]> {{.*}} : tensor<2048x8192xf32>
// FF8: tp.get_parameter @w1.weight layout <@mesh, [S(0)]> {{.*}} : tensor<1024x8192xf32>
// FF: tp.linear "w1"
// FF-NOT: tp.all_
// FF-NOT: tp.reduce_scatter
// FF-NOT: tp.local_slice
// FF: tp.linear "w2"
// FF-NEXT: %[[Y:.*]] = tp.all_reduce %{{.*}} on @mesh ["tp"]
// FF-SAME: tp.reason = "all_reduce over 'tp' after layer 'w2': Partial(sum) met Replicate
// FF-NOT: tp.all_
// FF-NOT: tp.reduce_scatter
// FF: return %[[Y]]

// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:2 plan=%examples/feedforward/plan.json report=true" -o /dev/null | FileCheck %s --check-prefix=FFREPORT2
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:8 plan=%examples/feedforward/plan.json report-json=%t.json" -o /dev/null
// RUN: FileCheck %s --check-prefix=FFJSON8 < %t.json
// FFREPORT2: total 384.00 MiB 256.00 KiB
// FFREPORT2: collectives: 1
// FFJSON8: "parameter_bytes": 100663296,

// The Llama layer, q/k/v/w1/w3 colwise, wo/w2 rowwise: exactly two
// all_reduces, after wo and after w2.
// RUN: tp-opt %examples/llama-layer/model.mlir --tp-parallelize="mesh=tp:2 plan=%examples/llama-layer/plan.json" | FileCheck %s --check-prefix=LLAMA --implicit-check-not=tp.all_gather --implicit-check-not=tp.reduce_scatter --implicit-check-not=tp.all_to_all --implicit-check-not=tp.local_slice
// LLAMA: tp.linear "attention.wo"
// LLAMA-NEXT: tp.all_reduce
// LLAMA: tp.linear "feed_forward.w2"
// LLAMA-NEXT: tp.all_reduce
// LLAMA-NOT: tp.all_reduce

// With sequence parallelism on the norms: two all_gathers (before q/k/v and
// before w1/w3), two reduce_scatters (after wo and w2), no all_reduce; the
// input arrives split on the sequence.
// RUN: tp-opt %examples/llama-layer/model.mlir --tp-parallelize="mesh=tp:2 plan=%examples/llama-layer/plan.json sequence-parallel=true" | FileCheck %s --check-prefix=SP --implicit-check-not=tp.all_reduce --implicit-check-not=tp.all_to_all --implicit-check-not=tp.local_slice
// SP: func.func @forward({{.*}}: tensor<2x8x256xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>})
// SP: tp.rms_norm "attention_norm"
// SP-NEXT: tp.all_gather {{.*}} dim 1 {{.*}} : tensor<2x8x256xf32> -> tensor<2x16x256xf32>
// SP: tp.linear "attention.wo"
// SP-NEXT: tp.reduce_scatter {{.*}} dim 1 {{.*}} : tensor<2x16x256xf32> -> tensor<2x8x256xf32>
// SP: tp.rms_norm "ffn_norm"
// SP-NEXT: tp.all_gather
// SP: tp.linear "feed_forward.w2"
// SP-NEXT: tp.reduce_scatter
// SP-NOT: tp.all_gather
// SP-NOT: tp.reduce_scatter

// A dp:2,tp:2 mesh: the batch is split on dp, the weights on tp, and no
// collective runs on dp.
// RUN: tp-opt %examples/llama-layer/model.mlir --tp-parallelize="mesh=dp:2,tp:2 plan=%examples/llama-layer/plan.json" | FileCheck %s --check-prefix=DP --implicit-check-not='["dp"]'
// DP: tp.mesh @mesh(dp = 2, tp = 2)
// DP: func.func @forward({{.*}}: tensor<1x16x256xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>})
// DP: tp.get_parameter @attention.wq.weight layout <@mesh, [R, S(0)]> {{.*}} : tensor<128x256xf32>
// DP: tp.all_reduce {{.*}} on @mesh ["tp"]
// DP: tp.all_reduce {{.*}} on @mesh ["tp"]

// The same model with other plans: everything replicated moves nothing;
// w2 colwise gathers its input instead of reducing its output, and the
// output stays split on its features.
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:2 plan=%S/Inputs/ff-replicated.json" | FileCheck %s --check-prefix=REPL --implicit-check-not=tp.all_ --implicit-check-not=tp.reduce_scatter --implicit-check-not=tp.local_slice
// REPL: tp.get_parameter @w1.weight layout <@mesh, [R]> {{.*}} : tensor<8192x8192xf32>
// REPL: return
// RUN: tp-opt %examples/feedforward/model.mlir --tp-parallelize="mesh=tp:2 plan=%S/Inputs/ff-all-colwise.json" | FileCheck %s --check-prefix=COL --implicit-check-not=tp.all_reduce --implicit-check-not=tp.reduce_scatter
// COL: -> (tensor<8x4096xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>})
// COL: tp.mul
// COL-NEXT: tp.all_gather {{.*}} dim 1 {{.*}} : tensor<8x4096xf32> -> tensor<8x8192xf32>
// COL-NEXT: tp.linear "w2"
// COL-NOT: tp.all_gather
