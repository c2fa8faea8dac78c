//===- Linear.cu - GEMMs and the embedding lookup -------------------------===//
//
// This file implements the cuda backend's Linear family: tprt_linear, its
// backwards (tprt_linear_input_grad, tprt_linear_weight_grad) and
// tprt_matmul through cuBLAS and cuBLASLt, and tprt_embedding and its
// backward with kernels of their own, which leave the position of an id out
// of range in a slot of the state that is read when the step is waited for
// (checkIndices). Each
// checks its arguments as the cpu kernel does (Checks.h), then enqueues its
// work on the rank's stream; none waits for it.
//
// GEMMs accumulate in f32 whatever the dtype: f32 ones are cublasSgemm
// (no TF32, so results match the cpu backend's), f16 and bf16 ones
// cublasGemmEx on 16-bit storage with CUBLAS_COMPUTE_32F. A linear with a
// bias is one cuBLASLt matmul that adds the bias in its epilogue, before
// the single rounding to the dtype; its descriptors and algorithm are
// planned once per shape (State::biasLinearPlans).
//
// Row-major GEMMs in column-major cuBLAS: a row-major [r, c] matrix is the
// column-major [c, r] matrix of its transpose, with leading dim c. So
//   y[m, n] = x[m, k] w[n, k]^T   is   Y^T[n, m] = op(W^T[k, n]) X^T[k, m]
// with op = transpose: gemm(T, N, n, m, k, w, lda k, x, ldb k, y, ldc n);
// and c[m, n] = a[m, k] b[k, n] is C^T[n, m] = B^T[n, k] A^T[k, m]:
// gemm(N, N, n, m, k, b, ldb n, a, lda k, c, ldc n). The bias of a linear,
// bias[n], is a column vector of Y^T: cuBLASLt's bias along D's rows. The
// backwards of a linear:
//   dx[m, k] = dy[m, n] w[n, k]     is  DX^T[k, m] = W^T[k, n] DY^T[n, m]:
//     gemm(N, N, k, m, n, w, lda k, dy, ldb n, dx, ldc k);
//   dw[n, k] = dy[m, n]^T x[m, k]   is  DW^T[k, n] = X^T[k, m] op(DY^T[n, m])
//     with op = transpose: gemm(N, T, k, n, m, x, lda k, dy, ldb n, dw,
//     ldc k).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <algorithm>
#include <cstdint>

namespace tprt {
namespace cuda {

namespace {

template <typename T>
__global__ void fillRowsKernel(const T *row, T *y, int64_t rows, int64_t n) {
  for (int64_t i = firstIndex(); i < rows * n; i += gridStride())
    y[i] = row[i % n];
}

/// One block per position.
template <typename T>
__global__ void embeddingKernel(const int64_t *ids, const T *table, T *y,
                                int64_t rows, int64_t dim, int64_t rowOffset,
                                int64_t totalRows,
                                unsigned long long *badIndex) {
  int64_t position = blockIdx.x;
  int64_t id = ids[position];
  bool valid = id >= 0 && id < totalRows;
  if (!valid && threadIdx.x == 0)
    atomicMin(badIndex, static_cast<unsigned long long>(position));
  int64_t row = id - rowOffset;
  const T *source =
      valid && row >= 0 && row < rows ? table + row * dim : nullptr;
  T *out = y + position * dim;
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x)
    out[d] = source ? source[d] : fromFloat<T>(0.0f);
}

/// y[r, :] = row[:] for r < rows (a bias under a GEMM with beta = 1).
cudaError_t launchFillRows(cudaStream_t stream, int32_t dtype, const void *row,
                           void *y, int64_t rows, int64_t n) {
  if (rows * n == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    fillRowsKernel<<<gridFor(rows * n), kThreads, 0, stream>>>(
        static_cast<const T *>(row), static_cast<T *>(y), rows, n);
    return cudaGetLastError();
  });
}

/// tprt_embedding; an id outside [0, totalRows) gives a zero row and leaves
/// the smallest such position in *badIndex (atomicMin).
cudaError_t launchEmbedding(cudaStream_t stream, int32_t dtype,
                            const int64_t *ids, const void *table, void *y,
                            int64_t count, int64_t rows, int64_t dim,
                            int64_t rowOffset, int64_t totalRows,
                            unsigned long long *badIndex) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    embeddingKernel<<<unsigned(count), kThreads, 0, stream>>>(
        ids, static_cast<const T *>(table), static_cast<T *>(y), rows, dim,
        rowOffset, totalRows, badIndex);
    return cudaGetLastError();
  });
}

