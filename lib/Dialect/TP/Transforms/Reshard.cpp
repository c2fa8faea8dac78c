//===- Reshard.cpp - insert the collectives layouts need ------------------===//
//
// This file implements tp-reshard: wherever a value's layout (from
// tp-propagate) differs from the layout a user needs, it inserts, right after
// the value is produced, the collectives that redistribute it, one mesh axis
// at a time, and records on each why it is there.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallSet.h"

namespace mlir::tp {
#define GEN_PASS_DEF_RESHARD
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

/// Names who needs operand `index` of `user`, for a collective's reason.
static std::string describeUser(Operation *user, unsigned index) {
  if (isa<func::ReturnOp>(user))
    return "the function result #" + std::to_string(index);
  if (isa<AnnotateOp>(user)) {
    // tp-propagate says which style an annotation it made stands for.
    if (auto why = user->getAttrOfType<StringAttr>(kReasonAttrName))
      return why.str();
    return "the layout tp.annotate pins";
  }
  if (isa<LayerGradientOpInterface>(user))
    return describeProducer(user->getResult(0));
  if (std::optional<StringRef> layer = getLayerName(user))
    return "layer '" + layer->str() + "'";
  return user->getName().getStringRef().str();
}

namespace {
struct ReshardPass : public tp::impl::ReshardBase<ReshardPass> {
  void runOnOperation() override;

  /// Returns `value` redistributed from `have` to `need`, inserting the
  /// collectives after its producer; reuses earlier ones for the same need.
  FailureOr<Value> redistribute(Value value, LayoutAttr have, LayoutAttr need,
                                Operation *user, unsigned index);

