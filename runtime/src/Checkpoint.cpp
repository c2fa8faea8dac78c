//===- Checkpoint.cpp - the checkpoints of a training step ----------------===//
//
// This file implements the layout of a training step's checkpoints: which
// tensors they hold, which ranks' blocks make up each, and the step count
// that --resume continues from.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

namespace tprt {

std::vector<TensorDesc> checkpointTensors(const Manifest &manifest) {
  std::vector<TensorDesc> tensors;
  for (const ManifestTensor &param : manifest.parameters)
    tensors.push_back({param.name, param.dtype, param.shape});
  tensors.push_back({kCheckpointStepName, "I64", {}});
  return tensors;
}

std::vector<int64_t> blockOwners(const Manifest &manifest,
                                 const ManifestTensor &tensor) {
  std::vector<int64_t> owners;
  for (int64_t rank = 0; rank < manifest.rankCount(); ++rank)
    if (holdsFirstCopy(tensor, rankCoordinates(manifest.axisSizes, rank)))
      owners.push_back(rank);
  return owners;
}

void assembleTensor(const Manifest &manifest, const ManifestTensor &tensor,
                    const std::function<const char *(int64_t rank)> &block,
                    char *global) {
  int64_t elementBytes = dtypeBytes(tensor.dtype);
  for (int64_t rank : blockOwners(manifest, tensor))
    insertBlock(
        block(rank), tensor.shape, elementBytes,
        blockStart(manifest, tensor, rankCoordinates(manifest.axisSizes, rank)),
        tensor.localShape, global);
}

std::string readResumeStep(const Manifest &manifest,
                           const SafetensorsCheckpoint &checkpoint,
                           int64_t &step) {
  std::string what = "cannot resume from '" + checkpoint.path() + "': ";
  const char *advice = "; --resume needs a checkpoint written by --save";
  for (const ManifestTensor &param : manifest.parameters)
    if (param.state && !checkpoint.find(param.name))
      return what + "it has no optimizer state '" + param.name + "'" + advice;
  const CheckpointTensor *count = checkpoint.find(kCheckpointStepName);
  if (!count)
    return what + "it has no step count '" + kCheckpointStepName + "'" + advice;
  const StoredTensor &stored = *count->tensor;
  if (stored.dtype != "I64" || !stored.shape.empty())
    return what + "its step count '" + kCheckpointStepName + "' is " +
           stored.dtype + " " + formatShape(stored.shape) +
           ", not an I64 scalar";
  std::string error = count->file->read(stored, &step);
  if (!error.empty())
    return error;
  if (step < 0)
    return what + "its step count " + std::to_string(step) + " is negative";
  return {};
}

} // namespace tprt
