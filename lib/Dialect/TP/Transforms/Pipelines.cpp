//===- Pipelines.cpp - the tp-parallelize pipeline ------------------------===//
//
// This file builds and registers tp-parallelize, the one pipeline a user
// types: apply the plan, propagate layouts, insert collectives, partition,
// and optionally report.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::buildParallelizePipeline(OpPassManager &pm,
                                        const ParallelizeOptions &options) {
  ApplyPlanOptions planOptions;
  planOptions.planFile = options.plan;
  planOptions.meshSpec = options.mesh;
  planOptions.tpAxis = options.tpAxis;
  planOptions.sequenceParallel = options.sequenceParallel;
  pm.addPass(createApplyPlan(planOptions));
  pm.addPass(createReplicateKVHeads());
  pm.addPass(createPropagate());
  pm.addPass(createReshard());
  pm.addPass(createPartition());
  if (options.report || !options.reportJson.empty()) {
    ReportOptions reportOptions;
    reportOptions.jsonFile = options.reportJson;
    pm.addPass(createReport(reportOptions));
  }
}

void mlir::tp::registerParallelizePipeline() {
  PassPipelineRegistration<ParallelizeOptions>(
      "tp-parallelize",
      "Shards a model by a plan: apply-plan, replicate-kv-heads, propagate, "
      "reshard, partition "
      "(and report)",
      buildParallelizePipeline);
}
