//===- Kernels.cu - the cuda backend's CUDA kernels -----------------------===//
//
// This file implements the kernels the runtime writes itself (GEMMs go to
// cuBLAS, collectives to NCCL): elementwise ops, embedding, norms, softmax,
// rope, attention, sum, cross-entropy and the strided copy behind transposes
// and the collectives' rearrangements. They follow the cpu kernels' math and
// reduce in double where those do. Each float kernel is a template on the
// storage type T (float, __half or __nv_bfloat16): it widens what it loads
// to f32, computes in f32 (or double) and rounds each result to T once, on
// its store. They aim at obviously correct, not fast:
//   - elementwise and copies: grid-stride loops over 64-bit indices;
//   - row reductions (norms, softmax, loss, sum): one block per row, a
//     shuffle-then-shared-memory block reduction;
//   - attention over few keys: one block per (batch, head, query row), keys
//     in tiles of the block size with an online (rescaled) softmax; over
//     many keys, Ops.cpp runs it as cuBLAS GEMMs around the masked softmax
//     here, with the GEMMs' pointer arrays filled here too.
//
//===----------------------------------------------------------------------===//

#include "Launch.h"
#include "tprt/tprt.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math_constants.h>

#include <algorithm>
#include <cstdint>

namespace tprt {
namespace cuda {
namespace {

/// Threads per block of every kernel (a multiple of the warp size).
constexpr int kThreads = 256;
/// Threads per block of the attention kernel, also its key tile.
constexpr int kAttentionThreads = 128;

/// Blocks for a grid-stride loop over `count` items.
unsigned gridFor(int64_t count) {
  int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::min<int64_t>(blocks, int64_t(1) << 20));
}

__device__ int64_t firstIndex() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ int64_t gridStride() { return int64_t(gridDim.x) * blockDim.x; }

__device__ int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }

//===--- Storage types ----------------------------------------------------===//

/// A stored element as f32 (exact for every storage type).
__device__ float toFloat(float value) { return value; }
__device__ float toFloat(__half value) { return __half2float(value); }
__device__ float toFloat(__nv_bfloat16 value) {
  return __bfloat162float(value);
}

/// An f32 result rounded to the storage type T, to nearest even.
template <typename T> __device__ T fromFloat(float value);
template <> __device__ float fromFloat<float>(float value) { return value; }
template <> __device__ __half fromFloat<__half>(float value) {
  return __float2half_rn(value);
}
template <> __device__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

/// Names a storage type for the launchers' generic lambdas.
template <typename T> struct Storage { using Type = T; };

/// Returns launch(Storage<T>()) with T the storage type of `dtype`, the one
/// place that maps dtypes to types.
template <typename Launch>
cudaError_t withStorage(int32_t dtype, Launch launch) {
  switch (dtype) {
  case TPRT_F32:
    return launch(Storage<float>());
  case TPRT_F16:
    return launch(Storage<__half>());
  case TPRT_BF16:
    return launch(Storage<__nv_bfloat16>());
  default:
    return cudaErrorInvalidValue;
  }
}

//===--- Block reductions -------------------------------------------------===//

struct SumOp {
  template <typename T> __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

struct MaxOp {
  template <typename T> __device__ T operator()(T a, T b) const {
    return a < b ? b : a;
  }
};

/// `op` over `value` of every thread of the block, returned on every thread.
/// Every thread must call it; blockDim.x is a multiple of 32. `shared` holds
/// 33 values and may be reused by the next call.
template <typename T, typename Op>
__device__ T blockReduce(T value, T identity, Op op, T *shared) {
  const unsigned all = 0xffffffffu;
  for (int offset = 16; offset > 0; offset /= 2)
    value = op(value, __shfl_down_sync(all, value, offset));
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The previous call's readers of shared[32] are past this point.
  __syncthreads();
  if (lane == 0)
    shared[warp] = value;
  __syncthreads();
  if (warp == 0) {
    int warps = blockDim.x / 32;
    value = lane < warps ? shared[lane] : identity;
    for (int offset = 16; offset > 0; offset /= 2)
      value = op(value, __shfl_down_sync(all, value, offset));
    if (lane == 0)
      shared[32] = value;
  }
  __syncthreads();
  return shared[32];
}

//===--- Elementwise ------------------------------------------------------===//

template <typename T>
__global__ void unaryKernel(Unary op, const T *x, T *y, int64_t count,
                            float factor) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float v = toFloat(x[i]), r;
    switch (op) {
    case Unary::Silu:
      r = v / (1.0f + expf(-v));
      break;
    case Unary::Relu:
      r = v > 0.0f ? v : 0.0f;
      break;
    case Unary::GeluErf:
      r = 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
      break;
    case Unary::GeluTanh:
      r = 0.5f * v *
          (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      break;
    default:
      r = v * factor;
      break;
    }
    y[i] = fromFloat<T>(r);
  }
}

template <typename T>
__global__ void binaryKernel(Binary op, const T *a, const T *b, T *y,
                             int64_t count) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float left = toFloat(a[i]), right = toFloat(b[i]), r;
    switch (op) {
    case Binary::Add:
      r = left + right;
      break;
    case Binary::Mul:
      r = left * right;
      break;
    default:
      r = left / (1.0f + expf(-left)) * right;
      break;
    }
    y[i] = fromFloat<T>(r);
  }
}

