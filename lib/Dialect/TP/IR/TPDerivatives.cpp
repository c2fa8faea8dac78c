//===- TPDerivatives.cpp - derivative rules of the tp model ops -----------===//
//
// This file implements DifferentiableOpInterface for the model ops: each
// rule builds the gradients of an op's operands from the gradient of its
// result, in global (unsharded) ops, for tp-autodiff to chain in reverse.
// Where a backward needs its own kernel (a linear layer's GEMMs, silu's
// derivative) the rule builds the op for it; otherwise it reuses forward ops
// (a sum's backward broadcasts, a transpose's transposes back).
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPOps.h"

using namespace mlir;
using namespace mlir::tp;

/// Sizes `grads` to `op`'s operands, all null.
static void resetGrads(Operation *op, SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
}

/// The sum of `grad` over every dim but the last: a per-feature parameter's
/// gradient.
static Value sumLeading(OpBuilder &builder, Location loc, Value grad) {
  int64_t rank = cast<RankedTensorType>(grad.getType()).getRank();
  if (rank == 1)
    return grad;
  return SumOp::create(builder, loc, grad,
                       builder.getDenseI64ArrayAttr(
                           llvm::to_vector(llvm::seq<int64_t>(0, rank - 1))));
}

LogicalResult LinearOp::buildGradients(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       ArrayRef<bool> needed,
                                       SmallVectorImpl<Value> &grads) {
  resetGrads(*this, grads);
  Value dy = resultGrads[0];
  Location loc = getLoc();
  if (needed[0])
    grads[0] =
        LinearInputGradOp::create(builder, loc, getLayer(), dy, getWeight());
  if (needed[1])
    grads[1] =
        LinearWeightGradOp::create(builder, loc, getLayer(), dy, getInput());
  // The bias is added at every leading position: its gradient sums them.
  if (getBias() && needed[2])
    grads[2] = sumLeading(builder, loc, dy);
  return success();
}

LogicalResult AddOp::buildGradients(OpBuilder &, ValueRange resultGrads,
                                    ArrayRef<bool>,
                                    SmallVectorImpl<Value> &grads) {
  grads.assign(2, resultGrads[0]);
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &grads) {
  resetGrads(*this, grads);
  // d(a b) = b da + a db.
  if (needed[0])
    grads[0] = MulOp::create(builder, getLoc(), resultGrads[0], getRhs());
  if (needed[1])
    grads[1] = MulOp::create(builder, getLoc(), resultGrads[0], getLhs());
  return success();
}

LogicalResult SiLUOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                     ArrayRef<bool>,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign(
      {SiLUGradOp::create(builder, getLoc(), getInput(), resultGrads[0])});
  return success();
}

LogicalResult ScaleOp::buildGradients(OpBuilder &builder,
                                      ValueRange resultGrads, ArrayRef<bool>,
                                      SmallVectorImpl<Value> &grads) {
  grads.assign(
      {ScaleOp::create(builder, getLoc(), resultGrads[0], getFactorAttr())});
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &builder,
                                        ValueRange resultGrads, ArrayRef<bool>,
                                        SmallVectorImpl<Value> &grads) {
  grads.assign({ReshapeOp::create(builder, getLoc(), getInput().getType(),
                                  resultGrads[0])});
  return success();
}

/// The permutation that undoes `permutation`.
static SmallVector<int64_t> invert(ArrayRef<int64_t> permutation) {
  SmallVector<int64_t> inverse(permutation.size());
  for (auto [index, dim] : llvm::enumerate(permutation))
    inverse[dim] = index;
  return inverse;
}

LogicalResult TransposeOp::buildGradients(OpBuilder &builder,
                                          ValueRange resultGrads,
                                          ArrayRef<bool>,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign({TransposeOp::create(builder, getLoc(), resultGrads[0],
                                    invert(getPermutation()))});
  return success();
}

/// `value` with its last two dims swapped.
static Value transposeLastTwo(OpBuilder &builder, Location loc, Value value) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<int64_t> permutation =
      llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return TransposeOp::create(builder, loc, value, permutation);
}

LogicalResult MatmulOp::buildGradients(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       ArrayRef<bool> needed,
                                       SmallVectorImpl<Value> &grads) {
  resetGrads(*this, grads);
  Value dc = resultGrads[0];
  Location loc = getLoc();
  // C = A B: dA = dC B^T, dB = A^T dC.
  if (needed[0])
    grads[0] = MatmulOp::create(builder, loc, dc,
                                transposeLastTwo(builder, loc, getRhs()));
  if (needed[1])
    grads[1] = MatmulOp::create(builder, loc,
                                transposeLastTwo(builder, loc, getLhs()), dc);
  return success();
}

