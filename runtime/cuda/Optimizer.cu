//===- Optimizer.cu - parameter updates of a training step ----------------===//
//
// This file implements the cuda backend's Optimizer family: torch.optim's
// SGD (without momentum) and AdamW updates of one parameter block in place,
// one grid-stride kernel each, templated on the storage type like the
// elementwise kernels: each element is widened to f32, updated in f32 in the
// cpu kernels' order of operations, and rounded to the dtype once. The
// step-dependent factors (AdamW's bias corrections) are computed once on the
// host, in double, by the check both backends share (checkAdamW). The step
// number is the context's (main sets it before each step), the same on both
// backends.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <cstdint>

namespace tprt {
namespace cuda {

namespace {

template <typename T>
__global__ void sgdKernel(T *param, const T *grad, int64_t count, float rate,
                          float decay) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float p = toFloat(param[i]);
    param[i] = fromFloat<T>(p - rate * (toFloat(grad[i]) + decay * p));
  }
}

template <typename T>
__global__ void adamwKernel(T *param, const T *grad, T *expAvg, T *expAvgSq,
                            int64_t count, AdamWFactors f) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float g = toFloat(grad[i]);
    float m = f.beta1 * toFloat(expAvg[i]) + f.oneMinusBeta1 * g;
    float v = f.beta2 * toFloat(expAvgSq[i]) + f.oneMinusBeta2 * g * g;
    float denominator = sqrtf(v) / f.correction2Sqrt + f.eps;
    param[i] = fromFloat<T>(toFloat(param[i]) * f.decay -
                            f.stepSize * m / denominator);
    expAvg[i] = fromFloat<T>(m);
    expAvgSq[i] = fromFloat<T>(v);
  }
}

cudaError_t launchSgd(cudaStream_t stream, int32_t dtype, void *param,
                      const void *grad, int64_t count, float rate,
                      float decay) {
  if (count <= 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    sgdKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<T *>(param), static_cast<const T *>(grad), count, rate,
        decay);
    return cudaGetLastError();
  });
}

cudaError_t launchAdamW(cudaStream_t stream, int32_t dtype, void *param,
                        const void *grad, void *expAvg, void *expAvgSq,
                        int64_t count, const AdamWFactors &factors) {
  if (count <= 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    adamwKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<T *>(param), static_cast<const T *>(grad),
        static_cast<T *>(expAvg), static_cast<T *>(expAvgSq), count, factors);
    return cudaGetLastError();
  });
}

} // namespace

void sgd(tprt_context *ctx, const char *layer, int32_t dtype, void *param,
         const void *grad, int64_t count, double lr, double weight_decay) {
  const char *call = "tprt_sgd";
  dtypeSize(ctx, call, layer, dtype);
  check(ctx,
        launchSgd(state(ctx).stream, dtype, param, grad, count,
                  static_cast<float>(lr), static_cast<float>(weight_decay)),
        call, layer, "the kernel launch");
}

void adamw(tprt_context *ctx, const char *layer, int32_t dtype, void *param,
           const void *grad, void *exp_avg, void *exp_avg_sq, int64_t count,
           int64_t step, double lr, double beta1, double beta2, double eps,
           double weight_decay) {
  const char *call = "tprt_adamw";
  dtypeSize(ctx, call, layer, dtype);
  AdamWFactors factors =
      checkAdamW(ctx, layer, step, lr, beta1, beta2, eps, weight_decay);
  check(ctx,
        launchAdamW(state(ctx).stream, dtype, param, grad, exp_avg, exp_avg_sq,
                    count, factors),
        call, layer, "the kernel launch");
}

int64_t step_number(tprt_context *ctx, const char *) { return ctx->step; }

} // namespace cuda
} // namespace tprt
