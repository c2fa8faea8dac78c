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

#define GET_OP_CLASSES
#include "tp/Dialect/TP/IR/TPOps.h.inc"

namespace mlir::tp {

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

} // namespace mlir::tp

#endif // TP_DIALECT_TP_IR_TPOPS_H