  MeshOp mesh;
  DenseMap<std::pair<Value, Attribute>, Value> redistributed;
};
} // namespace

FailureOr<Value> ReshardPass::redistribute(Value value, LayoutAttr have,
                                           LayoutAttr need, Operation *user,
                                           unsigned index) {
  auto key = std::make_pair(value, Attribute(need));
  if (Value done = redistributed.lookup(key))
    return done;

  MLIRContext *context = value.getContext();
  OpBuilder builder(context);
  builder.setInsertionPointAfterValue(value);
  Location loc = value.getLoc();
  auto meshRef = FlatSymbolRefAttr::get(mesh);
  SmallVector<Placement> current(have.getPlacements());
  auto dimAttr = [&](Placement placement) {
    return builder.getI64IntegerAttr(placement.getDim());
  };
  Value result = value;
  // Changes `result` into placement `target` on mesh axis `axis`.
  auto step = [&](unsigned axis, Placement target) -> LogicalResult {
    Placement from = current[axis];
    auto axes = builder.getStrArrayAttr(
        {cast<StringAttr>(mesh.getAxisNames()[axis]).getValue()});
    Operation *collective;
    if (from.isPartial() && target.isReplicate())
      collective = AllReduceOp::create(builder, loc, result.getType(), result,
                                       meshRef, axes);
    else if (from.isPartial() && target.isShard())
      collective =
          ReduceScatterOp::create(builder, loc, result.getType(), result,
                                  meshRef, axes, dimAttr(target));
    else if (from.isShard() && target.isReplicate())
      collective = AllGatherOp::create(builder, loc, result.getType(), result,
                                       meshRef, axes, dimAttr(from));
    else if (from.isShard() && target.isShard())
      collective =
          AllToAllOp::create(builder, loc, result.getType(), result, meshRef,
                             axes, dimAttr(target), dimAttr(from));
    else if (from.isReplicate() && target.isShard())
      collective = LocalSliceOp::create(builder, loc, result.getType(), result,
                                        meshRef, axes, dimAttr(target));
    else if (from.isReplicate() && target.isPartial())
      // Each of the n ranks keeps 1/n of its copy: the copies then sum to the
      // value, as DTensor turns Replicate into Partial(sum).
      collective = ScaleOp::create(
          builder, loc, result.getType(), result,
          builder.getF64FloatAttr(1.0 / mesh.getAxisSizes()[axis]));
    else
      return user->emitOpError("needs operand #")
             << index << " as " << describePlacement(target)
             << " on mesh axis '"
             << cast<StringAttr>(mesh.getAxisNames()[axis]).getValue()
             << "' but it is " << describePlacement(from)
             << "; a split value cannot become a partial sum";

    auto before = LayoutAttr::get(context, meshRef, current);
    current[axis] = target;
    auto after = LayoutAttr::get(context, meshRef, current);
    std::string reason;
    llvm::raw_string_ostream os(reason);
    os << collective->getName().stripDialect() << " over '"
       << cast<StringAttr>(mesh.getAxisNames()[axis]).getValue() << "' after "
       << describeProducer(value) << ": " << describePlacement(from) << " met "
       << describePlacement(target) << ", needed by "
       << describeUser(user, index);
    collective->setAttr(kOperandLayoutsAttrName,
                        builder.getArrayAttr({before}));
    collective->setAttr(kResultLayoutsAttrName, builder.getArrayAttr({after}));
    collective->setAttr(kReasonAttrName, builder.getStringAttr(reason));
    ++(isa<LocalSliceOp>(collective) ? numLocalSlices : numCollectives);
    result = collective->getResult(0);
    builder.setInsertionPointAfter(collective);
    return success();
  };

  // Two axes that split one dim split it in mesh order, the first outermost,
  // and each collective works on this rank's piece: changing one of them in
  // place would put the pieces out of order, and splitting a dim on a new
  // axis before the old axis lets go of it would split it twice. So where a
  // dim that changes is split twice (before or after), its splits are first
  // undone, innermost first, and redone in mesh order by the loop below; and
  // a split that moves to another axis is undone before it is redone there.
  ArrayRef<Placement> target = need.getPlacements();
  llvm::SmallSet<int64_t, 4> changedDims;
  for (auto [from, to] : llvm::zip(current, target))
    if (from != to)
      for (Placement placement : {from, to})
        if (placement.isShard())
          changedDims.insert(placement.getDim());
  auto splitTwice = [&](ArrayRef<Placement> placements) {
    return llvm::any_of(changedDims, [&](int64_t dim) {
      return llvm::count(placements, Placement::shard(dim)) > 1;
    });
  };
  bool twice = splitTwice(current) || splitTwice(target);
  for (int64_t axis = current.size() - 1; axis >= 0; --axis) {
    Placement from = current[axis];
    if (!from.isShard() || !changedDims.contains(from.getDim()))
      continue;
    bool movesToAnotherAxis =
        llvm::any_of(llvm::seq<int64_t>(0, current.size()), [&](int64_t other) {
          return other != axis && target[other] == from &&
                 current[other] != from;
        });
    if ((twice || (target[axis] != from && movesToAnotherAxis)) &&
        failed(step(axis, Placement::replicate())))
      return failure();
  }
  for (auto [axis, placement] : llvm::enumerate(target))
    if (current[axis] != placement && failed(step(axis, placement)))
      return failure();
  redistributed[key] = result;
  return result;
}

void ReshardPass::runOnOperation() {
  ModuleOp module = getOperation();
  redistributed.clear();
  func::FuncOp function;
  if (failed(getMeshAndModel(module, mesh, function)))
    return signalPassFailure();

  SmallVector<Operation *> users;
  for (Operation &op : function.getBody().front())
    users.push_back(&op);
  for (Operation *user : users) {
    for (OpOperand &operand : user->getOpOperands()) {
      Value value = operand.get();
      LayoutAttr have = getLayout(value);
      LayoutAttr need = getOperandLayout(user, operand.getOperandNumber());
      if (!have || !need) {
        user->emitOpError("operand #")
            << operand.getOperandNumber()
            << " has no layout; run tp-propagate before tp-reshard";
        return signalPassFailure();
      }
      if (have == need)
        continue;
      FailureOr<Value> redistributedValue =
          redistribute(value, have, need, user, operand.getOperandNumber());
      if (failed(redistributedValue))
        return signalPassFailure();
      operand.set(*redistributedValue);
    }
  }
}