LogicalResult SumOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool>,
                                    SmallVectorImpl<Value> &grads) {
  // Every summed element receives the gradient of its sum.
  grads.assign({BroadcastOp::create(builder, getLoc(), getInput().getType(),
                                    resultGrads[0], getReducedDims())});
  return success();
}

LogicalResult AnnotateOp::buildGradients(OpBuilder &, ValueRange resultGrads,
                                         ArrayRef<bool>,
                                         SmallVectorImpl<Value> &grads) {
  // A layout pin changes no values; the backward finds its own layouts.
  grads.assign({resultGrads[0]});
  return success();
}

LogicalResult ReLUOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                     ArrayRef<bool>,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign(
      {ReLUGradOp::create(builder, getLoc(), getInput(), resultGrads[0])});
  return success();
}

LogicalResult GELUOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                     ArrayRef<bool>,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign({GELUGradOp::create(builder, getLoc(), getInput(),
                                   resultGrads[0], getTanhAttr())});
  return success();
}

LogicalResult EmbeddingOp::buildGradients(OpBuilder &builder,
                                          ValueRange resultGrads,
                                          ArrayRef<bool> needed,
                                          SmallVectorImpl<Value> &grads) {
  // Token ids have no gradient.
  resetGrads(*this, grads);
  if (needed[1])
    grads[1] = EmbeddingGradOp::create(builder, getLoc(), getTable().getType(),
                                       getLayer(), getIds(), resultGrads[0]);
  return success();
}

/// The gradients of a norm layer's input and weight (operands 0 and 1), by
/// its two backward ops.
template <typename InputGrad, typename WeightGrad, typename Norm>
static void buildNormGradients(Norm norm, OpBuilder &builder, Value dy,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &grads) {
  resetGrads(norm, grads);
  if (needed[0])
    grads[0] = InputGrad::create(builder, norm.getLoc(), norm.getLayerAttr(),
                                 norm.getInput(), norm.getWeight(), dy,
                                 norm.getEpsilonAttr());
  if (needed[1])
    grads[1] = WeightGrad::create(
        builder, norm.getLoc(), norm.getWeight().getType(), norm.getLayerAttr(),
        norm.getInput(), dy, norm.getEpsilonAttr());
}

LogicalResult RMSNormOp::buildGradients(OpBuilder &builder,
                                        ValueRange resultGrads,
                                        ArrayRef<bool> needed,
                                        SmallVectorImpl<Value> &grads) {
  buildNormGradients<RMSNormInputGradOp, RMSNormWeightGradOp>(
      *this, builder, resultGrads[0], needed, grads);
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &builder,
                                          ValueRange resultGrads,
                                          ArrayRef<bool> needed,
                                          SmallVectorImpl<Value> &grads) {
  buildNormGradients<LayerNormInputGradOp, LayerNormWeightGradOp>(
      *this, builder, resultGrads[0], needed, grads);
  if (getBias() && needed[2])
    grads[2] = sumLeading(builder, getLoc(), resultGrads[0]);
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &builder,
                                        ValueRange resultGrads, ArrayRef<bool>,
                                        SmallVectorImpl<Value> &grads) {
  grads.assign({SoftmaxGradOp::create(builder, getLoc(), getResult(),
                                      resultGrads[0], getNormalizedDim())});
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &builder,
                                             ValueRange resultGrads,
                                             ArrayRef<bool> needed,
                                             SmallVectorImpl<Value> &grads) {
  // Labels have no gradient.
  resetGrads(*this, grads);
  if (needed[0])
    grads[0] = CrossEntropyGradOp::create(builder, getLoc(), getLogits(),
                                          getLabels(), resultGrads[0]);
  return success();
}

LogicalResult RoPEOp::buildGradients(OpBuilder &builder, ValueRange resultGrads,
                                     ArrayRef<bool>,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign({RoPEGradOp::create(
      builder, getLoc(), resultGrads[0], getThetaAttr(), getConventionAttr(),
      getFreqFactorsAttr(), getAttentionFactorAttr())});
  return success();
}

LogicalResult AttentionOp::buildGradients(OpBuilder &builder,
                                          ValueRange resultGrads,
                                          ArrayRef<bool>,
                                          SmallVectorImpl<Value> &grads) {
  auto backward = AttentionGradOp::create(builder, getLoc(), getQuery(),
                                          getKey(), getValue(), resultGrads[0],
                                          getCausalAttr(), getScaleAttr());
  grads.assign(backward->getResults().begin(), backward->getResults().end());
  return success();
}
