//===- TPShardingRules.cpp - sharding rules of the tp model ops -----------===//
//
// This file implements ShardingRuleOpInterface for every model op: which of
// its loops are parallel, which are reductions (splitting them yields partial
// sums) and which cannot be split, and through which operands a partial sum
// flows unreduced; and LayerOpInterface for the layer ops: which factor each
// parallel style of a plan splits.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPOps.h"

using namespace mlir;
using namespace mlir::tp;

using DimFactors = ShardingRule::DimFactors;
using PartialFlow = ShardingRule::PartialFlow;

/// Adds one factor per size (of one kind) and returns each as a dim.
static SmallVector<DimFactors>
addDims(ShardingRule &rule, ArrayRef<int64_t> sizes, FactorKind kind) {
  SmallVector<DimFactors> dims;
  for (int64_t size : sizes)
    dims.push_back({rule.addFactor(size, kind)});
  return dims;
}

/// Concatenates dim lists.
static SmallVector<DimFactors> concat(ArrayRef<DimFactors> a,
                                      ArrayRef<DimFactors> b) {
  SmallVector<DimFactors> dims(a);
  dims.append(b.begin(), b.end());
  return dims;
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

ShardingRule LinearOp::getShardingRule() {
  ShardingRule rule;
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  auto leading =
      addDims(rule, shapeOf(getInput()).drop_back(), FactorKind::Parallel);
  DimFactors out = {rule.addFactor(weight[0], FactorKind::Parallel)};
  DimFactors in = {rule.addFactor(weight[1], FactorKind::Reduction)};
  rule.operandDims.push_back(concat(leading, {in}));
  rule.operandDims.push_back({out, in});
  if (getBias()) {
    rule.operandDims.push_back({out});
    rule.summandOperands = {2};
  }
  rule.resultDims.push_back(concat(leading, {out}));
  // x -> x W^T is linear in x; a bias would be added once per rank.
  if (!getBias()) {
    rule.partialFlow = PartialFlow::OneOperand;
    rule.linearOperands = {0};
  }
  return rule;
}

/// The factor a style splits: the major factor of `dim` of `operand`.
static StyleSplit splitOf(const ShardingRule &rule, unsigned operand,
                          unsigned dim, StringRef what) {
  return {rule.operandDims[operand][dim].front(), what};
}

/// The styles of a layer with a weight matrix (operand 1) and what they
/// split: colwise the weight's dim `colwiseDim`, rowwise the other one.
static SmallVector<ParallelStyleKind> getWeightStyles() {
  return {ParallelStyleKind::Colwise, ParallelStyleKind::Rowwise};
}
static StyleSplit splitWeight(const ShardingRule &rule, ParallelStyleKind kind,
                              unsigned colwiseDim, StringRef colwiseWhat,
                              StringRef rowwiseWhat) {
  if (kind == ParallelStyleKind::Colwise)
    return splitOf(rule, /*operand=*/1, colwiseDim, colwiseWhat);
  return splitOf(rule, /*operand=*/1, 1 - colwiseDim, rowwiseWhat);
}

SmallVector<ParallelStyleKind> LinearOp::getParallelStyles() {
  return getWeightStyles();
}

FailureOr<StyleSplit> LinearOp::getStyleSplit(ParallelStyleKind kind,
                                              const ShardingRule &rule) {
  // The weight is [out_features, in_features].
  return splitWeight(rule, kind, /*colwiseDim=*/0, "output features",
                     "input features");
}

SmallVector<ParallelStyleKind> EmbeddingOp::getParallelStyles() {
  return getWeightStyles();
}

FailureOr<StyleSplit> EmbeddingOp::getStyleSplit(ParallelStyleKind kind,
                                                 const ShardingRule &rule) {
  // The table is [num_embeddings, embedding_dim].
  return splitWeight(rule, kind, /*colwiseDim=*/1, "embedding features",
                     "vocabulary rows");
}

ShardingRule EmbeddingOp::getShardingRule() {
  ShardingRule rule;
  ArrayRef<int64_t> table = shapeOf(getTable());
  auto positions = addDims(rule, shapeOf(getIds()), FactorKind::Parallel);
  // A rank holding some rows of the table looks up the ids it holds and
  // contributes zeros for the others: a partial sum, as PyTorch's row-wise
  // embedding does.
  DimFactors rows = {rule.addFactor(table[0], FactorKind::Reduction)};
  DimFactors features = {rule.addFactor(table[1], FactorKind::Parallel)};
  rule.operandDims.push_back(positions);
  rule.operandDims.push_back({rows, features});
  rule.resultDims.push_back(concat(positions, {features}));
  return rule;
}

/// A norm over the last dim: its features cannot be split, the other dims
/// (batch, sequence) can. `operands` lists, per operand, whether it has the
/// input's shape (else it is a per-feature weight or bias); the result has
/// the input's shape.
static ShardingRule getNormRule(Value input, ArrayRef<bool> operands) {
  ShardingRule rule;
  ArrayRef<int64_t> shape = shapeOf(input);
  auto leading = addDims(rule, shape.drop_back(), FactorKind::Parallel);
  DimFactors features = {rule.addFactor(shape.back(), FactorKind::Blocked)};
  SmallVector<DimFactors> dims = concat(leading, {features});
  for (bool full : operands)
    rule.operandDims.push_back(full ? dims : SmallVector<DimFactors>{features});
  rule.resultDims.push_back(dims);
  return rule;
}

ShardingRule RMSNormOp::getShardingRule() {
  return getNormRule(getInput(), {true, false});
}

ShardingRule LayerNormOp::getShardingRule() {
  if (getBias())
    return getNormRule(getInput(), {true, false, false});
  return getNormRule(getInput(), {true, false});
}

ShardingRule AddOp::getShardingRule() {
  return ShardingRule::elementwise(*this, PartialFlow::AllOperands);
}

ShardingRule MulOp::getShardingRule() {
  return ShardingRule::elementwise(*this, PartialFlow::OneOperand);
}

ShardingRule ScaleOp::getShardingRule() {
  return ShardingRule::elementwise(*this, PartialFlow::OneOperand);
}

ShardingRule ReshapeOp::getShardingRule() {
  // Pair up runs of input and output dims with equal products. A run of one
  // dim on one side and several on the other (heads*head_dim <-> heads,
  // head_dim) shares the factors of the several; a many-to-many run becomes
  // one factor that cannot be split.
  ShardingRule rule;
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  if (getInput().getType().getNumElements() == 0) {
    rule.operandDims.push_back(addDims(rule, in, FactorKind::Blocked));
    rule.resultDims.push_back(addDims(rule, out, FactorKind::Blocked));
    return rule;
  }
  SmallVector<DimFactors> inDims(in.size()), outDims(out.size());
  size_t i = 0, o = 0;
  while (i < in.size() || o < out.size()) {
    size_t iBegin = i, oBegin = o;
    int64_t inProduct = i < in.size() ? in[i++] : 1;
    int64_t outProduct = o < out.size() ? out[o++] : 1;
    while (inProduct != outProduct) {
      if (inProduct < outProduct)
        inProduct *= in[i++];
      else
        outProduct *= out[o++];
    }
    // Trailing size-1 dims join the run that ends before them.
    while (i < in.size() && in[i] == 1 && o == out.size())
      ++i;
    while (o < out.size() && out[o] == 1 && i == in.size())
      ++o;
    size_t numIn = i - iBegin, numOut = o - oBegin;
    if (numIn == 1 || numOut == 1) {
      bool splitOut = numIn == 1;
      ArrayRef<int64_t> manySizes =
          splitOut ? out.slice(oBegin, numOut) : in.slice(iBegin, numIn);
      DimFactors whole;
      for (auto [offset, size] : llvm::enumerate(manySizes)) {
        int64_t factor = rule.addFactor(size, FactorKind::Parallel);
        if (size != 1)
          whole.push_back(factor);
        (splitOut ? outDims[oBegin + offset]
                  : inDims[iBegin + offset]) = {factor};
      }
      (splitOut ? inDims[iBegin] : outDims[oBegin]) = whole;
      continue;
    }
    int64_t factor = rule.addFactor(inProduct, FactorKind::Blocked);
    for (size_t d = iBegin; d < i; ++d)
      inDims[d] = {factor};
    for (size_t d = oBegin; d < o; ++d)
      outDims[d] = {factor};
  }
  rule.operandDims.push_back(inDims);
  rule.resultDims.push_back(outDims);
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0};
  return rule;
}

