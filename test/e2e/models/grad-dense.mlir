// Gradient check: linear with bias, gelu (exact and tanh), relu, add, mul,
// layer_norm with bias, softmax, transpose, reshape, scale and sum.
tp.parameter @"lin.weight" : tensor<6x8xf32>
tp.parameter @"lin.bias" : tensor<6xf32>
tp.parameter @"ln.weight" : tensor<6xf32>
tp.parameter @"ln.bias" : tensor<6xf32>

func.func @forward(%x: tensor<2x3x8xf32>) -> tensor<2x18xf32> {
  %w = tp.get_parameter @"lin.weight" : tensor<6x8xf32>
  %b = tp.get_parameter @"lin.bias" : tensor<6xf32>
  %lw = tp.get_parameter @"ln.weight" : tensor<6xf32>
  %lb = tp.get_parameter @"ln.bias" : tensor<6xf32>
  %h = tp.linear "lin" %x, %w, %b : tensor<2x3x8xf32>, tensor<6x8xf32>, tensor<6xf32>
  %a = tp.gelu %h : tensor<2x3x6xf32>
  %c = tp.gelu %h tanh : tensor<2x3x6xf32>
  %r = tp.relu %h : tensor<2x3x6xf32>
  %ac = tp.mul %a, %c : tensor<2x3x6xf32>
  %u = tp.add %ac, %r : tensor<2x3x6xf32>
  %n = tp.layer_norm "ln" %u, %lw, %lb eps 1.0e-05 : tensor<2x3x6xf32>, tensor<6xf32>, tensor<6xf32>
  %s = tp.softmax %n : tensor<2x3x6xf32>
  %y = tp.mul %s, %n : tensor<2x3x6xf32>
  %t = tp.transpose %y [0, 2, 1] : tensor<2x3x6xf32>
  %f = tp.reshape %t : tensor<2x6x3xf32> -> tensor<2x18xf32>
  %o = tp.scale %f by 0.5 : tensor<2x18xf32>
  return %o : tensor<2x18xf32>
}
