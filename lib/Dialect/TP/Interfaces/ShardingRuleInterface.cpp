//===- ShardingRuleInterface.cpp - per-op sharding rules ------------------===//
//
// This file implements the ShardingRule helpers, the split of sequence
// parallelism that norm layers share, and the generated interfaces.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Interfaces/ShardingRuleInterface.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp/Dialect/TP/Interfaces/ShardingRuleInterface.cpp.inc"

int64_t ShardingRule::addFactor(int64_t size, FactorKind kind) {
  factorSizes.push_back(size);
  factorKinds.push_back(kind);
  return factorSizes.size() - 1;
}

ShardingRule ShardingRule::elementwise(Operation *op, PartialFlow flow) {
  ShardingRule rule;
  auto shape = cast<RankedTensorType>(op->getResult(0).getType()).getShape();
  SmallVector<DimFactors> dims;
  for (int64_t size : shape)
    dims.push_back({rule.addFactor(size, FactorKind::Parallel)});
  rule.operandDims.assign(op->getNumOperands(), dims);
  rule.resultDims.assign(op->getNumResults(), dims);
  rule.partialFlow = flow;
  if (flow != PartialFlow::None)
    rule.linearOperands =
        llvm::to_vector(llvm::seq<unsigned>(0, op->getNumOperands()));
  return rule;
}

FailureOr<StyleSplit> mlir::tp::getSequenceSplit(Operation *op,
                                                 const ShardingRule &rule) {
  if (cast<RankedTensorType>(op->getOperand(0).getType()).getRank() < 3)
    return op->emitOpError("is sequence_parallel but its input has no "
                           "sequence dim: it needs [batch, seq, ..., "
                           "features]");
  return StyleSplit{rule.operandDims[0][1].front(), "sequence positions"};
}
