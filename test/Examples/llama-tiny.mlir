// The tiny full Llama parses and round-trips, and with the Llama 3 example's
// plan (embedding rowwise with replicated input, sequence-parallel norms,
// output colwise delivering replicated logits) gets exactly the collectives
// that plan implies: a reduce_scatter after the embedding; per layer an
// all_gather before q/k/v, a reduce_scatter after wo, an all_gather before
// w1/w3 and a reduce_scatter after w2; an all_gather before the output
// projection and one of the logits. No all_reduce, no all_to_all.
// RUN: tp-opt %examples/llama-tiny/model.mlir > %t.1.mlir
// RUN: tp-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: tp-opt %examples/llama-tiny/model.mlir --tp-parallelize="plan=%examples/llama-tiny/plan.json" | FileCheck %s --implicit-check-not=tp.all_reduce --implicit-check-not=tp.all_to_all --implicit-check-not=tp.local_slice

// CHECK: func.func @forward
// CHECK-SAME: tensor<2x16xi64> {tp.layout = #tp.layout<@mesh, [R]>}
// CHECK-SAME: -> (tensor<2x16x128xf32> {tp.layout = #tp.layout<@mesh, [R]>})
// CHECK: tp.get_parameter @tok_embeddings.weight layout <@mesh, [S(0)]> {{.*}} : tensor<64x64xf32>
// CHECK: tp.embedding "tok_embeddings"
// CHECK-NEXT: tp.reduce_scatter {{.*}} dim 1
// CHECK: tp.rms_norm "layers.0.attention_norm"
// CHECK-NEXT: tp.all_gather {{.*}} dim 1 {{.*}} needed by layer 'layers.0.attention.wq'
// CHECK-NOT: tp.reduce_scatter
// CHECK: tp.linear "layers.0.attention.wo"
// CHECK-NEXT: tp.reduce_scatter {{.*}} dim 1
// CHECK: tp.rms_norm "layers.0.ffn_norm"
// CHECK-NEXT: tp.all_gather {{.*}} dim 1
// CHECK: tp.linear "layers.0.feed_forward.w2"
// CHECK-NEXT: tp.reduce_scatter {{.*}} dim 1
// CHECK: tp.rms_norm "layers.1.attention_norm"
// CHECK-NEXT: tp.all_gather {{.*}} dim 1
// CHECK: tp.linear "layers.1.attention.wo"
// CHECK-NEXT: tp.reduce_scatter {{.*}} dim 1
// CHECK: tp.rms_norm "layers.1.ffn_norm"
// CHECK-NEXT: tp.all_gather {{.*}} dim 1
// CHECK: tp.linear "layers.1.feed_forward.w2"
// CHECK-NEXT: tp.reduce_scatter {{.*}} dim 1
// CHECK: tp.rms_norm "norm"
// CHECK-NEXT: tp.all_gather {{.*}} dim 1 {{.*}} needed by layer 'output'
// CHECK: tp.linear "output"
// CHECK-NEXT: tp.all_gather {{.*}} dim 2 {{.*}} : tensor<2x16x64xf32> -> tensor<2x16x128xf32>
// CHECK-NOT: tp.all_gather
// CHECK-NOT: tp.reduce_scatter
