// The seed's FeedForward in bf16 (mixed-precision training), small enough to train in a test: dim 64, hidden
// 128, a batch of 8 (dp:2 splits it, tp:4 the hidden features).
tp.parameter @"w1.weight" : tensor<128x64xbf16>
tp.parameter @"w2.weight" : tensor<64x128xbf16>
tp.parameter @"w3.weight" : tensor<128x64xbf16>

func.func @forward(%x: tensor<8x64xbf16>) -> tensor<8x64xbf16> {
  %w1 = tp.get_parameter @"w1.weight" : tensor<128x64xbf16>
  %w2 = tp.get_parameter @"w2.weight" : tensor<64x128xbf16>
  %w3 = tp.get_parameter @"w3.weight" : tensor<128x64xbf16>
  %h1 = tp.linear "w1" %x, %w1 : tensor<8x64xbf16>, tensor<128x64xbf16>
  %a = tp.silu %h1 : tensor<8x128xbf16>
  %h3 = tp.linear "w3" %x, %w3 : tensor<8x64xbf16>, tensor<128x64xbf16>
  %g = tp.mul %a, %h3 : tensor<8x128xbf16>
  %y = tp.linear "w2" %g, %w2 : tensor<8x128xbf16>, tensor<64x128xbf16>
  return %y : tensor<8x64xbf16>
}
