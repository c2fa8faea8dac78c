//===- Ops.cpp - the cuda backend's kernels -------------------------------===//
//
// This file implements the kernels of tprt.h on device pointers: the GEMMs
// through cuBLAS, the rest through the kernels of Kernels.cu. Each checks
// its arguments (the dtype first) as the cpu kernel does, with the same
// messages, then enqueues its work on the rank's stream; none waits for
// it. The kernels that validate ids or labels leave what they find in a slot
// of the state that is read when the step is waited for (checkIndices).
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
// bias[n], is a column vector of Y^T: cuBLASLt's bias along D's rows.
//
// Attention over many keys runs as PyTorch's SDPA math backend does, per
// block of `rows` query rows: f32 scores S = scale * Q K^T, a masked row
// softmax into probabilities P in the dtype, O = P V. The heads are read and
// written in place through leading dims (rows of q and o are qStride =
// q_heads * head_dim apart, of k and v kvStride = kv_heads * head_dim), and
// the GEMMs are batched over pointer arrays, one entry per (batch, query
// head): a grouped-query head's key/value head is no constant stride away.
// With d = head_dim, cols keys and S, P padded to rows of ld >= cols:
//   S[rows, cols] = Q[rows, d] K[cols, d]^T is a linear (x = Q, w = K):
//     gemm(T, N, cols, rows, d, K, lda kvStride, Q, ldb qStride, S, ldc ld);
//   O[rows, d] = P[rows, cols] V[cols, d] is c = a b (a = P, b = V):
//     gemm(N, N, d, rows, cols, V, lda kvStride, P, ldb ld, O, ldc qStride).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

