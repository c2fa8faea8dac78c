//===- RankReport.h - what each rank holds and moves ------------*- C++ -*-===//
//
// This file declares the per-rank report of a rank's program (parameter
// bytes, peak activations and collectives, per layer and in total), which
// tp-report prints and tp-compile puts in the executable's manifest.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_TRANSFORMS_RANKREPORT_H
#define TP_DIALECT_TP_TRANSFORMS_RANKREPORT_H

#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/JSON.h"

#include <map>

namespace mlir::tp {

/// One collective of the program, as the report lists it.
struct CollectiveRecord {
  std::string kind;
  SmallVector<std::string> axes;
  RankedTensorType type;
  int64_t groupSize;
  double bytesPerRank;
  std::string layer;
  std::string reason;
  /// For an async collective (tp-overlap-collectives), the ops that run
  /// between its start and its wait: "linear_weight_grad 'w1'", ...
  SmallVector<std::string> overlaps;
};

/// What one layer holds and moves.
struct LayerRecord {
  int64_t parameterBytes = 0;
  double collectiveBytes = 0;
};

/// The numbers of the report, for one rank.
struct RankReport {
  std::string mesh;
  int64_t numRanks = 1;
  /// Per layer, in the order layers first appear.
  llvm::MapVector<std::string, LayerRecord, std::map<std::string, unsigned>>
      layers;
  int64_t parameterBytes = 0;
  int64_t peakActivationBytes = 0;
  SmallVector<CollectiveRecord> collectives;
  double collectiveBytes = 0;
  /// The weights read with their key/value heads repeated
  /// (tp-replicate-kv-heads), described for the report.
  SmallVector<std::string> replicatedHeads;
};

/// Builds the report of the rank's program `function` on `mesh`; fails,
/// naming the tensor, where sizes overflow (checkByteSizes).
FailureOr<RankReport> buildRankReport(MeshOp mesh, func::FuncOp function);

/// Prints the report as tp-report's table.
void printRankReport(const RankReport &report, llvm::raw_ostream &os);

/// The report as tp-report's JSON.
llvm::json::Value toJSON(const RankReport &report);

/// The layer whose output a collective redistributes, if any.
std::optional<StringRef> getCausingLayer(Operation *collective);

} // namespace mlir::tp

#endif // TP_DIALECT_TP_TRANSFORMS_RANKREPORT_H
