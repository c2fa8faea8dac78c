//===- Checks.cpp - the argument checks both backends share ---------------===//
//
// This file implements the argument checks of Checks.h.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "DType.h"
#include "Tensor.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

namespace tprt {

int blasDim(const tprt_context *ctx, const char *call, const char *layer,
            const char *what, int64_t value) {
  if (value < 0 || value > INT_MAX)
    fail(ctx, callName(call, layer) + ": " + what + " = " +
                  std::to_string(value) + " is outside [0, 2^31-1]");
  return static_cast<int>(value);
}

int64_t dtypeSize(const tprt_context *ctx, const char *call, const char *layer,
                  int32_t dtype) {
  int64_t bytes = floatDTypeBytes(dtype);
  if (bytes == 0)
    fail(ctx, callName(call, layer) + ": dtype " + std::to_string(dtype) +
                  " is not one of f32 (0), f16 (1), bf16 (2)");
  return bytes;
}

GemmSizes checkGemm(const tprt_context *ctx, const char *call,
                    const char *layer, int32_t dtype, int64_t batch, int64_t m,
                    int64_t n, int64_t k) {
  GemmSizes sizes;
  sizes.elementBytes = dtypeSize(ctx, call, layer, dtype);
  sizes.batch = blasDim(ctx, call, layer, "batch", batch);
  sizes.m = blasDim(ctx, call, layer, "m", m);
  sizes.n = blasDim(ctx, call, layer, "n", n);
  sizes.k = blasDim(ctx, call, layer, "k", k);
  return sizes;
}

AttentionStrides checkAttention(const tprt_context *ctx, const char *call,
                                const char *layer, int64_t qHeads,
                                int64_t kvHeads, int64_t headDim,
                                int64_t kvSeq) {
  if (kvHeads <= 0 || qHeads % kvHeads != 0)
    fail(ctx, callName(call, layer) + ": " + std::to_string(qHeads) +
                  " query heads are not a multiple of " +
                  std::to_string(kvHeads) + " key/value heads");
  AttentionStrides strides;
  strides.headDim = blasDim(ctx, call, layer, "head_dim", headDim);
  strides.qStride =
      blasDim(ctx, call, layer, "q_heads * head_dim", qHeads * headDim);
  strides.kvStride =
      blasDim(ctx, call, layer, "kv_heads * head_dim", kvHeads * headDim);
  blasDim(ctx, call, layer, "kv_seq", kvSeq);
  return strides;
}

int64_t attentionWorkspaceRows(const tprt_context *ctx, const char *call,
                               const char *layer, int64_t workspaceBytes,
                               int64_t batch, int64_t qHeads, int64_t kvSeq) {
  int64_t header = tprt_attention_workspace_bytes(batch, qHeads, kvSeq, 0);
  int64_t rowBytes =
      tprt_attention_workspace_bytes(batch, qHeads, kvSeq, 1) - header;
  if (rowBytes == 0)
    return std::numeric_limits<int64_t>::max();
  int64_t rows = (workspaceBytes - header) / rowBytes;
  if (rows < 1)
    fail(ctx, callName(call, layer) + ": a workspace of " +
                  std::to_string(workspaceBytes) +
                  " bytes holds no query row; it needs " +
                  std::to_string(header + rowBytes));
  return rows;
}

RopeRotation checkRope(const tprt_context *ctx, const char *call,
                       const char *layer, int64_t headDim, double theta,
                       int32_t convention, const double *freqFactors,
                       double attentionFactor) {
  std::string name = callName(call, layer);
  if (headDim % 2 != 0)
    fail(ctx, name + ": head_dim " + std::to_string(headDim) + " must be even");
  if (!(theta > 0.0) || !(attentionFactor > 0.0))
    fail(ctx, name + ": theta " + std::to_string(theta) +
                  " and attention factor " + std::to_string(attentionFactor) +
                  " must be positive");
  RopeRotation rotation{{}, std::vector<double>(headDim / 2), attentionFactor};
  if (convention == TPRT_ROPE_INTERLEAVED)
    rotation.pairs = {/*step=*/2, /*partner=*/1};
  else if (convention == TPRT_ROPE_HALF)
    rotation.pairs = {/*step=*/1, /*partner=*/headDim / 2};
  else
    fail(ctx, name + ": convention " + std::to_string(convention) +
                  " is neither interleaved (0) nor half (1)");
  for (int64_t i = 0; i < headDim / 2; ++i) {
    double factor = freqFactors ? freqFactors[i] : 1.0;
    if (!(factor > 0.0))
      fail(ctx, name + ": frequency factor " + std::to_string(i) + " is " +
                    std::to_string(factor) + ", not positive");
    rotation.inverseFrequencies[i] =
        std::pow(theta, -2.0 * double(i) / double(headDim)) / factor;
  }
  return rotation;
}

void failIndex(const tprt_context *ctx, const char *call, const char *layer,
               const char *what, int64_t value, int64_t position,
               int64_t bound) {
  fail(ctx, callName(call, layer) + ": " + what + " " + std::to_string(value) +
                " at position " + std::to_string(position) +
                " is outside [0, " + std::to_string(bound) + ")");
}

void checkTotalPositions(const tprt_context *ctx, const char *layer,
                         int64_t positions, int64_t totalPositions) {
  if (totalPositions < std::max<int64_t>(positions, 0))
    fail(ctx, callName("tprt_cross_entropy_grad", layer) +
                  ": total_positions " + std::to_string(totalPositions) +
                  " is fewer than this rank's " + std::to_string(positions) +
                  " positions");
}

void checkClassSplit(const tprt_context &ctx, const char *call,
                     const char *layer, int64_t classes, int64_t classOffset,
                     int64_t totalClasses, int64_t axisMask) {
  checkAxisMask(ctx, call, layer, axisMask);
  if (classes < 0 || classOffset < 0 || totalClasses < 0 ||
      classOffset > totalClasses - classes)
    fail(&ctx, callName(call, layer) + ": this rank's " +
                   std::to_string(classes) + " classes from class " +
                   std::to_string(classOffset) + " on are not within the " +
                   std::to_string(totalClasses) + " total classes");
  if (groupSize(ctx, axisMask) == 1 && classes != totalClasses)
    fail(&ctx, callName(call, layer) + ": this rank holds " +
                   std::to_string(classes) + " of the " +
                   std::to_string(totalClasses) + " classes but axis mask " +
                   std::to_string(axisMask) +
                   " splits them over no other rank");
}

TransposeCopy checkTranspose(const tprt_context *ctx, const char *layer,
                             int64_t elementBytes, int64_t rank,
                             const int64_t *shape, const int64_t *perm) {
  const char *call = "tprt_transpose";
  if (rank < 0)
    fail(ctx, callName(call, layer) + ": rank " + std::to_string(rank) +
                  " is negative");
  std::vector<int64_t> xStrides =
      rowMajorStrides(std::vector<int64_t>(shape, shape + rank), elementBytes);
  TransposeCopy copy;
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      fail(ctx, callName(call, layer) + ": perm is not a permutation of the " +
                    std::to_string(rank) + " dims");
    seen[perm[i]] = true;
    copy.sizes.push_back(shape[perm[i]]);
    copy.srcStrides.push_back(xStrides[perm[i]]);
  }
  return copy;
}