/// The width of the part of a gradient row embeddingGradKernel sums at a
/// time, in f32 shared memory.
constexpr int64_t kEmbeddingGradChunk = 2048;

/// One block per row of this rank's table (and one where it holds none):
/// the row's gradient sums dy over the positions whose id is the row, in
/// position order and in f32, as the cpu kernel adds them, without atomics.
/// Block 0 also checks every id against [0, totalRows), leaving the
/// smallest bad position in *badIndex (atomicMin).
template <typename T>
__global__ void embeddingGradKernel(const int64_t *ids, const T *dy, T *dtable,
                                    int64_t count, int64_t rows, int64_t dim,
                                    int64_t rowOffset, int64_t totalRows,
                                    unsigned long long *badIndex) {
  __shared__ float accumulator[kEmbeddingGradChunk];
  __shared__ bool matches[kThreads];
  if (blockIdx.x == 0)
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
      if (ids[i] < 0 || ids[i] >= totalRows)
        atomicMin(badIndex, static_cast<unsigned long long>(i));
  int64_t row = blockIdx.x;
  if (row >= rows)
    return;
  T *out = dtable + row * dim;
  for (int64_t chunk = 0; chunk < dim; chunk += kEmbeddingGradChunk) {
    // Each thread owns the columns d = threadIdx.x + j * blockDim.x.
    int64_t width = smaller(kEmbeddingGradChunk, dim - chunk);
    for (int64_t d = threadIdx.x; d < width; d += blockDim.x)
      accumulator[d] = 0.0f;
    for (int64_t first = 0; first < count; first += blockDim.x) {
      int64_t i = first + threadIdx.x;
      int64_t id = i < count ? ids[i] : -1;
      bool match = id >= 0 && id < totalRows && id - rowOffset == row;
      matches[threadIdx.x] = match;
      // A barrier that also says whether any position of the tile matches.
      if (!__syncthreads_or(match))
        continue;
      int64_t tile = smaller(blockDim.x, count - first);
      for (int64_t t = 0; t < tile; ++t)
        if (matches[t]) {
          const T *source = dy + (first + t) * dim + chunk;
          for (int64_t d = threadIdx.x; d < width; d += blockDim.x)
            accumulator[d] += toFloat(source[d]);
        }
      // The next tile overwrites `matches`.
      __syncthreads();
    }
    for (int64_t d = threadIdx.x; d < width; d += blockDim.x)
      out[chunk + d] = fromFloat<T>(accumulator[d]);
  }
}

/// tprt_embedding_grad; rows >= 0.
cudaError_t launchEmbeddingGrad(cudaStream_t stream, int32_t dtype,
                                const int64_t *ids, const void *dy,
                                void *dtable, int64_t count, int64_t rows,
                                int64_t dim, int64_t rowOffset,
                                int64_t totalRows,
                                unsigned long long *badIndex) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    embeddingGradKernel<<<unsigned(std::max<int64_t>(rows, 1)), kThreads, 0,
                          stream>>>(ids, static_cast<const T *>(dy),
                                    static_cast<T *>(dtable), count, rows, dim,
                                    rowOffset, totalRows, badIndex);
    return cudaGetLastError();
  });
}

