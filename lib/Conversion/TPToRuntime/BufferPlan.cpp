//===- BufferPlan.cpp - static, liveness-based buffer planning ------------===//
//
// This file implements the buffer plan: live intervals over the ops of the
// model function, then first-fit placement in offset order.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/TPToRuntime/BufferPlan.h"
#include "tp/Dialect/TP/IR/TPOps.h"
#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "tprt/tprt.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tp;

static constexpr int64_t kAlignment = 64;

/// The bytes of `value` rounded up to the alignment; checkByteSizes has
/// checked they fit.
static int64_t getAlignedBytes(Value value) {
  return llvm::alignTo(*getNumBytes(cast<RankedTensorType>(value.getType())),
                       kAlignment);
}

int64_t mlir::tp::getWorkspaceBytes(Operation *op) {
  // The attention's scores, recomputed by its backward too.
  if (!isa<AttentionOp, AttentionGradOp>(op))
    return 0;
  ArrayRef<int64_t> query =
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  int64_t batch = query[0], querySeq = query[1], queryHeads = query[2];
  int64_t keySeq =
      cast<RankedTensorType>(op->getOperand(1).getType()).getShape()[1];
  // As many query rows at once as fit in this much scratch, so that long
  // sequences take a few large GEMMs, not many small ones.
  const int64_t budget = int64_t(256) << 20;
  int64_t rowBytes = tprt_attention_workspace_bytes(batch, queryHeads, keySeq,
                                                    /*rows=*/1) -
                     tprt_attention_workspace_bytes(batch, queryHeads, keySeq,
                                                    /*rows=*/0);
  int64_t rows = std::clamp<int64_t>(budget / std::max<int64_t>(rowBytes, 1), 1,
                                     std::max<int64_t>(querySeq, 1));
  return llvm::alignTo(
      tprt_attention_workspace_bytes(batch, queryHeads, keySeq, rows),
      kAlignment);
}

std::optional<SiLUMul> mlir::tp::matchSiLUMul(MulOp mul) {
  for (auto [gate, up] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())})
    if (auto silu = gate.getDefiningOp<SiLUOp>())
      if (silu->hasOneUse())
        return SiLUMul{silu, up};
  return std::nullopt;
}

namespace {
/// The ops during which an arena tensor (or an op's workspace) is live, by
/// their positions in the function: an input's begins at -1.
struct Interval {
  Value root;
  int64_t begin, end, bytes;
  /// For a workspace, the op it serves (root is null).
  Operation *workspaceOf = nullptr;
};
} // namespace

/// The values of a training step that depend on its loss seed (the tp.fill
/// that only tp-autodiff creates): the backward's and the updates'.
static DenseSet<Value> getBackwardValues(Block &body) {
  DenseSet<Value> backward;
  for (Operation &op : body)
    if (isa<FillOp>(op) || llvm::any_of(op.getOperands(), [&](Value operand) {
          return backward.contains(operand);
        }))
      backward.insert(op.result_begin(), op.result_end());
  return backward;
}

/// The storage roots of parameter gradients: each update's gradient and what
/// it reduces or sums (the partial gradient before its all-reduce, the
/// gradients of a parameter read twice).
static DenseSet<Value> getParameterGradients(Block &body) {
  DenseSet<Value> gradients;
  SmallVector<Value> worklist;
  for (auto update : body.getOps<ParameterUpdateOpInterface>())
    worklist.push_back(update.getGrad());
  while (!worklist.empty()) {
    Value gradient = getStorageRoot(worklist.pop_back_val());
    if (!gradients.insert(gradient).second)
      continue;
    Operation *producer = gradient.getDefiningOp();
    if (producer && (isCollective(producer) || isa<AddOp>(producer)))
      llvm::append_range(worklist, producer->getOperands());
  }
  return gradients;
}

/// What is live at the op where the most arena bytes are (intervals ordered
/// by their begins).
static BufferPlan::PeakUse measurePeakUse(Block &body,
                                          ArrayRef<Interval> intervals) {
  // Live bytes before each position, from -1 (the inputs) to the end.
  int64_t positions = body.getOperations().size() + 1;
  SmallVector<int64_t> change(positions + 2, 0);
  for (const Interval &interval : intervals) {
    change[interval.begin + 1] += interval.bytes;
    change[interval.end + 2] -= interval.bytes;
  }
  int64_t live = 0, peakLive = -1, peak = 0;
  for (int64_t i = 0; i < positions; ++i) {
    live += change[i];
    if (live > peakLive)
      std::tie(peakLive, peak) = std::pair(live, i - 1);
  }
  DenseSet<Value> backward = getBackwardValues(body);
  DenseSet<Value> gradients = getParameterGradients(body);
  BufferPlan::PeakUse use;
  for (const Interval &interval : intervals) {
    if (interval.begin > peak)
      break;
    if (interval.end < peak || !interval.root)
      continue;
    if (gradients.contains(interval.root))
      use.gradientBytes += interval.bytes;
    else if (!backward.contains(interval.root))
      use.savedActivationBytes += interval.bytes;
  }
  return use;
}

