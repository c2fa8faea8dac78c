//===- TrainingInterfaces.cpp - what training asks of ops -----------------===//
//
// This file implements the generated training interfaces.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp/Dialect/TP/Interfaces/TrainingInterfaces.cpp.inc"
