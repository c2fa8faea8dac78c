module attributes {tp.plan = {"plan" = {"tok_embeddings" = {"style" = "rowwise", "input_layouts" = "replicate", "output_layouts" = "shard(1)"}, "norm" = "sequence_parallel", "output" = {"style" = "colwise", "input_layouts" = "shard(1)", "output_layouts" = "replicate"}, "layers.*.attention_norm" = "sequence_parallel", "layers.*.attention.wq" = "colwise", "layers.*.attention.wk" = "colwise", "layers.*.attention.wv" = "colwise", "layers.*.attention.wo" = {"style" = "rowwise", "output_layouts" = "shard(1)"}, "layers.*.ffn_norm" = "sequence_parallel", "layers.*.fee`_forward.w1" = "colwise", "layers.*.feed_forward.w3" = "colwise", "layers.*.feed_forward.w2" = {"style" = "rowwise", "output_layouts" = "shard(1)"}}}} {

tp.parameter @"tok_embeddings.weight" : tensor<128x64xf32>
tp.parameter @"layers.0.attention.wq.weight" : tensor<64x64xf32>
tp.parameter @"layers.0.attention.wk.weight" : tensor<32x64xf32>
tp.parameter @"layers.0.attention.wv.weight" : tensor<32x64xf32>
tp.parameter @"layers.0.attention.wo.weight" : tensor<64x64xf32>
tp.parameter @"layers.0.feed_forward.w1.weight" : tensor<192x64xf32>
tp.parameter @"layers.0.feed_forward.w2.weight" : tensor<64x192xf32>
tp.parameter @"layers.0.feed_forward.w3.weight" : tensor<192x64xf32>
tp.parameter @"layers.0.attention_norm.weight" : tensor<64xf32>
tp.parameter @"layers.0.ffn_norm.weight" : tensor<64xf32>
tp.parameter @"layers.1.attention.wq.weight" : tensor<64x64xf32>
tp.parameter @"layers.1.attention.wk.weight" : tensor<32x64xf32>
tp.parameter @"layers.1.attention.wv.weight" : tensor<32x64xf32>
tp.parameter @"layers.1.attention.wo.weight" : tensor<64x64xf32>
tp.parameter @"layers.1.feed_forward.w1.weight" : tensor<192x64xf32>
tp.parameter @"layers.1.feed_forward.w2.weight" : tensor<64x192xf32>
tp.parameter @"layers.1.feed_forward.w3.weight" : tensor<192x64xf32>
tp.parameter @"layers.1.attention_norm.weight" : tensor<64xf32>
tp.parameter @"layers.1.ffn_norm.weight" : tensor<64xf32>
tp.parameter @"norm.weight" : tensor<64xf32>
tp.parameter @"output.weight" : tensor<128x64xf32>

func.func @forward(%tokens: tensor<2x16xi64>) -> tensor<2x16x128xf32> {
  // tok_embeddings: token ids -> [b, s, dim].
  %tok_embeddings_w = tp.get_parameter @"tok_embeddings.weight" : tensor<128x64xf32>
  %h = tp.embedding "tok_embeddings" %tokens, %tok_embeddings_w
      : tensor<2x16xi64>, tensor<128x64xf32>

  // layers.0: h = h + attention(attention_norm(h)); h = h + feed_forward(ffn_norm(h)).
  %l0_attention_norm_w = tp.get_parameter @"layers.0.attention_norm.weight" : tensor<64xf32>
  %l0_xn = tp.rms_norm "layers.0.attention_norm" %h, %l0_attention_norm_w eps 1.0e-05
      : tensor<2x16x64xf32>, tensor<64xf32>
  %l0_wq = tp.get_parameter @"layers.0.attention.wq.weight" : tensor<64x64xf32>
  %l0_q = tp.linear "layers.0.attention.wq" %l0_xn, %l0_wq
      : tensor<2x16x64xf32>, tensor<64x64xf32>
  %l0_wk = tp.get_parameter @"layers.0.attention.wk.weight" : tensor<32x64xf32>
  %l0_k = tp.linear "layers.0.attention.wk" %l0_xn, %l0_wk
      : tensor<2x16x64xf32>, tensor<32x64xf32>
  %l0_wv = tp.get_parameter @"layers.0.attention.wv.weight" : tensor<32x64xf32>
  %l0_v = tp.linear "layers.0.attention.wv" %l0_xn, %l0_wv
      : tensor<2x16x64xf32>, tensor<32x64xf32>
  // Split into heads, rope on queries and keys, causal GQA attention, merge.
  %l0_xq = tp.reshape %l0_q : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
  %l0_xk = tp.reshape %l0_k : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %l0_xv = tp.reshape %l0_v : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %l0_rq = tp.rope %l0_xq theta 5.000000e+05 : tensor<2x16x8x8xf32>
  %l0_rk = tp.rope %l0_xk theta 5.000000e+05 : tensor<2x16x4x8xf32>
  %l0_o = tp.attention %l0_rq, %l0_rk, %l0_xv causal
      : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
  %l0_om = tp.reshape %l0_o : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
  %l0_wo = tp.get_parameter @"layers.0.attention.wo.weight" : tensor<64x64xf32>
  %l0_attn = tp.linear "layers.0.attention.wo" %l0_om, %l0_wo
      : tensor<2x16x64xf32>, tensor<64x64xf32>
  %l0_h = tp.add %h, %l0_attn : tensor<2x16x64xf32>
  %l0_ffn_norm_w = tp.get_parameter @"layers.0.ffn_norm.weight" : tensor<64xf32>
  %l0_hn = tp.rms_norm "layers.0.ffn_norm" %l0_h, %l0_ffn_norm_w eps 1.0e-05
      : tensor<2x16x64xf32>, tensor<64xf32>
  // Feed-forward (SwiGLU): w2(silu(w1(x)) * w3(x)).
  %l0_w1 = tp.get_parameter @"layers.0.feed_forward.w1.weight" : tensor<192x64xf32>
  %l0_g = tp.linear "layers.0.feed_forward.w1" %l0_hn, %l0_w1
      : tensor<2x16x64xf32>, tensor<192x64xf32>
  %l0_w3 = tp.get_parameter @"layers.0.feed_forward.w3.weight" : tensor<192x64xf32>
  %l0_u = tp.linear "layers.0.feed_forward.w3" %l0_hn, %l0_w3
      : tensor<2x16x64xf32>, tensor<192x64xf32>
  %l0_sg = tp.silu %l0_g : tensor<2x16x192xf32>
  %l0_gu = tp.mul %l0_sg, %l0_u : tensor<2x16x192xf32>
  %l0_w2 = tp.get_parameter @"layers.0.feed_forward.w2.weight" : tensor<64x192xf32>
  %l0_ff = tp.linear "layers.0.feed_forward.w2" %l0_gu, %l0_w2
      : tensor<2x16x192xf32>, tensor<64x192xf32>
  %l0_out = tp.add %l0_h, %l0_ff : tensor<2x16x64xf32>

  // layers.1: h = h + attention(attention_norm(h)); h = h + feed_forward(ffn_norm(h)).
  %l1_attention_norm_w = tp.get_parameter @"layers.1.attention_norm.weight" : tensor<64xf32>
  %l1_xn = tp.rms_norm "layers.1.attention_norm" %l0_out, %l1_attention_norm_w eps 1.0e-05
      : tensor<2x16x64xf32>, tensor<64xf32>
  %l1_wq = tp.get_parameter @"layers.1.attention.wq.weight" : tensor<64x64xf32>
  %l1_q = tp.linear "layers.1.attention.wq" %l0_xn, %l1_wq
      : tensor<2x16x64xf32>, tensor<64x64xf32>
  %l1_wk = tp.get_parameter @"layers.1.attention.wk.weight" : tensor<32x64xf32>
  %l1_k = tp.linear "layers.1.attention.wk" %l1_xn, %l1_wk
      : tensor<2x16x64xf32>, tensor<32x64xf32>
  %l1_wv = tp.get_parameter @"layers.1.attention.wv.weight" : tensor<32x64xf32>
  %l1_v = tp.linear "layers.1.attention.wv" %l1_xn, %l1_wv
      : tensor<2x16x64xf32>, tensor<32x64xf32>
  // Split into heads, rope on queries and keys, causal GQA attention, merge.
  %l1_xq = tp.reshape %l1_q : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
  %l1_xk = tp.reshape %l1_k : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %l1_xv = tp.reshape %l1_v : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %l1_rq = tp.rope %l1_xq theta 5.000000e+05 : tensor<2x16x8x8xf32>
  %l1_rk = tp.rope %l1_xk theta 5.000000e+05 : tensor<2x16x4x8xf32>
  %l1_o = tp.attention %l1_rq, %l1_rk, %l1_xv causal
      : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
  %l1_om = tp.reshape %l1_o : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
  %l1_wo = tp.get_parameter @"layers.1.attention.wo.weight" : tensor<64x64xf32>
  %l1_attn = tp.linear "layers.1.attention.wo" %l1_om, %l1_wo
      : tensor<2x16x64xf32>, tensor<64x64xf32>
  %l1_h = tp.add %l0_out, %l1_attn : tensor<2x16x64xf32>
  %l1_ffn_norm_w = tp.get_parameter @"layers.1.ffn_norm.weight" : tensor<64xf32>
  %l1_hn = tp.rms_norm "layers.1.ffn_norm" %l1_h, %l1_ffn_norm_w eps 1.0e-05
      : tensor<2x16x64xf32>, tensor<64xf32>
  // Feed-forward (SwiGLU): w2(silu(w1(x)) * w3(x)).
  %l1_w1 = tp.get_parameter @"layers.1.feed_forward.w1.weight" : tensor<192x64xf32>
  %l1_g = tp.linear "layers.1.feed_forward.w1" %l1_hn, %l1_w1
      : tensor<2x16x64xf32>, tensor<192x64xf32>
  %l1_w3 = tp.get_parameter @"layers.1.feed_forward.w3.weight" : tensor<192x64xf32>
  %l1_u = tp.linear "layers.1.feed_forward.w3" %l1_hn, %l1_w3
      : tensor<2x16x64xf32>, tensor<192x64xf32>
  %l1_sg = tp.silu %l1_g : tensor<2x16x192xf32>
  %l1_gu = tp.mul %l1_sg, %l1_u : tensor<2x16x192xf32>
  %l1_w2 = tp.get_parameter @"layers.1.feed_forward.w2.weight" : tensor<64x192xf32>
  %l1_ff = tp.linear "layers.1.feed_forward.w2" %l1_gu, %l1_w2
      : tensor<2x16x192xf32>, tensor<64x192xf32>
  %l1_out = tp.add %l1_h, %l1_ff : tensor<2x16x64xf32>

  // Final norm and the output projection to the vocabulary.
  %norm_w = tp.get_parameter @"norm.weight" : tensor<64xf32>
  %hn = tp.rms_norm "norm" %l1_out, %norm_w eps 1.0e-05
      : tensor<2x16x64xf32>, tensor<64xf32>
  %output_w = tp.get_parameter @"output.weight" : tensor<128x64xf32>
  %logits = tp.linear "output" %hn, %output_w
      : tensor<2x16x64xf32>, tensor<128x64xf32>
  return %logits : tensor<2x16x128xf32>
}
}
