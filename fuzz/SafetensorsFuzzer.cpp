//===- SafetensorsFuzzer.cpp - fuzz the checkpoint reader -----------------===//
//
// This file fuzzes the safetensors reader: a file is either refused with a
// message or every tensor its header describes can be read whole.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "Safetensors.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_fuzz::MemoryFile input(data, size);
  std::unique_ptr<tprt::SafetensorsFile> file;
  if (!tprt::SafetensorsFile::open(input.path(), file).empty())
    return 0;
  std::vector<char> block;
  for (const tprt::StoredTensor &tensor : file->tensors()) {
    // The reader checked that each tensor's bytes lie in the file.
    block.resize(tprt::elementCount(tensor.shape) *
                 tprt::dtypeBytes(tensor.dtype));
    if (!file->read(tensor, block.data()).empty())
      __builtin_trap(); // a validated tensor must be readable
  }
  return 0;
}
