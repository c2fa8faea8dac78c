// RUN: tp-opt %s --tp-report="json=%t.json" -o /dev/null | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: tp-opt %s --tp-report="json=%t.missing/dir/r.json" -o /dev/null --verify-diagnostics

// A rank's program on tp:2: w1 colwise, w2 rowwise, one all_reduce.
// Per rank: w1 and w2 are 16*8*4/2 = 256 bytes each; the all_reduce sends
// 2*(2-1)/2 of its 4*8*4 = 128-byte buffer.

// CHECK: tp-report: mesh tp:2 (2 ranks); bytes per rank
// CHECK: layer parameters collectives
// CHECK-NEXT: w1 256.00 B 0.00 B
// CHECK-NEXT: w2 256.00 B 128.00 B
// CHECK-NEXT: total 512.00 B 128.00 B
// CHECK: peak activations (estimate): 256.00 B
// CHECK: collectives: 1
// CHECK-NEXT: all_reduce over tp tensor<4x8xf32> 128.00 B all_reduce over 'tp' after layer 'w2': Partial(sum) met Replicate

// JSON: "collective_bytes": 128,
// JSON: "collectives": [
// JSON: "bytes_per_rank": 128,
// JSON: "group_size": 2,
// JSON: "layer": "w2",
// JSON: "op": "all_reduce",
// JSON: "layers": [
// JSON: "layer": "w1",
// JSON-NEXT: "parameter_bytes": 256
// JSON: "mesh": "tp:2",
// JSON: "parameter_bytes": 512,
// JSON: "peak_activation_bytes": 256,
// JSON: "ranks": 2

// expected-error @below {{cannot write the JSON report}}
module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w1.weight" : tensor<16x8xf32>
  tp.parameter @"w2.weight" : tensor<8x16xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w1 = tp.get_parameter @"w1.weight" layout <@mesh, [S(0)]> : tensor<8x8xf32>
    %w2 = tp.get_parameter @"w2.weight" layout <@mesh, [S(1)]> : tensor<8x8xf32>
    %h = tp.linear "w1" %x, %w1 : tensor<4x8xf32>, tensor<8x8xf32>
    %y = tp.linear "w2" %h, %w2 : tensor<4x8xf32>, tensor<8x8xf32>
    %r = tp.all_reduce %y on @mesh ["tp"] {tp.reason = "all_reduce over 'tp' after layer 'w2': Partial(sum) met Replicate, needed by the function result #0"} : tensor<4x8xf32>
    return %r : tensor<4x8xf32>
  }
}
