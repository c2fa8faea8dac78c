//===- Optimizer.cpp - parameter updates of a training step ---------------===//
//
// This file implements the cpu backend's Optimizer family: torch.optim's SGD
// (without momentum) and AdamW updates of one parameter block in place, and
// the step number they are given. Each is one loop over the block in f32, as
// PyTorch computes an f32 parameter's update; the step-dependent factors
// (AdamW's bias corrections) are computed once in double (checkAdamW,
// shared with the cuda backend). 16-bit parameters
// and their state are updated on f32 copies (F32Scope) and rounded once.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>

using namespace tprt;

void cpu::sgd(tprt_context *ctx, const char *layer, int32_t dtype, void *param,
              const void *grad, int64_t count, double lr, double weight_decay) {
  F32Scope f32(*ctx, "tprt_sgd", layer, dtype);
  const float *p = f32.input(param, count), *g = f32.input(grad, count);
  float *out = f32.output(param, count);
  float rate = static_cast<float>(lr), decay = static_cast<float>(weight_decay);
  for (int64_t i = 0; i < count; ++i)
    out[i] = p[i] - rate * (g[i] + decay * p[i]);
}

void cpu::adamw(tprt_context *ctx, const char *layer, int32_t dtype,
                void *param, const void *grad, void *exp_avg, void *exp_avg_sq,
                int64_t count, int64_t step, double lr, double beta1,
                double beta2, double eps, double weight_decay) {
  AdamWFactors f =
      checkAdamW(ctx, layer, step, lr, beta1, beta2, eps, weight_decay);
  F32Scope f32(*ctx, "tprt_adamw", layer, dtype);
  const float *p = f32.input(param, count), *g = f32.input(grad, count);
  const float *m = f32.input(exp_avg, count), *v = f32.input(exp_avg_sq, count);
  float *pOut = f32.output(param, count), *mOut = f32.output(exp_avg, count),
        *vOut = f32.output(exp_avg_sq, count);
  for (int64_t i = 0; i < count; ++i) {
    float gi = g[i];
    float mi = f.beta1 * m[i] + f.oneMinusBeta1 * gi;
    float vi = f.beta2 * v[i] + f.oneMinusBeta2 * gi * gi;
    float denominator = std::sqrt(vi) / f.correction2Sqrt + f.eps;
    pOut[i] = p[i] * f.decay - f.stepSize * mi / denominator;
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

int64_t cpu::step_number(tprt_context *ctx, const char *) { return ctx->step; }
