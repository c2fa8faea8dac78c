//===- cublas-bench.cpp - the GEMMs of a model, called through cuBLAS -----===//
//
// This file implements the yardstick of the GPU benchmark: it calls cuBLAS
// directly on a list of linear-layer shapes, as the runtime's cuda backend
// does (y[m, n] = x[m, k] * w[n, k]^T and the backward's two products,
// row-major, every weight its own device buffer): cublasSgemm in pedantic fp32
// for f32, cublasGemmEx with f32 accumulation for f16 and bf16. It prints the
// time of one pass over all of them. Without a usable GPU it says so and
// exits 77.
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
  std::vector<tp_bench::RowMajorGemm> gemms;
  std::vector<void *> a(shapes.size()), b(shapes.size()), c(shapes.size());
  double flops = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const tp_bench::RowMajorGemm &g =
        gemms.emplace_back(tp_bench::toGemm(shapes[i]));
    for (auto [buffer, elements] : {std::pair(&a[i], g.rows * g.inner),
                                    std::pair(&b[i], g.inner * g.cols),
                                    std::pair(&c[i], g.rows * g.cols)}) {
      check(cudaMalloc(buffer, elementBytes * elements) == cudaSuccess,
            "cudaMalloc");
      cudaMemset(*buffer, 0, elementBytes * elements);
    }
    flops += g.flops();
  }
  const float one = 1.0f, zero = 0.0f;
  auto pass = [&] {
    for (size_t i = 0; i < gemms.size(); ++i) {
      // Row-major c = op(a) op(b) is column-major c^T = op(b)^T op(a)^T, and
      // a row-major buffer read column-major is its transpose.
      const tp_bench::RowMajorGemm &g = gemms[i];
      cublasOperation_t opA = g.transposeA ? CUBLAS_OP_T : CUBLAS_OP_N;
      cublasOperation_t opB = g.transposeB ? CUBLAS_OP_T : CUBLAS_OP_N;
      if (type == CUDA_R_32F)
        check(cublasSgemm(handle, opB, opA, g.cols, g.rows, g.inner, &one,
                          static_cast<const float *>(b[i]), g.ldb(),
                          static_cast<const float *>(a[i]), g.lda(), &zero,
                          static_cast<float *>(c[i]),
                          g.cols) == CUBLAS_STATUS_SUCCESS,
              "cublasSgemm");
      else
        check(cublasGemmEx(handle, opB, opA, g.cols, g.rows, g.inner, &one,
                           b[i], type, g.ldb(), a[i], type, g.lda(), &zero,
                           c[i], type, g.cols, CUBLAS_COMPUTE_32F,
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
