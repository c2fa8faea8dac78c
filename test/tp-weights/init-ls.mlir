// tp-weights writes one tensor per tp.parameter, in the declared global
// shapes, deterministically, and lists a file's tensors; an option given
// twice is an error.
// RUN: tp-weights init %examples/llama-layer/model.mlir --seed 3 -o %t.a.safetensors
// RUN: tp-weights init %examples/llama-layer/model.mlir --seed 3 -o %t.b.safetensors
// RUN: cmp %t.a.safetensors %t.b.safetensors
// RUN: tp-weights init %examples/llama-layer/model.mlir --seed 4 -o %t.c.safetensors
// RUN: not cmp -s %t.a.safetensors %t.c.safetensors
// RUN: tp-weights ls %t.a.safetensors | FileCheck %s
// RUN: not tp-weights init %s -o %t.none.safetensors 2>&1 | FileCheck %s --check-prefix=NOPARAMS
// RUN: not tp-weights ls %s 2>&1 | FileCheck %s --check-prefix=NOTSAFETENSORS
// RUN: not tp-weights init %examples/llama-layer/model.mlir --seed 1 --seed 2 -o %t.twice.safetensors 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not tp-weights init %examples/llama-layer/model.mlir -o %t.a.safetensors -o %t.b.safetensors 2>&1 | FileCheck %s --check-prefix=TWICE-O

// CHECK: attention.wk.weight F32 [128, 256] 131072 bytes
// CHECK: ffn_norm.weight F32 [256] 1024 bytes
// CHECK: 9 tensors, 3147776 bytes
// CHECK: metadata generator: tp-weights init --seed 3

// NOPARAMS: tp-weights: error: '{{.*}}init-ls.mlir' declares no tp.parameter
// NOTSAFETENSORS: tp-weights: error: {{.*}}init-ls.mlir
// TWICE: tp-weights: error: --seed is given 2 times; give it once
// TWICE-O: tp-weights: error: -o is given 2 times; give it once

func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
