//===- TPDialect.h - tp dialect declaration ---------------------*- C++ -*-===//
//
// This file declares the `tp` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPDIALECT_H
#define TP_DIALECT_TP_IR_TPDIALECT_H

#include "mlir/IR/Dialect.h"

#include "tp/Dialect/TP/IR/TPDialect.h.inc"

#endif // TP_DIALECT_TP_IR_TPDIALECT_H
