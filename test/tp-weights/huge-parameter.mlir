// tp-weights writes a parameter of 3 GiB through a bounded buffer, and
// under a temporary name: a failure part way (here the file size limit,
// standing for a full disk) leaves the file that stood before, and no
// temporary beside it.
// RUN: rm -rf %t && mkdir %t
// RUN: tp-weights init %S/dtypes.mlir -o %t/w.safetensors
// RUN: cp %t/w.safetensors %t/good.safetensors
// RUN: (trap '' XFSZ; ulimit -f 1024; not tp-weights init %s -o %t/w.safetensors) 2>&1 | FileCheck %s
// RUN: cmp %t/w.safetensors %t/good.safetensors
// RUN: ls %t | FileCheck %s --check-prefix=FILES --implicit-check-not=tmp

// CHECK: tp-weights: error: {{.*}}w.safetensors: write failed: File too large
// FILES: good.safetensors
// FILES-NEXT: w.safetensors

tp.mesh @mesh(tp = 1)
tp.parameter @"w" : tensor<32768x24576xf32>
