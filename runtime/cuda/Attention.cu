//===- Attention.cu - rotary embedding and attention ----------------------===//
//
// This file implements the cuda backend's Attention family: the rotary
// embedding in Meta's and Hugging Face's pairings, a grid-stride loop, scaled
// dot-product attention, and their backwards. Attention over few keys is one
// fused kernel: one block per (batch, head, query row), keys in tiles of the
// block size with an online (rescaled) softmax.
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
// The backward is two plain kernels, for correctness rather than speed: one
// block per query row recomputes the row's probabilities P, dP = dO V^T and
// dS = P * (dP - rowsum(dP * P)), and writes dq = scale * dS K; then one
// block per key row recomputes P and dS of the query rows that see it from
// the first pass's per-row statistics (device scratch) and writes dk =
// scale * dS^T Q and dv = P^T dO, summed over the query heads of its group,
// without atomics.
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

/// The most pairs per head the rope kernel takes: its frequencies travel in
/// the kernel's parameters.
constexpr int64_t kMaxRopePairs = 256;

/// A head's rotation (RopeRotation) as the rope kernel takes it, by value.
struct RopeKernelRotation {
  RopePairs pairs;
  double magnitude;
  double inverseFrequencies[kMaxRopePairs];
};

/// tprt_rope, or where `inverse` tprt_rope_grad: the rotation by the
/// opposite angle, of the pairs `rotation` places.
template <typename T>
__global__ void ropeKernel(const T *x, T *y, int64_t batch, int64_t seq,
                           int64_t heads, int64_t headDim,
                           RopeKernelRotation rotation, bool inverse) {
  int64_t pairs = headDim / 2, count = batch * seq * heads * pairs;
  for (int64_t index = firstIndex(); index < count; index += gridStride()) {
    // index = ((b * seq + p) * heads + h) * pairs + i.
    int64_t i = index % pairs, vector = index / pairs;
    int64_t p = vector / heads % seq;
    int64_t first = vector * headDim + rotation.pairs.step * i;
    int64_t second = first + rotation.pairs.partner;
    double angle = p * rotation.inverseFrequencies[i];
    if (inverse)
      angle = -angle;
    float cosine = static_cast<float>(rotation.magnitude * cos(angle));
    float sine = static_cast<float>(rotation.magnitude * sin(angle));
    float a = toFloat(x[first]), b = toFloat(x[second]);
    y[first] = fromFloat<T>(a * cosine - b * sine);
    y[second] = fromFloat<T>(a * sine + b * cosine);
  }
}

/// Where the query row of a block of a grid of one block per (batch b,
/// query head h, query row i), block ((b * qHeads) + h) * qSeq + i, lies:
/// its offset in q (o, dq, dout), the offset of the first row of its key
/// and value head in k and v, and how many keys it sees.
struct QueryRowBlock {
  int64_t rowOffset, headOffset, visible;
};

