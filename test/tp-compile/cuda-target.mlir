// REQUIRES: cuda-runtime
// The cuda target builds an executable from the same generated code, linked
// with the runtime's cuda backend (cuBLAS, NCCL, CUDA kernels). Running it
// needs a GPU; its help and report do not.
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --target cuda -o %t.cuda
// RUN: %t.cuda --help | FileCheck %s --check-prefix=HELP
// RUN: %t.cuda --report | FileCheck %s --check-prefix=REPORT
// RUN: nm -D --undefined-only %t.cuda | FileCheck %s --check-prefix=LIBS

// The same layer in bf16: its report counts 2-byte elements.
// RUN: sed 's/\([x<]\)f32>/\1bf16>/g' %examples/llama-layer/model.mlir > %t.bf16.mlir
// RUN: tp-compile %t.bf16.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --target cuda -o %t.bf16.cuda
// RUN: %t.bf16.cuda --report | FileCheck %s --check-prefix=BF16

// HELP: usage: mpirun -np 2
// REPORT: tp-report: mesh tp:2 (2 ranks)
// REPORT: collectives: 2
// LIBS-DAG: cublasSgemm
// LIBS-DAG: cublasGemmEx
// LIBS-DAG: cublasLtMatmul
// LIBS-DAG: ncclAllReduce
// BF16: all_reduce over tp tensor<2x16x256xbf16> 16.00 KiB
