//===- Passes.h - tp conversion passes --------------------------*- C++ -*-===//
//
// This file declares the conversion passes (generated from Passes.td).
//
//===----------------------------------------------------------------------===//

#ifndef TP_CONVERSION_PASSES_H
#define TP_CONVERSION_PASSES_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tp {

#define GEN_PASS_DECL
#include "tp/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tp/Conversion/Passes.h.inc"

} // namespace mlir::tp

#endif // TP_CONVERSION_PASSES_H
