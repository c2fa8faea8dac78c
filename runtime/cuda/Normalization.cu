//===- Normalization.cu - norm, softmax and loss kernels ------------------===//
//
// This file implements the cuda backend's Normalization family: RMS and
// layer norm, softmax and cross-entropy and their backwards, each one block
// per row (or per position) with a shuffle-then-shared-memory block
// reduction in double, as the cpu kernels reduce. A norm's weight gradient,
// a sum over rows, is the exception: the rows' scales first, then one
// thread per feature and warp of rows. Cross-entropy and its backward may
// hold only some of each position's classes (loss_parallel): they take the
// positions' maxima, then their sums of exponentials (and the labels'
// logits), each in one kernel and one all-reduce across the group of ranks
// holding the others (allReduceInPlace, cuda/Collectives.cpp), before the
// loss or the gradient. They leave the position of a label out of range in a
// slot of the state that is read when the step is waited for
// (checkIndices).
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

/// What rms_norm and layer_norm normalize a row by, in f32 as they apply
/// it: y = (x - center) * inverse * weight (+ bias), center 0 for rms_norm.
struct RowScale {
  float center, inverse;
};

/// The RowScale of `row`: layer_norm's where `centered`, else rms_norm's.
/// Every thread of the block calls it and gets it; `shared` as
/// blockReduce's.
template <typename T>
__device__ RowScale rowScale(const T *row, int64_t features, double epsilon,
                             bool centered, double *shared) {
  double mean = 0;
  if (centered) {
    double sum = 0;
    for (int64_t i = threadIdx.x; i < features; i += blockDim.x)
      sum += toFloat(row[i]);
    mean = blockReduce(sum, 0.0, SumOp(), shared) / features;
  }
  // Two passes for layer_norm, as on the cpu: the variance of centred
  // values.
  double squares = 0;
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x) {
    double centred = toFloat(row[i]) - mean;
    squares += centred * centred;
  }
  squares = blockReduce(squares, 0.0, SumOp(), shared);
  return {static_cast<float>(mean),
          static_cast<float>(1.0 / sqrt(squares / features + epsilon))};
}

/// One block per row; `bias` may be null.
template <typename T>
__global__ void normKernel(const T *x, const T *weight, const T *bias, T *y,
                           int64_t features, double epsilon, bool centered) {
  __shared__ double shared[33];
  const T *row = x + int64_t(blockIdx.x) * features;
  T *out = y + int64_t(blockIdx.x) * features;
  auto [center, inverse] = rowScale(row, features, epsilon, centered, shared);
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x)
    out[i] =
        fromFloat<T>((toFloat(row[i]) - center) * inverse * toFloat(weight[i]) +
                     (bias ? toFloat(bias[i]) : 0.0f));
}

/// One block per row: the backward of normKernel for its input, with
/// xhat = (x - center) * inverse and g = dy * weight,
///   dx = inverse * (g - mean(g) - xhat * mean(g * xhat)),
/// mean(g) only where the norm is centred (layer_norm).
template <typename T>
__global__ void normInputGradKernel(const T *x, const T *weight, const T *dy,
                                    T *dx, int64_t features, double epsilon,
                                    bool centered) {
  __shared__ double shared[33];
  int64_t offset = int64_t(blockIdx.x) * features;
  const T *row = x + offset, *rowGrad = dy + offset;
  auto [center, inverse] = rowScale(row, features, epsilon, centered, shared);
  double gSum = 0, gxSum = 0;
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x) {
    double g = double(toFloat(rowGrad[i])) * toFloat(weight[i]);
    gSum += g;
    gxSum += g * ((toFloat(row[i]) - center) * inverse);
  }
  gxSum = blockReduce(gxSum, 0.0, SumOp(), shared);
  float gMean = centered
                    ? static_cast<float>(
                          blockReduce(gSum, 0.0, SumOp(), shared) / features)
                    : 0.0f;
  float gxMean = static_cast<float>(gxSum / features);
  for (int64_t i = threadIdx.x; i < features; i += blockDim.x) {
    float xhat = (toFloat(row[i]) - center) * inverse;
    dx[offset + i] =
        fromFloat<T>(inverse * (toFloat(rowGrad[i]) * toFloat(weight[i]) -
                                gMean - xhat * gxMean));
  }
}

