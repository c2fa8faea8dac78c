module attributes {tp.plan = {"plan" = {"w1" = "colwise", "w2" = "rowwise", "w3" = "colwise"}}} {

tp.parameter @"w1.weight" : tensor<8192x8192xf32>
tp.parameter @"w2.weight" : tensor<8192x8192xf32>
tp.parameter @"w3.weight" : tensor<8192x8192xf32>

func.func @forward(%x: tensor<8x8192xf32>) -> tensor<8x8192xf32> {
  %w1 = tp.get_parameter @"w1.weight" : tensor<8192x8192xf32>
  %w2 = tp.get_parameter @"w2.weight" : tensor<8192x8192xf32>
  %w3 = tp.get_parameter @"w3.weight" : tensor<8192x8192xf32>
  %h1 = tp.linear "w1" %x, %w1 : tensor<8x8192xf32>, tensor<8192x8192xf32>
  %a = tp.silu %h1 : tensor<8x8192xf32>
  %h3 = tp.linear "w3" %x, %w3 : tensor<8x8192xf32>, tensor<8192x8192xf32>
  %g = tp.mul %a, %h3 : tensor<8x8192xf32>
  %y = tp.linear "w2" %g, %w2 : tensor<8x8192xf32>, tensor<8192x8192xf32>
  return %y : tensor<8x8192xf32>
}
}
