// A safetensors header padded with trailing spaces to a multiple of 8 bytes,
// as writers pad it, is read, and so is one without padding.
// RUN: printf '\x38\0\0\0\0\0\0\0{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  \0\0\x80\x3f' > %t.padded.safetensors
// RUN: tp-weights ls %t.padded.safetensors | FileCheck %s
// RUN: printf '\x36\0\0\0\0\0\0\0{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}\0\0\x80\x3f' > %t.unpadded.safetensors
// RUN: tp-weights ls %t.unpadded.safetensors | FileCheck %s
// RUN: tp-weights check %s %t.padded.safetensors | FileCheck %s --check-prefix=CHECK-MODEL

// CHECK: w F32 [1] 4 bytes
// CHECK-NEXT: 1 tensors, 4 bytes
// CHECK-MODEL: ok: the checkpoint holds every parameter of the model

tp.mesh @mesh(tp = 1)
tp.parameter @"w" : tensor<1xf32>
