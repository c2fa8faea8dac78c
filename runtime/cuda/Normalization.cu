//===- Normalization.cu - norm, softmax and loss kernels ------------------===//
//
// This file implements the cuda backend's Normalization family: RMS and
// layer norm, softmax and cross-entropy, each one block per row (or per
// position) with a shuffle-then-shared-memory block reduction in double, as
// the cpu kernels reduce. Cross-entropy leaves the position of a label out
// of range in a slot of the state that is read when the step is waited for
// (checkIndices).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <math_constants.h>

#include <cstdint>

namespace tprt {
namespace cuda {

namespace {

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

/// `bias` may be null.
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

/// tprt_cross_entropy with positions > 0: per-position losses in
/// `perPosition` (device scratch), then their mean in loss[0]. A label
/// outside [0, classes) leaves the smallest such position in *badIndex.
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

} // namespace

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
