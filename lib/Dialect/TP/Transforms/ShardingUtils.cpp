//===- ShardingUtils.cpp - helpers shared by the sharding passes ----------===//
//
// This file implements the lookups and the communication cost model the
// sharding passes share.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::tp;

FailureOr<MeshOp> mlir::tp::getModuleMesh(ModuleOp module) {
  auto meshes = llvm::to_vector(module.getOps<MeshOp>());
  if (meshes.size() == 1)
    return meshes.front();
  if (meshes.empty())
    return module.emitError("the module has no tp.mesh; run tp-apply-plan "
                            "with a plan or a mesh first");
  return meshes[1].emitError("the module has ")
         << meshes.size() << " tp.mesh ops; sharding uses exactly one";
}

FailureOr<func::FuncOp> mlir::tp::getModelFunction(ModuleOp module) {
  func::FuncOp model = module.lookupSymbol<func::FuncOp>("forward");
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  if (!model && functions.size() == 1)
    model = functions.front();
  if (!model)
    return module.emitError("the module has no function @forward and ")
           << functions.size()
           << " functions; name the model function @forward";
  if (model.isExternal())
    return model.emitError("model function @")
           << model.getSymName() << " has no body";
  return model;
}

LogicalResult mlir::tp::getMeshAndModel(ModuleOp module, MeshOp &mesh,
                                        func::FuncOp &function) {
  FailureOr<MeshOp> meshOr = getModuleMesh(module);
  FailureOr<func::FuncOp> functionOr = getModelFunction(module);
  if (failed(meshOr) || failed(functionOr))
    return failure();
  mesh = *meshOr;
  function = *functionOr;
  return success();
}

LayoutAttr mlir::tp::getLayout(Value value) {
  if (auto result = dyn_cast<OpResult>(value)) {
    auto layouts =
        result.getOwner()->getAttrOfType<ArrayAttr>(kResultLayoutsAttrName);
    if (!layouts || layouts.size() <= result.getResultNumber())
      return {};
    return dyn_cast<LayoutAttr>(layouts[result.getResultNumber()]);
  }
  auto argument = cast<BlockArgument>(value);
  auto function = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
  if (!function)
    return {};
  return function.getArgAttrOfType<LayoutAttr>(argument.getArgNumber(),
                                               kLayoutAttrName);
}

LayoutAttr mlir::tp::getOperandLayout(Operation *user, unsigned operandIndex) {
  if (auto ret = dyn_cast<func::ReturnOp>(user)) {
    auto function = cast<func::FuncOp>(ret->getParentOp());
    return function.getResultAttrOfType<LayoutAttr>(operandIndex,
                                                    kLayoutAttrName);
  }
  auto layouts = user->getAttrOfType<ArrayAttr>(kOperandLayoutsAttrName);
  if (!layouts || layouts.size() <= operandIndex)
    return {};
  return dyn_cast<LayoutAttr>(layouts[operandIndex]);
}

std::optional<StringRef> mlir::tp::getLayerName(Operation *op) {
  if (auto layer = dyn_cast<LayerOpInterface>(op))
    return layer.getLayer();
  if (auto gradient = dyn_cast<LayerGradientOpInterface>(op))
    return gradient.getLayer();
  return std::nullopt;
}

std::string mlir::tp::describeProducer(Value value) {
  if (auto argument = dyn_cast<BlockArgument>(value))
    return "input #" + std::to_string(argument.getArgNumber());
  Operation *producer = value.getDefiningOp();
  if (auto gradient = dyn_cast<LayerGradientOpInterface>(producer))
    return (producer->getName().stripDialect() + " of layer '" +
            gradient.getLayer() + "'")
        .str();
  if (std::optional<StringRef> layer = getLayerName(producer))
    return "layer '" + layer->str() + "'";
  if (auto get = dyn_cast<GetParameterOp>(producer))
    return "parameter '" + get.getName().str() + "'";
  return producer->getName().getStringRef().str();
}

Value mlir::tp::getStorageRoot(Value value) {
  while (isa_and_nonnull<ReshapeOp, WaitOp>(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  return value;
}

bool mlir::tp::isCollective(Operation *op) {
  return isa<AllReduceOp, AllGatherOp, ReduceScatterOp, AllToAllOp,
             LocalSliceOp>(op);
}

std::optional<int64_t> mlir::tp::getNumBytes(RankedTensorType type) {
  std::optional<int64_t> bytes =
      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  for (int64_t size : type.getShape())
    if (bytes)
      bytes = llvm::checkedMul(*bytes, size);
  return bytes;
}

LogicalResult mlir::tp::checkByteSizes(func::FuncOp function) {
  // 2^62 leaves room for the alignment and workspaces the buffer plan adds.
  constexpr int64_t kLimit = int64_t(1) << 62;
  std::optional<int64_t> total = 0;
  auto check = [&](Value value, Operation *where) -> LogicalResult {
    auto type = cast<RankedTensorType>(value.getType());
    std::optional<int64_t> bytes = getNumBytes(type);
    if (!bytes || *bytes >= kLimit)
      return where->emitError() << describeProducer(value) << ": " << type
                                << " holds 2^62 bytes or more on each rank";
    total = llvm::checkedAdd<int64_t>(*total, llvm::alignTo(*bytes, 64));
    if (!total || *total >= kLimit)
      return where->emitError()
             << "the tensors of the rank's program add up to 2^62 bytes or "
                "more, at "
             << describeProducer(value);
    return success();
  };
  for (BlockArgument argument : function.getArguments())
    if (failed(check(argument, function)))
      return failure();
  WalkResult walk = function.walk([&](Operation *op) {
    for (Value result : op->getResults())
      if (isa<RankedTensorType>(result.getType()) && failed(check(result, op)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

double mlir::tp::getReshardBytes(Placement from, Placement to, int64_t axisSize,
                                 double bytes) {
  if (from == to)
    return 0.0;
  double n = static_cast<double>(axisSize);
  switch (from.getKind()) {
  case Placement::Kind::Replicate:
    // Keeping one's own slice, or scaling one's copy by 1/n so that the
    // copies sum to the value, moves nothing.
    return 0.0;
  case Placement::Kind::Partial:
    // all_reduce moves twice what reduce_scatter does.
    return to.isReplicate() ? 2.0 * (n - 1) / n * bytes : (n - 1) / n * bytes;
  case Placement::Kind::Shard:
    if (to.isReplicate()) // all_gather of n shards of `bytes` each
      return (n - 1) * bytes;
    if (to.isShard()) // all_to_all keeps 1/n of its shard
      return (n - 1) / n * bytes;
    // A split value cannot become a partial sum without first being whole.
    return std::numeric_limits<double>::infinity();
  }
  llvm_unreachable("unknown placement kind");
}
