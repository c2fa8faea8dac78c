//===- Attention.cu - rotary embedding and attention ----------------------===//
//
// This file implements the cuda backend's Attention family: Llama's rotary
// embedding, a grid-stride loop, and scaled dot-product attention. Attention
// over few keys is one fused kernel: one block per (batch, head, query
// row), keys in tiles of the block size with an online (rescaled) softmax.
// Over many keys it runs as PyTorch's SDPA math backend does, per block of
// `rows` query rows: f32 scores S = scale * Q K^T, a masked row softmax into
// probabilities P in the dtype, O = P V. The heads are read and written in
// place through leading dims (rows of q and o are qStride = q_heads *
// head_dim apart, of k and v kvStride = kv_heads * head_dim), and the GEMMs
// are batched over pointer arrays, one entry per (batch, query head), filled
// by a kernel: a grouped-query head's key/value head is no constant stride
// away. With d = head_dim, cols keys and S, P padded to rows of ld >= cols
// (row-major GEMMs in column-major cuBLAS as Linear.cu explains):
//   S[rows, cols] = Q[rows, d] K[cols, d]^T is a linear (x = Q, w = K):
//     gemm(T, N, cols, rows, d, K, lda kvStride, Q, ldb qStride, S, ldc ld);
//   O[rows, d] = P[rows, cols] V[cols, d] is c = a b (a = P, b = V):
//     gemm(N, N, d, rows, cols, V, lda kvStride, P, ldb ld, O, ldc qStride).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <math_constants.h>

#include <algorithm>
#include <cstdint>

namespace tprt {
namespace cuda {

namespace {

/// Threads per block of the attention kernel, also its key tile.
constexpr int kAttentionThreads = 128;

/// The largest head_dim the attention kernel takes (its shared memory).
constexpr int64_t kMaxHeadDim = 4096;

/// Attention over at most this many keys runs as one fused kernel, whose
/// single launch beats the GEMM path's four for short sequences.
constexpr int64_t kFusedAttentionKeys = 128;

/// `value` rounded up to a multiple of `step`.
int64_t roundUp(int64_t value, int64_t step) {
  return (value + step - 1) / step * step;
}

/// The device pointer arrays of attention's batched GEMMs over a block of
/// query rows, one entry per (batch b, query head h) pair p = b * qHeads +
/// h: array a starts at pointers + a * stride.
enum AttentionArray {
  kQueryArray,       // q[b, first, h, :]
  kKeyArray,         // k[b, 0, g, :], g = h / (qHeads / kvHeads)
  kValueArray,       // v[b, 0, g, :]
  kOutputArray,      // o[b, first, h, :]
  kScoreArray,       // scores + p * rows * ld (f32)
  kProbabilityArray, // probabilities + p * rows * ld (the dtype)
  kAttentionArrays
};

template <typename T>
__global__ void ropeKernel(const T *x, T *y, int64_t batch, int64_t seq,
                           int64_t heads, int64_t headDim, double theta) {
  int64_t pairs = headDim / 2, count = batch * seq * heads * pairs;
  for (int64_t index = firstIndex(); index < count; index += gridStride()) {
    // index = ((b * seq + p) * heads + h) * pairs + i.
    int64_t i = index % pairs, vector = index / pairs;
    int64_t p = vector / heads % seq;
    int64_t at = vector * headDim + 2 * i;
    double angle = p * pow(theta, -2.0 * i / headDim);
    float cosine = static_cast<float>(cos(angle));
    float sine = static_cast<float>(sin(angle));
    float even = toFloat(x[at]), odd = toFloat(x[at + 1]);
    y[at] = fromFloat<T>(even * cosine - odd * sine);
    y[at + 1] = fromFloat<T>(even * sine + odd * cosine);
  }
}

/// One block of kAttentionThreads threads per (batch, query head, query
/// row), block index ((b * qHeads) + h) * qSeq + i. Dynamic shared memory
/// (f32 whatever T): the query row and the output accumulator (headDim
/// floats each) and the probabilities of one key tile (blockDim.x floats).
template <typename T>
__global__ void attentionKernel(const T *q, const T *k, const T *v, T *o,
                                int64_t qSeq, int64_t kvSeq, int64_t qHeads,
                                int64_t kvHeads, int64_t headDim, bool causal,
                                float scale) {
  extern __shared__ float memory[];
  __shared__ float reduction[33];
  __shared__ double reductionSum[33];
  float *query = memory, *accumulator = memory + headDim,
        *probabilities = memory + 2 * headDim;

  int64_t block = blockIdx.x;
  int64_t i = block % qSeq, h = block / qSeq % qHeads,
          b = block / qSeq / qHeads;
  int64_t g = h / (qHeads / kvHeads);
  int64_t qStride = qHeads * headDim, kvStride = kvHeads * headDim;
  const T *qRow = q + (b * qSeq + i) * qStride + h * headDim;
  T *oRow = o + (b * qSeq + i) * qStride + h * headDim;
  const T *kHead = k + b * kvSeq * kvStride + g * headDim;
  const T *vHead = v + b * kvSeq * kvStride + g * headDim;
  // PyTorch's is_causal: query i sees keys j <= i (top-left aligned).
  int64_t visible = causal ? smaller(kvSeq, i + 1) : kvSeq;

  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
    query[d] = toFloat(qRow[d]);
    accumulator[d] = 0.0f;
  }
  __syncthreads();

