//===- RankReport.cpp - what each rank holds and moves
//---------------------===//
//
// This file builds the per-rank report of a rank's program: per layer and in
// total, the parameter bytes a rank holds, an estimate of the peak bytes of
// live activations, and every collective with the bytes it moves per rank
// and the reason it was inserted; and prints it as a table or JSON. tp-report
// prints it; the compiled executable carries it in its manifest.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/RankReport.h"
#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::tp;

/// The layer that owns a parameter: the first layer op that reads it, or the
/// parameter itself.
static std::string getOwningLayer(GetParameterOp get) {
  Operation *first = nullptr;
  for (Operation *user : get->getUsers())
    if (getLayerName(user) && (!first || user->isBeforeInBlock(first)))
      first = user;
  if (first)
    return getLayerName(first)->str();
  return get.getName().str();
}

std::optional<StringRef> mlir::tp::getCausingLayer(Operation *collective) {
  Value source = collective->getOperand(0);
  while (Operation *producer = source.getDefiningOp()) {
    if (std::optional<StringRef> layer = getLayerName(producer))
      return layer;
    if (!isCollective(producer) && !isa<AnnotateOp>(producer))
      break;
    source = producer->getOperand(0);
  }
  return std::nullopt;
}

/// Bytes each rank sends for a collective on its local buffer of `bytes`
/// bytes over `n` ranks: the cost model propagation chose it by.
static double getCollectiveBytes(Operation *op, double bytes, int64_t n) {
  auto [from, to] =
      llvm::TypeSwitch<Operation *, std::pair<Placement, Placement>>(op)
          .Case([](AllReduceOp) {
            return std::pair(Placement::partial(), Placement::replicate());
          })
          .Case([](AllGatherOp) {
            return std::pair(Placement::shard(0), Placement::replicate());
          })
          .Case([](ReduceScatterOp) {
            return std::pair(Placement::partial(), Placement::shard(0));
          })
          .Case([](AllToAllOp) {
            return std::pair(Placement::shard(0), Placement::shard(1));
          })
          .Default([](Operation *) {
            return std::pair(Placement::replicate(), Placement::shard(0));
          });
  return getReshardBytes(from, to, n, bytes);
}

/// What a cross-entropy (or its backward) over split classes moves inside
/// its runtime call: it all-reduces one value per position for the softmax's
/// max and two for its sum and the labels' logits (one for the sum in the
/// backward). None where its classes are whole.
static std::optional<CollectiveRecord> getLossParallelRecord(MeshOp mesh,
                                                             Operation *op) {
  LayoutAttr layout = getOperandLayout(op, 0);
  auto logits = cast<RankedTensorType>(op->getOperand(0).getType());
  if (!layout)
    return std::nullopt;
  CollectiveRecord record;
  record.groupSize = 1;
  for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
    if (placement == Placement::shard(logits.getRank() - 1)) {
      record.axes.push_back(
          cast<StringAttr>(mesh.getAxisNames()[axis]).getValue().str());
      record.groupSize *= mesh.getAxisSizes()[axis];
    }
  if (record.axes.empty())
    return std::nullopt;
  bool forward = isa<CrossEntropyOp>(op);
  int64_t positions = logits.getNumElements() / logits.getShape().back();
  record.kind = op->getName().stripDialect().str();
  record.type = logits;
  record.bytesPerRank = getReshardBytes(
      Placement::partial(), Placement::replicate(), record.groupSize,
      (forward ? 3.0 : 2.0) * positions * sizeof(float));
  record.layer = "-";
  record.reason =
      (forward ? "the loss over vocabulary shards (loss_parallel): the "
                 "softmax's max and sum and the labels' logits all-reduced "
                 "over '"
               : "its backward over vocabulary shards: the softmax's max and "
                 "sum all-reduced over '") +
      llvm::join(record.axes, "','") + "', the logits never gathered";
  return record;
}