__device__ inline QueryRowBlock queryRowBlock(int64_t block, int64_t qSeq,
                                              int64_t kvSeq, int64_t qHeads,
                                              int64_t kvHeads, int64_t headDim,
                                              bool causal) {
  int64_t i = block % qSeq, h = block / qSeq % qHeads,
          b = block / qSeq / qHeads;
  int64_t g = h / (qHeads / kvHeads);
  // PyTorch's is_causal: query i sees keys j <= i (top-left aligned).
  return {((b * qSeq + i) * qHeads + h) * headDim,
          (b * kvSeq * kvHeads + g) * headDim,
          causal ? smaller(kvSeq, i + 1) : kvSeq};
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

  QueryRowBlock row =
      queryRowBlock(blockIdx.x, qSeq, kvSeq, qHeads, kvHeads, headDim, causal);
  int64_t kvStride = kvHeads * headDim, visible = row.visible;
  const T *qRow = q + row.rowOffset;
  T *oRow = o + row.rowOffset;
  const T *kHead = k + row.headOffset, *vHead = v + row.headOffset;

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

/// The largest head_dim the kernels of attention's backward take (their
/// shared memory: up to four rows of head_dim floats).
constexpr int64_t kMaxGradHeadDim = 2048;

/// What the backward's second pass needs of a query row's probabilities
/// P = exp(score - max) * inverse and of their gradient: rowSum =
/// sum_j P_j dP_j.
struct RowStatistics {
  float max, inverse, rowSum;
};

/// sum_d a[d] * b[d] in f32, in order: a in shared memory, b a row of T.
template <typename T>
__device__ float rowDot(const float *a, const T *b, int64_t n) {
  float sum = 0.0f;
  for (int64_t d = 0; d < n; ++d)
    sum += a[d] * toFloat(b[d]);
  return sum;
}

/// The backward's first pass: one block of kAttentionThreads threads per
/// (batch, query head, query row), block index ((b * qHeads) + h) * qSeq +
/// i, as attentionKernel. It recomputes the row's probabilities P over the
/// keys it sees (one thread per key, a tile of keys at a time), dP = dO V^T
/// and dS = P * (dP - rowsum(dP * P)), writes dq = scale * dS K and leaves
/// the row's RowStatistics in statistics[block]. Dynamic shared memory: the
/// query row, the output gradient's row and dq's accumulator (headDim floats
/// each) and the dS of one key tile (blockDim.x floats).
template <typename T>
__global__ void
attentionQueryGradKernel(const T *q, const T *k, const T *v, const T *dout,
                         T *dq, RowStatistics *statistics, int64_t qSeq,
                         int64_t kvSeq, int64_t qHeads, int64_t kvHeads,
                         int64_t headDim, bool causal, float scale) {
  extern __shared__ float memory[];
  __shared__ float reduction[33];
  __shared__ double reductionSum[33];
  float *query = memory, *outputGrad = memory + headDim,
        *accumulator = memory + 2 * headDim, *scoreGrads = memory + 3 * headDim;

  QueryRowBlock row =
      queryRowBlock(blockIdx.x, qSeq, kvSeq, qHeads, kvHeads, headDim, causal);
  int64_t kvStride = kvHeads * headDim, visible = row.visible;
  int64_t rowOffset = row.rowOffset;
  const T *kHead = k + row.headOffset, *vHead = v + row.headOffset;

  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
    query[d] = toFloat(q[rowOffset + d]);
    outputGrad[d] = toFloat(dout[rowOffset + d]);
    accumulator[d] = 0.0f;
  }
  __syncthreads();

  // The forward's softmax, as the cpu's softmaxRow computes it.
  float max = -CUDART_INF_F;
  for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
    max = MaxOp()(max, rowDot(query, kHead + j * kvStride, headDim) * scale);
  max = blockReduce(max, -CUDART_INF_F, MaxOp(), reduction);
  double sum = 0;
  for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
    sum += expf(rowDot(query, kHead + j * kvStride, headDim) * scale - max);
  float inverse =
      static_cast<float>(1.0 / blockReduce(sum, 0.0, SumOp(), reductionSum));
  auto probability = [&](int64_t j) {
    return expf(rowDot(query, kHead + j * kvStride, headDim) * scale - max) *
           inverse;
  };
  double products = 0;
  for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
    products += double(probability(j)) *
                rowDot(outputGrad, vHead + j * kvStride, headDim);
  float rowSum =
      static_cast<float>(blockReduce(products, 0.0, SumOp(), reductionSum));

  for (int64_t first = 0; first < visible; first += blockDim.x) {
    int64_t j = first + threadIdx.x;
    float scoreGrad = 0.0f;
    if (j < visible)
      scoreGrad = probability(j) *
                  (rowDot(outputGrad, vHead + j * kvStride, headDim) - rowSum);
    scoreGrads[threadIdx.x] = scoreGrad;
    __syncthreads();
    int64_t keys = smaller(blockDim.x, visible - first);
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
      float value = accumulator[d];
      for (int64_t t = 0; t < keys; ++t)
        value += scoreGrads[t] * toFloat(kHead[(first + t) * kvStride + d]);
      accumulator[d] = value;
    }
    // The next tile overwrites `scoreGrads`.
    __syncthreads();
  }
  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x)
    dq[rowOffset + d] = fromFloat<T>(accumulator[d] * scale);
  if (threadIdx.x == 0)
    statistics[blockIdx.x] = {max, inverse, rowSum};
}

