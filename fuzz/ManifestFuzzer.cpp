//===- ManifestFuzzer.cpp - fuzz the manifest reader ----------------------===//
//
// This file fuzzes the reader of the manifest a compiled model carries: a
// manifest is either refused with a message, or every rank's block of every
// tensor lies inside the tensor, a training step has the scalar loss main
// reads as output 0, and each master copy has the elements of the 16-bit
// parameter main widens into it.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  tprt::Manifest manifest;
  if (!tprt::parseManifest(text.c_str(), manifest).empty())
    return 0;
  if (manifest.training &&
      (manifest.outputs.empty() || !manifest.outputs.front().shape.empty() ||
       manifest.outputs.front().localBytes() <= 0))
    __builtin_trap(); // main reads the loss from output 0
  for (const tprt::ManifestTensor &master : manifest.parameters) {
    if (master.masterOf.empty())
      continue;
    const tprt::ManifestTensor *param = manifest.findParameter(master.masterOf);
    if (!param || param->localShape != master.localShape ||
        master.localBytes() != 2 * param->localBytes())
      __builtin_trap(); // main widens the parameter's block into its master
  }
  // The first and the last rank's blocks.
  std::vector<int64_t> first(manifest.axisSizes.size(), 0), last;
  for (int64_t size : manifest.axisSizes)
    last.push_back(size - 1);
  for (const auto *tensors :
       {&manifest.parameters, &manifest.inputs, &manifest.outputs})
    for (const tprt::ManifestTensor &tensor : *tensors)
      for (const std::vector<int64_t> &coordinates : {first, last}) {
        std::vector<int64_t> start =
            tprt::blockStart(manifest, tensor, coordinates);
        for (size_t d = 0; d < start.size(); ++d)
          if (start[d] < 0 || start[d] + tensor.localShape[d] > tensor.shape[d])
            __builtin_trap(); // an accepted manifest must fit its tensors
      }
  return 0;
}
