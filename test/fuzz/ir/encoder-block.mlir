module attributes {tp.plan = {"plan" = {"self_attn.q_proj" = "colwise", "self_attn.k_proj" = "colwise", "self_attn.v_proj" = "colwise", "self_attn.out_proj" = "rowwise", "fc1" = "colwise", "fc2" = "rowwise"}}} {

tp.parameter @"self_attn_layer_norm.weight" : tensor<64xf32>
tp.parameter @"self_attn_layer_norm.bias" : tensor<64xf32>
tp.parameter @"self_attn.q_proj.weight" : tensor<64x64xf32>
tp.parameter @"self_attn.q_proj.bias" : tensor<64xf32>
tp.parameter @"self_attn.k_proj.weight" : tensor<64x64xf32>
tp.parameter @"self_attn.k_proj.bias" : tensor<64xf32>
tp.parameter @"self_attn.v_proj.weight" : tensor<64x64xf32>
tp.parameter @"self_attn.v_proj.bias" : tensor<64xf32>
tp.parameter @"self_attn.out_proj.weight" : tensor<64x64xf32>
tp.parameter @"self_attn.out_proj.bias" : tensor<64xf32>
tp.parameter @"final_layer_norm.weight" : tensor<64xf32>
tp.parameter @"final_layer_norm.bias" : tensor<64xf32>
tp.parameter @"fc1.weight" : tensor<256x64xf32>
tp.parameter @"fc1.bias" : tensor<256xf32>
tp.parameter @"fc2.weight" : tensor<64x256xf32>
tp.parameter @"fc2.bias" : tensor<64xf32>

func.func @forward(%x: tensor<2x8x64xf32>) -> (tensor<2x8x64xf32>, tensor<f32>) {
  %ln1_w = tp.get_parameter @"self_attn_layer_norm.weight" : tensor<64xf32>
  %ln1_b = tp.get_parameter @"self_attn_layer_norm.bias" : tensor<64xf32>
  %n1 = tp.layer_norm "self_attn_layer_norm" %x, %ln1_w, %ln1_b eps 1.0e-05
      : tensor<2x8x64xf32>, tensor<64xf32>, tensor<64xf32>

  // Projections, then [b, s, heads*hd] -> [b, heads, s, hd] (k: [b, heads, hd, s]).
  %wq = tp.get_parameter @"self_attn.q_proj.weight" : tensor<64x64xf32>
  %bq = tp.get_parameter @"self_attn.q_proj.bias" : tensor<64xf32>
  %wk = tp.get_parameter @"self_attn.k_proj.weight" : tensor<64x64xf32>
  %bk = tp.get_parameter @"self_attn.k_proj.bias" : tensor<64xf32>
  %wv = tp.get_parameter @"self_attn.v_proj.weight" : tensor<64x64xf32>
  %bv = tp.get_parameter @"self_attn.v_proj.bias" : tensor<64xf32>
  %q = tp.linear "self_attn.q_proj" %n1, %wq, %bq
      : tensor<2x8x64xf32>, tensor<64x64xf32>, tensor<64xf32>
  %k = tp.linear "self_attn.k_proj" %n1, %wk, %bk
      : tensor<2x8x64xf32>, tensor<64x64xf32>, tensor<64xf32>
  %v = tp.linear "self_attn.v_proj" %n1, %wv, %bv
      : tensor<2x8x64xf32>, tensor<64x64xf32>, tensor<64xf32>
  %q4 = tp.reshape %q : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
  %k4 = tp.reshape %k : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
  %v4 = tp.reshape %v : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
  %qh = tp.transpose %q4 [0, 2, 1, 3] : tensor<2x8x4x16xf32>
  %kt = tp.transpose %k4 [0, 2, 3, 1] : tensor<2x8x4x16xf32>
  %vh = tp.transpose %v4 [0, 2, 1, 3] : tensor<2x8x4x16xf32>

  // softmax(q k^T / sqrt(16)) v, per batch and head.
  %s = tp.matmul %qh, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>
  %ss = tp.scale %s by 2.500000e-01 : tensor<2x4x8x8xf32>
  %p = tp.softmax %ss : tensor<2x4x8x8xf32>
  %o = tp.matmul %p, %vh : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>
  %ot = tp.transpose %o [0, 2, 1, 3] : tensor<2x4x8x16xf32>
  %om = tp.reshape %ot : tensor<2x8x4x16xf32> -> tensor<2x8x64xf32>

  %wo = tp.get_parameter @"self_attn.out_proj.weight" : tensor<64x64xf32>
  %bo = tp.get_parameter @"self_attn.out_proj.bias" : tensor<64xf32>
  %a = tp.linear "self_attn.out_proj" %om, %wo, %bo
      : tensor<2x8x64xf32>, tensor<64x64xf32>, tensor<64xf32>
  %h = tp.add %x, %a : tensor<2x8x64xf32>

  // The MLP.
  %ln2_w = tp.get_parameter @"final_layer_norm.weight" : tensor<64xf32>
  %ln2_b = tp.get_parameter @"final_layer_norm.bias" : tensor<64xf32>
  %n2 = tp.layer_norm "final_layer_norm" %h, %ln2_w, %ln2_b eps 1.0e-05
      : tensor<2x8x64xf32>, tensor<64xf32>, tensor<64xf32>
  %w1 = tp.get_parameter @"fc1.weight" : tensor<256x64xf32>
  %b1 = tp.get_parameter @"fc1.bias" : tensor<256xf32>
  %w2 = tp.get_parameter @"fc2.weight" : tensor<64x256xf32>
  %b2 = tp.get_parameter @"fc2.bias" : tensor<64xf32>
  %f1 = tp.linear "fc1" %n2, %w1, %b1
      : tensor<2x8x64xf32>, tensor<256x64xf32>, tensor<256xf32>
  %g = tp.gelu %f1 : tensor<2x8x256xf32>
  %f2 = tp.linear "fc2" %g, %w2, %b2
      : tensor<2x8x256xf32>, tensor<64x256xf32>, tensor<64xf32>
  %y = tp.add %h, %f2 : tensor<2x8x64xf32>
  %loss = tp.sum %y : tensor<2x8x64xf32>
  return %y, %loss : tensor<2x8x64xf32>, tensor<f32>
}
}