/// The backward's second pass: one block of kAttentionThreads threads per
/// (batch, key/value head, key row), block index ((b * kvHeads) + g) * kvSeq
/// + j, summing over the (query head, query row) pairs that see key j, a
/// tile of them at a time (one thread each): dv = sum P dO and dk = scale *
/// sum dS q, with P and dS recomputed from the first pass's statistics.
/// Each block writes its rows of dk and dv whole: no atomics, and no zeroing
/// first. Dynamic shared memory: the key and value rows and the two
/// accumulators (headDim floats each), then P and dS of a tile (blockDim.x
/// floats each).
template <typename T>
__global__ void
attentionKeyGradKernel(const T *q, const T *k, const T *v, const T *dout,
                       const RowStatistics *statistics, T *dk, T *dv,
                       int64_t qSeq, int64_t kvSeq, int64_t qHeads,
                       int64_t kvHeads, int64_t headDim, bool causal,
                       float scale) {
  extern __shared__ float memory[];
  __shared__ int64_t rowOffsets[kAttentionThreads];
  float *key = memory, *value = memory + headDim,
        *keyGrad = memory + 2 * headDim, *valueGrad = memory + 3 * headDim,
        *probabilities = memory + 4 * headDim,
        *scoreGrads = probabilities + blockDim.x;

  int64_t block = blockIdx.x;
  int64_t j = block % kvSeq, g = block / kvSeq % kvHeads,
          b = block / kvSeq / kvHeads;
  int64_t groupSize = qHeads / kvHeads;
  int64_t qStride = qHeads * headDim, kvStride = kvHeads * headDim;
  int64_t kvOffset = (b * kvSeq + j) * kvStride + g * headDim;
  // Under PyTorch's is_causal, key j is seen by the queries i >= j.
  int64_t firstQuery = causal ? j : 0;
  int64_t queries = firstQuery < qSeq ? qSeq - firstQuery : 0;
  int64_t pairs = groupSize * queries;

  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
    key[d] = toFloat(k[kvOffset + d]);
    value[d] = toFloat(v[kvOffset + d]);
    keyGrad[d] = 0.0f;
    valueGrad[d] = 0.0f;
  }
  __syncthreads();

  for (int64_t first = 0; first < pairs; first += blockDim.x) {
    int64_t pair = first + threadIdx.x;
    float probability = 0.0f, scoreGrad = 0.0f;
    if (pair < pairs) {
      int64_t h = g * groupSize + pair / queries;
      int64_t i = firstQuery + pair % queries;
      int64_t offset = (b * qSeq + i) * qStride + h * headDim;
      RowStatistics row = statistics[(b * qHeads + h) * qSeq + i];
      probability = expf(rowDot(key, q + offset, headDim) * scale - row.max) *
                    row.inverse;
      scoreGrad =
          probability * (rowDot(value, dout + offset, headDim) - row.rowSum);
      rowOffsets[threadIdx.x] = offset;
    }
    probabilities[threadIdx.x] = probability;
    scoreGrads[threadIdx.x] = scoreGrad;
    __syncthreads();
    int64_t count = smaller(blockDim.x, pairs - first);
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
      float keySum = keyGrad[d], valueSum = valueGrad[d];
      for (int64_t t = 0; t < count; ++t) {
        valueSum += probabilities[t] * toFloat(dout[rowOffsets[t] + d]);
        keySum += scoreGrads[t] * toFloat(q[rowOffsets[t] + d]);
      }
      keyGrad[d] = keySum;
      valueGrad[d] = valueSum;
    }
    // The next tile overwrites the tile's values.
    __syncthreads();
  }
  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
    dk[kvOffset + d] = fromFloat<T>(keyGrad[d] * scale);
    dv[kvOffset + d] = fromFloat<T>(valueGrad[d]);
  }
}