ShardingRule TransposeOp::getShardingRule() {
  ShardingRule rule;
  auto dims = addDims(rule, shapeOf(getInput()), FactorKind::Parallel);
  SmallVector<DimFactors> permuted;
  for (int64_t dim : getPermutation())
    permuted.push_back(dims[dim]);
  rule.operandDims.push_back(dims);
  rule.resultDims.push_back(permuted);
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0};
  return rule;
}

ShardingRule MatmulOp::getShardingRule() {
  ShardingRule rule;
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs());
  auto batch = addDims(rule, lhs.drop_back(2), FactorKind::Parallel);
  DimFactors m = {rule.addFactor(lhs[lhs.size() - 2], FactorKind::Parallel)};
  DimFactors k = {rule.addFactor(lhs.back(), FactorKind::Reduction)};
  DimFactors n = {rule.addFactor(rhs.back(), FactorKind::Parallel)};
  rule.operandDims.push_back(concat(batch, {m, k}));
  rule.operandDims.push_back(concat(batch, {k, n}));
  rule.resultDims.push_back(concat(batch, {m, n}));
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0, 1};
  return rule;
}

/// An elementwise rule whose factors of `dims` cannot be split.
static ShardingRule getElementwiseBlocked(Operation *op,
                                          ArrayRef<int64_t> dims) {
  ShardingRule rule = ShardingRule::elementwise(op, PartialFlow::None);
  for (int64_t dim : dims)
    rule.factorKinds[rule.resultDims[0][dim][0]] = FactorKind::Blocked;
  return rule;
}