/// One block per row: its RowScale, for normWeightGradKernel.
template <typename T>
__global__ void rowScaleKernel(const T *x, RowScale *scales, int64_t features,
                               double epsilon, bool centered) {
  __shared__ double shared[33];
  RowScale scale = rowScale(x + int64_t(blockIdx.x) * features, features,
                            epsilon, centered, shared);
  if (threadIdx.x == 0)
    scales[blockIdx.x] = scale;
}

/// Features a block of normWeightGradKernel sums, one per lane of a warp;
/// its kThreads / kWeightGradFeatures warps split the rows.
constexpr int kWeightGradFeatures = 32;

/// dweight[f] = the sum over rows of dy[row, f] * xhat[row, f], in double:
/// warp w of the block sums rows w, w + warps, ..., then one thread adds the
/// warps' sums in order.
template <typename T>
__global__ void normWeightGradKernel(const T *x, const T *dy,
                                     const RowScale *scales, T *dweight,
                                     int64_t rows, int64_t features) {
  constexpr int warps = kThreads / kWeightGradFeatures;
  __shared__ double partial[warps][kWeightGradFeatures];
  int lane = threadIdx.x % kWeightGradFeatures,
      warp = threadIdx.x / kWeightGradFeatures;
  int64_t f = int64_t(blockIdx.x) * kWeightGradFeatures + lane;
  double sum = 0;
  if (f < features)
    for (int64_t r = warp; r < rows; r += warps) {
      RowScale scale = scales[r];
      float xhat =
          (toFloat(x[r * features + f]) - scale.center) * scale.inverse;
      sum += double(toFloat(dy[r * features + f])) * xhat;
    }
  partial[warp][lane] = sum;
  __syncthreads();
  if (warp == 0 && f < features) {
    double total = 0;
    for (int w = 0; w < warps; ++w)
      total += partial[w][lane];
    dweight[f] = fromFloat<T>(static_cast<float>(total));
  }
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

/// One block per position, the first step of cross-entropy and its
/// backward: max[p] = the largest of the position's logits over this rank's
/// classes (-inf where it holds none). A label outside [0, totalClasses)
/// leaves the smallest such position in *badIndex.
template <typename T>
__global__ void classMaxKernel(const T *logits, const int64_t *labels,
                               float *max, int64_t classes,
                               int64_t totalClasses,
                               unsigned long long *badIndex) {
  __shared__ float shared[33];
  int64_t position = blockIdx.x;
  const T *row = logits + position * classes;
  int64_t label = labels[position];
  if (threadIdx.x == 0 && (label < 0 || label >= totalClasses))
    atomicMin(badIndex, static_cast<unsigned long long>(position));
  float value = -CUDART_INF_F;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
    value = MaxOp()(value, toFloat(row[c]));
  value = blockReduce(value, -CUDART_INF_F, MaxOp(), shared);
  if (threadIdx.x == 0)
    max[position] = value;
}

/// One block per position, once the maxima are reduced across the group:
/// sums[p] = the sum over this rank's classes of exp(logit - max[p]) and,
/// where labelLogits is not null (the loss), labelLogits[p] = the label's
/// logit where this rank holds it, else 0. The loss sums exponentials taken
/// in double, the backward the f32 ones it makes its probabilities of, as
/// the cpu kernels do. A label outside the rank's classes, in range or not,
/// is never read.
template <typename T>
__global__ void classSumKernel(const T *logits, const int64_t *labels,
                               const float *max, double *sums,
                               double *labelLogits, int64_t classes,
                               int64_t classOffset) {
  __shared__ double shared[33];
  int64_t position = blockIdx.x;
  const T *row = logits + position * classes;
  float rowMax = max[position];
  double sum = 0;
  // The same branch for the whole block.
  if (labelLogits)
    for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
      sum += exp(double(toFloat(row[c])) - rowMax);
  else
    for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
      sum += expf(toFloat(row[c]) - rowMax);
  sum = blockReduce(sum, 0.0, SumOp(), shared);
  if (threadIdx.x == 0) {
    sums[position] = sum;
    if (labelLogits) {
      int64_t label = labels[position] - classOffset;
      labelLogits[position] =
          label >= 0 && label < classes ? toFloat(row[label]) : 0.0;
    }
  }
}

/// One block, once the sums and the labels' logits are reduced across the
/// group: loss[0] = the mean over positions of logsumexp(logits) -
/// logits[label] = max + log(sum) - the label's logit, added in a fixed
/// order.
template <typename T>
__global__ void meanLossKernel(const float *max, const double *sums,
                               const double *labelLogits, T *loss,
                               int64_t positions) {
  __shared__ double shared[33];
  double total = 0;
  for (int64_t p = threadIdx.x; p < positions; p += blockDim.x)
    total += max[p] + log(sums[p]) - labelLogits[p];
  total = blockReduce(total, 0.0, SumOp(), shared);
  // Through f32, as the cpu backend rounds its f32 result.
  if (threadIdx.x == 0)
    loss[0] = fromFloat<T>(static_cast<float>(total / positions));
}

/// One block per (outer, inner) pair: dx = y * (dy - sum(dy * y)) over the
/// `dim` values `inner` apart.
template <typename T>
__global__ void softmaxGradKernel(const T *y, const T *dy, T *dx, int64_t dim,
                                  int64_t inner) {
  __shared__ double shared[33];
  int64_t o = int64_t(blockIdx.x) / inner, i = int64_t(blockIdx.x) % inner;
  int64_t offset = o * dim * inner + i;
  double sum = 0;
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x)
    sum += double(toFloat(dy[offset + d * inner])) *
           toFloat(y[offset + d * inner]);
  float total = static_cast<float>(blockReduce(sum, 0.0, SumOp(), shared));
  for (int64_t d = threadIdx.x; d < dim; d += blockDim.x) {
    int64_t at = offset + d * inner;
    dx[at] = fromFloat<T>(toFloat(y[at]) * (toFloat(dy[at]) - total));
  }
}

