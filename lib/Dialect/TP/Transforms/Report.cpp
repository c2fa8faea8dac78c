//===- Report.cpp - what each rank holds and moves ------------------------===//
//
// This file implements tp-report: it prints the rank report (RankReport.h) of
// a rank's program as a table and, on request, as JSON.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/RankReport.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::tp {
#define GEN_PASS_DEF_REPORT
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct ReportPass : public tp::impl::ReportBase<ReportPass> {
  using ReportBase::ReportBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MeshOp mesh;
    func::FuncOp function;
    if (failed(getMeshAndModel(module, mesh, function)))
      return signalPassFailure();
    FailureOr<RankReport> report = buildRankReport(mesh, function);
    if (failed(report))
      return signalPassFailure();

    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> table =
        openOutputFile(outputFile, &error);
    if (!table) {
      module.emitError("cannot write the report: ") << error;
      return signalPassFailure();
    }
    printRankReport(*report, table->os());
    table->keep();
    if (!jsonFile.empty()) {
      std::unique_ptr<llvm::ToolOutputFile> json =
          openOutputFile(jsonFile, &error);
      if (!json) {
        module.emitError("cannot write the JSON report: ") << error;
        return signalPassFailure();
      }
      json->os() << llvm::formatv("{0:2}", toJSON(*report)) << "\n";
      json->keep();
    }
    markAllAnalysesPreserved();
  }
};
} // namespace