/// C = op(A) op(B) + beta C, column-major, on `dtype` storage: the GEMM of
/// a linear or of its backwards.
void gemm(tprt_context *ctx, State &s, const char *call, const char *layer,
          int32_t dtype, cublasOperation_t opA, cublasOperation_t opB, int m,
          int n, int k, const void *a, int lda, const void *b, int ldb,
          float beta, void *c, int ldc) {
  float alpha = 1.0f;
  if (dtype == TPRT_F32) {
    checkBlas(ctx,
              cublasSgemm(s.blas, opA, opB, m, n, k, &alpha,
                          static_cast<const float *>(a), lda,
                          static_cast<const float *>(b), ldb, &beta,
                          static_cast<float *>(c), ldc),
              call, layer, "cublasSgemm");
    return;
  }
  cudaDataType type = blasType(dtype);
  checkBlas(ctx,
            cublasGemmEx(s.blas, opA, opB, m, n, k, &alpha, a, type, lda, b,
                         type, ldb, &beta, c, type, ldc, CUBLAS_COMPUTE_32F,
                         CUBLAS_GEMM_DEFAULT),
            call, layer, "cublasGemmEx");
}

/// C = A op(B), column-major, the GEMM of a linear's backward (the header
/// says which): A [m x k] with leading dim m, B with leading dim ldb, C
/// [m x n] with leading dim m. Nothing where C is empty; zeros where the sum
/// has no term (k = 0).
void backwardGemm(tprt_context *ctx, const char *call, const char *layer,
                  int32_t dtype, int64_t elementBytes, cublasOperation_t opB,
                  int m, int n, int k, const void *a, const void *b, int ldb,
                  void *c) {
  if (m == 0 || n == 0)
    return;
  State &s = state(ctx);
  if (k == 0) {
    check(ctx, cudaMemsetAsync(c, 0, int64_t(m) * n * elementBytes, s.stream),
          call, layer, "cudaMemsetAsync");
    return;
  }
  gemm(ctx, s, call, layer, dtype, CUBLAS_OP_N, opB, m, n, k, a, m, b, ldb,
       0.0f, c, m);
}

/// The largest power of two up to 256 that divides `pointer`'s address.
uint32_t alignment(const void *pointer) {
  uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  uint32_t bytes = 256;
  while (address % bytes != 0)
    bytes /= 2;
  return bytes;
}

/// The cuBLASLt plan of y = x w^T + bias for these arguments, made on the
/// first call of its key.
const BiasLinearPlan &biasLinearPlan(tprt_context *ctx, State &s,
                                     const char *layer, int32_t dtype, int m,
                                     int n, int k, const void *x, const void *w,
                                     const void *bias, const void *y) {
  uint32_t inputAlignment = alignment(x), weightAlignment = alignment(w),
           outputAlignment = alignment(y);
  BiasLinearKey key = {
      dtype,
      m,
      n,
      k,
      {inputAlignment, weightAlignment, alignment(bias), outputAlignment}};
  auto [entry, inserted] = s.biasLinearPlans.try_emplace(key);
  BiasLinearPlan &plan = entry->second;
  if (!inserted)
    return plan;
  // In the map already, so that the state frees what a failure below leaves.
  const char *call = "tprt_linear";
  auto checkLt = [&](cublasStatus_t status, const char *api) {
    checkBlas(ctx, status, call, layer, api);
  };
  if (!s.blasLtWorkspace)
    check(ctx, cudaMalloc(&s.blasLtWorkspace, kBlasLtWorkspaceBytes), call,
          layer, "cudaMalloc");
  cudaDataType type = blasType(dtype);
  checkLt(
      cublasLtMatmulDescCreate(&plan.operation, CUBLAS_COMPUTE_32F, CUDA_R_32F),
      "cublasLtMatmulDescCreate");
  auto setAttribute = [&](cublasLtMatmulDescAttributes_t attribute,
                          const void *value, size_t bytes) {
    checkLt(
        cublasLtMatmulDescSetAttribute(plan.operation, attribute, value, bytes),
        "cublasLtMatmulDescSetAttribute");
  };
  cublasOperation_t transpose = CUBLAS_OP_T;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
  // The bias has the output's type: the dtype.
  int32_t biasType = type;
  setAttribute(CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose);
  setAttribute(CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue);
  setAttribute(CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &biasType, sizeof biasType);
  // The heuristic reads the bias pointer's alignment from here.
  setAttribute(CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
  checkLt(cublasLtMatrixLayoutCreate(&plan.weight, type, k, n, k),
          "cublasLtMatrixLayoutCreate");
  checkLt(cublasLtMatrixLayoutCreate(&plan.input, type, k, m, k),
          "cublasLtMatrixLayoutCreate");
  checkLt(cublasLtMatrixLayoutCreate(&plan.output, type, n, m, n),
          "cublasLtMatrixLayoutCreate");

  cublasLtMatmulPreference_t preference = nullptr;
  checkLt(cublasLtMatmulPreferenceCreate(&preference),
          "cublasLtMatmulPreferenceCreate");
  auto prefer = [&](cublasLtMatmulPreferenceAttributes_t attribute,
                    const void *value, size_t bytes) {
    checkLt(cublasLtMatmulPreferenceSetAttribute(preference, attribute, value,
                                                 bytes),
            "cublasLtMatmulPreferenceSetAttribute");
  };
  uint64_t workspaceBytes = kBlasLtWorkspaceBytes;
  // Split-K partial sums, if any, are reduced in f32 (the compute type),
  // never in the output type, which may have 16 bits.
  uint32_t reductions = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
  prefer(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspaceBytes,
         sizeof workspaceBytes);
  prefer(CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &reductions,
         sizeof reductions);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &weightAlignment,
         sizeof weightAlignment);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &inputAlignment,
         sizeof inputAlignment);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &outputAlignment,
         sizeof outputAlignment);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &outputAlignment,
         sizeof outputAlignment);
  cublasLtMatmulHeuristicResult_t result = {};
  int found = 0;
  cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      s.blasLt, plan.operation, plan.weight, plan.input, plan.output,
      plan.output, preference, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(preference);
  // NOT_SUPPORTED: no algorithm, as found == 0 says.
  if (status != CUBLAS_STATUS_NOT_SUPPORTED)
    checkLt(status, "cublasLtMatmulAlgoGetHeuristic");
  plan.found = status == CUBLAS_STATUS_SUCCESS && found > 0 &&
               result.state == CUBLAS_STATUS_SUCCESS;
  plan.algorithm = result.algo;
  return plan;
}

} // namespace

