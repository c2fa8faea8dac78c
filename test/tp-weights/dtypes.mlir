// tp-weights writes each parameter in its declared dtype: bf16 and f16
// tensors take 2 bytes an element and hold the f32 values of the same seed,
// rounded (checked by the runtime's unit tests); f64 is refused by name.
// RUN: tp-weights init %s --seed 1 -o %t.safetensors
// RUN: tp-weights ls %t.safetensors | FileCheck %s
// RUN: sed 's/xf16>/xf64>/' %s > %t.f64.mlir
// RUN: not tp-weights init %t.f64.mlir -o %t.f64.safetensors 2>&1 | FileCheck %s --check-prefix=F64

// CHECK: a.weight BF16 [4, 8] 64 bytes
// CHECK: b.weight F16 [8] 16 bytes
// CHECK: c.weight F32 [2] 8 bytes
// CHECK: 3 tensors, 88 bytes

// F64: tp-weights: error: parameter 'b.weight' has element type f64; tp-weights writes f32, f16 and bf16 weights

tp.mesh @mesh(tp = 1)
tp.parameter @"a.weight" : tensor<4x8xbf16>
tp.parameter @"b.weight" : tensor<8xf16>
tp.parameter @"c.weight" : tensor<2xf32>
