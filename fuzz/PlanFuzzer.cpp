//===- PlanFuzzer.cpp - fuzz the plan reader ------------------------------===//
//
// This file fuzzes the parallelization plans tp-apply-plan reads: any plan
// file, applied to a Llama-style block with every kind of layer, is refused
// with a message or shards the model through to runtime calls.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"
#include "ModelPipeline.h"

/// Attention, MLP, norms and an embedding with their module paths, small.
static const char *const kModel = R"mlir(
tp.parameter @"tok_embeddings.weight" : tensor<32x8xf32>
tp.parameter @"attention_norm.weight" : tensor<8xf32>
tp.parameter @"attention.wq.weight" : tensor<8x8xf32>
tp.parameter @"attention.wk.weight" : tensor<4x8xf32>
tp.parameter @"attention.wv.weight" : tensor<4x8xf32>
tp.parameter @"attention.wo.weight" : tensor<8x8xf32>
tp.parameter @"ffn_norm.weight" : tensor<8xf32>
tp.parameter @"feed_forward.w1.weight" : tensor<16x8xf32>
tp.parameter @"feed_forward.w2.weight" : tensor<8x16xf32>
tp.parameter @"feed_forward.w3.weight" : tensor<16x8xf32>
tp.parameter @"output.weight" : tensor<32x8xf32>
func.func @forward(%tokens: tensor<2x4xi64>) -> tensor<2x4x32xf32> {
  %te = tp.get_parameter @"tok_embeddings.weight" : tensor<32x8xf32>
  %h = tp.embedding "tok_embeddings" %tokens, %te : tensor<2x4xi64>, tensor<32x8xf32>
  %an = tp.get_parameter @"attention_norm.weight" : tensor<8xf32>
  %x = tp.rms_norm "attention_norm" %h, %an eps 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  %wq = tp.get_parameter @"attention.wq.weight" : tensor<8x8xf32>
  %wk = tp.get_parameter @"attention.wk.weight" : tensor<4x8xf32>
  %wv = tp.get_parameter @"attention.wv.weight" : tensor<4x8xf32>
  %wo = tp.get_parameter @"attention.wo.weight" : tensor<8x8xf32>
  %q = tp.linear "attention.wq" %x, %wq : tensor<2x4x8xf32>, tensor<8x8xf32>
  %k = tp.linear "attention.wk" %x, %wk : tensor<2x4x8xf32>, tensor<4x8xf32>
  %v = tp.linear "attention.wv" %x, %wv : tensor<2x4x8xf32>, tensor<4x8xf32>
  %q4 = tp.reshape %q : tensor<2x4x8xf32> -> tensor<2x4x2x4xf32>
  %k4 = tp.reshape %k : tensor<2x4x4xf32> -> tensor<2x4x1x4xf32>
  %v4 = tp.reshape %v : tensor<2x4x4xf32> -> tensor<2x4x1x4xf32>
  %qr = tp.rope %q4 theta 1.0e+04 : tensor<2x4x2x4xf32>
  %kr = tp.rope %k4 theta 1.0e+04 : tensor<2x4x1x4xf32>
  %o4 = tp.attention %qr, %kr, %v4 causal : tensor<2x4x2x4xf32>, tensor<2x4x1x4xf32>, tensor<2x4x1x4xf32>
  %o = tp.reshape %o4 : tensor<2x4x2x4xf32> -> tensor<2x4x8xf32>
  %a = tp.linear "attention.wo" %o, %wo : tensor<2x4x8xf32>, tensor<8x8xf32>
  %h2 = tp.add %h, %a : tensor<2x4x8xf32>
  %fn = tp.get_parameter @"ffn_norm.weight" : tensor<8xf32>
  %y = tp.rms_norm "ffn_norm" %h2, %fn eps 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  %w1 = tp.get_parameter @"feed_forward.w1.weight" : tensor<16x8xf32>
  %w2 = tp.get_parameter @"feed_forward.w2.weight" : tensor<8x16xf32>
  %w3 = tp.get_parameter @"feed_forward.w3.weight" : tensor<16x8xf32>
  %g = tp.linear "feed_forward.w1" %y, %w1 : tensor<2x4x8xf32>, tensor<16x8xf32>
  %s = tp.silu %g : tensor<2x4x16xf32>
  %u = tp.linear "feed_forward.w3" %y, %w3 : tensor<2x4x8xf32>, tensor<16x8xf32>
  %m = tp.mul %s, %u : tensor<2x4x16xf32>
  %f = tp.linear "feed_forward.w2" %m, %w2 : tensor<2x4x16xf32>, tensor<8x16xf32>
  %h3 = tp.add %h2, %f : tensor<2x4x8xf32>
  %ow = tp.get_parameter @"output.weight" : tensor<32x8xf32>
  %logits = tp.linear "output" %h3, %ow : tensor<2x4x8xf32>, tensor<32x8xf32>
  return %logits : tensor<2x4x32xf32>
}
)mlir";

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_fuzz::MemoryFile plan(data, size);
  tp_fuzz::runModelPipeline(kModel, "plan=" + plan.path());
  return 0;
}
