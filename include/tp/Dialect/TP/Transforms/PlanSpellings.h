//===- PlanSpellings.h - a plan's styles as users write them ----*- C++ -*-===//
//
// This file declares the reader of one plan entry's style and layouts, in
// each spelling a plan may use: tp-mlir's own (`colwise`, `shard(1)`),
// Hugging Face's `base_model_tp_plan` strings (`colwise_rep`,
// `local_rowwise`, `gather`) and PyTorch's constructor calls
// (`RowwiseParallel(output_layouts=Shard(1))`,
// `PrepareModuleInput(input_layouts=(Shard(1),),
// desired_input_layouts=(Replicate(),))`).
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_TRANSFORMS_PLANSPELLINGS_H
#define TP_DIALECT_TP_TRANSFORMS_PLANSPELLINGS_H

#include "tp/Dialect/TP/IR/TPOps.h"

#include <string>

namespace mlir::tp {

/// What a plan asks of the layers, or modules, one pattern matches.
struct PlanStyle {
  /// The style of each layer the pattern matches; none for PyTorch's
  /// PrepareModuleInput, which asks nothing of a layer's weights.
  std::optional<ParallelStyleKind> kind;
  std::optional<Placement> input = {}, output = {};
  bool useLocalOutput = true;
  /// Whether the pattern may name a module (a prefix of layer paths):
  /// PrepareModuleInput and Hugging Face's `gather` ask for a module's input
  /// or output whole, which tp-propagate provides wherever a layer needs it,
  /// so they are checked and change nothing.
  bool namesModules = false;
};

/// What is wrong with a spelling, and where: a 0-based offset into it.
struct SpellingError {
  size_t column = 0;
  std::string message;
};

/// Reads a style in any of the spellings above.
FailureOr<PlanStyle> parseStyleSpelling(StringRef text, SpellingError &error);

/// Reads a layout a plan may ask for: `replicate`, `R`, `Replicate()`,
/// `shard(d)`, `S(d)` or `Shard(d)`, `d` negative counting from the end.
FailureOr<Placement> parseLayoutSpelling(StringRef text, SpellingError &error);

} // namespace mlir::tp

#endif // TP_DIALECT_TP_TRANSFORMS_PLANSPELLINGS_H