  // The running max and sum of exp(score - max) over the keys so far; the
  // accumulator holds sum exp(score - max) * v.
  // The sum is kept in double, as the cpu kernels keep softmax sums.
  float runningMax = -CUDART_INF_F;
  double runningSum = 0.0;
  for (int64_t first = 0; first < visible; first += blockDim.x) {
    int64_t j = first + threadIdx.x;
    float score = -CUDART_INF_F;
    if (j < visible) {
      const T *kRow = kHead + j * kvStride;
      float dot = 0.0f;
      for (int64_t d = 0; d < headDim; ++d)
        dot += query[d] * toFloat(kRow[d]);
      score = dot * scale;
    }
    float tileMax = blockReduce(score, -CUDART_INF_F, MaxOp(), reduction);
    // The tile holds key `first` < visible, so newMax is finite.
    float newMax = MaxOp()(runningMax, tileMax);
    float probability = j < visible ? expf(score - newMax) : 0.0f;
    probabilities[threadIdx.x] = probability;
    // blockReduce's barriers also publish `probabilities`.
    double tileSum =
        blockReduce(double(probability), 0.0, SumOp(), reductionSum);
    // 0 on the first tile.
    double correction = exp(double(runningMax) - double(newMax));
    runningSum = runningSum * correction + tileSum;
    int64_t keys = smaller(blockDim.x, visible - first);
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
      float value = accumulator[d] * float(correction);
      for (int64_t t = 0; t < keys; ++t)
        value += probabilities[t] * toFloat(vHead[(first + t) * kvStride + d]);
      accumulator[d] = value;
    }
    runningMax = newMax;
    // The next tile overwrites `probabilities`.
    __syncthreads();
  }
  float inverse = float(1.0 / runningSum);
  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x)
    oRow[d] = fromFloat<T>(accumulator[d] * inverse);
}

/// One thread per (batch, query head) pair p = b * qHeads + h: its entries
/// of the pointer arrays of AttentionArray.
template <typename T>
__global__ void
attentionPointersKernel(const T *q, const T *k, const T *v, T *o, float *scores,
                        T *probabilities, void **pointers, int64_t stride,
                        int64_t pairs, int64_t qSeq, int64_t kvSeq,
                        int64_t qHeads, int64_t kvHeads, int64_t headDim,
                        int64_t first, int64_t rows, int64_t ld) {
  for (int64_t p = firstIndex(); p < pairs; p += gridStride()) {
    int64_t b = p / qHeads, h = p % qHeads, g = h / (qHeads / kvHeads);
    int64_t qOffset = ((b * qSeq + first) * qHeads + h) * headDim;
    int64_t kvOffset = (b * kvSeq * kvHeads + g) * headDim;
    int64_t scoreOffset = p * rows * ld;
    pointers[kQueryArray * stride + p] = const_cast<T *>(q + qOffset);
    pointers[kKeyArray * stride + p] = const_cast<T *>(k + kvOffset);
    pointers[kValueArray * stride + p] = const_cast<T *>(v + kvOffset);
    pointers[kOutputArray * stride + p] = o + qOffset;
    pointers[kScoreArray * stride + p] = scores + scoreOffset;
    pointers[kProbabilityArray * stride + p] = probabilities + scoreOffset;
  }
}

