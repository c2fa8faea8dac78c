//===- Ops.cpp - the cuda backend's kernels -------------------------------===//
//
// This file implements the kernels of tprt.h on device pointers: the GEMMs
// through cuBLAS (f32, no TF32, so results match the cpu backend's), the
// rest through the kernels of Kernels.cu. Each checks its arguments as the
// cpu kernel does, with the same messages, then enqueues its work on the
// rank's stream; only the kernels that validate ids or labels wait for it.
//
// Row-major GEMMs in column-major cuBLAS: a row-major [r, c] matrix is the
// column-major [c, r] matrix of its transpose, with leading dim c. So
//   y[m, n] = x[m, k] w[n, k]^T   is   Y^T[n, m] = op(W^T[k, n]) X^T[k, m]
// with op = transpose: cublasSgemm(T, N, n, m, k, w, lda k, x, ldb k, y,
// ldc n); and c[m, n] = a[m, k] b[k, n] is C^T[n, m] = B^T[n, k] A^T[k, m]:
// cublasSgemm(N, N, n, m, k, b, ldb n, a, lda k, c, ldc n).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <climits>
#include <vector>

namespace tprt {
namespace cuda {

namespace {

/// Fails unless `blocks` (one per row, position...) is a valid CUDA grid.
void checkGrid(const tprt_context *ctx, const char *call, const char *layer,
               const char *what, int64_t blocks) {
  if (blocks < 0 || blocks > INT_MAX)
    fail(ctx, callName(call, layer) + ": " + what + " = " +
                  std::to_string(blocks) +
                  " is beyond the cuda kernel's grid of 2^31-1 blocks");
}

/// After a kernel that leaves the first bad position in state.badIndex:
/// waits for it and, where a position is bad, reads the value there and
/// fails with `describe(position, value)`.
template <typename Describe>
void checkBadIndex(tprt_context *ctx, State &s, const char *call,
                   const char *layer, const int64_t *values,
                   Describe describe) {
  unsigned long long bad = 0;
  check(ctx,
        cudaMemcpyAsync(&bad, s.badIndex, sizeof bad, cudaMemcpyDeviceToHost,
                        s.stream),
        call, layer, "cudaMemcpyAsync");
  waitForStream(ctx, s, call, layer,
                "cudaStreamQuery");
  if (bad == ~0ull)
    return;
  int64_t position = static_cast<int64_t>(bad), value = 0;
  check(ctx,
        cudaMemcpy(&value, values + position, sizeof value,
                   cudaMemcpyDeviceToHost),
        call, layer, "cudaMemcpy");
  fail(ctx, callName(call, layer) + ": " + describe(position, value));
}

} // namespace

void linear(tprt_context *ctx, const char *layer, const float *x,
            const float *w, const float *bias, float *y, int64_t m, int64_t n,
            int64_t k) {
  const char *call = "tprt_linear";
  int rows = blasDim(ctx, call, layer, "m", m);
  int outputs = blasDim(ctx, call, layer, "n", n);
  int inputs = blasDim(ctx, call, layer, "k", k);
  if (rows == 0 || outputs == 0)
    return;
  State &s = state(ctx);
  // The bias is added by starting the accumulation from it (beta = 1).
  float alpha = 1.0f, beta = 0.0f;
  if (bias) {
    check(ctx, launchFillRows(s.stream, bias, y, m, n), call, layer,
          "the bias kernel");
    beta = 1.0f;
  }
  if (inputs == 0) {
    if (!bias)
      check(ctx, cudaMemsetAsync(y, 0, m * n * sizeof(float), s.stream), call,
            layer, "cudaMemsetAsync");
    return;
  }
  checkBlas(ctx,
            cublasSgemm(s.blas, CUBLAS_OP_T, CUBLAS_OP_N, outputs, rows, inputs,
                        &alpha, w, inputs, x, inputs, &beta, y, outputs),
            call, layer, "cublasSgemm");
}

void matmul(tprt_context *ctx, const char *layer, const float *a,
            const float *b, float *c, int64_t batch, int64_t m, int64_t n,
            int64_t k) {
  const char *call = "tprt_matmul";
  int count = blasDim(ctx, call, layer, "batch", batch);
  int rows = blasDim(ctx, call, layer, "m", m);
  int cols = blasDim(ctx, call, layer, "n", n);
  int inner = blasDim(ctx, call, layer, "k", k);
  if (count == 0 || rows == 0 || cols == 0)
    return;
  State &s = state(ctx);
  if (inner == 0) {
    check(ctx, cudaMemsetAsync(c, 0, batch * m * n * sizeof(float), s.stream),
          call, layer, "cudaMemsetAsync");
    return;
  }
  float alpha = 1.0f, beta = 0.0f;
  checkBlas(ctx,
            cublasSgemmStridedBatched(
                s.blas, CUBLAS_OP_N, CUBLAS_OP_N, cols, rows, inner, &alpha, b,
                cols, k * n, a, inner, m * k, &beta, c, cols, m * n, count),
            call, layer, "cublasSgemmStridedBatched");
}

void embedding(tprt_context *ctx, const char *layer, const int64_t *ids,
               const float *table, float *y, int64_t count, int64_t rows,
               int64_t dim, int64_t row_offset, int64_t total_rows) {
  const char *call = "tprt_embedding";
  checkGrid(ctx, call, layer, "count", count);
  if (count == 0)
    return;
  State &s = state(ctx);
  check(ctx,
        launchEmbedding(s.stream, ids, table, y, count, rows, dim, row_offset,
                        total_rows, s.badIndex),
        call, layer, "the embedding kernel");
  checkBadIndex(ctx, s, call, layer, ids, [&](int64_t position, int64_t id) {
    return "id " + std::to_string(id) + " at position " +
           std::to_string(position) + " is outside [0, " +
           std::to_string(total_rows) + ")";
  });
}

void add(tprt_context *ctx, const float *a, const float *b, float *y,
         int64_t count) {
  check(ctx, launchBinary(state(ctx).stream, Binary::Add, a, b, y, count),
        "tprt_add", nullptr, "the kernel launch");
}

void mul(tprt_context *ctx, const float *a, const float *b, float *y,
         int64_t count) {
  check(ctx, launchBinary(state(ctx).stream, Binary::Mul, a, b, y, count),
        "tprt_mul", nullptr, "the kernel launch");
}

void siluMul(tprt_context *ctx, const float *gate, const float *up, float *y,
             int64_t count) {
  check(ctx,
        launchBinary(state(ctx).stream, Binary::SiluMul, gate, up, y, count),
        "tprt_silu_mul", nullptr, "the kernel launch");
}

void silu(tprt_context *ctx, const float *x, float *y, int64_t count) {
  check(ctx, launchUnary(state(ctx).stream, Unary::Silu, x, y, count, 0.0f),
        "tprt_silu", nullptr, "the kernel launch");
}

void relu(tprt_context *ctx, const float *x, float *y, int64_t count) {
  check(ctx, launchUnary(state(ctx).stream, Unary::Relu, x, y, count, 0.0f),
        "tprt_relu", nullptr, "the kernel launch");
}

void gelu(tprt_context *ctx, const float *x, float *y, int64_t count,
          int32_t tanh_approx) {
  Unary op = tanh_approx ? Unary::GeluTanh : Unary::GeluErf;
  check(ctx, launchUnary(state(ctx).stream, op, x, y, count, 0.0f), "tprt_gelu",
        nullptr, "the kernel launch");
}

void scale(tprt_context *ctx, const float *x, float *y, int64_t count,
           double factor) {
  check(ctx,
        launchUnary(state(ctx).stream, Unary::Scale, x, y, count,
                    static_cast<float>(factor)),
        "tprt_scale", nullptr, "the kernel launch");
}

void rmsNorm(tprt_context *ctx, const char *layer, const float *x,
             const float *weight, float *y, int64_t rows, int64_t features,
             double epsilon) {
  const char *call = "tprt_rms_norm";
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchRmsNorm(state(ctx).stream, x, weight, y, rows, features, epsilon),
        call, layer, "the kernel launch");
}

void layerNorm(tprt_context *ctx, const char *layer, const float *x,
               const float *weight, const float *bias, float *y, int64_t rows,
               int64_t features, double epsilon) {
  const char *call = "tprt_layer_norm";
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchLayerNorm(state(ctx).stream, x, weight, bias, y, rows, features,
                        epsilon),
        call, layer, "the kernel launch");
}

