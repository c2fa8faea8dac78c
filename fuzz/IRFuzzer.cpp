//===- IRFuzzer.cpp - fuzz the tp dialect and the sharding passes ---------===//
//
// This file fuzzes models as tp-compile reads them: any text either fails to
// parse or verify with a message, or goes through tp-parallelize (on tp:2,
// with the plan the module carries as tp.plan) and the lowering to runtime
// calls without a crash.
//
//===----------------------------------------------------------------------===//

#include "ModelPipeline.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string source(reinterpret_cast<const char *>(data), size);
  tp_fuzz::runModelPipeline(source, "mesh=tp:2");
  return 0;
}
