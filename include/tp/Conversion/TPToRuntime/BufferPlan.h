//===- BufferPlan.h - static, liveness-based buffer planning ----*- C++ -*-===//
//
// This file declares the static buffer plan of a rank's program: where in one
// arena every activation lives, reusing the space of dead values, and where
// each parameter shard lives in the parameter buffer.
//
//===----------------------------------------------------------------------===//

#ifndef TP_CONVERSION_TPTORUNTIME_BUFFERPLAN_H
#define TP_CONVERSION_TPTORUNTIME_BUFFERPLAN_H

#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::tp {

/// A product `silu(gate) * up` that runs as one kernel: the SwiGLU of a
/// Llama MLP. Matches where the silu has no other user.
struct SiLUMul {
  SiLUOp silu;
  Value up;
};
std::optional<SiLUMul> matchSiLUMul(MulOp mul);

/// The scratch bytes a runtime call of `op` needs beside its operands and
/// results (the attention's scores), or 0.
int64_t getWorkspaceBytes(Operation *op);

/// Byte offsets of every tensor of a model function.
struct BufferPlan {
  /// Where a value lives: in the activation arena or in the parameter buffer.
  struct Slot {
    bool isParameter;
    int64_t offset;
  };

  /// Plans `function`: parameters (tp.get_parameter results) are packed one
  /// after another, one shard per parameter and layout; activations are placed
  /// first-fit over their live intervals, 64-byte aligned. A reshape shares its
  /// input's slot. Inputs stay live for the whole step (the runtime writes them
  /// once per step, before it) and outputs from their definition to its end. An
  /// op's workspace lives in the arena during that op only. Fails, naming the
  /// tensor, where sizes would overflow (checkByteSizes).
  static FailureOr<BufferPlan> build(func::FuncOp function);

  /// What the arena holds at its peak (the op where the most bytes are
  /// live), for a training step's memory rows: the bytes of parameter
  /// gradients and of forward values kept for the backward (inputs among
  /// them). The rest of the arena is backward temporaries, workspaces and
  /// the gaps of the placement.
  struct PeakUse {
    int64_t gradientBytes = 0;
    int64_t savedActivationBytes = 0;
  };

  llvm::DenseMap<Value, Slot> slots;
  /// The arena offset of each op's workspace (getWorkspaceBytes > 0).
  llvm::DenseMap<Operation *, int64_t> workspaces;
  int64_t arenaBytes = 0;
  int64_t parameterBytes = 0;
  PeakUse peakUse;
};

} // namespace mlir::tp

#endif // TP_CONVERSION_TPTORUNTIME_BUFFERPLAN_H
