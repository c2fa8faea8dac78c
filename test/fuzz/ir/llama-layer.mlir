module attributes {tp.plan = {"plan" = {"attention.wq" = "colwise", "attention.wk" = "colwise", "attention.wv" = "colwise", "attention.wo" = "rowwise", "feed_forward.w1" = "colwise", "feed_forward.w2" = "rowwise", "feed_forward.w3" = "colwise"}}} {

tp.parameter @"attention.wq.weight" : tensor<256x256xf32>
tp.parameter @"attention.wk.weight" : tensor<128x256xf32>
tp.parameter @"attention.wv.weight" : tensor<128x256xf32>
tp.parameter @"attention.wo.weight" : tensor<256x256xf32>
tp.parameter @"feed_forward.w1.weight" : tensor<768x256xf32>
tp.parameter @"feed_forward.w2.weight" : tensor<256x768xf32>
tp.parameter @"feed_forward.w3.weight" : tensor<768x256xf32>
tp.parameter @"attention_norm.weight" : tensor<256xf32>
tp.parameter @"ffn_norm.weight" : tensor<256xf32>

func.func @forward(%x: tensor<2x16x256xf32>) -> tensor<2x16x256xf32> {
  %wq = tp.get_parameter @"attention.wq.weight" : tensor<256x256xf32>
  %wk = tp.get_parameter @"attention.wk.weight" : tensor<128x256xf32>
  %wv = tp.get_parameter @"attention.wv.weight" : tensor<128x256xf32>
  %wo = tp.get_parameter @"attention.wo.weight" : tensor<256x256xf32>
  %w1 = tp.get_parameter @"feed_forward.w1.weight" : tensor<768x256xf32>
  %w2 = tp.get_parameter @"feed_forward.w2.weight" : tensor<256x768xf32>
  %w3 = tp.get_parameter @"feed_forward.w3.weight" : tensor<768x256xf32>
  %attn_norm_w = tp.get_parameter @"attention_norm.weight" : tensor<256xf32>
  %ffn_norm_w = tp.get_parameter @"ffn_norm.weight" : tensor<256xf32>

  // attention_norm(x)
  %xn = tp.rms_norm "attention_norm" %x, %attn_norm_w eps 1.0e-05
      : tensor<2x16x256xf32>, tensor<256xf32>

  // Attention. Q/K/V projections: xq = wq(x), xk = wk(x), xv = wv(x).
  %q = tp.linear "attention.wq" %xn, %wq
      : tensor<2x16x256xf32>, tensor<256x256xf32>
  %k = tp.linear "attention.wk" %xn, %wk
      : tensor<2x16x256xf32>, tensor<128x256xf32>
  %v = tp.linear "attention.wv" %xn, %wv
      : tensor<2x16x256xf32>, tensor<128x256xf32>
  // Split the features into heads: [b, s, heads * head_dim] ->
  // [b, s, heads, head_dim] (16 query heads, 8 key/value heads).
  %xq = tp.reshape %q : tensor<2x16x256xf32> -> tensor<2x16x16x16xf32>
  %xk = tp.reshape %k : tensor<2x16x128xf32> -> tensor<2x16x8x16xf32>
  %xv = tp.reshape %v : tensor<2x16x128xf32> -> tensor<2x16x8x16xf32>
  // Rotary position embedding on queries and keys (apply_rotary_emb).
  %rq = tp.rope %xq theta 5.000000e+05 : tensor<2x16x16x16xf32>
  %rk = tp.rope %xk theta 5.000000e+05 : tensor<2x16x8x16xf32>
  // Causal scaled-dot-product attention, scale 1/sqrt(head_dim); each pair
  // of query heads shares one key/value head (repeat_kv), done by the op.
  %o = tp.attention %rq, %rk, %xv causal
      : tensor<2x16x16x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32>
  // Merge the heads back: [b, s, heads, head_dim] -> [b, s, dim].
  %om = tp.reshape %o : tensor<2x16x16x16xf32> -> tensor<2x16x256xf32>
  // Output projection wo.
  %attn = tp.linear "attention.wo" %om, %wo
      : tensor<2x16x256xf32>, tensor<256x256xf32>

  // Residual: h = x + attention(attention_norm(x)).
  %h = tp.add %x, %attn : tensor<2x16x256xf32>

  // ffn_norm(h)
  %hn = tp.rms_norm "ffn_norm" %h, %ffn_norm_w eps 1.0e-05
      : tensor<2x16x256xf32>, tensor<256xf32>

  // Feed-forward (SwiGLU): w2(silu(w1(x)) * w3(x)).
  %g = tp.linear "feed_forward.w1" %hn, %w1
      : tensor<2x16x256xf32>, tensor<768x256xf32>
  %u = tp.linear "feed_forward.w3" %hn, %w3
      : tensor<2x16x256xf32>, tensor<768x256xf32>
  %sg = tp.silu %g : tensor<2x16x768xf32>
  %gu = tp.mul %sg, %u : tensor<2x16x768xf32>
  %ff = tp.linear "feed_forward.w2" %gu, %w2
      : tensor<2x16x768xf32>, tensor<256x768xf32>

  // Residual: out = h + feed_forward(ffn_norm(h)).
  %out = tp.add %h, %ff : tensor<2x16x256xf32>
  return %out : tensor<2x16x256xf32>
}
}