void checkDimMask(const tprt_context *ctx, const char *call, const char *layer,
                  const char *tensor, int64_t rank, int64_t dimMask) {
  // A mask is an int64_t: bit 63 would make it negative.
  bool beyond = rank < 0 || dimMask < 0 || (rank < 63 && dimMask >> rank != 0);
  if (beyond)
    fail(ctx, callName(call, layer) + ": dim mask " + std::to_string(dimMask) +
                  " names dims beyond the " + std::to_string(rank) + " of " +
                  tensor);
}

AdamWFactors checkAdamW(const tprt_context *ctx, const char *call,
                        const char *layer, int64_t step, double lr,
                        double beta1, double beta2, double eps,
                        double weightDecay) {
  if (step < 1)
    fail(ctx, callName(call, layer) + ": step " + std::to_string(step) +
                  " is not counted from 1");
  double count = static_cast<double>(step);
  AdamWFactors factors;
  factors.decay = static_cast<float>(1 - lr * weightDecay);
  factors.beta1 = static_cast<float>(beta1);
  factors.beta2 = static_cast<float>(beta2);
  factors.oneMinusBeta1 = static_cast<float>(1 - beta1);
  factors.oneMinusBeta2 = static_cast<float>(1 - beta2);
  factors.stepSize = static_cast<float>(lr / (1 - std::pow(beta1, count)));
  factors.correction2Sqrt =
      static_cast<float>(std::sqrt(1 - std::pow(beta2, count)));
  factors.eps = static_cast<float>(eps);
  return factors;
}

void checkMasterDType(const tprt_context *ctx, const char *call,
                      const char *layer, int32_t dtype) {
  dtypeSize(ctx, call, layer, dtype);
  if (dtype == TPRT_F32)
    fail(ctx, callName(call, layer) +
                  ": dtype f32 (0) has no master copy; it must be f16 (1) or "
                  "bf16 (2) (tprt_sgd and tprt_adamw update an f32 parameter "
                  "in place)");
}

std::vector<int64_t> allToAllPiece(const tprt_context *ctx, const char *layer,
                                   int64_t rank, const int64_t *shape,
                                   int64_t splitDim, int64_t concatDim,
                                   int64_t axisMask) {
  const char *call = "tprt_all_to_all";
  checkAxisMask(*ctx, call, layer, axisMask);
  if (splitDim < 0 || splitDim >= rank || concatDim < 0 || concatDim >= rank)
    fail(ctx, callName(call, layer) + ": split dim " +
                  std::to_string(splitDim) + " or concat dim " +
                  std::to_string(concatDim) + " is not a dim of a rank-" +
                  std::to_string(rank) + " tensor");
  int64_t group = groupSize(*ctx, axisMask);
  if (shape[splitDim] % group != 0)
    fail(ctx, callName(call, layer) + ": split dim " +
                  std::to_string(splitDim) + " of size " +
                  std::to_string(shape[splitDim]) + " does not divide into " +
                  std::to_string(group) + " pieces");
  std::vector<int64_t> piece(shape, shape + rank);
  piece[splitDim] /= group;
  return piece;
}

} // namespace tprt