ShardingRule SoftmaxOp::getShardingRule() {
  return getElementwiseBlocked(*this, {getNormalizedDim()});
}

ShardingRule RoPEOp::getShardingRule() {
  // Positions count along the sequence and features rotate in pairs within
  // a head (adjacent, or half a head apart): both must be whole on every
  // rank; batch and heads split freely, whatever the convention.
  return getElementwiseBlocked(*this, {1, 3});
}

/// The factors of attention over `query` and `key`/value tensors: the dims
/// of a query-shaped and of a key-shaped tensor.
static ShardingRule getAttentionFactors(Value queryValue, Value keyValue,
                                        SmallVector<DimFactors> &query,
                                        SmallVector<DimFactors> &key) {
  // Query head h uses key/value head h / group: splitting the key/value heads
  // over ranks splits the query heads (their major factor) consistently.
  ShardingRule rule;
  ArrayRef<int64_t> q = shapeOf(queryValue), k = shapeOf(keyValue);
  DimFactors batch = {rule.addFactor(q[0], FactorKind::Parallel)};
  DimFactors querySeq = {rule.addFactor(q[1], FactorKind::Blocked)};
  DimFactors keySeq = {rule.addFactor(k[1], FactorKind::Blocked)};
  int64_t kvHeads = rule.addFactor(k[2], FactorKind::Parallel);
  int64_t group = rule.addFactor(q[2] / k[2], FactorKind::Parallel);
  DimFactors headDim = {rule.addFactor(q[3], FactorKind::Blocked)};
  // With a single key/value head the group factor is the query heads' major
  // one, so they can still be split (multi-query attention).
  DimFactors queryHeads = {group};
  if (k[2] != 1)
    queryHeads.insert(queryHeads.begin(), kvHeads);
  query = {batch, querySeq, queryHeads, headDim};
  key = {batch, keySeq, {kvHeads}, headDim};
  return rule;
}