namespace tprt {
namespace cuda {

namespace {

/// Attention over at most this many keys runs as one fused kernel, whose
/// single launch beats the GEMM path's four for short sequences.
constexpr int64_t kFusedAttentionKeys = 128;

/// `value` rounded up to a multiple of `step`.
int64_t roundUp(int64_t value, int64_t step) {
  return (value + step - 1) / step * step;
}

/// Fails unless `blocks` (one per row, position...) is a valid CUDA grid.
void checkGrid(const tprt_context *ctx, const char *call, const char *layer,
               const char *what, int64_t blocks) {
  if (blocks < 0 || blocks > INT_MAX)
    fail(ctx, callName(call, layer) + ": " + what + " = " +
                  std::to_string(blocks) +
                  " is beyond the cuda kernel's grid of 2^31-1 blocks");
}

/// Checks `dtype`, then enqueues the elementwise kernel of `call`.
void binary(tprt_context *ctx, const char *call, const char *layer,
            int32_t dtype, Binary op, const void *a, const void *b, void *y,
            int64_t count) {
  dtypeSize(ctx, call, layer, dtype);
  check(ctx, launchBinary(state(ctx).stream, dtype, op, a, b, y, count), call,
        layer, "the kernel launch");
}

void unary(tprt_context *ctx, const char *call, const char *layer,
           int32_t dtype, Unary op, const void *x, void *y, int64_t count,
           float factor) {
  dtypeSize(ctx, call, layer, dtype);
  check(ctx, launchUnary(state(ctx).stream, dtype, op, x, y, count, factor),
        call, layer, "the kernel launch");
}

/// The cuBLAS type of the elements of `dtype`, a checked tprt_dtype.
cudaDataType blasType(int32_t dtype) {
  switch (dtype) {
  case TPRT_F16:
    return CUDA_R_16F;
  case TPRT_BF16:
    return CUDA_R_16BF;
  default:
    return CUDA_R_32F;
  }
}

/// C = op(A) B + beta C, column-major, on `dtype` storage: the GEMM of a
/// linear.
void gemm(tprt_context *ctx, State &s, const char *call, const char *layer,
          int32_t dtype, cublasOperation_t opA, int m, int n, int k,
          const void *a, int lda, const void *b, int ldb, float beta, void *c,
          int ldc) {
  float alpha = 1.0f;
  if (dtype == TPRT_F32) {
    checkBlas(ctx,
              cublasSgemm(s.blas, opA, CUBLAS_OP_N, m, n, k, &alpha,
                          static_cast<const float *>(a), lda,
                          static_cast<const float *>(b), ldb, &beta,
                          static_cast<float *>(c), ldc),
              call, layer, "cublasSgemm");
    return;
  }
  cudaDataType type = blasType(dtype);
  checkBlas(ctx,
            cublasGemmEx(s.blas, opA, CUBLAS_OP_N, m, n, k, &alpha, a, type,
                         lda, b, type, ldb, &beta, c, type, ldc,
                         CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            call, layer, "cublasGemmEx");
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
  gemm(ctx, s, call, layer, dtype, CUBLAS_OP_T, outputs, rows, inputs, w,
       inputs, x, inputs, bias ? 1.0f : 0.0f, y, outputs);
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

void add(tprt_context *ctx, const char *layer, int32_t dtype, const void *a,
         const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_add", layer, dtype, Binary::Add, a, b, y, count);
}

void mul(tprt_context *ctx, const char *layer, int32_t dtype, const void *a,
         const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_mul", layer, dtype, Binary::Mul, a, b, y, count);
}

void silu_mul(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *gate, const void *up, void *y, int64_t count) {
  binary(ctx, "tprt_silu_mul", layer, dtype, Binary::SiluMul, gate, up, y,
         count);
}

void silu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count) {
  unary(ctx, "tprt_silu", layer, dtype, Unary::Silu, x, y, count, 0.0f);
}

void relu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count) {
  unary(ctx, "tprt_relu", layer, dtype, Unary::Relu, x, y, count, 0.0f);
}

void gelu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count, int32_t tanh_approx) {
  unary(ctx, "tprt_gelu", layer, dtype,
        tanh_approx ? Unary::GeluTanh : Unary::GeluErf, x, y, count, 0.0f);
}

void scale(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
           void *y, int64_t count, double factor) {
  unary(ctx, "tprt_scale", layer, dtype, Unary::Scale, x, y, count,
        static_cast<float>(factor));
}

void rms_norm(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *x, const void *weight, void *y, int64_t rows,
              int64_t features, double epsilon) {
  const char *call = "tprt_rms_norm";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchRmsNorm(state(ctx).stream, dtype, x, weight, y, rows, features,
                      epsilon),
        call, layer, "the kernel launch");
}

void layer_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                const void *x, const void *weight, const void *bias, void *y,
                int64_t rows, int64_t features, double epsilon) {
  const char *call = "tprt_layer_norm";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchLayerNorm(state(ctx).stream, dtype, x, weight, bias, y, rows,
                        features, epsilon),
        call, layer, "the kernel launch");
}

void softmax(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
             void *y, int64_t outer, int64_t dim, int64_t inner) {
  const char *call = "tprt_softmax";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "outer * inner", outer * inner);
  check(ctx, launchSoftmax(state(ctx).stream, dtype, x, y, outer, dim, inner),
        call, layer, "the kernel launch");
}

void transpose(tprt_context *ctx, const char *layer, const void *x, void *y,
               int64_t element_bytes, int64_t rank, const int64_t *shape,
               const int64_t *perm) {
  const char *call = "tprt_transpose";
  if (rank < 0 || rank >= kMaxDims)
    fail(ctx, callName(call, layer) + ": the cuda backend transposes at most " +
                  std::to_string(kMaxDims - 1) + " dims, not " +
                  std::to_string(rank));
  TransposeCopy view =
      checkTranspose(ctx, layer, element_bytes, rank, shape, perm);
  check(ctx,
        launchStridedCopy(state(ctx).stream, x, view.srcStrides.data(), y,
                          view.sizes.data(), rank, element_bytes),
        call, layer, "the kernel launch");
}

void copy(tprt_context *ctx, const char *layer, const void *x, void *y,
          int64_t bytes) {
  if (x == y || bytes == 0)
    return;
  check(
      ctx,
      cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, state(ctx).stream),
      "tprt_copy", layer, "cudaMemcpyAsync");
}

