//===- TPOps.h - tp dialect operations --------------------------*- C++ -*-===//
//
// This file declares the ops of the `tp` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPOPS_H
#define TP_DIALECT_TP_IR_TPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tp/Dialect/TP/IR/TPAttrs.h"
#include "tp/Dialect/TP/IR/TPDialect.h"
#include "tp/Dialect/TP/Interfaces/ShardingRuleInterface.h"
#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h"

namespace mlir::tp {
/// The memory of the parameters and optimizer state, which tp.get_parameter
/// reads and optimizer updates write in place.
struct ParameterStorageResource
    : public SideEffects::Resource::Base<ParameterStorageResource> {
  StringRef getName() final { return "tp::ParameterStorage"; }
};
} // namespace mlir::tp

#define GET_OP_CLASSES
#include "tp/Dialect/TP/IR/TPOps.h.inc"

namespace mlir::tp {

/// The style tp-apply-plan gives a layer (a StyleAttr).
constexpr llvm::StringLiteral kStyleAttrName = "tp.style";
/// On the module: the mesh axis the styles split over (a StringAttr).
constexpr llvm::StringLiteral kTPAxisAttrName = "tp.tp_axis";

/// Names a placement as DTensor does (`Replicate`, `Shard(1)`,
/// `Partial(sum)`), for reports and reasons.
std::string describePlacement(Placement placement);

/// Checks that layer `layer` can take a style of `kind` with these input and
/// output layouts (their shard dims may count from the end): the op takes
/// the style (replicate or one of its getParallelStyles()) and the shard
/// dims exist. tp-apply-plan checks plans with it, the dialect's verifier
/// every `tp.style`.
LogicalResult verifyStyleFits(LayerOpInterface layer, ParallelStyleKind kind,
                              std::optional<Placement> input,
                              std::optional<Placement> output);

/// Checks that `layout` can describe a value of `type` on `mesh`: one
/// placement per mesh axis, every shard dim below the rank, and every sharded
/// dim divisible by the ranks that split it. Reports the first violation
/// through `emitError`.
LogicalResult verifyLayout(function_ref<InFlightDiagnostic()> emitError,
                           MeshOp mesh, LayoutAttr layout,
                           RankedTensorType type);

/// The type of one rank's shard of a value of `type` laid out by `layout` on
/// `mesh`: every sharded dim divided by the ranks that split it. The layout
/// must fit (see verifyLayout).
RankedTensorType getShardType(MeshOp mesh, LayoutAttr layout,
                              RankedTensorType type);

/// The frequency factors of tp.rope or tp.rope_grad (`freq_factors`) as
/// numbers; empty when the op has none.
SmallVector<double> getRopeFreqFactors(std::optional<ArrayAttr> factors);

} // namespace mlir::tp

#endif // TP_DIALECT_TP_IR_TPOPS_H
