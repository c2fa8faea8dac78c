//===- NpyFuzzer.cpp - fuzz the .npy reader -------------------------------===//
//
// This file fuzzes the reader of the executables' --input files: a file is
// either refused with a message or yields an array whose bytes match its
// shape and dtype.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "Npy.h"
#include "Tensor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_fuzz::MemoryFile input(data, size);
  tprt::NpyArray array;
  if (!tprt::readNpy(input.path(), array).empty())
    return 0;
  int64_t bytes =
      tprt::elementCount(array.shape) * tprt::dtypeBytes(array.dtype);
  if (bytes < 0 || static_cast<size_t>(bytes) != array.data.size())
    __builtin_trap(); // an accepted array must be consistent
  return 0;
}
