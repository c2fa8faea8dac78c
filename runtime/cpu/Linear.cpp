//===- Linear.cpp - GEMM-based kernels and embedding ----------------------===//
//
// This file implements the cpu kernels that are matrix products (linear,
// matmul and the two backwards of linear), each one cblas_sgemm call per
// matrix for f32 so that the runtime adds nothing to BLAS's own time, and
// the embedding lookup and its backward. bf16 products (and f16 ones on CPUs
// with f16 instructions) are oneDNN matmuls on the 16-bit operands (Dnnl.h);
// elsewhere f16 ones run the same sgemm on f32 copies, a block of weight
// rows at a time (widened from the weight, or rounded into the weight's
// gradient), so that a 16-bit model never holds an f32 copy of a whole
// weight.
//
//===----------------------------------------------------------------------===//

#include "DType.h"
#include "Dnnl.h"
#include "Kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>

using namespace tprt;

/// Weight rows a 16-bit linear widens at a time.
static const int64_t weightBlockRows = 256;

/// y[m, n] (rows `ldy` apart) = x[m, k] w[n, k]^T (+ bias[n]).
static void linearF32(const float *x, const float *w, const float *bias,
                      float *y, int m, int n, int k, int ldy) {
  // The bias is added by starting the accumulation from it (beta = 1).
  float beta = 0.0f;
  if (bias) {
    for (int i = 0; i < m; ++i)
      std::memcpy(y + int64_t(i) * ldy, bias, n * sizeof(float));
    beta = 1.0f;
  }
  if (k == 0) {
    if (!bias)
      for (int i = 0; i < m; ++i)
        std::memset(y + int64_t(i) * ldy, 0, n * sizeof(float));
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w,
              k, beta, y, ldy);
}

void cpu::linear(tprt_context *ctx, const char *layer, int32_t dtype,
                 const void *x, const void *w, const void *bias, void *y,
                 int64_t m, int64_t n, int64_t k) {
  const char *call = "tprt_linear";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  int rows = sizes.m, outputs = sizes.n, inputs = sizes.k;
  if (rows == 0 || outputs == 0)
    return;
  if (inputs > 0 && dnnlMatmul(*ctx, call, layer, dtype, x, w, bias, y, 1, m, n,
                               k, /*transposeA=*/false, /*transposeB=*/true))
    return;
  F32Scope f32(*ctx, call, layer, dtype);
  const float *x32 = f32.input(x, m * k);
  const float *bias32 = f32.optionalInput(bias, n);
  float *y32 = f32.output(y, m * n);
  if (dtype == TPRT_F32)
    return linearF32(x32, static_cast<const float *>(w), bias32, y32, rows,
                     outputs, inputs, outputs);
  float *block = f32.temporary(std::min(n, weightBlockRows) * k);
  int64_t rowBytes = k * floatDTypeBytes(dtype);
  for (int64_t first = 0; first < n; first += weightBlockRows) {
    int64_t count = std::min(weightBlockRows, n - first);
    widen(dtype, static_cast<const char *>(w) + first * rowBytes, block,
          count * k);
    linearF32(x32, block, bias32 ? bias32 + first : nullptr, y32 + first, rows,
              static_cast<int>(count), inputs, outputs);
  }
}

void cpu::matmul(tprt_context *ctx, const char *layer, int32_t dtype,
                 const void *a, const void *b, void *c, int64_t batch,
                 int64_t m, int64_t n, int64_t k) {
  const char *call = "tprt_matmul";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, batch, m, n, k);
  int rows = sizes.m, cols = sizes.n, inner = sizes.k;
  if (batch > 0 && rows > 0 && cols > 0 && inner > 0 &&
      dnnlMatmul(*ctx, call, layer, dtype, a, b, nullptr, c, batch, m, n, k,
                 /*transposeA=*/false, /*transposeB=*/false))
    return;
  F32Scope f32(*ctx, call, layer, dtype);
  float *c32 = f32.output(c, batch * m * n);
  if (inner == 0) {
    std::fill(c32, c32 + batch * m * n, 0.0f);
    return;
  }
  if (rows == 0 || cols == 0)
    return;
  const float *a32 = f32.input(a, batch * m * k);
  const float *b32 = f32.input(b, batch * k * n);
  for (int64_t i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, inner,
                1.0f, a32 + i * m * k, inner, b32 + i * k * n, cols, 0.0f,
                c32 + i * m * n, cols);
}

/// Handles a linear backward whose output out[rows, cols] is empty, or the
/// empty sum (`terms` = 0: zeros, all-zero bits in every dtype). Returns
/// whether it did.
static bool emptyProduct(void *out, int64_t rows, int64_t cols, int64_t terms,
                         int64_t elementBytes) {
  if (rows == 0 || cols == 0)
    return true;
  if (terms != 0)
    return false;
  std::memset(out, 0, rows * cols * elementBytes);
  return true;
}