/// One block per position, once the sums are reduced across the group:
/// dlogits = (softmax(logits) - onehot(label)) * dloss[0] / totalPositions
/// for this rank's classes, the softmax as the cpu's softmaxRow computes it.
template <typename T>
__global__ void crossEntropyGradKernel(const T *logits, const int64_t *labels,
                                       const float *max, const double *sums,
                                       const T *dloss, T *dlogits,
                                       int64_t classes, int64_t classOffset,
                                       int64_t totalPositions) {
  int64_t position = blockIdx.x;
  const T *row = logits + position * classes;
  T *out = dlogits + position * classes;
  float rowMax = max[position];
  float inverse = static_cast<float>(1.0 / sums[position]);
  float factor = static_cast<float>(double(toFloat(dloss[0])) / totalPositions);
  int64_t label = labels[position] - classOffset;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) {
    float probability = expf(toFloat(row[c]) - rowMax) * inverse;
    out[c] =
        fromFloat<T>((c == label ? probability - 1.0f : probability) * factor);
  }
}

/// rms_norm (centered false, bias null) or layer_norm (`bias` may be null).
cudaError_t launchNorm(cudaStream_t stream, int32_t dtype, const void *x,
                       const void *weight, const void *bias, void *y,
                       int64_t rows, int64_t features, double epsilon,
                       bool centered) {
  if (rows == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    normKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<const T *>(weight),
        static_cast<const T *>(bias), static_cast<T *>(y), features, epsilon,
        centered);
    return cudaGetLastError();
  });
}

