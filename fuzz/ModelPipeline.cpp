//===- ModelPipeline.cpp - run the compiler on a fuzzed input -------------===//
//
// This file implements the compiler pipeline the fuzz targets run: the
// passes of tp-compile up to the LLVM dialect, in a context of its own per
// input so that no state carries from one input to the next.
//
//===----------------------------------------------------------------------===//

#include "ModelPipeline.h"

#include "tp/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void tp_fuzz::runModelPipeline(llvm::StringRef source,
                               llvm::StringRef options) {
  static bool registered = [] {
    tp::registerAllPasses();
    return true;
  }();
  (void)registered;
  DialectRegistry registry;
  tp::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // Malformed inputs are expected to fail, with a message.
  ScopedDiagnosticHandler swallow(&context,
                                  [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module)
    return;
  PassManager pm(&context);
  std::string pipeline =
      ("tp-parallelize{" + options + "},convert-tp-to-runtime").str();
  if (failed(parsePassPipeline(pipeline, pm)))
    __builtin_trap(); // the harness's own pipeline must parse
  (void)pm.run(*module);
}
