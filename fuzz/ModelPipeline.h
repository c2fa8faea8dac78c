//===- ModelPipeline.h - run the compiler on a fuzzed input -----*- C++ -*-===//
//
// This file declares what the compiler's fuzz targets share: parse a model
// and run the sharding pipeline and the lowering on it, as tp-compile does,
// with every diagnostic swallowed.
//
//===----------------------------------------------------------------------===//

#ifndef TP_FUZZ_MODELPIPELINE_H
#define TP_FUZZ_MODELPIPELINE_H

#include "llvm/ADT/StringRef.h"

namespace tp_fuzz {

/// Parses `source` as a module in a fresh context that knows the tp dialect;
/// if it verifies, runs tp-parallelize with `options` (its textual options,
/// e.g. "mesh=tp:2") and, where that succeeds, the lowering to runtime
/// calls.
void runModelPipeline(llvm::StringRef source, llvm::StringRef options);

} // namespace tp_fuzz

#endif // TP_FUZZ_MODELPIPELINE_H