ShardingRule AttentionOp::getShardingRule() {
  SmallVector<DimFactors> query, key;
  ShardingRule rule = getAttentionFactors(getQuery(), getKey(), query, key);
  rule.operandDims = {query, key, key};
  rule.resultDims = {query};
  return rule;
}

ShardingRule AttentionGradOp::getShardingRule() {
  // Split heads keep their query heads with their key/value head, so each
  // rank's key and value gradients are complete.
  SmallVector<DimFactors> query, key;
  ShardingRule rule = getAttentionFactors(getQuery(), getKey(), query, key);
  rule.operandDims = {query, key, key, query};
  rule.resultDims = {query, key, key};
  return rule;
}

ShardingRule SumOp::getShardingRule() {
  ShardingRule rule;
  SmallVector<int64_t> reduced = getReducedDims();
  SmallVector<DimFactors> dims, kept;
  for (auto [dim, size] : llvm::enumerate(shapeOf(getInput()))) {
    bool isReduced = llvm::is_contained(reduced, dim);
    dims.push_back({rule.addFactor(size, isReduced ? FactorKind::Reduction
                                                   : FactorKind::Parallel)});
    if (!isReduced)
      kept.push_back(dims.back());
  }
  rule.operandDims.push_back(dims);
  rule.resultDims.push_back(kept);
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0};
  return rule;
}

ShardingRule CrossEntropyOp::getShardingRule() {
  // The loss is a mean over positions: split positions give partial sums of
  // it. Split classes (vocabulary shards) the op reduces itself: the
  // softmax's max and sum across the ranks.
  ShardingRule rule;
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  auto positions = addDims(rule, logits.drop_back(), FactorKind::Reduction);
  DimFactors classes = {rule.addFactor(logits.back(), FactorKind::ReducedByOp)};
  rule.operandDims.push_back(concat(positions, {classes}));
  rule.operandDims.push_back(positions);
  rule.resultDims.push_back({});
  return rule;
}

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

ShardingRule LinearInputGradOp::getShardingRule() {
  // dx[..., in] = sum over out of dy[..., out] W[out, in]: split output
  // features (a column-wise layer) give partial sums of dx.
  ShardingRule rule;
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  auto leading =
      addDims(rule, shapeOf(getGrad()).drop_back(), FactorKind::Parallel);
  DimFactors out = {rule.addFactor(weight[0], FactorKind::Reduction)};
  DimFactors in = {rule.addFactor(weight[1], FactorKind::Parallel)};
  rule.operandDims.push_back(concat(leading, {out}));
  rule.operandDims.push_back({out, in});
  rule.resultDims.push_back(concat(leading, {in}));
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0};
  return rule;
}

ShardingRule LinearWeightGradOp::getShardingRule() {
  // dW[out, in] = sum over the leading positions of dy[.., out] x[.., in]:
  // split positions (data parallelism) give partial sums of dW.
  ShardingRule rule;
  ArrayRef<int64_t> grad = shapeOf(getGrad());
  auto leading = addDims(rule, grad.drop_back(), FactorKind::Reduction);
  DimFactors out = {rule.addFactor(grad.back(), FactorKind::Parallel)};
  DimFactors in = {
      rule.addFactor(shapeOf(getInput()).back(), FactorKind::Parallel)};
  rule.operandDims.push_back(concat(leading, {out}));
  rule.operandDims.push_back(concat(leading, {in}));
  rule.resultDims.push_back({out, in});
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0, 1};
  return rule;
}

ShardingRule BroadcastOp::getShardingRule() {
  ShardingRule rule;
  SmallVector<DimFactors> dims, kept;
  for (auto [dim, size] : llvm::enumerate(shapeOf(getResult()))) {
    dims.push_back({rule.addFactor(size, FactorKind::Parallel)});
    if (!llvm::is_contained(getDims(), static_cast<int64_t>(dim)))
      kept.push_back(dims.back());
  }
  rule.operandDims.push_back(kept);
  rule.resultDims.push_back(dims);
  rule.partialFlow = PartialFlow::OneOperand;
  rule.linearOperands = {0};
  return rule;
}