/// One block per score row; `probabilities` may equal `scores` (T = float):
/// each thread reads a score before it writes its probability.
template <typename T>
__global__ void attentionSoftmaxKernel(const float *scores, T *probabilities,
                                       int64_t rows, int64_t cols, int64_t ld,
                                       int64_t first, bool causal) {
  __shared__ float sharedMax[33];
  __shared__ double sharedSum[33];
  int64_t t = blockIdx.x;
  const float *in = scores + t * ld;
  T *out = probabilities + t * ld;
  // PyTorch's is_causal: query i sees keys j <= i (top-left aligned); at
  // least key 0, so the max is finite.
  int64_t i = first + t % rows;
  int64_t visible = causal ? smaller(cols, i + 1) : cols;
  float max = -CUDART_INF_F;
  for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
    max = MaxOp()(max, in[j]);
  max = blockReduce(max, -CUDART_INF_F, MaxOp(), sharedMax);
  double sum = 0;
  for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
    sum += expf(in[j] - max);
  sum = blockReduce(sum, 0.0, SumOp(), sharedSum);
  float inverse = static_cast<float>(1.0 / sum);
  // The masked keys too: the GEMM with v reads all `cols`.
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
    out[j] = fromFloat<T>(j < visible ? expf(in[j] - max) * inverse : 0.0f);
}

/// headDim is even.
cudaError_t launchRope(cudaStream_t stream, int32_t dtype, const void *x,
                       void *y, int64_t batch, int64_t seq, int64_t heads,
                       int64_t headDim, double theta) {
  int64_t count = batch * seq * heads * (headDim / 2);
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    ropeKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(y), batch, seq, heads,
        headDim, theta);
    return cudaGetLastError();
  });
}

/// kvSeq > 0, 0 < headDim <= kMaxHeadDim, qHeads a multiple of kvHeads.
cudaError_t launchAttention(cudaStream_t stream, int32_t dtype, const void *q,
                            const void *k, const void *v, void *o,
                            int64_t batch, int64_t qSeq, int64_t kvSeq,
                            int64_t qHeads, int64_t kvHeads, int64_t headDim,
                            bool causal, float scale) {
  int64_t blocks = batch * qHeads * qSeq;
  if (blocks == 0)
    return cudaSuccess;
  size_t shared = (2 * headDim + kAttentionThreads) * sizeof(float);
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    attentionKernel<<<unsigned(blocks), kAttentionThreads, shared, stream>>>(
        static_cast<const T *>(q), static_cast<const T *>(k),
        static_cast<const T *>(v), static_cast<T *>(o), qSeq, kvSeq, qHeads,
        kvHeads, headDim, causal, scale);
    return cudaGetLastError();
  });
}

/// Fills the arrays of AttentionArray for query rows [first, first + rows);
/// batch * qHeads > 0, qHeads a multiple of kvHeads.
cudaError_t launchAttentionPointers(
    cudaStream_t stream, int32_t dtype, const void *q, const void *k,
    const void *v, void *o, void *scores, void *probabilities, void **pointers,
    int64_t stride, int64_t batch, int64_t qSeq, int64_t kvSeq, int64_t qHeads,
    int64_t kvHeads, int64_t headDim, int64_t first, int64_t rows, int64_t ld) {
  int64_t pairs = batch * qHeads;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    attentionPointersKernel<<<gridFor(pairs), kThreads, 0, stream>>>(
        static_cast<const T *>(q), static_cast<const T *>(k),
        static_cast<const T *>(v), static_cast<T *>(o),
        static_cast<float *>(scores), static_cast<T *>(probabilities), pointers,
        stride, pairs, qSeq, kvSeq, qHeads, kvHeads, headDim, first, rows, ld);
    return cudaGetLastError();
  });
}

/// Attention's softmax over `count` f32 score rows of `cols` values, `ld`
/// apart, in blocks of `rows` rows: row t is query row first + t % rows,
/// whose keys j >= visible (causal ? min(cols, i + 1) : cols) get
/// probability 0. Writes the probabilities in the dtype at the same offsets
/// of `probabilities`, which may equal `scores` for f32. cols > 0.
cudaError_t launchAttentionSoftmax(cudaStream_t stream, int32_t dtype,
                                   const float *scores, void *probabilities,
                                   int64_t count, int64_t rows, int64_t cols,
                                   int64_t ld, int64_t first, bool causal) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    attentionSoftmaxKernel<<<unsigned(count), kThreads, 0, stream>>>(
        scores, static_cast<T *>(probabilities), rows, cols, ld, first, causal);
    return cudaGetLastError();
  });
}

} // namespace

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

} // namespace cuda
} // namespace tprt
