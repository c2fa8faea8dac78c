//===- InitAll.h - register every tp-mlir dialect and pass ------*- C++ -*-===//
//
// This file registers the `tp` dialect, the upstream dialects a model file
// uses, and every pass of the project, for the tools to call once.
//
//===----------------------------------------------------------------------===//

#ifndef TP_INITALL_H
#define TP_INITALL_H

#include "tp/Conversion/Passes.h"
#include "tp/Dialect/TP/IR/TPDialect.h"
#include "tp/Dialect/TP/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::tp {

/// Adds the `tp` dialect, the upstream dialects a model uses, and the LLVM
/// dialect it is lowered to.
inline void registerAllDialects(DialectRegistry &registry) {
  registry.insert<TPDialect, arith::ArithDialect, func::FuncDialect,
                  LLVM::LLVMDialect, tensor::TensorDialect>();
}

/// Registers the upstream passes useful on models (canonicalize, cse, ...)
/// and every tp pass.
inline void registerAllPasses() {
  registerTransformsPasses();
  registerTPPasses();
  registerParallelizePipeline();
  registerTPConversionPasses();
}

} // namespace mlir::tp

#endif // TP_INITALL_H
