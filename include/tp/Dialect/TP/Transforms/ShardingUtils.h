//===- ShardingUtils.h - helpers shared by the sharding passes --*- C++ -*-===//
//
// This file declares what the sharding passes share: the names of the
// attributes they communicate through, lookup of the mesh and the model
// function, and the cost of changing a value's placement on a mesh axis.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_TRANSFORMS_SHARDINGUTILS_H
#define TP_DIALECT_TP_TRANSFORMS_SHARDINGUTILS_H

#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {

/// On the module: an inline plan, the content of a JSON plan.
constexpr llvm::StringLiteral kPlanAttrName = "tp.plan";
/// On an op: the layouts of its tensor results (an ArrayAttr of LayoutAttr).
constexpr llvm::StringLiteral kResultLayoutsAttrName = "tp.result_layouts";
/// On an op: the layouts it needs of its tensor operands.
constexpr llvm::StringLiteral kOperandLayoutsAttrName = "tp.operand_layouts";
/// On a function argument or result: its layout.
constexpr llvm::StringLiteral kLayoutAttrName = "tp.layout";
/// On a training step (tp-autodiff): how it trains, a dictionary of the
/// loss, the optimizer and its hyperparameters, for the manifest.
constexpr llvm::StringLiteral kTrainingAttrName = "tp.training";
/// On an inserted collective: why it is there.
constexpr llvm::StringLiteral kReasonAttrName = "tp.reason";

/// The one `tp.mesh` of the module; an error if there is none or several.
FailureOr<MeshOp> getModuleMesh(ModuleOp module);

/// The model function: `@forward`, or the module's only function.
FailureOr<func::FuncOp> getModelFunction(ModuleOp module);

/// Both of the above, for the passes that need the two; errors are reported.
LogicalResult getMeshAndModel(ModuleOp module, MeshOp &mesh,
                              func::FuncOp &function);

/// The layout a value has: its producer's `tp.result_layouts` entry or its
/// function argument's `tp.layout`; null where none was assigned.
LayoutAttr getLayout(Value value);

/// The layout `user` needs of its tensor operand `operandIndex`; null where
/// none was assigned.
LayoutAttr getOperandLayout(Operation *user, unsigned operandIndex);

/// The module path of a layer op (LayerOpInterface) or of the layer a
/// backward op belongs to (LayerGradientOpInterface); none for other ops.
std::optional<StringRef> getLayerName(Operation *op);

/// Names what produced `value` for a user: `layer 'w2'`, `parameter
/// 'w1.weight'`, `input #0` or the op's name.
std::string describeProducer(Value value);

/// True for the ops that move data between ranks (and tp.local_slice).
bool isCollective(Operation *op);

/// The value whose storage `value` shares: itself, or for a reshape (a view
/// of the same row-major bytes) or a tp.wait (the result of the collective
/// it waits for) its input's storage.
Value getStorageRoot(Value value);

/// The bytes of a tensor of `type`; none where they do not fit in int64_t
/// (dims near 2^32 multiplied out).
std::optional<int64_t> getNumBytes(RankedTensorType type);

/// Checks that every tensor of `function`, and all of them together, hold
/// fewer than 2^62 bytes, so that the sums and offsets of the buffer plan
/// and the report cannot overflow; the error names the tensor. Those that
/// compute sizes of a function call it first.
LogicalResult checkByteSizes(func::FuncOp function);

/// The bytes each rank sends to change placement `from` into `to` on a mesh
/// axis of `axisSize` ranks, for a buffer of `bytes` bytes per rank before
/// the change (ring algorithms). Infinite where no redistribution does it
/// (making a partial sum out of a split value).
double getReshardBytes(Placement from, Placement to, int64_t axisSize,
                       double bytes);

} // namespace mlir::tp

#endif // TP_DIALECT_TP_TRANSFORMS_SHARDINGUTILS_H
