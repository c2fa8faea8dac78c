//===- Manifest.cpp - the model description the runtime reads -------------===//
//
// This file writes `tp_model_manifest` (docs/Manifest.md): what the runtime's
// main needs to load a rank's weights, place its inputs, read its outputs
// and report on the step, without knowing the model.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/TPToRuntime/Manifest.h"
#include "tp/Dialect/TP/Transforms/RankReport.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/JSON.h"

#include "DType.h"

#include <limits>

using namespace mlir;
using namespace mlir::tp;
namespace json = llvm::json;

std::optional<int32_t> mlir::tp::getRuntimeDType(Type element) {
  if (element.isF32())
    return TPRT_F32;
  if (element.isF16())
    return TPRT_F16;
  if (element.isBF16())
    return TPRT_BF16;
  return std::nullopt;
}

std::optional<StringRef> mlir::tp::getDTypeName(Type element) {
  if (element.isInteger(64))
    return StringRef("I64");
  if (std::optional<int32_t> dtype = getRuntimeDType(element))
    return StringRef(tprt::floatDTypeName(*dtype));
  return std::nullopt;
}

SmallVector<int64_t> mlir::tp::getGlobalShape(MeshOp mesh, LayoutAttr layout,
                                              RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement.isShard())
        shape[placement.getDim()] *= mesh.getAxisSizes()[axis];
  return shape;
}

/// Per tensor dim, the mesh axes (in mesh order) that split it.
static json::Array getSplits(LayoutAttr layout, int64_t rank) {
  SmallVector<json::Array> splits(rank);
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement.isShard())
        splits[placement.getDim()].push_back(static_cast<int64_t>(axis));
  json::Array result;
  for (json::Array &dims : splits)
    result.push_back(std::move(dims));
  return result;
}

/// The exclusive upper bound of valid values of an i64 input: what random
/// token ids or labels must stay below. The smallest bound of every table or
/// class count the ids index, through the collectives that move them.
static int64_t getIdBound(MeshOp mesh, Value ids) {
  int64_t bound = std::numeric_limits<int64_t>::max();
  for (Operation *user : ids.getUsers()) {
    if (auto embedding = dyn_cast<EmbeddingOp>(user))
      bound =
          std::min(bound, getGlobalShape(mesh, getOperandLayout(user, 1),
                                         embedding.getTable().getType())[0]);
    else if (auto loss = dyn_cast<CrossEntropyOp>(user))
      // All the classes, where the logits are split on them (loss_parallel).
      bound = std::min(
          bound,
          getGlobalShape(mesh,
                         getOperandLayout(
                             user, loss.getLogitsMutable().getOperandNumber()),
                         loss.getLogits().getType())
              .back());
    else if (isCollective(user))
      bound = std::min(bound, getIdBound(mesh, user->getResult(0)));
  }
  return bound == std::numeric_limits<int64_t>::max() ? 1 : bound;
}

