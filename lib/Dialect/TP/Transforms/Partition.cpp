//===- Partition.cpp - rewrite the global program into a rank's program ---===//
//
// This file implements tp-partition: every value of the model function takes
// the type of one rank's shard under its layout, parameters are read as
// shards, and a mean-reducing loss over split positions is rescaled so that
// the ranks' partial sums add up to the global mean. The program stays SPMD:
// one function for every rank, its offsets given by the rank's coordinates.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_PARTITION
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct PartitionPass : public tp::impl::PartitionBase<PartitionPass> {
  void runOnOperation() override;

  /// Gives `value` its shard type; `what` names it in errors.
  LogicalResult localize(Value value, Operation *reporter,
                         const std::string &what);
  /// Rescales a cross-entropy whose positions are split across ranks.
  void rescaleSplitLoss(CrossEntropyOp loss);

  MeshOp mesh;
};
} // namespace

LogicalResult PartitionPass::localize(Value value, Operation *reporter,
                                      const std::string &what) {
  LayoutAttr layout = getLayout(value);
  if (!layout)
    return reporter->emitError()
           << what << " has no layout; run tp-propagate and tp-reshard before "
           << "tp-partition";
  auto type = cast<RankedTensorType>(value.getType());
  if (failed(verifyLayout([&] { return reporter->emitError() << what << ": "; },
                          mesh, layout, type)))
    return failure();
  value.setType(getShardType(mesh, layout, type));
  return success();
}

void PartitionPass::rescaleSplitLoss(CrossEntropyOp loss) {
  // Each rank averages over its own positions; scaling by local / global
  // positions turns the ranks' means into terms of the global mean.
  // Split classes (loss_parallel) the op reduces itself; only split
  // positions make each rank's mean a part of the global one.
  LayoutAttr layout = getOperandLayout(loss, 0);
  int64_t classDim = loss.getLogits().getType().getRank() - 1;
  int64_t splits = 1;
  for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
    if (placement.isShard() && placement.getDim() != classDim)
      splits *= mesh.getAxisSizes()[axis];
  if (splits == 1)
    return;
  OpBuilder builder(loss->getContext());
  builder.setInsertionPointAfter(loss);
  auto scale =
      ScaleOp::create(builder, loss.getLoc(), loss.getType(), loss.getResult(),
                      builder.getF64FloatAttr(1.0 / splits));
  scale->setAttr(kOperandLayoutsAttrName,
                 loss->getAttr(kResultLayoutsAttrName));
  scale->setAttr(kResultLayoutsAttrName, loss->getAttr(kResultLayoutsAttrName));
  loss.getResult().replaceAllUsesExcept(scale.getResult(), scale);
}

void PartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp function;
  if (failed(getMeshAndModel(module, mesh, function)))
    return signalPassFailure();

  // Once collectives are in place every annotation holds; in a rank's
  // program they would only restate the layouts, so they go.
  for (AnnotateOp annotate :
       llvm::make_early_inc_range(function.getOps<AnnotateOp>())) {
    annotate.getResult().replaceAllUsesWith(annotate.getInput());
    annotate.erase();
  }

  for (BlockArgument argument : function.getArguments())
    if (failed(localize(argument, function,
                        "input #" + std::to_string(argument.getArgNumber()))))
      return signalPassFailure();

  SmallVector<CrossEntropyOp> losses;
  for (Operation &op : function.getBody().front()) {
    for (OpResult result : op.getResults()) {
      std::string what = "result of " + describeProducer(result);
      if (failed(localize(result, &op, what)))
        return signalPassFailure();
    }
    if (auto get = dyn_cast<GetParameterOp>(op))
      get.setLayoutAttr(getLayout(get.getResult()));
    if (auto loss = dyn_cast<CrossEntropyOp>(op))
      losses.push_back(loss);
  }
  for (CrossEntropyOp loss : losses)
    rescaleSplitLoss(loss);

  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  function.setType(FunctionType::get(&getContext(),
                                     function.getBody().getArgumentTypes(),
                                     ret.getOperandTypes()));
}