template <typename T>
__global__ void fillRowsKernel(const T *row, T *y, int64_t rows, int64_t n) {
  for (int64_t i = firstIndex(); i < rows * n; i += gridStride())
    y[i] = row[i % n];
}

//===--- Embedding --------------------------------------------------------===//

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

//===--- Norms and softmax: one block per row -----------------------------===//

template <typename T>
__global__ void rmsNormKernel(const T *x, const T *weight, T *y,
                              int64_t features, double epsilon) {
  __shared__ double shared[33];
  const T *row = x + int64_t(blockIdx.x) * features;
  T *out = y + int64_t(blockIdx.x) * features;
  double squares = 0;
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x) {
    double value = toFloat(row[i]);
    squares += value * value;
  }
  squares = blockReduce(squares, 0.0, SumOp(), shared);
  float inverse = static_cast<float>(1.0 / sqrt(squares / features + epsilon));
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x)
    out[i] = fromFloat<T>(toFloat(row[i]) * inverse * toFloat(weight[i]));
}

template <typename T>
__global__ void layerNormKernel(const T *x, const T *weight, const T *bias,
                                T *y, int64_t features, double epsilon) {
  __shared__ double shared[33];
  const T *row = x + int64_t(blockIdx.x) * features;
  T *out = y + int64_t(blockIdx.x) * features;
  double sum = 0;
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x)
    sum += toFloat(row[i]);
  double mean = blockReduce(sum, 0.0, SumOp(), shared) / features;
  // Two passes, as on the cpu: the variance of centred values.
  double squares = 0;
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x) {
    double centred = toFloat(row[i]) - mean;
    squares += centred * centred;
  }
  squares = blockReduce(squares, 0.0, SumOp(), shared);
  float inverse = static_cast<float>(1.0 / sqrt(squares / features + epsilon));
  float center = static_cast<float>(mean);
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x)
    out[i] =
        fromFloat<T>((toFloat(row[i]) - center) * inverse * toFloat(weight[i]) +
                     (bias ? toFloat(bias[i]) : 0.0f));
}

/// One block per (outer, inner) pair: the `dim` values `inner` apart.
template <typename T>
__global__ void softmaxKernel(const T *x, T *y, int64_t dim, int64_t inner) {
  __shared__ float sharedMax[33];
  __shared__ double sharedSum[33];
  int64_t o = int64_t(blockIdx.x) / inner, i = int64_t(blockIdx.x) % inner;
  const T *in = x + o * dim * inner + i;
  T *out = y + o * dim * inner + i;
  float max = -CUDART_INF_F;
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x)
    max = MaxOp()(max, toFloat(in[d * inner]));
  max = blockReduce(max, -CUDART_INF_F, MaxOp(), sharedMax);
  double sum = 0;
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x)
    sum += expf(toFloat(in[d * inner]) - max);
  sum = blockReduce(sum, 0.0, SumOp(), sharedSum);
  float inverse = static_cast<float>(1.0 / sum);
  // The exponentials are computed again rather than kept in y, where a
  // 16-bit y would round them before the scaling.
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x)
    out[d * inner] = fromFloat<T>(expf(toFloat(in[d * inner]) - max) * inverse);
}

//===--- Rope and attention -----------------------------------------------===//

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
/// of the pointer arrays of AttentionArray (Launch.h).
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

//===--- Sum and cross-entropy --------------------------------------------===//

/// tprt_sum's dims split into kept ones (y's dims) and summed ones, with
/// x's element strides.
struct SumShape {
  int kept = 0, summed = 0;
  int64_t keptSizes[kMaxDims], keptStrides[kMaxDims];
  int64_t summedSizes[kMaxDims], summedStrides[kMaxDims];
  int64_t summedCount = 1;
};

