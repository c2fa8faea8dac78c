// Gradient check: rotary embedding in Hugging Face's convention (`half`)
// between a projection and silu, so that the gradient of the projection's
// weight goes back through rope_grad's pairs (x[i], x[i + head_dim/2]).
tp.parameter @"w.weight" : tensor<16x16xf32>

func.func @forward(%x: tensor<1x4x16xf32>) -> tensor<1x4x16xf32> {
  %w = tp.get_parameter @"w.weight" : tensor<16x16xf32>
  %h = tp.linear "w" %x, %w : tensor<1x4x16xf32>, tensor<16x16xf32>
  %h4 = tp.reshape %h : tensor<1x4x16xf32> -> tensor<1x4x2x8xf32>
  %r = tp.rope %h4 theta 1.0e+04 convention half : tensor<1x4x2x8xf32>
  %r3 = tp.reshape %r : tensor<1x4x2x8xf32> -> tensor<1x4x16xf32>
  %y = tp.silu %r3 : tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}