FailureOr<BufferPlan> BufferPlan::build(func::FuncOp function) {
  if (failed(checkByteSizes(function)))
    return failure();
  BufferPlan plan;
  Block &body = function.getBody().front();
  DenseMap<Operation *, int64_t> position;
  for (auto [index, op] : llvm::enumerate(body))
    position[&op] = index;
  int64_t end = body.getOperations().size();

  // Live interval of each storage root: from its definition to the last use
  // of any value sharing it.
  llvm::MapVector<Value, Interval> intervals;
  SmallVector<Interval> workspaces;
  auto extend = [&](Value value, int64_t until) {
    Value root = getStorageRoot(value);
    if (root.getDefiningOp<GetParameterOp>())
      return;
    auto [it, inserted] = intervals.try_emplace(root);
    if (inserted) {
      int64_t begin =
          isa<BlockArgument>(root) ? -1 : position[root.getDefiningOp()];
      it->second = {root, begin, begin, getAlignedBytes(root)};
    }
    it->second.end = std::max(it->second.end, until);
  };
  for (BlockArgument argument : function.getArguments())
    extend(argument, end);
  for (Operation &op : body) {
    for (Value result : op.getResults())
      extend(result, position[&op]);
    for (Value operand : op.getOperands())
      extend(operand, isa<func::ReturnOp>(op) ? end : position[&op]);
    // An async sum reads its input until its wait.
    if (auto wait = dyn_cast<WaitOp>(op))
      extend(wait.getInput().getDefiningOp<AllReduceOp>().getInput(),
             position[&op]);
    // A fused silu * mul reads the silu's input where the mul runs.
    if (auto mul = dyn_cast<MulOp>(op))
      if (std::optional<SiLUMul> fused = matchSiLUMul(mul))
        extend(fused->silu.getInput(), position[&op]);
    if (int64_t bytes = getWorkspaceBytes(&op))
      workspaces.push_back({Value(), position[&op], position[&op], bytes, &op});
  }
  // In order of the start of their intervals, as the placement wants.
  SmallVector<Interval> ordered;
  for (auto &entry : intervals)
    ordered.push_back(entry.second);
  ordered.append(workspaces);
  llvm::stable_sort(ordered, [](const Interval &a, const Interval &b) {
    return a.begin < b.begin;
  });

  // Parameters: one shard after another. The reads of a parameter (or of
  // one part of a fused one) in one layout share its shard, so that an
  // update in place reaches all of them.
  DenseMap<std::tuple<Attribute, Attribute, Attribute>, int64_t> shards;
  for (auto get : function.getOps<GetParameterOp>()) {
    auto [shard, first] = shards.try_emplace(
        {get.getNameAttr().getAttr(), get.getRowsAttr(), get.getLayoutAttr()},
        plan.parameterBytes);
    plan.slots[get.getResult()] = {true, shard->second};
    if (first)
      plan.parameterBytes += getAlignedBytes(get.getResult());
  }

  // Activations: in order of definition, each at the lowest offset that does
  // not overlap a value still live.
  struct Placed {
    int64_t offset, bytes, end;
  };
  // `live` stays in offset order: each placement is inserted where it
  // belongs, rather than the list sorted again for every value.
  SmallVector<Placed> live;
  for (const Interval &interval : ordered) {
    llvm::erase_if(live,
                   [&](const Placed &p) { return p.end < interval.begin; });
    int64_t offset = 0;
    for (const Placed &other : live) {
      if (offset + interval.bytes <= other.offset)
        break;
      offset = std::max(offset, other.offset + other.bytes);
    }
    live.insert(llvm::upper_bound(
                    live, offset,
                    [](int64_t at, const Placed &p) { return at < p.offset; }),
                {offset, interval.bytes, interval.end});
    if (interval.workspaceOf)
      plan.workspaces[interval.workspaceOf] = offset;
    else
      plan.slots[interval.root] = {false, offset};
    plan.arenaBytes = std::max(plan.arenaBytes, offset + interval.bytes);
  }
  plan.peakUse = measurePeakUse(body, ordered);
  // Views and waits share their root's slot.
  function.walk([&](Operation *op) {
    if (isa<ReshapeOp, WaitOp>(op))
      plan.slots[op->getResult(0)] =
          plan.slots.lookup(getStorageRoot(op->getResult(0)));
  });
  return plan;
}
