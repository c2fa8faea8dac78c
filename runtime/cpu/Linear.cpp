//===- Linear.cpp - GEMM-based kernels and embedding ----------------------===//
//
// This file implements the cpu kernels that are matrix products, each one
// cblas_sgemm call per matrix so that the runtime adds nothing to BLAS's own
// time, and the embedding lookup.
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "Kernels.h"

#include <cblas.h>

#include <cstring>

using namespace tprt;

void tprt_linear(tprt_context *ctx, const char *layer, const float *x,
                 const float *w, const float *bias, float *y, int64_t m,
                 int64_t n, int64_t k) {
  const char *call = "tprt_linear";
  int rows = blasDim(ctx, call, layer, "m", m);
  int outputs = blasDim(ctx, call, layer, "n", n);
  int inputs = blasDim(ctx, call, layer, "k", k);
  if (rows == 0 || outputs == 0)
    return;
  // The bias is added by starting the accumulation from it (beta = 1).
  float beta = 0.0f;
  if (bias) {
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(y + i * n, bias, n * sizeof(float));
    beta = 1.0f;
  }
  if (inputs == 0) {
    if (!bias)
      std::memset(y, 0, m * n * sizeof(float));
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, outputs, inputs,
              1.0f, x, inputs, w, inputs, beta, y, outputs);
}

void tprt_matmul(tprt_context *ctx, const char *layer, const float *a,
                 const float *b, float *c, int64_t batch, int64_t m, int64_t n,
                 int64_t k) {
  const char *call = "tprt_matmul";
  blasDim(ctx, call, layer, "batch", batch);
  int rows = blasDim(ctx, call, layer, "m", m);
  int cols = blasDim(ctx, call, layer, "n", n);
  int inner = blasDim(ctx, call, layer, "k", k);
  if (inner == 0) {
    std::memset(c, 0, batch * m * n * sizeof(float));
    return;
  }
  if (rows == 0 || cols == 0)
    return;
  for (int64_t i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, inner,
                1.0f, a + i * m * k, inner, b + i * k * n, cols, 0.0f,
                c + i * m * n, cols);
}

void tprt_embedding(tprt_context *ctx, const char *layer, const int64_t *ids,
                    const float *table, float *y, int64_t count, int64_t rows,
                    int64_t dim, int64_t row_offset, int64_t total_rows) {
  for (int64_t i = 0; i < count; ++i) {
    int64_t id = ids[i];
    if (id < 0 || id >= total_rows)
      fail(ctx, callName("tprt_embedding", layer) + ": id " +
                    std::to_string(id) + " at position " + std::to_string(i) +
                    " is outside [0, " + std::to_string(total_rows) + ")");
    float *out = y + i * dim;
    int64_t row = id - row_offset;
    if (row >= 0 && row < rows)
      std::memcpy(out, table + row * dim, dim * sizeof(float));
    else
      std::memset(out, 0, dim * sizeof(float));
  }
}
