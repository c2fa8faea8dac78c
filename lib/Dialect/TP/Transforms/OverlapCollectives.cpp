//===- OverlapCollectives.cpp - hide all-reduces behind independent work --===//
//
// This file implements tp-overlap-collectives: each all-reduce of a rank's
// program starts as soon as its input is computed and is waited for just
// before its result is first read, and an optimizer update fed by such a sum
// moves to just before the next update, so that one layer's gradient sum
// hides behind the next layer's backward.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h"
#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_OVERLAPCOLLECTIVES
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct OverlapCollectivesPass
    : public tp::impl::OverlapCollectivesBase<OverlapCollectivesPass> {
  void runOnOperation() override;

  /// Starts `reduce` right after its input is computed and waits for it just
  /// before its result's first use, where work lies in between.
  void overlap(AllReduceOp reduce);
  /// Moves `update`, whose gradient an all-reduce gives, to just before
  /// `next`, so that the sum can overlap the work in between.
  void delay(ParameterUpdateOpInterface update, Operation *next);
};
} // namespace

/// Moves `op` to just after the last definition of its operands in its
/// block (to its block's start if there is none).
static void moveAfterOperands(Operation *op) {
  Block *block = op->getBlock();
  Operation *last = nullptr;
  for (Value operand : op->getOperands()) {
    Operation *producer = operand.getDefiningOp();
    if (producer && producer->getBlock() == block &&
        (!last || last->isBeforeInBlock(producer)))
      last = producer;
  }
  if (last)
    op->moveAfter(last);
  else
    op->moveBefore(&block->front());
}

void OverlapCollectivesPass::overlap(AllReduceOp reduce) {
  // An update in place could change a parameter while the sum reads it.
  if (reduce.getAsync() ||
      getStorageRoot(reduce.getInput()).getDefiningOp<GetParameterOp>())
    return;
  Block *block = reduce->getBlock();
  Operation *firstUse = nullptr;
  for (Operation *user : reduce->getUsers()) {
    Operation *inBlock = block->findAncestorOpInBlock(*user);
    if (!firstUse || inBlock->isBeforeInBlock(firstUse))
      firstUse = inBlock;
  }
  if (!firstUse)
    return;
  // A sum of gradient terms (tp-autodiff's tp.add) moves up to where its
  // terms are ready, not after the weight gradients computed in between.
  // Other producers stay: moving a GEMM up would only lengthen the life of
  // its result.
  if (auto add = reduce.getInput().getDefiningOp<AddOp>())
    moveAfterOperands(add);
  moveAfterOperands(reduce);
  if (reduce->getNextNode() == firstUse)
    return;
  OpBuilder builder(firstUse);
  auto wait = WaitOp::create(builder, reduce.getLoc(), reduce.getResult());
  if (Attribute layouts = reduce->getAttr(kResultLayoutsAttrName))
    wait->setAttr(kResultLayoutsAttrName, layouts);
  reduce.getResult().replaceAllUsesExcept(wait.getResult(), wait);
  reduce.setAsync(true);
  ++numOverlapped;
}

void OverlapCollectivesPass::delay(ParameterUpdateOpInterface update,
                                   Operation *next) {
  auto reduce = update.getGrad().getDefiningOp<AllReduceOp>();
  if (!reduce || !reduce.getResult().hasOneUse())
    return;
  // Every read of the parameter precedes its update (tp-autodiff puts the
  // update after the last), so nothing between reads what it writes.
  update->moveBefore(next);
}

void OverlapCollectivesPass::runOnOperation() {
  getOperation().walk([&](func::FuncOp function) {
    for (Block &block : function.getBody()) {
      SmallVector<ParameterUpdateOpInterface> updates =
          llvm::to_vector(block.getOps<ParameterUpdateOpInterface>());
      for (auto [index, update] : llvm::enumerate(updates))
        delay(update, index + 1 < updates.size()
                          ? updates[index + 1].getOperation()
                          : block.getTerminator());
      for (AllReduceOp reduce : llvm::to_vector(block.getOps<AllReduceOp>()))
        overlap(reduce);
    }
  });
}
