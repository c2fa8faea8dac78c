//===- cublas-bench.cpp - the GEMMs of a model, called through cuBLAS -----===//
//
// This file implements the yardstick of the GPU benchmark: it calls cuBLAS
// directly on a list of linear-layer shapes, as the runtime's cuda backend
// does (y[m, n] = x[m, k] * w[n, k]^T, row-major, every weight its own device
// buffer): cublasSgemm in pedantic fp32 for f32, cublasGemmEx with f32
// accumulation for f16 and bf16. It prints the time of one pass over all of
// them. Without a usable GPU it says so and exits 77.
//
//   tp-bench-cublas --reps 50 --dtype bf16 8x8192x8192 8x8192x8192
//
//===----------------------------------------------------------------------===//

#include "BenchShapes.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using tp_bench::Shape;

static void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "tp-bench-cublas: error: %s failed\n", what);
    std::exit(1);
  }
}

int main(int argc, char **argv) {
  int reps = 50;
  std::string dtype;
  std::vector<Shape> shapes;
  if (!tp_bench::parseShapes(argc, argv, "tp-bench-cublas", reps, dtype,
                             shapes))
    return 1;
  if (dtype != "f32" && dtype != "f16" && dtype != "bf16") {
    std::fprintf(stderr, "tp-bench-cublas: error: unknown dtype '%s'\n",
                 dtype.c_str());
    return 1;
  }
  cudaDataType_t type = dtype == "f32"   ? CUDA_R_32F
                        : dtype == "f16" ? CUDA_R_16F
                                         : CUDA_R_16BF;
  size_t elementBytes = dtype == "f32" ? 4 : 2;
  int devices = 0;
  cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device (%s)\n",
                status != cudaSuccess ? cudaGetErrorString(status) : "none");
    return 77;
  }

  cublasHandle_t handle;
  check(cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS, "cublasCreate");
  // Plain fp32, as the runtime computes f32 models.
  if (dtype == "f32")
    check(cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH) ==
              CUBLAS_STATUS_SUCCESS,
          "cublasSetMathMode");
  std::vector<void *> x(shapes.size()), w(shapes.size()), y(shapes.size());
  double flops = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape &s = shapes[i];
    check(cudaMalloc(&x[i], elementBytes * s.m * s.k) == cudaSuccess,
          "cudaMalloc");
    check(cudaMalloc(&w[i], elementBytes * s.n * s.k) == cudaSuccess,
          "cudaMalloc");
    check(cudaMalloc(&y[i], elementBytes * s.m * s.n) == cudaSuccess,
          "cudaMalloc");
    cudaMemset(x[i], 0, elementBytes * s.m * s.k);
    cudaMemset(w[i], 0, elementBytes * s.n * s.k);
    flops += 2.0 * s.m * s.n * s.k;
  }
  const float one = 1.0f, zero = 0.0f;
  auto pass = [&] {
    for (size_t i = 0; i < shapes.size(); ++i) {
      // Row-major y = x w^T is column-major y^T = w x^T.
      const Shape &s = shapes[i];
      if (type == CUDA_R_32F)
        check(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, s.n, s.m, s.k, &one,
                          static_cast<const float *>(w[i]), s.k,
                          static_cast<const float *>(x[i]), s.k, &zero,
                          static_cast<float *>(y[i]),
                          s.n) == CUBLAS_STATUS_SUCCESS,
              "cublasSgemm");
      else
        check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, s.n, s.m, s.k,
                           &one, w[i], type, s.k, x[i], type, s.k, &zero, y[i],
                           type, s.n, CUBLAS_COMPUTE_32F,
                           CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS,
              "cublasGemmEx");
    }
  };
  pass();
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start);
  for (int r = 0; r < reps; ++r)
    pass();
  cudaEventRecord(stop);
  check(cudaEventSynchronize(stop) == cudaSuccess, "cudaEventSynchronize");
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  double mean = ms / reps;
  std::printf("cublas: %zu %s GEMMs, mean %.3f ms, %.2f TFLOP/s\n",
              shapes.size(), dtype.c_str(), mean, flops / (mean * 1e-3) / 1e12);
  cublasDestroy(handle);
  return 0;
}