cudaError_t launchNormInputGrad(cudaStream_t stream, int32_t dtype,
                                const void *x, const void *weight,
                                const void *dy, void *dx, int64_t rows,
                                int64_t features, double epsilon,
                                bool centered) {
  if (rows == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    normInputGradKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<const T *>(weight),
        static_cast<const T *>(dy), static_cast<T *>(dx), features, epsilon,
        centered);
    return cudaGetLastError();
  });
}

/// The rows' scales into `scales` (device scratch of `rows` RowScales), then
/// the column sums.
cudaError_t launchNormWeightGrad(cudaStream_t stream, int32_t dtype,
                                 const void *x, const void *dy,
                                 RowScale *scales, void *dweight, int64_t rows,
                                 int64_t features, double epsilon,
                                 bool centered) {
  if (features == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    if (rows > 0) {
      rowScaleKernel<<<unsigned(rows), kThreads, 0, stream>>>(
          static_cast<const T *>(x), scales, features, epsilon, centered);
      cudaError_t error = cudaGetLastError();
      if (error != cudaSuccess)
        return error;
    }
    int64_t blocks = (features + kWeightGradFeatures - 1) / kWeightGradFeatures;
    normWeightGradKernel<<<unsigned(blocks), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<const T *>(dy), scales,
        static_cast<T *>(dweight), rows, features);
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

cudaError_t launchSoftmaxGrad(cudaStream_t stream, int32_t dtype, const void *y,
                              const void *dy, void *dx, int64_t outer,
                              int64_t dim, int64_t inner) {
  if (outer * inner == 0 || dim == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    softmaxGradKernel<<<unsigned(outer * inner), kThreads, 0, stream>>>(
        static_cast<const T *>(y), static_cast<const T *>(dy),
        static_cast<T *>(dx), dim, inner);
    return cudaGetLastError();
  });
}

/// Where cross-entropy and its backward keep their per-position values
/// (positions > 0), in device scratch 0: the sums of exponentials, then the
/// labels' logits (the loss only), so that one reduction takes both, then the
/// maxima.
struct LossScratch {
  double *sums, *labelLogits;
  float *max;
};

LossScratch lossScratch(tprt_context *ctx, int64_t positions) {
  auto *sums = static_cast<double *>(
      deviceScratch(ctx, 0, positions * (2 * sizeof(double) + sizeof(float))));
  return {sums, sums + positions,
          reinterpret_cast<float *>(sums + 2 * positions)};
}

cudaError_t launchClassMax(cudaStream_t stream, int32_t dtype,
                           const void *logits, const int64_t *labels,
                           float *max, int64_t positions, int64_t classes,
                           int64_t totalClasses, unsigned long long *badIndex) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    classMaxKernel<<<unsigned(positions), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), labels, max, classes, totalClasses,
        badIndex);
    return cudaGetLastError();
  });
}

cudaError_t launchClassSums(cudaStream_t stream, int32_t dtype,
                            const void *logits, const int64_t *labels,
                            const float *max, double *sums, double *labelLogits,
                            int64_t positions, int64_t classes,
                            int64_t classOffset) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    classSumKernel<<<unsigned(positions), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), labels, max, sums, labelLogits, classes,
        classOffset);
    return cudaGetLastError();
  });
}

cudaError_t launchMeanLoss(cudaStream_t stream, int32_t dtype,
                           const LossScratch &scratch, void *loss,
                           int64_t positions) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    meanLossKernel<<<1, kThreads, 0, stream>>>(
        scratch.max, scratch.sums, scratch.labelLogits, static_cast<T *>(loss),
        positions);
    return cudaGetLastError();
  });
}

cudaError_t launchCrossEntropyGrad(cudaStream_t stream, int32_t dtype,
                                   const void *logits, const int64_t *labels,
                                   const LossScratch &scratch,
                                   const void *dloss, void *dlogits,
                                   int64_t positions, int64_t classes,
                                   int64_t classOffset,
                                   int64_t totalPositions) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    crossEntropyGradKernel<<<unsigned(positions), kThreads, 0, stream>>>(
        static_cast<const T *>(logits), labels, scratch.max, scratch.sums,
        static_cast<const T *>(dloss), static_cast<T *>(dlogits), classes,
        classOffset, totalPositions);
    return cudaGetLastError();
  });
}