FailureOr<std::string> mlir::tp::buildManifest(MeshOp mesh,
                                               func::FuncOp function,
                                               const BufferPlan &plan,
                                               double flops) {
  FailureOr<RankReport> rankReport = buildRankReport(mesh, function);
  if (failed(rankReport))
    return failure();
  auto describe = [&](const std::string &name, Value value, LayoutAttr layout) {
    auto type = cast<RankedTensorType>(value.getType());
    return json::Object{
        {"name", name},
        {"dtype", *getDTypeName(type.getElementType())},
        {"shape", json::Array(getGlobalShape(mesh, layout, type))},
        {"local_shape", json::Array(type.getShape())},
        {"split", getSplits(layout, type.getRank())},
        {"offset", plan.slots.lookup(value).offset}};
  };

  json::Array parameters, inputs, outputs;
  SymbolTable symbols(function->getParentOfType<ModuleOp>());
  DenseSet<int64_t> listed;
  int64_t stateBytes = 0;
  for (auto get : function.getOps<GetParameterOp>()) {
    // Reads that share a shard (BufferPlan) load it once.
    if (!listed.insert(plan.slots.lookup(get.getResult()).offset).second)
      continue;
    json::Object entry =
        describe(get.getName().str(), get.getResult(), get.getLayoutAttr());
    auto param = symbols.lookup<ParameterOp>(get.getName());
    // A part of a fused weight (rows) or a read with each block of rows
    // repeated (replicated key/value heads): "shape" is the tensor the
    // checkpoint holds, the split applies to what is read.
    if (get.getRows() || get.getRepeat())
      entry["shape"] = json::Array(param.getTensorType().getShape());
    if (std::optional<ArrayRef<int64_t>> rows = get.getRows())
      entry["rows"] = json::Array(*rows);
    if (std::optional<ArrayRef<int64_t>> repeat = get.getRepeat())
      entry["repeat"] = json::Array(*repeat);
    if (param.getOptimizerState()) {
      entry["state"] = true;
      stateBytes += *getNumBytes(get.getType());
    }
    if (std::optional<StringRef> weight = param.getMasterOf())
      entry["master_of"] = *weight;
    parameters.push_back(std::move(entry));
  }
  for (BlockArgument argument : function.getArguments()) {
    json::Object entry =
        describe("input" + std::to_string(argument.getArgNumber()), argument,
                 getLayout(argument));
    // Random token ids must index the table they look up (or the classes of
    // the loss they label).
    if (cast<RankedTensorType>(argument.getType())
            .getElementType()
            .isInteger(64))
      entry["id_bound"] = getIdBound(mesh, argument);
    inputs.push_back(std::move(entry));
  }
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (auto [index, value] : llvm::enumerate(ret.getOperands()))
    outputs.push_back(describe(
        "output" + std::to_string(index), value,
        function.getResultAttrOfType<LayoutAttr>(index, kLayoutAttrName)));

  std::string report;
  llvm::raw_string_ostream reportStream(report);
  printRankReport(*rankReport, reportStream);
  // The static buffer plan: exactly what each rank allocates.
  reportStream << "\nplanned memory per rank: activation arena "
               << plan.arenaBytes << " B, parameters " << plan.parameterBytes
               << " B";
  if (function->hasAttr(kTrainingAttrName))
    reportStream << " (of which optimizer state " << stateBytes
                 << " B); at the arena's peak: parameter gradients "
                 << plan.peakUse.gradientBytes
                 << " B, activations kept for the backward "
                 << plan.peakUse.savedActivationBytes << " B";
  reportStream << "\n";

  json::Array axes;
  for (Attribute name : mesh.getAxisNames())
    axes.push_back(cast<StringAttr>(name).getValue());
  json::Object manifest{
      {"version", TPRT_MANIFEST_VERSION},
      {"mesh", json::Object{{"axes", std::move(axes)},
                            {"sizes", json::Array(mesh.getAxisSizes())}}},
      {"arena_bytes", plan.arenaBytes},
      {"param_bytes", plan.parameterBytes},
      {"flops", flops},
      {"parameters", std::move(parameters)},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)},
      {"report", report}};
  // A training step says how it trains (tp-autodiff's tp.training).
  if (auto training =
          function->getAttrOfType<DictionaryAttr>(kTrainingAttrName)) {
    json::Object object;
    for (NamedAttribute entry : training) {
      if (auto text = dyn_cast<StringAttr>(entry.getValue()))
        object[entry.getName().getValue()] = text.getValue();
      else if (auto number = dyn_cast<FloatAttr>(entry.getValue()))
        object[entry.getName().getValue()] = number.getValueAsDouble();
    }
    manifest["training"] = std::move(object);
    manifest["peak_arena_use"] = json::Object{
        {"gradient_bytes", plan.peakUse.gradientBytes},
        {"saved_activation_bytes", plan.peakUse.savedActivationBytes}};
  }
  std::string text;
  llvm::raw_string_ostream(text) << json::Value(std::move(manifest));
  return text;
}
