// RUN: tp-opt %s --tp-partition --split-input-file --verify-diagnostics | FileCheck %s

// Every value takes its shard type; parameters are read as shards with their
// layout; collectives switch to their local form; annotations go.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 2, tp = 2)
  tp.parameter @"w1.weight" : tensor<16x8xf32>
  tp.parameter @"w2.weight" : tensor<8x16xf32>
  // CHECK-LABEL: func.func @forward
  // CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>})
  // CHECK-SAME: -> (tensor<2x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>})
  func.func @forward(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>})
      -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(0), R]>}) {
    // CHECK: %[[W1:.*]] = tp.get_parameter @w1.weight layout <@mesh, [R, S(0)]> {{.*}} : tensor<8x8xf32>
    %w1 = tp.get_parameter @"w1.weight" {tp.result_layouts = [#tp.layout<@mesh, [R, S(0)]>]} : tensor<16x8xf32>
    // CHECK: %[[W2:.*]] = tp.get_parameter @w2.weight layout <@mesh, [R, S(1)]> {{.*}} : tensor<8x8xf32>
    %w2 = tp.get_parameter @"w2.weight" {tp.result_layouts = [#tp.layout<@mesh, [R, S(1)]>]} : tensor<8x16xf32>
    // CHECK: %[[H:.*]] = tp.linear "w1" %[[X]], %[[W1]] {{.*}} : tensor<2x8xf32>, tensor<8x8xf32>
    %h = tp.linear "w1" %x, %w1 {tp.result_layouts = [#tp.layout<@mesh, [S(0), S(1)]>]} : tensor<4x8xf32>, tensor<16x8xf32>
    // CHECK: %[[Y:.*]] = tp.linear "w2" %[[H]], %[[W2]] {{.*}} : tensor<2x8xf32>, tensor<8x8xf32>
    %y = tp.linear "w2" %h, %w2 {tp.result_layouts = [#tp.layout<@mesh, [S(0), P(sum)]>]} : tensor<4x16xf32>, tensor<8x16xf32>
    // CHECK: %[[R:.*]] = tp.all_reduce %[[Y]] on @mesh ["tp"] {{.*}} : tensor<2x8xf32>
    %r = tp.all_reduce %y on @mesh ["tp"] {tp.result_layouts = [#tp.layout<@mesh, [S(0), R]>]} : tensor<4x8xf32>
    // CHECK-NOT: tp.annotate
    %a = tp.annotate %r layout <@mesh, [S(0), R]> {tp.result_layouts = [#tp.layout<@mesh, [S(0), R]>]} : tensor<4x8xf32>
    // CHECK: return %[[R]]
    return %a : tensor<4x8xf32>
  }
}

// -----

// Gathers and slices change the local shape along their dim.

module {
  tp.mesh @mesh(tp = 4)
  // CHECK-LABEL: func.func @forward
  func.func @forward(%x: tensor<8x16xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>})
      -> (tensor<8x16xf32> {tp.layout = #tp.layout<@mesh, [S(0)]>}) {
    // CHECK: tp.all_gather %{{.*}} on @mesh ["tp"] dim 1 {{.*}} : tensor<8x4xf32> -> tensor<8x16xf32>
    %g = tp.all_gather %x on @mesh ["tp"] dim 1 {tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<8x16xf32> -> tensor<8x16xf32>
    // CHECK: tp.local_slice %{{.*}} on @mesh ["tp"] dim 0 {{.*}} : tensor<8x16xf32> -> tensor<2x16xf32>
    %s = tp.local_slice %g on @mesh ["tp"] dim 0 {tp.result_layouts = [#tp.layout<@mesh, [S(0)]>]} : tensor<8x16xf32> -> tensor<8x16xf32>
    return %s : tensor<8x16xf32>
  }
}

// -----

// A mean over positions split across ranks: each rank's mean is scaled by
// its share so that the all_reduce adds up to the global mean.

module {
  tp.mesh @mesh(dp = 2)
  // CHECK-LABEL: func.func @forward
  func.func @forward(%logits: tensor<4x16xf32> {tp.layout = #tp.layout<@mesh, [S(0)]>},
                     %labels: tensor<4xi64> {tp.layout = #tp.layout<@mesh, [S(0)]>})
      -> (tensor<f32> {tp.layout = #tp.layout<@mesh, [R]>}) {
    // CHECK: %[[L:.*]] = tp.cross_entropy {{.*}} : tensor<2x16xf32>, tensor<2xi64>
    // CHECK-NEXT: %[[S:.*]] = tp.scale %[[L]] by 5.000000e-01
    // CHECK-NEXT: tp.all_reduce %[[S]]
    %l = tp.cross_entropy %logits, %labels {tp.operand_layouts = [#tp.layout<@mesh, [S(0)]>, #tp.layout<@mesh, [S(0)]>], tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>]} : tensor<4x16xf32>, tensor<4xi64>
    %r = tp.all_reduce %l on @mesh ["dp"] {tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<f32>
    return %r : tensor<f32>
  }
}

// -----

module {
  tp.mesh @mesh(tp = 8)
  func.func @forward(%x: tensor<4x12xf32> {tp.layout = #tp.layout<@mesh, [R]>}) -> tensor<4x12xf32> {
    // expected-error @+1 {{result of tp.silu: dim 1 of size 12 does not divide evenly over mesh axis 'tp' (8 ranks)}}
    %a = tp.silu %x {tp.result_layouts = [#tp.layout<@mesh, [S(1)]>]} : tensor<4x12xf32>
    return %a : tensor<4x12xf32>
  }
}

// -----

module {
  tp.mesh @mesh(tp = 2)
  // expected-error @+1 {{input #0 has no layout; run tp-propagate and tp-reshard before tp-partition}}
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    return %x : tensor<4x8xf32>
  }
}
