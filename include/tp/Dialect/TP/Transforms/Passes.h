//===- Passes.h - tp sharding passes ----------------------------*- C++ -*-===//
//
// This file declares the sharding passes (generated from Passes.td) and the
// tp-parallelize pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_TRANSFORMS_PASSES_H
#define TP_DIALECT_TP_TRANSFORMS_PASSES_H

#include "tp/Dialect/TP/IR/TPDialect.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::tp {

#define GEN_PASS_DECL
#include "tp/Dialect/TP/Transforms/Passes.h.inc"

/// Options of the tp-parallelize pipeline.
struct ParallelizeOptions : public PassPipelineOptions<ParallelizeOptions> {
  PassOptions::Option<std::string> mesh{
      *this, "mesh", llvm::cl::desc("mesh, e.g. `tp:2` or `dp:2,tp:4`")};
  PassOptions::Option<std::string> plan{*this, "plan",
                                        llvm::cl::desc("JSON plan file")};
  PassOptions::Option<std::string> tpAxis{
      *this, "tp-axis", llvm::cl::desc("the tensor-parallel mesh axis"),
      llvm::cl::init("tp")};
  PassOptions::Option<bool> sequenceParallel{
      *this, "sequence-parallel",
      llvm::cl::desc("shard norms and residuals on the sequence dim"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> report{*this, "report",
                                   llvm::cl::desc("print the per-rank report"),
                                   llvm::cl::init(false)};
  PassOptions::Option<std::string> reportJson{
      *this, "report-json",
      llvm::cl::desc("write the per-rank report as JSON to this file")};
};

/// Adds apply-plan, propagate, reshard, partition (and report) to `pm`.
void buildParallelizePipeline(OpPassManager &pm,
                              const ParallelizeOptions &options);

#define GEN_PASS_REGISTRATION
#include "tp/Dialect/TP/Transforms/Passes.h.inc"

/// Registers the tp-parallelize pipeline (registerTPPasses registers the
/// passes).
void registerParallelizePipeline();

} // namespace mlir::tp

#endif // TP_DIALECT_TP_TRANSFORMS_PASSES_H
