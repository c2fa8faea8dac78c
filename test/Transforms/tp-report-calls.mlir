// tp-report counts only collectives: other ops that use symbols (a call)
// are computation, and a value nobody reads is freed at once in the peak
// estimate.
// RUN: tp-opt %s --tp-report -o /dev/null | FileCheck %s

// CHECK: total 0.00 B 0.00 B
// CHECK: peak activations (estimate): 256.00 B
// CHECK: collectives: 0

module {
  tp.mesh @mesh(tp = 2)
  func.func private @helper(tensor<4x8xf32>) -> tensor<4x8xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %unused = tp.relu %x : tensor<4x8xf32>
    %y = func.call @helper(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