void cpu::linear_input_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                            const void *dy, const void *w, void *dx, int64_t m,
                            int64_t n, int64_t k) {
  const char *call = "tprt_linear_input_grad";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  int rows = sizes.m, outputs = sizes.n, inputs = sizes.k;
  if (emptyProduct(dx, m, k, n, sizes.elementBytes))
    return;
  // dx[m, k] = dy[m, n] w[n, k]: w as it is stored, not transposed.
  if (dnnlMatmul(*ctx, call, layer, dtype, dy, w, nullptr, dx, 1, m, k, n,
                 /*transposeA=*/false, /*transposeB=*/false))
    return;
  F32Scope f32(*ctx, call, layer, dtype);
  const float *dy32 = f32.input(dy, m * n);
  float *dx32 = f32.output(dx, m * k);
  if (dtype == TPRT_F32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, inputs,
                outputs, 1.0f, dy32, outputs, static_cast<const float *>(w),
                inputs, 0.0f, dx32, inputs);
    return;
  }
  // A block of weight rows is a block of the sum over n: each block adds its
  // product to dx (beta = 1 after the first), in f32.
  float *block = f32.temporary(std::min(n, weightBlockRows) * k);
  int64_t rowBytes = k * sizes.elementBytes;
  for (int64_t first = 0; first < n; first += weightBlockRows) {
    int64_t count = std::min(weightBlockRows, n - first);
    widen(dtype, static_cast<const char *>(w) + first * rowBytes, block,
          count * k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, inputs,
                static_cast<int>(count), 1.0f, dy32 + first, outputs, block,
                inputs, first == 0 ? 0.0f : 1.0f, dx32, inputs);
  }
}

void cpu::linear_weight_grad(tprt_context *ctx, const char *layer,
                             int32_t dtype, const void *dy, const void *x,
                             void *dw, int64_t m, int64_t n, int64_t k) {
  const char *call = "tprt_linear_weight_grad";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  int rows = sizes.m, outputs = sizes.n, inputs = sizes.k;
  if (emptyProduct(dw, n, k, m, sizes.elementBytes))
    return;
  // dw[n, k] = dy[m, n]^T x[m, k]: dy read transposed.
  if (dnnlMatmul(*ctx, call, layer, dtype, dy, x, nullptr, dw, 1, n, k, m,
                 /*transposeA=*/true, /*transposeB=*/false))
    return;
  if (dtype == TPRT_F32) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, outputs, inputs, rows,
                1.0f, static_cast<const float *>(dy), outputs,
                static_cast<const float *>(x), inputs, 0.0f,
                static_cast<float *>(dw), inputs);
    return;
  }
  // The gradient is computed a block of weight rows at a time, each rounded
  // into dw once complete.
  F32Scope f32(*ctx, call, layer, dtype);
  const float *dy32 = f32.input(dy, m * n);
  const float *x32 = f32.input(x, m * k);
  float *block = f32.temporary(std::min(n, weightBlockRows) * k);
  int64_t rowBytes = k * sizes.elementBytes;
  for (int64_t first = 0; first < n; first += weightBlockRows) {
    int64_t count = std::min(weightBlockRows, n - first);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                static_cast<int>(count), inputs, rows, 1.0f, dy32 + first,
                outputs, x32, inputs, 0.0f, block, inputs);
    narrow(dtype, block, static_cast<char *>(dw) + first * rowBytes, count * k);
  }
}

void cpu::embedding(tprt_context *ctx, const char *layer, int32_t dtype,
                    const int64_t *ids, const void *table, void *y,
                    int64_t count, int64_t rows, int64_t dim,
                    int64_t row_offset, int64_t total_rows) {
  // A lookup copies rows: no conversion, whatever the dtype.
  int64_t rowBytes = dim * dtypeSize(ctx, "tprt_embedding", layer, dtype);
  for (int64_t i = 0; i < count; ++i) {
    int64_t id = ids[i];
    if (id < 0 || id >= total_rows)
      failIndex(ctx, "tprt_embedding", layer, "id", id, i, total_rows);
    char *out = static_cast<char *>(y) + i * rowBytes;
    int64_t row = id - row_offset;
    if (row >= 0 && row < rows)
      std::memcpy(out, static_cast<const char *>(table) + row * rowBytes,
                  rowBytes);
    else
      std::memset(out, 0, rowBytes);
  }
}

void cpu::embedding_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                         const int64_t *ids, const void *dy, void *dtable,
                         int64_t count, int64_t rows, int64_t dim,
                         int64_t row_offset, int64_t total_rows) {
  const char *call = "tprt_embedding_grad";
  F32Scope f32(*ctx, call, layer, dtype);
  const float *dy32 = f32.input(dy, count * dim);
  float *dtable32 = f32.output(dtable, rows * dim);
  std::fill(dtable32, dtable32 + rows * dim, 0.0f);
  // Positions in order, in f32, as the cuda kernel adds them.
  for (int64_t i = 0; i < count; ++i, dy32 += dim) {
    int64_t id = ids[i];
    if (id < 0 || id >= total_rows)
      failIndex(ctx, call, layer, "id", id, i, total_rows);
    int64_t row = id - row_offset;
    if (row < 0 || row >= rows)
      continue;
    float *out = dtable32 + row * dim;
    for (int64_t d = 0; d < dim; ++d)
      out[d] += dy32[d];
  }
}
