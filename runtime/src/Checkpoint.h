//===- Checkpoint.h - the checkpoints of a training step --------*- C++ -*-===//
//
// This file declares what the executable of a training step needs to write
// its checkpoint (--save) and to continue from one (--resume), apart from
// moving the blocks between ranks. A checkpoint is one safetensors file with
// every parameter of the manifest, model weights and optimizer state alike,
// in its GLOBAL shape under its own name, and the number of optimizer steps
// done (kCheckpointStepName, I64, shape []). Being global, it serves a model
// compiled for any mesh: a checkpoint saved on tp:2 resumes on tp:4. Each
// global tensor is assembled from the blocks of the ranks that hold the
// first copy of theirs (one copy of replicated blocks). --resume reads it
// as --weights reads any checkpoint (SafetensorsCheckpoint.h): one file, or
// shard files and their index.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_CHECKPOINT_H
#define TPRT_SRC_CHECKPOINT_H

#include "Manifest.h"
#include "SafetensorsCheckpoint.h"

#include <functional>

namespace tprt {

/// The tensors of the checkpoint of `manifest`, in the order they are
/// written: every parameter in its global shape, then the step count.
std::vector<TensorDesc> checkpointTensors(const Manifest &manifest);

/// The ranks whose blocks of `tensor` make it up, in rank order: those that
/// hold the first copy of theirs (holdsFirstCopy).
std::vector<int64_t> blockOwners(const Manifest &manifest,
                                 const ManifestTensor &tensor);

/// Assembles the global `tensor` into `global` from the block of each of its
/// blockOwners, which `block(rank)` returns (valid until the next call).
void assembleTensor(const Manifest &manifest, const ManifestTensor &tensor,
                    const std::function<const char *(int64_t rank)> &block,
                    char *global);

/// What --resume reads from `checkpoint` beyond the weights: the number of
/// steps done, into `step`. Checks first that it holds every optimizer
/// state tensor of `manifest`, so that a checkpoint of weights alone is
/// named as such. Returns an empty string, or what is wrong.
[[nodiscard]] std::string
readResumeStep(const Manifest &manifest,
               const SafetensorsCheckpoint &checkpoint, int64_t &step);

} // namespace tprt

#endif // TPRT_SRC_CHECKPOINT_H
