//===- Manifest.cpp - the description of a compiled model -----------------===//
//
// This file parses and validates the manifest of a compiled model. The
// manifest is written by tp-compile, so a mistake in it is a compiler bug;
// the checks still name the tensor and the field, so that such a bug shows
// up as one clear message instead of a wrong slice at run time.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "DType.h"
#include "Tensor.h"

#include <nlohmann/json.hpp>

namespace tprt {

using nlohmann::json;

int64_t ManifestTensor::localBytes() const {
  return elementCount(localShape) * dtypeBytes(dtype);
}

int64_t Manifest::rankCount() const {
  int64_t count = 1;
  for (int64_t size : axisSizes)
    count *= size;
  return count;
}

/// Checks one tensor of `kind` ("parameter", "input", "output") against the
/// mesh and the buffer of `bufferBytes` it lives in.
static std::string checkTensor(const Manifest &manifest,
                               const ManifestTensor &tensor,
                               const std::string &kind, int64_t bufferBytes) {
  std::string what = "manifest: " + kind + " '" + tensor.name + "': ";
  bool idsAllowed = kind == "input" || kind == "output";
  if (floatDType(tensor.dtype) < 0 && !(idsAllowed && tensor.dtype == "I64"))
    return what + "unsupported dtype '" + tensor.dtype + "'";
  if (tensor.dtype == "I64" && kind == "input" && tensor.idBound <= 0)
    return what + "an I64 input needs a positive id_bound";
  size_t rank = tensor.shape.size();
  if (tensor.localShape.size() != rank || tensor.split.size() != rank)
    return what + "shape, local_shape and split have different ranks";
  std::vector<bool> used(manifest.axisSizes.size(), false);
  for (size_t d = 0; d < rank; ++d) {
    int64_t pieces = 1, previous = -1;
    for (int64_t axis : tensor.split[d]) {
      if (axis <= previous || axis >= int64_t(used.size()) || used[axis])
        return what + "split of dim " + std::to_string(d) +
               " must list distinct mesh axes in mesh order";
      used[axis] = true;
      previous = axis;
      pieces *= manifest.axisSizes[axis];
    }
    if (tensor.localShape[d] < 0 ||
        tensor.localShape[d] * pieces != tensor.shape[d])
      return what + "dim " + std::to_string(d) + " of size " +
             std::to_string(tensor.shape[d]) + " is not " +
             std::to_string(pieces) + " pieces of " +
             std::to_string(tensor.localShape[d]);
  }
  int64_t bytes = tensor.localBytes();
  if (bytes < 0 || tensor.offset < 0 ||
      tensor.offset % dtypeBytes(tensor.dtype) != 0 ||
      tensor.offset > bufferBytes - bytes)
    return what + "block of " + std::to_string(bytes) + " bytes at offset " +
           std::to_string(tensor.offset) + " is misaligned or outside its " +
           std::to_string(bufferBytes) + "-byte buffer";
  return {};
}

/// An integer of the manifest. nlohmann converts any number, and a float out
/// of int64_t's range would convert with undefined behaviour: anything but
/// an integer that fits is a type error.
static int64_t getInteger(const json &value) {
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
    throw json::type_error::create(
        302, "expected an integer that fits in 64 bits, got " + value.dump(),
        &value);
  return value.get<int64_t>();
}

/// An array of integers (getInteger) of the manifest.
static std::vector<int64_t> getIntegers(const json &value) {
  if (!value.is_array())
    throw json::type_error::create(
        302, "expected an array of integers, got " + value.dump(), &value);
  std::vector<int64_t> integers;
  for (const json &element : value)
    integers.push_back(getInteger(element));
  return integers;
}

/// Parses and checks the list `key` of tensors of `kind`.
static std::string parseTensors(const json &root, const char *key,
                                const std::string &kind,
                                const Manifest &manifest, int64_t bufferBytes,
                                std::vector<ManifestTensor> &tensors) {
  for (const json &entry : root.at(key)) {
    ManifestTensor tensor;
    try {
      tensor.name = entry.at("name").get<std::string>();
      tensor.dtype = entry.at("dtype").get<std::string>();
      tensor.shape = getIntegers(entry.at("shape"));
      tensor.localShape = getIntegers(entry.at("local_shape"));
      const json &split = entry.at("split");
      if (!split.is_array())
        throw json::type_error::create(
            302, "split must be an array of arrays of mesh axes", &split);
      for (const json &axes : split)
        tensor.split.push_back(getIntegers(axes));
      tensor.offset = getInteger(entry.at("offset"));
      if (entry.contains("id_bound"))
        tensor.idBound = getInteger(entry.at("id_bound"));
    } catch (const json::exception &e) {
      return "manifest: " + kind + " '" + tensor.name + "': " + e.what();
    }
    std::string error = checkTensor(manifest, tensor, kind, bufferBytes);
    if (!error.empty())
      return error;
    tensors.push_back(std::move(tensor));
  }
  return {};
}

std::string parseManifest(const char *text, Manifest &manifest) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return "manifest: malformed JSON";
  try {
    // A model compiled by another tp-compile may lay its buffers out
    // differently: refuse it before reading anything else.
    if (!root.contains("version"))
      return "manifest: no version: the model was compiled by an older "
             "tp-compile than this runtime (which reads version " +
             std::to_string(TPRT_MANIFEST_VERSION) + "); compile it again";
    int64_t version = getInteger(root.at("version"));
    if (version != TPRT_MANIFEST_VERSION)
      return "manifest: version " + std::to_string(version) +
             ", but this runtime reads version " +
             std::to_string(TPRT_MANIFEST_VERSION) +
             "; compile the model again with the tp-compile of this runtime";
    const json &mesh = root.at("mesh");
    manifest.axisNames = mesh.at("axes").get<std::vector<std::string>>();
    manifest.axisSizes = getIntegers(mesh.at("sizes"));
    manifest.arenaBytes = getInteger(root.at("arena_bytes"));
    manifest.paramBytes = getInteger(root.at("param_bytes"));
    manifest.flops = root.value("flops", 0.0);
    manifest.report = root.value("report", std::string());
    if (manifest.axisNames.size() != manifest.axisSizes.size())
      return "manifest: mesh axes and sizes differ in length";
    for (int64_t size : manifest.axisSizes)
      if (size <= 0)
        return "manifest: mesh axis sizes must be positive";
    std::string error = parseTensors(root, "parameters", "parameter", manifest,
                                     manifest.paramBytes, manifest.parameters);
    if (error.empty())
      error = parseTensors(root, "inputs", "input", manifest,
                           manifest.arenaBytes, manifest.inputs);
    if (error.empty())
      error = parseTensors(root, "outputs", "output", manifest,
                           manifest.arenaBytes, manifest.outputs);
    return error;
  } catch (const json::exception &e) {
    return std::string("manifest: ") + e.what();
  }
}

std::vector<int64_t> blockStart(const Manifest &manifest,
                                const ManifestTensor &tensor,
                                const std::vector<int64_t> &coordinates) {
  std::vector<int64_t> start(tensor.shape.size());
  for (size_t d = 0; d < start.size(); ++d) {
    int64_t piece = 0;
    for (int64_t axis : tensor.split[d])
      piece = piece * manifest.axisSizes[axis] + coordinates[axis];
    start[d] = piece * tensor.localShape[d];
  }
  return start;
}

bool holdsFirstCopy(const ManifestTensor &tensor,
                    const std::vector<int64_t> &coordinates) {
  std::vector<bool> splits(coordinates.size(), false);
  for (const std::vector<int64_t> &axes : tensor.split)
    for (int64_t axis : axes)
      splits[axis] = true;
  for (size_t axis = 0; axis < coordinates.size(); ++axis)
    if (!splits[axis] && coordinates[axis] != 0)
      return false;
  return true;
}

} // namespace tprt