void softmax(tprt_context *ctx, const float *x, float *y, int64_t outer,
             int64_t dim, int64_t inner) {
  const char *call = "tprt_softmax";
  checkGrid(ctx, call, nullptr, "outer * inner", outer * inner);
  check(ctx, launchSoftmax(state(ctx).stream, x, y, outer, dim, inner), call,
        nullptr, "the kernel launch");
}

void transpose(tprt_context *ctx, const void *x, void *y, int64_t element_bytes,
               int64_t rank, const int64_t *shape, const int64_t *perm) {
  const char *call = "tprt_transpose";
  if (rank < 0 || rank >= kMaxDims)
    fail(ctx, std::string(call) + ": the cuda backend transposes at most " +
                  std::to_string(kMaxDims - 1) + " dims, not " +
                  std::to_string(rank));
  // x's row-major byte strides, read through the permutation.
  std::vector<int64_t> xStrides(rank), sizes(rank), srcStrides(rank);
  std::vector<bool> seen(rank, false);
  for (int64_t d = rank, stride = element_bytes; d-- > 0;) {
    xStrides[d] = stride;
    stride *= shape[d];
  }
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      fail(ctx, "tprt_transpose: perm is not a permutation of the " +
                    std::to_string(rank) + " dims");
    seen[perm[i]] = true;
    sizes[i] = shape[perm[i]];
    srcStrides[i] = xStrides[perm[i]];
  }
  check(ctx,
        launchStridedCopy(state(ctx).stream, x, srcStrides.data(), y,
                          sizes.data(), rank, element_bytes),
        call, nullptr, "the kernel launch");
}

