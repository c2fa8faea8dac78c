//===- Manifest.h - the description of a compiled model ---------*- C++ -*-===//
//
// This file declares the manifest, the JSON string (`tp_model_manifest`)
// that tp-compile embeds in every compiled model to tell the runtime's main
// what to load, allocate and write:
//
//   {"mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
//    "arena_bytes": 123, "param_bytes": 456, "flops": 789.0,
//    "parameters": [{"name": "w1.weight", "dtype": "F32",
//                    "shape": [8192, 8192], "local_shape": [4096, 8192],
//                    "split": [[1], []], "offset": 0}],
//    "inputs":  [{... same fields ..., "id_bound": 128 (I64 only)}],
//    "outputs": [{... same fields ...}],
//    "report": "<the per-rank report table>"}
//
// "split"[d] lists the mesh axes (in mesh order) that split tensor dim d.
// The piece of dim d a rank holds is its row-major index over its
// coordinates on those axes, so its block starts at piece * local size.
// "flops" counts one rank's step; offsets are into the parameter buffer
// (parameters) or the activation arena (inputs, outputs).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_MANIFEST_H
#define TPRT_SRC_MANIFEST_H

#include <cstdint>
#include <string>
#include <vector>

namespace tprt {

/// A parameter, input or output of a compiled model.
struct ManifestTensor {
  std::string name;
  /// "F32" or "I64" (inputs only).
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> localShape;
  /// The mesh axes splitting each dim, in mesh order.
  std::vector<std::vector<int64_t>> split;
  int64_t offset = 0;
  /// I64 inputs: random ids are drawn from [0, idBound).
  int64_t idBound = 0;

  /// The byte size of one rank's block.
  int64_t localBytes() const;
};

/// A parsed and validated manifest.
struct Manifest {
  std::vector<std::string> axisNames;
  std::vector<int64_t> axisSizes;
  int64_t arenaBytes = 0;
  int64_t paramBytes = 0;
  double flops = 0;
  std::vector<ManifestTensor> parameters, inputs, outputs;
  std::string report;

  /// The number of ranks of the mesh.
  int64_t rankCount() const;
};

/// Parses `text` into `manifest` and checks it: known dtypes, consistent
/// shapes and splits, blocks inside their buffers. Returns an empty string,
/// or what is wrong.
[[nodiscard]] std::string parseManifest(const char *text, Manifest &manifest);

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