/// The largest total of bytes of activations live at once, walking the ops
/// in order and freeing each value after its last use.
static int64_t estimatePeakActivations(func::FuncOp function) {
  DenseMap<Operation *, unsigned> position;
  for (auto [index, op] : llvm::enumerate(function.getBody().front()))
    position[&op] = index;
  // A value nobody reads is freed right after it is made.
  auto lastUse = [&](Value value) {
    unsigned last = 0;
    if (Operation *producer = value.getDefiningOp())
      last = position[producer];
    for (Operation *user : value.getUsers())
      last = std::max(last, position[user]);
    return last;
  };
  // Bytes freed after each op.
  SmallVector<int64_t> freedAfter(position.size() + 1, 0);
  int64_t live = 0, peak = 0;
  auto track = [&](Value value) {
    int64_t bytes = *getNumBytes(cast<RankedTensorType>(value.getType()));
    live += bytes;
    freedAfter[lastUse(value)] += bytes;
  };
  for (BlockArgument argument : function.getArguments())
    track(argument);
  peak = live;
  for (Operation &op : function.getBody().front()) {
    if (!isa<GetParameterOp>(op))
      for (Value result : op.getResults())
        track(result);
    peak = std::max(peak, live);
    live -= freedAfter[position[&op]];
  }
  return peak;
}

/// The work between an async sum's start and its wait, each op as its name
/// and the layer it belongs to.
static SmallVector<std::string> describeOverlap(AllReduceOp reduce) {
  SmallVector<std::string> ops;
  Operation *wait = *reduce->getUsers().begin();
  for (Operation *op = reduce->getNextNode(); op != wait;
       op = op->getNextNode()) {
    if (isa<ReshapeOp, GetParameterOp, WaitOp>(op))
      continue;
    std::string text = op->getName().stripDialect().str();
    std::optional<StringRef> owner = getLayerName(op);
    if (auto update = dyn_cast<ParameterUpdateOpInterface>(op))
      if (auto get = update.getParam().getDefiningOp<GetParameterOp>())
        owner = get.getName();
    if (owner)
      text += " '" + owner->str() + "'";
    ops.push_back(std::move(text));
  }
  return ops;
}

FailureOr<RankReport> mlir::tp::buildRankReport(MeshOp mesh,
                                                func::FuncOp function) {
  if (failed(checkByteSizes(function)))
    return failure();
  RankReport report;
  llvm::raw_string_ostream meshText(report.mesh);
  for (auto [index, name, size] :
       llvm::enumerate(mesh.getAxisNames(), mesh.getAxisSizes())) {
    meshText << (index ? "," : "") << cast<StringAttr>(name).getValue() << ":"
             << size;
  }
  report.numRanks = mesh.getNumRanks();
  function.walk([&](Operation *op) {
    if (auto get = dyn_cast<GetParameterOp>(op)) {
      int64_t bytes = *getNumBytes(get.getType());
      report.layers[getOwningLayer(get)].parameterBytes += bytes;
      report.parameterBytes += bytes;
      if (std::optional<ArrayRef<int64_t>> repeat = get.getRepeat())
        report.replicatedHeads.push_back(
            llvm::formatv("{0}: each key/value head ({1} rows) held by {2} "
                          "ranks",
                          get.getName(), (*repeat)[0], (*repeat)[1])
                .str());
      return;
    }
    if (isa<CrossEntropyOp, CrossEntropyGradOp>(op)) {
      if (std::optional<CollectiveRecord> record =
              getLossParallelRecord(mesh, op)) {
        report.collectiveBytes += record->bytesPerRank;
        report.collectives.push_back(*record);
      }
      return;
    }
    if (!isCollective(op))
      return;
    CollectiveRecord record;
    record.kind = op->getName().stripDialect().str();
    auto axes = op->getAttrOfType<ArrayAttr>("axes");
    int64_t n = 1;
    for (Attribute axis : axes) {
      StringRef name = cast<StringAttr>(axis).getValue();
      record.axes.push_back(name.str());
      n *= mesh.getAxisSizes()[*mesh.getAxisIndex(name)];
    }
    record.type = cast<RankedTensorType>(op->getOperand(0).getType());
    record.groupSize = n;
    record.bytesPerRank = getCollectiveBytes(op, *getNumBytes(record.type), n);
    record.layer = getCausingLayer(op).value_or("-").str();
    if (auto reason = op->getAttrOfType<StringAttr>(kReasonAttrName))
      record.reason = reason.getValue().str();
    if (auto reduce = dyn_cast<AllReduceOp>(op); reduce && reduce.getAsync())
      record.overlaps = describeOverlap(reduce);
    report.layers[record.layer].collectiveBytes += record.bytesPerRank;
    report.collectives.push_back(record);
    report.collectiveBytes += record.bytesPerRank;
  });
  report.peakActivationBytes = estimatePeakActivations(function);
  return report;
}