void linear(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
            const void *w, const void *bias, void *y, int64_t m, int64_t n,
            int64_t k) {
  const char *call = "tprt_linear";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  int64_t elementBytes = sizes.elementBytes;
  int rows = sizes.m, outputs = sizes.n, inputs = sizes.k;
  if (rows == 0 || outputs == 0)
    return;
  State &s = state(ctx);
  if (inputs == 0) {
    if (bias)
      check(ctx, launchFillRows(s.stream, dtype, bias, y, m, n), call, layer,
            "the bias kernel");
    else
      check(ctx, cudaMemsetAsync(y, 0, m * n * elementBytes, s.stream), call,
            layer, "cudaMemsetAsync");
    return;
  }
  if (bias) {
    const BiasLinearPlan &plan = biasLinearPlan(ctx, s, layer, dtype, rows,
                                                outputs, inputs, x, w, bias, y);
    if (plan.found) {
      checkBlas(ctx,
                cublasLtMatmulDescSetAttribute(
                    plan.operation, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                    sizeof bias),
                call, layer, "cublasLtMatmulDescSetAttribute");
      float alpha = 1.0f, beta = 0.0f;
      checkBlas(ctx,
                cublasLtMatmul(s.blasLt, plan.operation, &alpha, w, plan.weight,
                               x, plan.input, &beta, y, plan.output, y,
                               plan.output, &plan.algorithm, s.blasLtWorkspace,
                               kBlasLtWorkspaceBytes, s.stream),
                call, layer, "cublasLtMatmul");
      return;
    }
    // No cuBLASLt algorithm: the GEMM starts its accumulation from the bias
    // (beta = 1), which the dtype holds exactly.
    check(ctx, launchFillRows(s.stream, dtype, bias, y, m, n), call, layer,
          "the bias kernel");
  }
  gemm(ctx, s, call, layer, dtype, CUBLAS_OP_T, CUBLAS_OP_N, outputs, rows,
       inputs, w, inputs, x, inputs, bias ? 1.0f : 0.0f, y, outputs);
}