/// One block per element of y.
template <typename T>
__global__ void sumKernel(const T *x, T *y, SumShape shape) {
  __shared__ double shared[33];
  int64_t rest = blockIdx.x, base = 0;
  for (int d = shape.kept - 1; d >= 0; --d) {
    base += rest % shape.keptSizes[d] * shape.keptStrides[d];
    rest /= shape.keptSizes[d];
  }
  double total = 0;
  for (int64_t s = threadIdx.x; s < shape.summedCount; s += blockDim.x) {
    int64_t index = s, offset = base;
    for (int d = shape.summed - 1; d >= 0; --d) {
      offset += index % shape.summedSizes[d] * shape.summedStrides[d];
      index /= shape.summedSizes[d];
    }
    total += toFloat(x[offset]);
  }
  total = blockReduce(total, 0.0, SumOp(), shared);
  // Through f32, as the cpu backend rounds its f32 result.
  if (threadIdx.x == 0)
    y[blockIdx.x] = fromFloat<T>(static_cast<float>(total));
}

/// One block per position: logsumexp(logits) - logits[label].
template <typename T>
__global__ void positionLossKernel(const T *logits, const int64_t *labels,
                                   double *perPosition, int64_t classes,
                                   unsigned long long *badIndex) {
  __shared__ float sharedMax[33];
  __shared__ double sharedSum[33];
  int64_t position = blockIdx.x;
  const T *row = logits + position * classes;
  int64_t label = labels[position];
  // The same branch for the whole block, before any barrier.
  if (label < 0 || label >= classes) {
    if (threadIdx.x == 0) {
      atomicMin(badIndex, static_cast<unsigned long long>(position));
      perPosition[position] = 0.0;
    }
    return;
  }
  float max = -CUDART_INF_F;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
    max = MaxOp()(max, toFloat(row[c]));
  max = blockReduce(max, -CUDART_INF_F, MaxOp(), sharedMax);
  double sum = 0;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
    sum += exp(double(toFloat(row[c])) - max);
  sum = blockReduce(sum, 0.0, SumOp(), sharedSum);
  if (threadIdx.x == 0)
    perPosition[position] = max + log(sum) - toFloat(row[label]);
}

/// One block: loss[0] = the mean of perPosition, in a fixed order.
template <typename T>
__global__ void meanKernel(const double *perPosition, T *loss,
                           int64_t positions) {
  __shared__ double shared[33];
  double total = 0;
  for (int64_t p = threadIdx.x; p < positions; p += blockDim.x)
    total += perPosition[p];
  total = blockReduce(total, 0.0, SumOp(), shared);
  // Through f32, as the cpu backend rounds its f32 result.
  if (threadIdx.x == 0)
    loss[0] = fromFloat<T>(static_cast<float>(total / positions));
}

//===--- Strided copy -----------------------------------------------------===//

/// The box of a strided copy, in units of the copied type.
struct CopyShape {
  int rank = 0;
  int64_t sizes[kMaxDims], srcStrides[kMaxDims];
  int64_t count = 1;
};

template <typename Unit>
__global__ void stridedCopyKernel(const Unit *src, Unit *dst, CopyShape shape) {
  for (int64_t i = firstIndex(); i < shape.count; i += gridStride()) {
    int64_t rest = i, offset = 0;
    for (int d = shape.rank - 1; d >= 0; --d) {
      offset += rest % shape.sizes[d] * shape.srcStrides[d];
      rest /= shape.sizes[d];
    }
    dst[i] = src[offset];
  }
}

template <typename Unit>
cudaError_t stridedCopy(cudaStream_t stream, const void *src, void *dst,
                        const CopyShape &shape) {
  stridedCopyKernel<Unit><<<gridFor(shape.count), kThreads, 0, stream>>>(
      static_cast<const Unit *>(src), static_cast<Unit *>(dst), shape);
  return cudaGetLastError();
}

} // namespace

cudaError_t launchUnary(cudaStream_t stream, int32_t dtype, Unary op,
                        const void *x, void *y, int64_t count, float factor) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    unaryKernel<<<gridFor(count), kThreads, 0, stream>>>(
        op, static_cast<const T *>(x), static_cast<T *>(y), count, factor);
    return cudaGetLastError();
  });
}

cudaError_t launchBinary(cudaStream_t stream, int32_t dtype, Binary op,
                         const void *a, const void *b, void *y, int64_t count) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    binaryKernel<<<gridFor(count), kThreads, 0, stream>>>(
        op, static_cast<const T *>(a), static_cast<const T *>(b),
        static_cast<T *>(y), count);
    return cudaGetLastError();
  });
}

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

__global__ void keepBadValueKernel(const int64_t *values,
                                   unsigned long long *slot) {
  if (slot[0] != ~0ull)
    slot[1] = static_cast<unsigned long long>(values[slot[0]]);
}

cudaError_t launchKeepBadValue(cudaStream_t stream, const int64_t *values,
                               unsigned long long *slot) {
  keepBadValueKernel<<<1, 1, 0, stream>>>(values, slot);
  return cudaGetLastError();
}