static std::string formatBytes(double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  unsigned unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  return llvm::formatv("{0:F2} {1}", bytes, units[unit]).str();
}

void mlir::tp::printRankReport(const RankReport &report,
                               llvm::raw_ostream &os) {
  os << "tp-report: mesh " << report.mesh << " (" << report.numRanks
     << " ranks); bytes per rank\n\n";
  os << llvm::formatv("{0,-40} {1,14} {2,14}\n", "layer", "parameters",
                      "collectives");
  for (const auto &[name, layer] : report.layers)
    os << llvm::formatv("{0,-40} {1,14} {2,14}\n", name,
                        formatBytes(layer.parameterBytes),
                        formatBytes(layer.collectiveBytes));
  os << llvm::formatv("{0,-40} {1,14} {2,14}\n", "total",
                      formatBytes(report.parameterBytes),
                      formatBytes(report.collectiveBytes));
  os << "\npeak activations (estimate): "
     << formatBytes(report.peakActivationBytes) << "\n";
  if (!report.replicatedHeads.empty()) {
    os << "\nreplicated key/value heads (fewer than ranks): "
       << report.replicatedHeads.size() << " weights\n";
    for (const std::string &line : report.replicatedHeads)
      os << "  " << line << "\n";
  }
  os << "\ncollectives: " << report.collectives.size() << "\n";
  for (const CollectiveRecord &record : report.collectives) {
    os << llvm::formatv("  {0,-15} over {1,-8} {2,-24} {3,12}  ", record.kind,
                        llvm::join(record.axes, ","),
                        llvm::formatv("{0}", record.type).str(),
                        formatBytes(record.bytesPerRank));
    os << record.reason << "\n";
    if (!record.overlaps.empty())
      os << "      overlaps " << llvm::join(record.overlaps, ", ") << "\n";
  }
}

llvm::json::Value mlir::tp::toJSON(const RankReport &report) {
  llvm::json::Array layers, collectives;
  for (const auto &[name, layer] : report.layers)
    layers.push_back(
        llvm::json::Object{{"layer", name},
                           {"parameter_bytes", layer.parameterBytes},
                           {"collective_bytes", layer.collectiveBytes}});
  for (const CollectiveRecord &record : report.collectives) {
    std::string type;
    llvm::raw_string_ostream(type) << record.type;
    collectives.push_back(
        llvm::json::Object{{"op", record.kind},
                           {"axes", llvm::json::Array(record.axes)},
                           {"group_size", record.groupSize},
                           {"type", type},
                           {"bytes_per_rank", record.bytesPerRank},
                           {"layer", record.layer},
                           {"reason", record.reason},
                           {"overlaps", llvm::json::Array(record.overlaps)}});
  }
  return llvm::json::Object{
      {"mesh", report.mesh},
      {"ranks", report.numRanks},
      {"parameter_bytes", report.parameterBytes},
      {"peak_activation_bytes", report.peakActivationBytes},
      {"collective_bytes", report.collectiveBytes},
      {"layers", std::move(layers)},
      {"collectives", std::move(collectives)}};
}