ShardingRule FillOp::getShardingRule() {
  // Every rank can fill any block of the result.
  ShardingRule rule;
  rule.resultDims.push_back(
      addDims(rule, shapeOf(getResult()), FactorKind::Parallel));
  return rule;
}

/// An optimizer update is elementwise over the parameter, its gradient and
/// its state, all of the parameter's shape; it has no results.
static ShardingRule getUpdateRule(ParameterUpdateOpInterface update) {
  ShardingRule rule;
  SmallVector<DimFactors> dims =
      addDims(rule, shapeOf(update.getParam()), FactorKind::Parallel);
  rule.operandDims.assign(update->getNumOperands(), dims);
  return rule;
}

ShardingRule SGDOp::getShardingRule() { return getUpdateRule(*this); }
ShardingRule AdamWOp::getShardingRule() { return getUpdateRule(*this); }
ShardingRule SGDMasterOp::getShardingRule() { return getUpdateRule(*this); }
ShardingRule AdamWMasterOp::getShardingRule() { return getUpdateRule(*this); }

ShardingRule EmbeddingGradOp::getShardingRule() {
  // A rank holding some rows sums into those rows only (the ids select
  // them); a rank holding some positions holds a partial sum.
  ShardingRule rule;
  ArrayRef<int64_t> table = shapeOf(getResult());
  auto positions = addDims(rule, shapeOf(getIds()), FactorKind::Reduction);
  DimFactors rows = {rule.addFactor(table[0], FactorKind::Parallel)};
  DimFactors features = {rule.addFactor(table[1], FactorKind::Parallel)};
  rule.operandDims.push_back(positions);
  rule.operandDims.push_back(concat(positions, {features}));
  rule.resultDims.push_back({rows, features});
  return rule;
}

ShardingRule RMSNormInputGradOp::getShardingRule() {
  return getNormRule(getInput(), {true, false, true});
}

ShardingRule LayerNormInputGradOp::getShardingRule() {
  return getNormRule(getInput(), {true, false, true});
}

/// A norm's weight gradient sums over the rows: split rows give partial
/// sums; the features cannot be split (each row's norm needs them all).
static ShardingRule getNormWeightGradRule(Value input) {
  ShardingRule rule;
  ArrayRef<int64_t> shape = shapeOf(input);
  auto leading = addDims(rule, shape.drop_back(), FactorKind::Reduction);
  DimFactors features = {rule.addFactor(shape.back(), FactorKind::Blocked)};
  SmallVector<DimFactors> dims = concat(leading, {features});
  rule.operandDims = {dims, dims};
  rule.resultDims.push_back({features});
  return rule;
}

ShardingRule RMSNormWeightGradOp::getShardingRule() {
  return getNormWeightGradRule(getInput());
}

ShardingRule LayerNormWeightGradOp::getShardingRule() {
  return getNormWeightGradRule(getInput());
}

ShardingRule SoftmaxGradOp::getShardingRule() {
  int64_t rank = getResult().getType().getRank();
  return getElementwiseBlocked(*this,
                               {getDim() < 0 ? getDim() + rank : getDim()});
}

ShardingRule RoPEGradOp::getShardingRule() {
  return getElementwiseBlocked(*this, {1, 3});
}

ShardingRule CrossEntropyGradOp::getShardingRule() {
  // Each position's gradient needs the softmax over all its classes: split
  // classes the op reduces itself, as the forward does.
  ShardingRule rule;
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  auto positions = addDims(rule, logits.drop_back(), FactorKind::Parallel);
  DimFactors classes = {rule.addFactor(logits.back(), FactorKind::ReducedByOp)};
  rule.operandDims.push_back(concat(positions, {classes}));
  rule.operandDims.push_back(positions);
  rule.operandDims.push_back({});
  rule.resultDims.push_back(concat(positions, {classes}));
  return rule;
}
