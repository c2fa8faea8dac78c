//===- OptimizerUpdates.h - one element of an optimizer update --*- C++ -*-===//
//
// This file holds the update of one parameter element by torch.optim's SGD
// (without momentum) and AdamW, in f32, in the order of operations both
// backends compute it: the cpu kernels call it in their loops, the cuda
// kernels on the device (it is host and device code under nvcc). Every
// optimizer call uses it, whether the parameter is updated in place (sgd,
// adamw) or through its f32 master copy (sgd_master, adamw_master), so that
// a master copy is updated exactly as an f32 parameter would be.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_OPTIMIZERUPDATES_H
#define TPRT_SRC_OPTIMIZERUPDATES_H

#include "Checks.h"

#include <cmath>

#ifdef __CUDACC__
#define TPRT_HOST_DEVICE __host__ __device__
#else
#define TPRT_HOST_DEVICE
#endif

namespace tprt {

/// The factors of one tprt_sgd update, in f32:
///   p = p - rate * (g + decay * p)
struct SgdFactors {
  float rate, decay;
};

inline SgdFactors sgdFactors(double lr, double weightDecay) {
  return {static_cast<float>(lr), static_cast<float>(weightDecay)};
}

/// The parameter element `p` after SGD's update from its gradient `g`.
TPRT_HOST_DEVICE inline float sgdUpdate(float p, float g, SgdFactors f) {
  return p - f.rate * (g + f.decay * p);
}

/// The parameter element `p` after AdamW's update from its gradient `g`
/// (AdamWFactors, Checks.h); updates its moments `m` and `v` in place.
TPRT_HOST_DEVICE inline float adamwUpdate(float p, float g, float &m, float &v,
                                          const AdamWFactors &f) {
  m = f.beta1 * m + f.oneMinusBeta1 * g;
  v = f.beta2 * v + f.oneMinusBeta2 * g * g;
  float denominator = sqrtf(v) / f.correction2Sqrt + f.eps;
  return p * f.decay - f.stepSize * m / denominator;
}

} // namespace tprt

#undef TPRT_HOST_DEVICE

#endif // TPRT_SRC_OPTIMIZERUPDATES_H