/// The steps cross-entropy and its backward (`call`, positions > 0) share:
/// the labels' check, deferred, and each position's maximum, then its sum of
/// exponentials (and, where `withLabelLogits`, its label's logit) over the
/// classes of every rank of the group of `axisMask`, each reduced across the
/// group, into `scratch`.
void groupSoftmaxStatistics(tprt_context *ctx, State &s, const char *call,
                            const char *layer, int32_t dtype,
                            const void *logits, const int64_t *labels,
                            const LossScratch &scratch, bool withLabelLogits,
                            int64_t positions, int64_t classes,
                            int64_t classOffset, int64_t totalClasses,
                            int64_t axisMask) {
  unsigned long long *badIndex =
      deferIndexCheck(ctx, s, call, layer, "label", totalClasses);
  check(ctx,
        launchClassMax(s.stream, dtype, logits, labels, scratch.max, positions,
                       classes, totalClasses, badIndex),
        call, layer, "the kernel launch");
  keepBadValue(ctx, s, call, layer, labels, badIndex);
  allReduceInPlace(ctx, s, call, layer, scratch.max, positions, ncclFloat32,
                   ncclMax, axisMask);
  check(ctx,
        launchClassSums(s.stream, dtype, logits, labels, scratch.max,
                        scratch.sums,
                        withLabelLogits ? scratch.labelLogits : nullptr,
                        positions, classes, classOffset),
        call, layer, "the kernel launch");
  allReduceInPlace(ctx, s, call, layer, scratch.sums,
                   withLabelLogits ? 2 * positions : positions, ncclFloat64,
                   ncclSum, axisMask);
}

/// Checks and enqueues rms_norm or layer_norm (`call`, `centered`).
void norm(tprt_context *ctx, const char *call, const char *layer, int32_t dtype,
          const void *x, const void *weight, const void *bias, void *y,
          int64_t rows, int64_t features, double epsilon, bool centered) {
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchNorm(state(ctx).stream, dtype, x, weight, bias, y, rows, features,
                   epsilon, centered),
        call, layer, "the kernel launch");
}

/// Checks and enqueues the backward of rms_norm or layer_norm for its input.
void normInputGrad(tprt_context *ctx, const char *call, const char *layer,
                   int32_t dtype, const void *x, const void *weight,
                   const void *dy, void *dx, int64_t rows, int64_t features,
                   double epsilon, bool centered) {
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  check(ctx,
        launchNormInputGrad(state(ctx).stream, dtype, x, weight, dy, dx, rows,
                            features, epsilon, centered),
        call, layer, "the kernel launch");
}

/// Checks and enqueues the backward of rms_norm or layer_norm for its
/// weight.
void normWeightGrad(tprt_context *ctx, const char *call, const char *layer,
                    int32_t dtype, const void *x, const void *dy, void *dweight,
                    int64_t rows, int64_t features, double epsilon,
                    bool centered) {
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "rows", rows);
  checkGrid(ctx, call, layer, "features / 32",
            (features + kWeightGradFeatures - 1) / kWeightGradFeatures);
  auto *scales = static_cast<RowScale *>(
      deviceScratch(ctx, 0, std::max<int64_t>(rows, 1) * sizeof(RowScale)));
  check(ctx,
        launchNormWeightGrad(state(ctx).stream, dtype, x, dy, scales, dweight,
                             rows, features, epsilon, centered),
        call, layer, "the kernel launch");
}

} // namespace

void rms_norm(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *x, const void *weight, void *y, int64_t rows,
              int64_t features, double epsilon) {
  norm(ctx, "tprt_rms_norm", layer, dtype, x, weight, nullptr, y, rows,
       features, epsilon, /*centered=*/false);
}

void layer_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                const void *x, const void *weight, const void *bias, void *y,
                int64_t rows, int64_t features, double epsilon) {
  norm(ctx, "tprt_layer_norm", layer, dtype, x, weight, bias, y, rows, features,
       epsilon, /*centered=*/true);
}

