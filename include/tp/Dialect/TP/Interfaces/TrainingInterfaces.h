//===- TrainingInterfaces.h - what training asks of ops ---------*- C++ -*-===//
//
// This file declares the op interfaces of training: derivative rules, the
// layer of a backward op, and optimizer updates.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_H
#define TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h.inc"

#endif // TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_H
