//===- Optimizer.cpp - parameter updates of a training step ---------------===//
//
// This file implements the cpu backend's Optimizer family: torch.optim's SGD
// (without momentum) and AdamW updates of one parameter block in place, their
// mixed-precision forms that update a 16-bit parameter through its f32 master
// copy, and the step number they are given. Each is one loop over the block
// in f32, as PyTorch computes an f32 parameter's update, of the element
// update the cuda backend shares (OptimizerUpdates.h); the step-dependent
// factors (AdamW's bias corrections) are computed once in double (checkAdamW,
// shared with the cuda backend). 16-bit parameters and their state are
// updated on f32 copies (F32Scope) and rounded once; a master copy and its
// moments are f32 already, and the parameter is the master rounded.
//
//===----------------------------------------------------------------------===//

#include "DType.h"
#include "Kernels.h"
#include "OptimizerUpdates.h"

using namespace tprt;

namespace {

/// SGD's update of `count` elements `p` from their gradients `g`, into `out`
/// (which may be `p`).
void sgdElements(const float *p, const float *g, float *out, int64_t count,
                 SgdFactors factors) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = sgdUpdate(p[i], g[i], factors);
}

/// AdamW's update of `count` elements `p` and their moments `m` and `v` from
/// their gradients `g`, into `pOut`, `mOut` and `vOut` (which may be the
/// tensors read).
void adamwElements(const float *p, const float *g, const float *m,
                   const float *v, float *pOut, float *mOut, float *vOut,
                   int64_t count, const AdamWFactors &factors) {
  for (int64_t i = 0; i < count; ++i) {
    float mi = m[i], vi = v[i];
    pOut[i] = adamwUpdate(p[i], g[i], mi, vi, factors);
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

} // namespace

void cpu::sgd(tprt_context *ctx, const char *layer, int32_t dtype, void *param,
              const void *grad, int64_t count, double lr, double weight_decay) {
  F32Scope f32(*ctx, "tprt_sgd", layer, dtype);
  const float *p = f32.input(param, count), *g = f32.input(grad, count);
  sgdElements(p, g, f32.output(param, count), count,
              sgdFactors(lr, weight_decay));
}

void cpu::adamw(tprt_context *ctx, const char *layer, int32_t dtype,
                void *param, const void *grad, void *exp_avg, void *exp_avg_sq,
                int64_t count, int64_t step, double lr, double beta1,
                double beta2, double eps, double weight_decay) {
  const char *call = "tprt_adamw";
  AdamWFactors factors =
      checkAdamW(ctx, call, layer, step, lr, beta1, beta2, eps, weight_decay);
  F32Scope f32(*ctx, call, layer, dtype);
  const float *p = f32.input(param, count), *g = f32.input(grad, count);
  const float *m = f32.input(exp_avg, count), *v = f32.input(exp_avg_sq, count);
  adamwElements(p, g, m, v, f32.output(param, count),
                f32.output(exp_avg, count), f32.output(exp_avg_sq, count),
                count, factors);
}

void cpu::sgd_master(tprt_context *ctx, const char *layer, int32_t dtype,
                     void *param, const void *grad, float *master,
                     int64_t count, double lr, double weight_decay) {
  const char *call = "tprt_sgd_master";
  checkMasterDType(ctx, call, layer, dtype);
  F32Scope f32(*ctx, call, layer, dtype);
  sgdElements(master, f32.input(grad, count), master, count,
              sgdFactors(lr, weight_decay));
  narrow(dtype, master, param, count);
}

void cpu::adamw_master(tprt_context *ctx, const char *layer, int32_t dtype,
                       void *param, const void *grad, float *master,
                       float *exp_avg, float *exp_avg_sq, int64_t count,
                       int64_t step, double lr, double beta1, double beta2,
                       double eps, double weight_decay) {
  const char *call = "tprt_adamw_master";
  checkMasterDType(ctx, call, layer, dtype);
  AdamWFactors factors =
      checkAdamW(ctx, call, layer, step, lr, beta1, beta2, eps, weight_decay);
  F32Scope f32(*ctx, call, layer, dtype);
  adamwElements(master, f32.input(grad, count), exp_avg, exp_avg_sq, master,
                exp_avg, exp_avg_sq, count, factors);
  narrow(dtype, master, param, count);
}

int64_t cpu::step_number(tprt_context *ctx, const char *) { return ctx->step; }