void rms_norm_input_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                         const void *x, const void *weight, const void *dy,
                         void *dx, int64_t rows, int64_t features,
                         double epsilon) {
  normInputGrad(ctx, "tprt_rms_norm_input_grad", layer, dtype, x, weight, dy,
                dx, rows, features, epsilon, /*centered=*/false);
}

void rms_norm_weight_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                          const void *x, const void *dy, void *dweight,
                          int64_t rows, int64_t features, double epsilon) {
  normWeightGrad(ctx, "tprt_rms_norm_weight_grad", layer, dtype, x, dy, dweight,
                 rows, features, epsilon, /*centered=*/false);
}

void layer_norm_input_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                           const void *x, const void *weight, const void *dy,
                           void *dx, int64_t rows, int64_t features,
                           double epsilon) {
  normInputGrad(ctx, "tprt_layer_norm_input_grad", layer, dtype, x, weight, dy,
                dx, rows, features, epsilon, /*centered=*/true);
}

void layer_norm_weight_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                            const void *x, const void *dy, void *dweight,
                            int64_t rows, int64_t features, double epsilon) {
  normWeightGrad(ctx, "tprt_layer_norm_weight_grad", layer, dtype, x, dy,
                 dweight, rows, features, epsilon, /*centered=*/true);
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
                   int64_t positions, int64_t classes, int64_t class_offset,
                   int64_t total_classes, int64_t axis_mask) {
  const char *call = "tprt_cross_entropy";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkClassSplit(*ctx, call, layer, classes, class_offset, total_classes,
                  axis_mask);
  checkGrid(ctx, call, layer, "positions", positions);
  State &s = state(ctx);
  if (positions == 0) {
    check(ctx, cudaMemsetAsync(loss, 0, elementBytes, s.stream), call, layer,
          "cudaMemsetAsync");
    return;
  }
  LossScratch scratch = lossScratch(ctx, positions);
  groupSoftmaxStatistics(ctx, s, call, layer, dtype, logits, labels, scratch,
                         /*withLabelLogits=*/true, positions, classes,
                         class_offset, total_classes, axis_mask);
  check(ctx, launchMeanLoss(s.stream, dtype, scratch, loss, positions), call,
        layer, "the kernel launch");
}

void softmax_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                  const void *y, const void *dy, void *dx, int64_t outer,
                  int64_t dim, int64_t inner) {
  const char *call = "tprt_softmax_grad";
  dtypeSize(ctx, call, layer, dtype);
  checkGrid(ctx, call, layer, "outer * inner", outer * inner);
  check(
      ctx,
      launchSoftmaxGrad(state(ctx).stream, dtype, y, dy, dx, outer, dim, inner),
      call, layer, "the kernel launch");
}

void cross_entropy_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                        const void *logits, const int64_t *labels,
                        const void *dloss, void *dlogits, int64_t positions,
                        int64_t classes, int64_t total_positions,
                        int64_t class_offset, int64_t total_classes,
                        int64_t axis_mask) {
  const char *call = "tprt_cross_entropy_grad";
  dtypeSize(ctx, call, layer, dtype);
  checkTotalPositions(ctx, layer, positions, total_positions);
  checkClassSplit(*ctx, call, layer, classes, class_offset, total_classes,
                  axis_mask);
  checkGrid(ctx, call, layer, "positions", positions);
  if (positions == 0)
    return;
  State &s = state(ctx);
  LossScratch scratch = lossScratch(ctx, positions);
  groupSoftmaxStatistics(ctx, s, call, layer, dtype, logits, labels, scratch,
                         /*withLabelLogits=*/false, positions, classes,
                         class_offset, total_classes, axis_mask);
  check(ctx,
        launchCrossEntropyGrad(s.stream, dtype, logits, labels, scratch, dloss,
                               dlogits, positions, classes, class_offset,
                               total_positions),
        call, layer, "the kernel launch");
}

} // namespace cuda
} // namespace tprt