void copy(tprt_context *ctx, const void *x, void *y, int64_t bytes) {
  if (x == y || bytes == 0)
    return;
  check(
      ctx,
      cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, state(ctx).stream),
      "tprt_copy", nullptr, "cudaMemcpyAsync");
}

void rope(tprt_context *ctx, const float *x, float *y, int64_t batch,
          int64_t seq, int64_t heads, int64_t head_dim, double theta) {
  if (head_dim % 2 != 0)
    fail(ctx,
         "tprt_rope: head_dim " + std::to_string(head_dim) + " must be even");
  check(ctx,
        launchRope(state(ctx).stream, x, y, batch, seq, heads, head_dim, theta),
        "tprt_rope", nullptr, "the kernel launch");
}

void attention(tprt_context *ctx, const char *layer, const float *q,
               const float *k, const float *v, float *o, int64_t batch,
               int64_t q_seq, int64_t kv_seq, int64_t q_heads, int64_t kv_heads,
               int64_t head_dim, int32_t causal, double scale) {
  const char *call = "tprt_attention";
  if (kv_heads <= 0 || q_heads % kv_heads != 0)
    fail(ctx, callName(call, layer) + ": " + std::to_string(q_heads) +
                  " query heads are not a multiple of " +
                  std::to_string(kv_heads) + " key/value heads");
  if (head_dim > kMaxHeadDim)
    fail(ctx, callName(call, layer) + ": head_dim " + std::to_string(head_dim) +
                  " is beyond the cuda attention kernel's " +
                  std::to_string(kMaxHeadDim));
  blasDim(ctx, call, layer, "head_dim", head_dim);
  blasDim(ctx, call, layer, "kv_seq", kv_seq);
  checkGrid(ctx, call, layer, "batch * q_heads * q_seq",
            batch * q_heads * q_seq);
  if (head_dim == 0 || q_seq <= 0)
    return;
  State &s = state(ctx);
  if (kv_seq == 0) {
    check(ctx,
          cudaMemsetAsync(o, 0,
                          batch * q_seq * q_heads * head_dim * sizeof(float),
                          s.stream),
          call, layer, "cudaMemsetAsync");
    return;
  }
  check(ctx,
        launchAttention(s.stream, q, k, v, o, batch, q_seq, kv_seq, q_heads,
                        kv_heads, head_dim, causal != 0,
                        static_cast<float>(scale)),
        call, layer, "the attention kernel");
}

void sum(tprt_context *ctx, const float *x, float *y, int64_t rank,
         const int64_t *shape, int64_t dim_mask) {
  const char *call = "tprt_sum";
  if (dim_mask < 0 || dim_mask >> rank != 0)
    fail(ctx, "tprt_sum: dim mask " + std::to_string(dim_mask) +
                  " names dims beyond the " + std::to_string(rank) + " of x");
  if (rank > kMaxDims)
    fail(ctx,
         std::string(call) + ": the cuda backend sums tensors of at most " +
             std::to_string(kMaxDims) + " dims, not " + std::to_string(rank));
  int64_t outputs = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!(dim_mask >> d & 1))
      outputs *= shape[d];
  checkGrid(ctx, call, nullptr, "the element count of y", outputs);
  check(ctx, launchSum(state(ctx).stream, x, y, rank, shape, dim_mask), call,
        nullptr, "the kernel launch");
}

void crossEntropy(tprt_context *ctx, const char *layer, const float *logits,
                  const int64_t *labels, float *loss, int64_t positions,
                  int64_t classes) {
  const char *call = "tprt_cross_entropy";
  checkGrid(ctx, call, layer, "positions", positions);
  State &s = state(ctx);
  if (positions == 0) {
    check(ctx, cudaMemsetAsync(loss, 0, sizeof(float), s.stream), call, layer,
          "cudaMemsetAsync");
    return;
  }
  auto *perPosition =
      static_cast<double *>(deviceScratch(ctx, 0, positions * sizeof(double)));
  check(ctx,
        launchCrossEntropy(s.stream, logits, labels, perPosition, loss,
                           positions, classes, s.badIndex),
        call, layer, "the kernel launch");
  checkBadIndex(ctx, s, call, layer, labels,
                [&](int64_t position, int64_t label) {
                  return "label " + std::to_string(label) + " at position " +
                         std::to_string(position) + " is outside [0, " +
                         std::to_string(classes) + ")";
                });
}

} // namespace cuda
} // namespace tprt
