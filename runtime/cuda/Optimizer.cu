//===- Optimizer.cu - parameter updates of a training step ----------------===//
//
// This file implements the cuda backend's Optimizer family: torch.optim's
// SGD (without momentum) and AdamW updates of one parameter block in place,
// and their mixed-precision forms that update a 16-bit parameter through its
// f32 master copy, one grid-stride kernel each, templated on the storage
// type like the elementwise kernels: each element is widened to f32,
// updated in f32 by the element update the cpu kernels use
// (OptimizerUpdates.h), and rounded to the dtype once; a master copy and its
// moments stay f32, and the parameter is the master rounded. The
// step-dependent factors (AdamW's bias corrections) are computed once on the
// host, in double, by the check both backends share (checkAdamW). The step
// number is the context's (main sets it before each step), the same on both
// backends.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"
#include "OptimizerUpdates.h"

#include <cstdint>
#include <type_traits>

namespace tprt {
namespace cuda {

namespace {

template <typename T>
__global__ void sgdKernel(T *param, const T *grad, int64_t count,
                          SgdFactors f) {
  for (int64_t i = firstIndex(); i < count; i += gridStride())
    param[i] = fromFloat<T>(sgdUpdate(toFloat(param[i]), toFloat(grad[i]), f));
}

template <typename T>
__global__ void adamwKernel(T *param, const T *grad, T *expAvg, T *expAvgSq,
                            int64_t count, AdamWFactors f) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float m = toFloat(expAvg[i]), v = toFloat(expAvgSq[i]);
    float p = adamwUpdate(toFloat(param[i]), toFloat(grad[i]), m, v, f);
    param[i] = fromFloat<T>(p);
    expAvg[i] = fromFloat<T>(m);
    expAvgSq[i] = fromFloat<T>(v);
  }
}

template <typename T>
__global__ void sgdMasterKernel(T *param, const T *grad, float *master,
                                int64_t count, SgdFactors f) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float p = sgdUpdate(master[i], toFloat(grad[i]), f);
    master[i] = p;
    param[i] = fromFloat<T>(p);
  }
}

template <typename T>
__global__ void adamwMasterKernel(T *param, const T *grad, float *master,
                                  float *expAvg, float *expAvgSq, int64_t count,
                                  AdamWFactors f) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float m = expAvg[i], v = expAvgSq[i];
    float p = adamwUpdate(master[i], toFloat(grad[i]), m, v, f);
    master[i] = p;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = fromFloat<T>(p);
  }
}

cudaError_t launchSgd(cudaStream_t stream, int32_t dtype, void *param,
                      const void *grad, int64_t count, SgdFactors factors) {
  if (count <= 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    sgdKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<T *>(param), static_cast<const T *>(grad), count, factors);
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

/// Returns launch(Storage<T>()) with T the 16-bit storage type of `dtype`,
/// which checkMasterDType has checked: a master copy's parameter is never
/// f32.
template <typename Launch>
cudaError_t withMasterStorage(int32_t dtype, Launch launch) {
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    if constexpr (std::is_same_v<T, float>)
      return cudaErrorInvalidValue;
    else
      return launch(storage);
  });
}

cudaError_t launchSgdMaster(cudaStream_t stream, int32_t dtype, void *param,
                            const void *grad, float *master, int64_t count,
                            SgdFactors factors) {
  if (count <= 0)
    return cudaSuccess;
  return withMasterStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    sgdMasterKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<T *>(param), static_cast<const T *>(grad), master, count,
        factors);
    return cudaGetLastError();
  });
}

cudaError_t launchAdamWMaster(cudaStream_t stream, int32_t dtype, void *param,
                              const void *grad, float *master, float *expAvg,
                              float *expAvgSq, int64_t count,
                              const AdamWFactors &factors) {
  if (count <= 0)
    return cudaSuccess;
  return withMasterStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    adamwMasterKernel<<<gridFor(count), kThreads, 0, stream>>>(
        static_cast<T *>(param), static_cast<const T *>(grad), master, expAvg,
        expAvgSq, count, factors);
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
                  sgdFactors(lr, weight_decay)),
        call, layer, "the kernel launch");
}

void adamw(tprt_context *ctx, const char *layer, int32_t dtype, void *param,
           const void *grad, void *exp_avg, void *exp_avg_sq, int64_t count,
           int64_t step, double lr, double beta1, double beta2, double eps,
           double weight_decay) {
  const char *call = "tprt_adamw";
  dtypeSize(ctx, call, layer, dtype);
  AdamWFactors factors =
      checkAdamW(ctx, call, layer, step, lr, beta1, beta2, eps, weight_decay);
  check(ctx,
        launchAdamW(state(ctx).stream, dtype, param, grad, exp_avg, exp_avg_sq,
                    count, factors),
        call, layer, "the kernel launch");
}

void sgd_master(tprt_context *ctx, const char *layer, int32_t dtype,
                void *param, const void *grad, float *master, int64_t count,
                double lr, double weight_decay) {
  const char *call = "tprt_sgd_master";
  checkMasterDType(ctx, call, layer, dtype);
  check(ctx,
        launchSgdMaster(state(ctx).stream, dtype, param, grad, master, count,
                        sgdFactors(lr, weight_decay)),
        call, layer, "the kernel launch");
}

void adamw_master(tprt_context *ctx, const char *layer, int32_t dtype,
                  void *param, const void *grad, float *master, float *exp_avg,
                  float *exp_avg_sq, int64_t count, int64_t step, double lr,
                  double beta1, double beta2, double eps, double weight_decay) {
  const char *call = "tprt_adamw_master";
  checkMasterDType(ctx, call, layer, dtype);
  AdamWFactors factors =
      checkAdamW(ctx, call, layer, step, lr, beta1, beta2, eps, weight_decay);
  check(ctx,
        launchAdamWMaster(state(ctx).stream, dtype, param, grad, master,
                          exp_avg, exp_avg_sq, count, factors),
        call, layer, "the kernel launch");
}

int64_t step_number(tprt_context *ctx, const char *) { return ctx->step; }

} // namespace cuda
} // namespace tprt
