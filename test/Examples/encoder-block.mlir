// The encoder block round-trips, and with its plan its unfused attention
// (transposes, batched matmuls, softmax) runs on each rank's heads with no
// communication: the only collectives are the two all_reduces after the
// rowwise layers, whose biases are scaled by 1/2 to be added once.
// RUN: tp-opt %examples/encoder-block/model.mlir > %t.1.mlir
// RUN: tp-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: tp-opt %examples/encoder-block/model.mlir --tp-parallelize="plan=%examples/encoder-block/plan.json" | FileCheck %s --implicit-check-not=tp.all_gather --implicit-check-not=tp.reduce_scatter --implicit-check-not=tp.all_to_all --implicit-check-not=tp.local_slice

// CHECK: tp.transpose {{.*}} : tensor<2x8x2x16xf32>
// CHECK: tp.matmul {{.*}} : tensor<2x2x8x16xf32>, tensor<2x2x16x8xf32>
// CHECK: tp.softmax {{.*}} : tensor<2x2x8x8xf32>
// CHECK: tp.matmul {{.*}} : tensor<2x2x8x8xf32>, tensor<2x2x8x16xf32>
// CHECK: %[[BO:.*]] = tp.get_parameter @self_attn.out_proj.bias layout <@mesh, [R]>
// CHECK-NEXT: %[[HALF:.*]] = tp.scale %[[BO]] by 5.000000e-01
// CHECK-NEXT: tp.linear "self_attn.out_proj" %{{.*}}, %{{.*}}, %[[HALF]]
// CHECK-NEXT: tp.all_reduce
// CHECK: tp.linear "fc2"
// CHECK-NEXT: tp.all_reduce
// CHECK-NOT: tp.all_reduce