/// Both passes of attention's backward; kvSeq > 0, qSeq > 0, 0 < headDim
/// <= kMaxGradHeadDim, qHeads a positive multiple of kvHeads, `statistics`
/// device scratch for batch * qHeads * qSeq rows.
cudaError_t launchAttentionGrad(cudaStream_t stream, int32_t dtype,
                                const void *q, const void *k, const void *v,
                                const void *dout, void *dq, void *dk, void *dv,
                                RowStatistics *statistics, int64_t batch,
                                int64_t qSeq, int64_t kvSeq, int64_t qHeads,
                                int64_t kvHeads, int64_t headDim, bool causal,
                                float scale) {
  int64_t queryBlocks = batch * qHeads * qSeq,
          keyBlocks = batch * kvHeads * kvSeq;
  size_t queryShared = (3 * headDim + kAttentionThreads) * sizeof(float);
  size_t keyShared = (4 * headDim + 2 * kAttentionThreads) * sizeof(float);
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    attentionQueryGradKernel<<<unsigned(queryBlocks), kAttentionThreads,
                               queryShared, stream>>>(
        static_cast<const T *>(q), static_cast<const T *>(k),
        static_cast<const T *>(v), static_cast<const T *>(dout),
        static_cast<T *>(dq), statistics, qSeq, kvSeq, qHeads, kvHeads, headDim,
        causal, scale);
    cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess)
      return error;
    attentionKeyGradKernel<<<unsigned(keyBlocks), kAttentionThreads, keyShared,
                             stream>>>(
        static_cast<const T *>(q), static_cast<const T *>(k),
        static_cast<const T *>(v), static_cast<const T *>(dout), statistics,
        static_cast<T *>(dk), static_cast<T *>(dv), qSeq, kvSeq, qHeads,
        kvHeads, headDim, causal, scale);
    return cudaGetLastError();
  });
}

/// headDim is even, at most 2 * kMaxRopePairs.
cudaError_t launchRope(cudaStream_t stream, int32_t dtype, const void *x,
                       void *y, int64_t batch, int64_t seq, int64_t heads,
                       int64_t headDim, const RopeRotation &rotation,
                       bool inverse) {
  int64_t count = batch * seq * heads * (headDim / 2);
  if (count == 0)
    return cudaSuccess;
  RopeKernelRotation byValue{rotation.pairs, rotation.magnitude, {}};
  std::copy(rotation.inverseFrequencies.begin(),
            rotation.inverseFrequencies.end(), byValue.inverseFrequencies);
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    ropeKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(y), batch, seq, heads,
        headDim, byValue, inverse);
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

/// Checks and enqueues tprt_rope or, where `inverse`, tprt_rope_grad
/// (`call`).
void rotatePairs(tprt_context *ctx, const char *call, const char *layer,
                 int32_t dtype, const void *x, void *y, int64_t batch,
                 int64_t seq, int64_t heads, int64_t headDim, double theta,
                 int32_t convention, const double *freqFactors,
                 double attentionFactor, bool inverse) {
  dtypeSize(ctx, call, layer, dtype);
  RopeRotation rotation = checkRope(ctx, call, layer, headDim, theta,
                                    convention, freqFactors, attentionFactor);
  if (headDim / 2 > kMaxRopePairs)
    fail(ctx, callName(call, layer) + ": head_dim " + std::to_string(headDim) +
                  " is above the cuda backend's rope limit " +
                  std::to_string(2 * kMaxRopePairs));
  check(ctx,
        launchRope(state(ctx).stream, dtype, x, y, batch, seq, heads, headDim,
                   rotation, inverse),
        call, layer, "the kernel launch");
}

} // namespace

