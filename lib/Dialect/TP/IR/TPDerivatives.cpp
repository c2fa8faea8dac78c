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
  if (getBias() && needed[2]) {
    // The bias is added at every leading position: its gradient sums them.
    int64_t rank = getInput().getType().getRank();
    grads[2] = rank == 1
                   ? dy
                   : SumOp::create(builder, loc, dy,
                                   builder.getDenseI64ArrayAttr(llvm::to_vector(
                                       llvm::seq<int64_t>(0, rank - 1))))
                         .getResult();
  }
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
