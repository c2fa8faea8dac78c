// Gradient check: rms_norm, grouped-query causal attention with rope, the
// projections, silu and a batched matmul with a parameter.
tp.parameter @"norm.weight" : tensor<16xf32>
tp.parameter @"wq.weight" : tensor<16x16xf32>
tp.parameter @"wk.weight" : tensor<8x16xf32>
tp.parameter @"wv.weight" : tensor<8x16xf32>
tp.parameter @"wo.weight" : tensor<16x16xf32>
tp.parameter @"proj" : tensor<1x16x4xf32>

func.func @forward(%x: tensor<1x4x16xf32>) -> tensor<1x4x4xf32> {
  %nw = tp.get_parameter @"norm.weight" : tensor<16xf32>
  %wq = tp.get_parameter @"wq.weight" : tensor<16x16xf32>
  %wk = tp.get_parameter @"wk.weight" : tensor<8x16xf32>
  %wv = tp.get_parameter @"wv.weight" : tensor<8x16xf32>
  %wo = tp.get_parameter @"wo.weight" : tensor<16x16xf32>
  %p = tp.get_parameter @"proj" : tensor<1x16x4xf32>
  %h = tp.rms_norm "norm" %x, %nw eps 1.0e-05 : tensor<1x4x16xf32>, tensor<16xf32>
  %q = tp.linear "wq" %h, %wq : tensor<1x4x16xf32>, tensor<16x16xf32>
  %k = tp.linear "wk" %h, %wk : tensor<1x4x16xf32>, tensor<8x16xf32>
  %v = tp.linear "wv" %h, %wv : tensor<1x4x16xf32>, tensor<8x16xf32>
  %q4 = tp.reshape %q : tensor<1x4x16xf32> -> tensor<1x4x4x4xf32>
  %k4 = tp.reshape %k : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %v4 = tp.reshape %v : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %qr = tp.rope %q4 theta 1.0e+04 : tensor<1x4x4x4xf32>
  %kr = tp.rope %k4 theta 1.0e+04 : tensor<1x4x2x4xf32>
  %o = tp.attention %qr, %kr, %v4 causal : tensor<1x4x4x4xf32>, tensor<1x4x2x4xf32>, tensor<1x4x2x4xf32>
  %o3 = tp.reshape %o : tensor<1x4x4x4xf32> -> tensor<1x4x16xf32>
  %y = tp.linear "wo" %o3, %wo : tensor<1x4x16xf32>, tensor<16x16xf32>
  %a = tp.silu %y : tensor<1x4x16xf32>
  %m = tp.matmul %a, %p : tensor<1x4x16xf32>, tensor<1x16x4xf32>
  return %m : tensor<1x4x4xf32>
}