void rope(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
          double theta) {
  const char *call = "tprt_rope";
  dtypeSize(ctx, call, layer, dtype);
  checkRope(ctx, layer, head_dim);
  check(ctx,
        launchRope(state(ctx).stream, dtype, x, y, batch, seq, heads, head_dim,
                   theta),
        call, layer, "the kernel launch");
}

void attention(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *q, const void *k, const void *v, void *o,
               void *workspace, int64_t workspace_bytes, int64_t batch,
               int64_t q_seq, int64_t kv_seq, int64_t q_heads, int64_t kv_heads,
               int64_t head_dim, int32_t causal, double scale) {
  const char *call = "tprt_attention";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  auto [dim, qStride, kvStride] =
      checkAttention(ctx, layer, q_heads, kv_heads, head_dim, kv_seq);
  checkGrid(ctx, call, layer, "batch * q_heads * q_seq",
            batch * q_heads * q_seq);
  if (dim == 0 || q_seq <= 0 || batch * q_heads == 0)
    return;
  State &s = state(ctx);
  if (kv_seq == 0) {
    check(ctx,
          cudaMemsetAsync(o, 0,
                          batch * q_seq * q_heads * head_dim * elementBytes,
                          s.stream),
          call, layer, "cudaMemsetAsync");
    return;
  }
  int64_t workspaceRows = attentionWorkspaceRows(ctx, layer, workspace_bytes,
                                                 batch, q_heads, kv_seq);
  // cublasGemmBatchedEx cannot see the alignment of the matrices behind its
  // pointer arrays and may assume 16 bytes: heads whose rows are not
  // multiples of that take the fused kernel at any length.
  auto aligned = [](const void *pointer) {
    return reinterpret_cast<uintptr_t>(pointer) % 16 == 0;
  };
  bool gemmsFit = head_dim * elementBytes % 16 == 0 && aligned(q) &&
                  aligned(k) && aligned(v) && aligned(o);
  if (kv_seq <= kFusedAttentionKeys || !gemmsFit) {
    if (head_dim > kMaxHeadDim)
      fail(ctx, callName(call, layer) + ": head_dim " +
                    std::to_string(head_dim) +
                    " is beyond the cuda attention kernel's " +
                    std::to_string(kMaxHeadDim));
    check(ctx,
          launchAttention(s.stream, dtype, q, k, v, o, batch, q_seq, kv_seq,
                          q_heads, kv_heads, head_dim, causal != 0,
                          static_cast<float>(scale)),
          call, layer, "the attention kernel");
    return;
  }

  // The GEMMs of the header comment, in blocks of the query rows the
  // workspace holds. Its layout, with n (batch, query head) pairs:
  //  - the header of 64 * (n + 1) bytes: the arrays of AttentionArray, each
  //    16-byte aligned (cuBLAS wants aligned pointer arrays), in 6 * 8 *
  //    roundUp(n, 2) <= 48 * (n + 1) bytes;
  //  - then a block's f32 scores, [n, rows, ld] with ld = cols rounded up to
  //    8 elements, which 16-byte aligns every matrix and row of S and P;
  //  - for 16-bit dtypes, from the next 64-byte boundary, the probabilities
  //    in the same layout (f32 ones overwrite the scores).
  // With rows <= workspaceRows and ld <= kv_seq + 7 that takes at most
  // 6 * n * rows * (kv_seq + 7) + 63 <= 8 * n * rows * kv_seq bytes after
  // the header, as the workspace holds, since kv_seq > 128 here.
  int pairs = blasDim(ctx, call, layer, "batch * q_heads", batch * q_heads);
  int64_t paddedKeys = roundUp(kv_seq, 8);
  blasDim(ctx, call, layer, "kv_seq rounded up to a multiple of 8", paddedKeys);
  int64_t blockRows = std::min(workspaceRows, q_seq);
  auto **arrays = static_cast<void **>(workspace);
  int64_t arrayStride = roundUp(pairs, 2);
  auto array = [&](AttentionArray a) { return arrays + a * arrayStride; };
  char *scores = static_cast<char *>(workspace) +
                 tprt_attention_workspace_bytes(batch, q_heads, kv_seq, 0);
  void *probabilities =
      dtype == TPRT_F32
          ? scores
          : scores + roundUp(int64_t(pairs) * blockRows * paddedKeys *
                                 int64_t(sizeof(float)),
                             64);
  // f32 storage with CUBLAS_COMPUTE_32F under the handle's default math mode
  // is cublasSgemm's plain f32 (no TF32), as the other f32 GEMMs.
  cudaDataType type = blasType(dtype);
  float alpha = static_cast<float>(scale), one = 1.0f, zero = 0.0f;
  for (int64_t first = 0; first < q_seq; first += blockRows) {
    int rows = static_cast<int>(std::min(blockRows, q_seq - first));
    // PyTorch's is_causal: query i sees keys j <= i (top-left aligned), so a
    // causal block needs no key beyond its last row.
    int cols =
        static_cast<int>(causal ? std::min(kv_seq, first + rows) : kv_seq);
    int ld = static_cast<int>(roundUp(cols, 8));
    // Stream order keeps the previous block's GEMMs on the old pointers.
    check(ctx,
          launchAttentionPointers(s.stream, dtype, q, k, v, o, scores,
                                  probabilities, arrays, arrayStride, batch,
                                  q_seq, kv_seq, q_heads, kv_heads, head_dim,
                                  first, rows, ld),
          call, layer, "the attention pointer kernel");
    checkBlas(ctx,
              cublasGemmBatchedEx(s.blas, CUBLAS_OP_T, CUBLAS_OP_N, cols, rows,
                                  dim, &alpha, array(kKeyArray), type, kvStride,
                                  array(kQueryArray), type, qStride, &zero,
                                  array(kScoreArray), CUDA_R_32F, ld, pairs,
                                  CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              call, layer, "cublasGemmBatchedEx");
    check(ctx,
          launchAttentionSoftmax(s.stream, dtype,
                                 reinterpret_cast<const float *>(scores),
                                 probabilities, int64_t(pairs) * rows, rows,
                                 cols, ld, first, causal != 0),
          call, layer, "the attention softmax kernel");
    checkBlas(ctx,
              cublasGemmBatchedEx(
                  s.blas, CUBLAS_OP_N, CUBLAS_OP_N, dim, rows, cols, &one,
                  array(kValueArray), type, kvStride, array(kProbabilityArray),
                  type, ld, &zero, array(kOutputArray), type, qStride, pairs,
                  CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              call, layer, "cublasGemmBatchedEx");
  }
}

void sum(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
         void *y, int64_t rank, const int64_t *shape, int64_t dim_mask) {
  const char *call = "tprt_sum";
  dtypeSize(ctx, call, layer, dtype);
  checkDimMask(ctx, layer, rank, dim_mask);
  if (rank > kMaxDims)
    fail(ctx,
         callName(call, layer) + ": the cuda backend sums tensors of at most " +
             std::to_string(kMaxDims) + " dims, not " + std::to_string(rank));
  int64_t outputs = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!(dim_mask >> d & 1))
      outputs *= shape[d];
  checkGrid(ctx, call, layer, "the element count of y", outputs);
  check(ctx, launchSum(state(ctx).stream, dtype, x, y, rank, shape, dim_mask),
        call, layer, "the kernel launch");
}

void cross_entropy(tprt_context *ctx, const char *layer, int32_t dtype,
                   const void *logits, const int64_t *labels, void *loss,
                   int64_t positions, int64_t classes) {
  const char *call = "tprt_cross_entropy";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "positions", positions);
  State &s = state(ctx);
  if (positions == 0) {
    check(ctx, cudaMemsetAsync(loss, 0, elementBytes, s.stream), call, layer,
          "cudaMemsetAsync");
    return;
  }
  auto *perPosition =
      static_cast<double *>(deviceScratch(ctx, 0, positions * sizeof(double)));
  unsigned long long *badIndex =
      deferIndexCheck(ctx, s, call, layer, "label", classes);
  check(ctx,
        launchCrossEntropy(s.stream, dtype, logits, labels, perPosition, loss,
                           positions, classes, badIndex),
        call, layer, "the kernel launch");
  keepBadValue(ctx, s, call, layer, labels, badIndex);
}

} // namespace cuda
} // namespace tprt