void rope(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
          double theta, int32_t convention, const double *freq_factors,
          double attention_factor) {
  rotatePairs(ctx, "tprt_rope", layer, dtype, x, y, batch, seq, heads, head_dim,
              theta, convention, freq_factors, attention_factor,
              /*inverse=*/false);
}

void rope_grad(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *dy, void *dx, int64_t batch, int64_t seq,
               int64_t heads, int64_t head_dim, double theta,
               int32_t convention, const double *freq_factors,
               double attention_factor) {
  // A rotation's transpose is the rotation by the opposite angle (and the
  // same magnitude).
  rotatePairs(ctx, "tprt_rope_grad", layer, dtype, dy, dx, batch, seq, heads,
              head_dim, theta, convention, freq_factors, attention_factor,
              /*inverse=*/true);
}

void attention(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *q, const void *k, const void *v, void *o,
               void *workspace, int64_t workspace_bytes, int64_t batch,
               int64_t q_seq, int64_t kv_seq, int64_t q_heads, int64_t kv_heads,
               int64_t head_dim, int32_t causal, double scale) {
  const char *call = "tprt_attention";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  auto [dim, qStride, kvStride] =
      checkAttention(ctx, call, layer, q_heads, kv_heads, head_dim, kv_seq);
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
  int64_t workspaceRows = attentionWorkspaceRows(
      ctx, call, layer, workspace_bytes, batch, q_heads, kv_seq);
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

void attention_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *q, const void *k, const void *v,
                    const void *dout, void *dq, void *dk, void *dv,
                    void * /*workspace*/, int64_t workspace_bytes,
                    int64_t batch, int64_t q_seq, int64_t kv_seq,
                    int64_t q_heads, int64_t kv_heads, int64_t head_dim,
                    int32_t causal, double scale) {
  const char *call = "tprt_attention_grad";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkAttention(ctx, call, layer, q_heads, kv_heads, head_dim, kv_seq);
  checkGrid(ctx, call, layer, "batch * q_heads * q_seq",
            batch * q_heads * q_seq);
  checkGrid(ctx, call, layer, "batch * kv_heads * kv_seq",
            batch * kv_heads * kv_seq);
  if (head_dim == 0 || batch == 0)
    return;
  State &s = state(ctx);
  int64_t qBytes = batch * q_seq * q_heads * head_dim * elementBytes;
  int64_t kvBytes = batch * kv_seq * kv_heads * head_dim * elementBytes;
  if (q_seq <= 0 || q_heads == 0) {
    // No query reads the keys and values.
    for (void *gradient : {dk, dv})
      check(ctx, cudaMemsetAsync(gradient, 0, kvBytes, s.stream), call, layer,
            "cudaMemsetAsync");
    return;
  }
  if (kv_seq == 0) {
    check(ctx, cudaMemsetAsync(dq, 0, qBytes, s.stream), call, layer,
          "cudaMemsetAsync");
    return;
  }
  // Checked as the cpu backend uses it; the kernels recompute the
  // probabilities where they need them instead of keeping them there.
  attentionWorkspaceRows(ctx, call, layer, workspace_bytes, batch, q_heads,
                         kv_seq);
  if (head_dim > kMaxGradHeadDim)
    fail(ctx, callName(call, layer) + ": head_dim " + std::to_string(head_dim) +
                  " is beyond the cuda attention backward's " +
                  std::to_string(kMaxGradHeadDim));
  auto *statistics = static_cast<RowStatistics *>(
      deviceScratch(ctx, 0, batch * q_heads * q_seq * sizeof(RowStatistics)));
  check(ctx,
        launchAttentionGrad(s.stream, dtype, q, k, v, dout, dq, dk, dv,
                            statistics, batch, q_seq, kv_seq, q_heads, kv_heads,
                            head_dim, causal != 0, static_cast<float>(scale)),
        call, layer, "the attention backward kernels");
}

} // namespace cuda
} // namespace tprt
