//===- ShardingRuleInterface.h - per-op sharding rules ----------*- C++ -*-===//
//
// This file declares ShardingRule, the description of an op's iteration
// factors that the sharding passes reason with, StyleSplit, what a parallel
// style splits in a layer, and the op interfaces that return them.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_H
#define TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_H

#include "tp/Dialect/TP/IR/TPAttrs.h"

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::tp {

/// What splitting a factor over a mesh axis does to the op.
enum class FactorKind : uint8_t {
  /// Results are split too: a batch, sequence, head or output-feature loop.
  Parallel,
  /// Each rank computes a partial sum: a contracted or summed-over loop.
  Reduction,
  /// Cannot be split without communication inside the op: a norm's or a
  /// softmax's features, the rotated pairs of rope.
  Blocked,
  /// A reduction the op completes itself when it is split: its runtime call
  /// communicates across the ranks (a cross-entropy over vocabulary shards,
  /// PyTorch's loss_parallel), so results without the factor stay whole.
  ReducedByOp,
};

/// The iteration factors of an op and how its operand and result dims are
/// made of them. A dim lists its factors major first; a dim of size 1 may
/// list none.
struct ShardingRule {
  /// How a Partial(sum) operand may flow through the op unreduced.
  enum class PartialFlow : uint8_t {
    /// It may not: a nonlinear op.
    None,
    /// One of `linearOperands` may be partial while the others are
    /// replicated (multilinear: linear, matmul, mul, scale, reshape, sum).
    OneOperand,
    /// All operands must be partial together (additive: add).
    AllOperands,
  };
  using DimFactors = SmallVector<int64_t, 2>;

  /// Adds a factor of `size` and returns its index.
  int64_t addFactor(int64_t size, FactorKind kind);

  /// The rule of an elementwise op: one parallel factor per dim of result 0,
  /// shared by every operand and result; partial sums flow by `flow` through
  /// every operand.
  static ShardingRule elementwise(Operation *op, PartialFlow flow);

  SmallVector<int64_t> factorSizes;
  SmallVector<FactorKind> factorKinds;
  /// Per operand (then per result), per dim: the factors of that dim.
  SmallVector<SmallVector<DimFactors>> operandDims;
  SmallVector<SmallVector<DimFactors>> resultDims;
  PartialFlow partialFlow = PartialFlow::None;
  /// The operands a partial sum may flow through (see PartialFlow).
  SmallVector<unsigned> linearOperands;
  /// Operands added to the result after the reduction, as a bias: when a
  /// reduction factor is split they must be partial sums too, so that the
  /// ranks' partial results add them once.
  SmallVector<unsigned> summandOperands;
};

/// What a parallel style splits in a layer op: a factor of its sharding rule,
/// and what that factor counts, for messages ("output features").
struct StyleSplit {
  int64_t factor;
  llvm::StringRef what;
};

/// What sequence parallelism splits in a layer whose operand 0 is [batch,
/// seq, ..., features] (a norm's input): the factor of its dim 1. Emits an
/// error and fails where that operand has no sequence dim.
FailureOr<StyleSplit> getSequenceSplit(Operation *op, const ShardingRule &rule);

} // namespace mlir::tp

#include "tp/Dialect/TP/Interfaces/ShardingRuleInterface.h.inc"

#endif // TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_H