cudaError_t launchRmsNorm(cudaStream_t stream, int32_t dtype, const void *x,
                          const void *weight, void *y, int64_t rows,
                          int64_t features, double epsilon) {
  if (rows == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    rmsNormKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<const T *>(weight),
        static_cast<T *>(y), features, epsilon);
    return cudaGetLastError();
  });
}

cudaError_t launchLayerNorm(cudaStream_t stream, int32_t dtype, const void *x,
                            const void *weight, const void *bias, void *y,
                            int64_t rows, int64_t features, double epsilon) {
  if (rows == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    layerNormKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<const T *>(weight),
        static_cast<const T *>(bias), static_cast<T *>(y), features, epsilon);
    return cudaGetLastError();
  });
}

cudaError_t launchSoftmax(cudaStream_t stream, int32_t dtype, const void *x,
                          void *y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0 || dim == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    softmaxKernel<<<unsigned(outer * inner), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(y), dim, inner);
    return cudaGetLastError();
  });
}

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

cudaError_t launchSum(cudaStream_t stream, int32_t dtype, const void *x,
                      void *y, int64_t rank, const int64_t *shape,
                      int64_t dimMask) {
  SumShape sum;
  int64_t stride = 1, outputs = 1;
  // Innermost first, to accumulate x's element strides.
  for (int64_t d = rank - 1; d >= 0; --d) {
    bool summed = dimMask >> d & 1;
    int at = static_cast<int>(summed ? sum.summed++ : sum.kept++);
    (summed ? sum.summedSizes : sum.keptSizes)[at] = shape[d];
    (summed ? sum.summedStrides : sum.keptStrides)[at] = stride;
    (summed ? sum.summedCount : outputs) *= shape[d];
    stride *= shape[d];
  }
  // Outermost first, as the kernel reads them.
  std::reverse(sum.keptSizes, sum.keptSizes + sum.kept);
  std::reverse(sum.keptStrides, sum.keptStrides + sum.kept);
  std::reverse(sum.summedSizes, sum.summedSizes + sum.summed);
  std::reverse(sum.summedStrides, sum.summedStrides + sum.summed);
  if (outputs == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    sumKernel<<<unsigned(outputs), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(y), sum);
    return cudaGetLastError();
  });
}

cudaError_t launchCrossEntropy(cudaStream_t stream, int32_t dtype,
                               const void *logits, const int64_t *labels,
                               double *perPosition, void *loss,
                               int64_t positions, int64_t classes,
                               unsigned long long *badIndex) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    positionLossKernel<<<unsigned(positions), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), labels, perPosition, classes, badIndex);
    cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess)
      return error;
    meanKernel<<<1, kThreads, 0, stream>>>(perPosition, static_cast<T *>(loss),
                                           positions);
    return cudaGetLastError();
  });
}

cudaError_t launchStridedCopy(cudaStream_t stream, const void *src,
                              const int64_t *srcStrides, void *dst,
                              const int64_t *sizes, int64_t rank,
                              int64_t elementBytes) {
  // Copy in the widest unit (up to 16 bytes) that divides the element, every
  // stride and both addresses.
  int64_t unit = 16;
  auto divides = [&](int64_t value) { return value % unit == 0; };
  while (unit > 1) {
    bool fits = divides(elementBytes) &&
                divides(reinterpret_cast<uintptr_t>(src)) &&
                divides(reinterpret_cast<uintptr_t>(dst));
    for (int64_t d = 0; d < rank; ++d)
      fits = fits && divides(srcStrides[d]);
    if (fits)
      break;
    unit /= 2;
  }
  CopyShape shape;
  shape.rank = static_cast<int>(rank) + 1;
  for (int64_t d = 0; d < rank; ++d) {
    shape.sizes[d] = sizes[d];
    shape.srcStrides[d] = srcStrides[d] / unit;
    shape.count *= sizes[d];
  }
  // The units of one element are the innermost dim.
  shape.sizes[rank] = elementBytes / unit;
  shape.srcStrides[rank] = 1;
  shape.count *= elementBytes / unit;
  if (shape.count == 0)
    return cudaSuccess;
  switch (unit) {
  case 16:
    return stridedCopy<uint4>(stream, src, dst, shape);
  case 8:
    return stridedCopy<uint2>(stream, src, dst, shape);
  case 4:
    return stridedCopy<uint32_t>(stream, src, dst, shape);
  case 2:
    return stridedCopy<uint16_t>(stream, src, dst, shape);
  default:
    return stridedCopy<uint8_t>(stream, src, dst, shape);
  }
}

} // namespace cuda
} // namespace tprt
