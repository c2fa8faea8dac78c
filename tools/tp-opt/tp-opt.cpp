//===- tp-opt.cpp - the tp-mlir optimizer driver --------------------------===//
//
// This file implements `tp-opt`, an mlir-opt-style driver that knows the `tp`
// dialect, its passes and the upstream dialects a model file needs.
//
//===----------------------------------------------------------------------===//

#include "tp/InitAll.h"
#include "tp/Tools/CommandLine.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::tp::registerAllDialects(registry);
  mlir::tp::registerAllPasses();
  mlir::tp::setVersionPrinter("tp-opt");
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tp-mlir optimizer driver\n", registry));
}