void matmul(tprt_context *ctx, const char *layer, int32_t dtype, const void *a,
            const void *b, void *c, int64_t batch, int64_t m, int64_t n,
            int64_t k) {
  const char *call = "tprt_matmul";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, batch, m, n, k);
  int64_t elementBytes = sizes.elementBytes;
  int count = sizes.batch, rows = sizes.m, cols = sizes.n, inner = sizes.k;
  if (count == 0 || rows == 0 || cols == 0)
    return;
  State &s = state(ctx);
  if (inner == 0) {
    check(ctx, cudaMemsetAsync(c, 0, batch * m * n * elementBytes, s.stream),
          call, layer, "cudaMemsetAsync");
    return;
  }
  float alpha = 1.0f, beta = 0.0f;
  if (dtype == TPRT_F32) {
    checkBlas(ctx,
              cublasSgemmStridedBatched(
                  s.blas, CUBLAS_OP_N, CUBLAS_OP_N, cols, rows, inner, &alpha,
                  static_cast<const float *>(b), cols, k * n,
                  static_cast<const float *>(a), inner, m * k, &beta,
                  static_cast<float *>(c), cols, m * n, count),
              call, layer, "cublasSgemmStridedBatched");
    return;
  }
  cudaDataType type = blasType(dtype);
  checkBlas(ctx,
            cublasGemmStridedBatchedEx(
                s.blas, CUBLAS_OP_N, CUBLAS_OP_N, cols, rows, inner, &alpha, b,
                type, cols, k * n, a, type, inner, m * k, &beta, c, type, cols,
                m * n, count, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            call, layer, "cublasGemmStridedBatchedEx");
}

void linear_input_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                       const void *dy, const void *w, void *dx, int64_t m,
                       int64_t n, int64_t k) {
  const char *call = "tprt_linear_input_grad";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  backwardGemm(ctx, call, layer, dtype, sizes.elementBytes, CUBLAS_OP_N,
               sizes.k, sizes.m, sizes.n, w, dy, sizes.n, dx);
}

void linear_weight_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                        const void *dy, const void *x, void *dw, int64_t m,
                        int64_t n, int64_t k) {
  const char *call = "tprt_linear_weight_grad";
  GemmSizes sizes = checkGemm(ctx, call, layer, dtype, 1, m, n, k);
  backwardGemm(ctx, call, layer, dtype, sizes.elementBytes, CUBLAS_OP_T,
               sizes.k, sizes.n, sizes.m, x, dy, sizes.n, dw);
}

void embedding(tprt_context *ctx, const char *layer, int32_t dtype,
               const int64_t *ids, const void *table, void *y, int64_t count,
               int64_t rows, int64_t dim, int64_t row_offset,
               int64_t total_rows) {
  const char *call = "tprt_embedding";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "count", count);
  if (count == 0)
    return;
  State &s = state(ctx);
  unsigned long long *badIndex =
      deferIndexCheck(ctx, s, call, layer, "id", total_rows);
  check(ctx,
        launchEmbedding(s.stream, dtype, ids, table, y, count, rows, dim,
                        row_offset, total_rows, badIndex),
        call, layer, "the embedding kernel");
  keepBadValue(ctx, s, call, layer, ids, badIndex);
}

void embedding_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const int64_t *ids, const void *dy, void *dtable,
                    int64_t count, int64_t rows, int64_t dim,
                    int64_t row_offset, int64_t total_rows) {
  const char *call = "tprt_embedding_grad";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  State &s = state(ctx);
  unsigned long long *badIndex =
      count > 0 ? deferIndexCheck(ctx, s, call, layer, "id", total_rows)
                : nullptr;
  check(ctx,
        launchEmbeddingGrad(s.stream, dtype, ids, dy, dtable, count, rows, dim,
                            row_offset, total_rows, badIndex),
        call, layer, "the embedding gradient kernel");
  if (badIndex)
    keepBadValue(ctx, s, call, layer, ids, badIndex);
}

} // namespace cuda
} // namespace tprt
