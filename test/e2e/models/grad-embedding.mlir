// Gradient check: an embedding, an output projection and the cross-entropy
// loss (tp-compile --loss cross_entropy).
tp.parameter @"tok.weight" : tensor<10x8xf32>
tp.parameter @"out.weight" : tensor<12x8xf32>

func.func @forward(%ids: tensor<2x3xi64>) -> tensor<2x3x12xf32> {
  %t = tp.get_parameter @"tok.weight" : tensor<10x8xf32>
  %w = tp.get_parameter @"out.weight" : tensor<12x8xf32>
  %h = tp.embedding "tok" %ids, %t : tensor<2x3xi64>, tensor<10x8xf32>
  %l = tp.linear "out" %h, %w : tensor<2x3x8xf32>, tensor<12x8xf32>
  return %l : tensor<2x3x12xf32>
}
