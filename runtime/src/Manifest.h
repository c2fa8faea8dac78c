//===- Manifest.h - the description of a compiled model ---------*- C++ -*-===//
//
// This file declares the manifest, the JSON string (`tp_model_manifest`)
// that tp-compile embeds in every compiled model to tell the runtime's main
// what to load, allocate and write:
//
//   {"version": 2, "mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
//    "arena_bytes": 123, "param_bytes": 456, "flops": 789.0,
//    "parameters": [{"name": "w1.weight", "dtype": "F32",
//                    "shape": [8192, 8192], "local_shape": [4096, 8192],
//                    "split": [[1], []], "offset": 0},
//                   {"name": "optimizer.w1.weight.exp_avg", ...,
//                    "state": true},
//                   {"name": "optimizer.w2.weight.master", "dtype": "F32",
//                    ..., "state": true, "master_of": "w2.weight"}],
//    "inputs":  [{... same fields ..., "id_bound": 128 (I64 only)}],
//    "outputs": [{... same fields ...}],
//    "training": {"loss": "sum", "optimizer": "adamw", "lr": 1e-3,
//                 "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
//                 "weight_decay": 0.01},
//    "peak_arena_use": {"gradient_bytes": 12, "saved_activation_bytes": 34},
//    "report": "<the per-rank report table>"}
//
// "split"[d] lists the mesh axes (in mesh order) that split tensor dim d.
// The piece of dim d a rank holds is its row-major index over its
// coordinates on those axes, so its block starts at piece * local size.
// "flops" counts one rank's step; offsets are into the parameter buffer
// (parameters) or the activation arena (inputs, outputs). A model with
// "training" is a training step: output 0 is the loss, and parameters marked
// "state" are optimizer state, which starts at zero, but for the f32 master
// copy of a 16-bit parameter ("master_of"), which starts as that parameter
// (docs/Manifest.md).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_MANIFEST_H
#define TPRT_SRC_MANIFEST_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tprt {

/// The tensor of a training step's checkpoint (--save, --resume) that
/// holds the number of optimizer steps done: I64, shape []. No parameter
/// may take the name.
inline constexpr const char *kCheckpointStepName = "optimizer.step";

/// A parameter, input or output of a compiled model.
struct ManifestTensor {
  std::string name;
  /// "F32", "F16", "BF16", or "I64" (inputs and outputs only).
  std::string dtype;
  std::vector<int64_t> shape;
  /// A part of a fused parameter (tp.get_parameter's `rows`): rows
  /// [rowBegin, rowEnd) of dim 0 of `shape`, which `localShape` and `split`
  /// describe; rowEnd is 0 for a whole tensor.
  int64_t rowBegin = 0, rowEnd = 0;
  std::vector<int64_t> localShape;
  /// The mesh axes splitting each dim, in mesh order.
  std::vector<std::vector<int64_t>> split;
  int64_t offset = 0;
  /// I64 inputs: random ids are drawn from [0, idBound).
  int64_t idBound = 0;
  /// Parameters of a training step: optimizer state (exp_avg ...), not a
  /// model weight. It starts at zero and is read and written only with the
  /// optimizer's checkpoints (--resume, --save).
  bool state = false;
  /// Optimizer state only: the name of the f16 or bf16 parameter whose f32
  /// master copy this is (of its shape and split); empty for other tensors.
  /// It starts as that parameter widened, unless resumed.
  std::string masterOf;

  /// The byte size of one rank's block.
  int64_t localBytes() const;
  /// The shape the split divides: `shape`, or the rows of a part.
  std::vector<int64_t> splitShape() const;
  /// "'name'", or "'name' rows [b, e)" for a part, for messages.
  std::string describe() const;
};

/// What a training step computes (the manifest's "training"): the loss,
/// output 0 of the step, and the optimizer's update and hyperparameters
/// (beta1, beta2 and eps are AdamW's; zero for SGD).
struct Training {
  /// "sum" or "cross_entropy" (whose labels are the last input, I64).
  std::string loss;
  /// "sgd" or "adamw".
  std::string optimizer;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weightDecay = 0;
};

/// A parsed and validated manifest.
struct Manifest {
  std::vector<std::string> axisNames;
  std::vector<int64_t> axisSizes;
  int64_t arenaBytes = 0;
  int64_t paramBytes = 0;
  double flops = 0;
  std::vector<ManifestTensor> parameters, inputs, outputs;
  /// Present for a training step.
  std::optional<Training> training;
  /// A training step's arena at its peak: the bytes of parameter gradients
  /// and of activations kept for the backward.
  int64_t peakGradientBytes = 0, peakSavedActivationBytes = 0;
  std::string report;

  /// The number of ranks of the mesh.
  int64_t rankCount() const;
  /// The parameter named `name`, or null.
  const ManifestTensor *findParameter(const std::string &name) const;
};

/// Parses `text` into `manifest` and checks it: known dtypes, consistent
/// shapes and splits, blocks inside their buffers, distinct parameters (or
/// parts of one),
/// master copies laid out as their 16-bit parameters, the training step's
/// hyperparameters, loss and labels. Returns an empty
/// string, or what is wrong.
[[nodiscard]] std::string parseManifest(const char *text, Manifest &manifest);

/// The coordinates of `rank` on a mesh of `axisSizes`: row-major, the last
/// axis varying fastest.
std::vector<int64_t> rankCoordinates(const std::vector<int64_t> &axisSizes,
                                     int64_t rank);

/// Where the block of `tensor` held by the rank at mesh `coordinates`
/// starts.
std::vector<int64_t> blockStart(const Manifest &manifest,
                                const ManifestTensor &tensor,
                                const std::vector<int64_t> &coordinates);

/// Whether the rank at `coordinates` holds the first copy of its block of
/// `tensor`: coordinate 0 on every axis along which the tensor is
/// replicated.
bool holdsFirstCopy(const ManifestTensor &tensor,
                    const std::vector<int64_t> &coordinates);

} // namespace tprt

#endif // TPRT_SRC_MANIFEST_H
