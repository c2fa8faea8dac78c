//===- Checks.h - the argument checks both backends share -------*- C++ -*-===//
//
// This file declares the checks of the calls' arguments that do not depend
// on where the tensors live, so that the cpu and the cuda backend check alike
// and fail with the same message: one naming the call and the layer
// (callName). Each returns what the kernels then use, as BLAS or the strided
// copy take it.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_CHECKS_H
#define TPRT_SRC_CHECKS_H

#include "Context.h"

#include <cstdint>
#include <vector>

namespace tprt {

/// `value` as a BLAS dimension (OpenBLAS and cuBLAS take 32-bit ints); fails
/// unless it lies in [0, INT_MAX].
int blasDim(const tprt_context *ctx, const char *call, const char *layer,
            const char *what, int64_t value);

/// The element bytes of `dtype` (a tprt_dtype); fails naming the call and
/// the layer when it is not one.
int64_t dtypeSize(const tprt_context *ctx, const char *call, const char *layer,
                  int32_t dtype);

/// A GEMM's element bytes and sizes as BLAS takes them.
struct GemmSizes {
  int64_t elementBytes;
  int batch, m, n, k;
};

/// Checks the dtype, then the sizes, of tprt_linear (batch 1) or
/// tprt_matmul.
GemmSizes checkGemm(const tprt_context *ctx, const char *call,
                    const char *layer, int32_t dtype, int64_t batch, int64_t m,
                    int64_t n, int64_t k);

/// The BLAS views of tprt_attention's [batch, seq, heads, head_dim] tensors:
/// a head is a matrix of head_dim columns whose rows lie qStride (kvStride)
/// elements apart.
struct AttentionStrides {
  int headDim, qStride, kvStride;
};

/// Checks the heads and sizes of tprt_attention or tprt_attention_grad
/// (`call`) as both backends need them (query heads a multiple of key/value
/// heads, every BLAS dimension within int).
AttentionStrides checkAttention(const tprt_context *ctx, const char *call,
                                const char *layer, int64_t qHeads,
                                int64_t kvHeads, int64_t headDim,
                                int64_t kvSeq);

/// The query rows of every (batch, query head) whose scores the workspace of
/// tprt_attention or tprt_attention_grad (`call`) holds at once
/// (tprt_calls.def); fails unless it holds one. kvSeq > 0; with no (batch,
/// query head) pair there is nothing to hold, and any workspace holds every
/// row.
int64_t attentionWorkspaceRows(const tprt_context *ctx, const char *call,
                               const char *layer, int64_t workspaceBytes,
                               int64_t batch, int64_t qHeads, int64_t kvSeq);

/// Where the two features of pair i of a head lie for tprt_rope and
/// tprt_rope_grad: at step * i and step * i + partner.
struct RopePairs {
  int64_t step, partner;
};

/// What tprt_rope and tprt_rope_grad do to a head: pair i (at `pairs`)
/// turns by p * inverseFrequencies[i] at position p and is multiplied by
/// `magnitude`.
struct RopeRotation {
  RopePairs pairs;
  std::vector<double> inverseFrequencies;
  double magnitude;
};

/// Fails unless the arguments of tprt_rope or tprt_rope_grad (`call`) are
/// valid: head_dim even (they rotate pairs), theta, the frequency factors
/// (if any) and the attention factor positive, `convention` a
/// tprt_rope_convention; returns the rotation they describe.
RopeRotation checkRope(const tprt_context *ctx, const char *call,
                       const char *layer, int64_t headDim, double theta,
                       int32_t convention, const double *freqFactors,
                       double attentionFactor);

/// Fails naming `call`, `layer` and the `value` of the `what` (an "id", a
/// "label") at `position` that lies outside [0, bound): the message of every
/// index check, on either backend.
[[noreturn]] void failIndex(const tprt_context *ctx, const char *call,
                            const char *layer, const char *what, int64_t value,
                            int64_t position, int64_t bound);

/// Fails unless tprt_cross_entropy_grad's total_positions (of every rank)
/// counts at least this rank's `positions`: the mean it divides by.
void checkTotalPositions(const tprt_context *ctx, const char *layer,
                         int64_t positions, int64_t totalPositions);

/// Checks how the classes of tprt_cross_entropy or its backward (`call`) are
/// split: `axisMask` names mesh axes, this rank's classes [classOffset,
/// classOffset + classes) lie in [0, totalClasses), and they are all of them
/// where the group of `axisMask` has no other member.
void checkClassSplit(const tprt_context &ctx, const char *call,
                     const char *layer, int64_t classes, int64_t classOffset,
                     int64_t totalClasses, int64_t axisMask);

/// tprt_transpose as a strided copy: y's shape, and the byte strides that
/// read x in y's order. Fails unless `perm` is a permutation of the `rank`
/// dims.
struct TransposeCopy {
  std::vector<int64_t> sizes, srcStrides;
};
TransposeCopy checkTranspose(const tprt_context *ctx, const char *layer,
                             int64_t elementBytes, int64_t rank,
                             const int64_t *shape, const int64_t *perm);

/// Fails unless every bit of `dimMask` names one of the `rank` dims of
/// `tensor`: x of tprt_sum, y of tprt_broadcast (`call`).
void checkDimMask(const tprt_context *ctx, const char *call, const char *layer,
                  const char *tensor, int64_t rank, int64_t dimMask);

/// The factors of one tprt_adamw update, in f32 as the kernels apply them
/// to each element in torch.optim.AdamW's order:
///   p = p * decay - stepSize * m / (sqrt(v) / correction2Sqrt + eps)
/// with m and v updated from beta1, beta2 and their complements first.
struct AdamWFactors {
  float decay, beta1, beta2, oneMinusBeta1, oneMinusBeta2, stepSize,
      correction2Sqrt, eps;
};

/// Checks the step of tprt_adamw or tprt_adamw_master (`call`), counted
/// from 1 (the bias corrections divide by 1 - beta^step), and computes its
/// factors in double, rounded once.
AdamWFactors checkAdamW(const tprt_context *ctx, const char *call,
                        const char *layer, int64_t step, double lr,
                        double beta1, double beta2, double eps,
                        double weightDecay);

/// Checks the dtype of tprt_sgd_master or tprt_adamw_master (`call`): the
/// parameter's, f16 or bf16. An f32 parameter has no master copy: tprt_sgd
/// and tprt_adamw update it in place.
void checkMasterDType(const tprt_context *ctx, const char *call,
                      const char *layer, int32_t dtype);

/// Checks the arguments of tprt_all_to_all and returns the shape of one
/// piece (the split dim divided by the group size).
std::vector<int64_t> allToAllPiece(const tprt_context *ctx, const char *layer,
                                   int64_t rank, const int64_t *shape,
                                   int64_t splitDim, int64_t concatDim,
                                   int64_t axisMask);

} // namespace tprt

#endif // TPRT_SRC_CHECKS_H
