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

#include <algorithm>
#include <climits>
#include <limits>
#include <map>
#include <set>

namespace tprt {

using nlohmann::json;

int64_t ManifestTensor::localBytes() const {
  return elementCount(localShape) * dtypeBytes(dtype);
}

std::vector<int64_t> ManifestTensor::splitShape() const {
  std::vector<int64_t> read = shape;
  if (rowEnd > 0 && !read.empty())
    read[0] = rowEnd - rowBegin;
  return read;
}

std::string ManifestTensor::describe() const {
  std::string text = "'" + name + "'";
  if (rowEnd > 0)
    text += " rows [" + std::to_string(rowBegin) + ", " +
            std::to_string(rowEnd) + ")";
  return text;
}

int64_t Manifest::rankCount() const {
  int64_t count = 1;
  for (int64_t size : axisSizes)
    count *= size;
  return count;
}

const ManifestTensor *Manifest::findParameter(const std::string &name) const {
  for (const ManifestTensor &param : parameters)
    if (param.name == name)
      return &param;
  return nullptr;
}

/// Checks one tensor of `kind` ("parameter", "input", "output") against the
/// mesh and the buffer of `bufferBytes` it lives in.
static std::string checkTensor(const Manifest &manifest,
                               const ManifestTensor &tensor,
                               const std::string &kind, int64_t bufferBytes) {
  std::string what = "manifest: " + kind + " " + tensor.describe() + ": ";
  bool idsAllowed = kind == "input" || kind == "output";
  if (floatDType(tensor.dtype) < 0 && !(idsAllowed && tensor.dtype == "I64"))
    return what + "unsupported dtype '" + tensor.dtype + "'";
  if (tensor.dtype == "I64" && kind == "input" && tensor.idBound <= 0)
    return what + "an I64 input needs a positive id_bound";
  size_t rank = tensor.shape.size();
  if (tensor.localShape.size() != rank || tensor.split.size() != rank)
    return what + "shape, local_shape and split have different ranks";
  if (tensor.rowEnd > 0 &&
      (rank == 0 || tensor.rowBegin < 0 || tensor.rowBegin >= tensor.rowEnd ||
       tensor.rowEnd > tensor.shape[0]))
    return what + "rows are not within dim 0";
  std::vector<int64_t> splitShape = tensor.splitShape();
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
        tensor.localShape[d] * pieces != splitShape[d])
      return what + "dim " + std::to_string(d) + " of size " +
             std::to_string(splitShape[d]) + " is not " +
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
      if (entry.contains("rows")) {
        std::vector<int64_t> rows = getIntegers(entry.at("rows"));
        if (kind != "parameter" || rows.size() != 2)
          return "manifest: " + kind + " '" + tensor.name +
                 "': rows must be a parameter's [begin, end)";
        tensor.rowBegin = rows[0];
        tensor.rowEnd = rows[1];
      }
      const json &split = entry.at("split");
      if (!split.is_array())
        throw json::type_error::create(
            302, "split must be an array of arrays of mesh axes", &split);
      for (const json &axes : split)
        tensor.split.push_back(getIntegers(axes));
      tensor.offset = getInteger(entry.at("offset"));
      if (entry.contains("id_bound"))
        tensor.idBound = getInteger(entry.at("id_bound"));
      if (entry.contains("state")) {
        if (kind != "parameter")
          return "manifest: " + kind + " '" + tensor.name +
                 "': only a parameter can be optimizer state";
        const json &state = entry.at("state");
        if (!state.is_boolean())
          throw json::type_error::create(
              302, "state must be true or false, got " + state.dump(), &state);
        tensor.state = state.get<bool>();
      }
      if (entry.contains("master_of")) {
        if (kind != "parameter")
          return "manifest: " + kind + " '" + tensor.name +
                 "': only a parameter can be a master copy";
        const json &masterOf = entry.at("master_of");
        if (!masterOf.is_string() || masterOf.get<std::string>().empty())
          throw json::type_error::create(
              302,
              "master_of must be a parameter's name, got " + masterOf.dump(),
              &masterOf);
        tensor.masterOf = masterOf.get<std::string>();
      }
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

/// Parses and checks the training step's "training" object.
static std::string parseTraining(const json &object, Training &training) {
  const std::string what = "manifest: training: ";
  if (!object.is_object())
    return what + "expected an object, got " + object.dump();
  for (const char *key : {"loss", "optimizer"})
    if (!object.contains(key) || !object.at(key).is_string())
      return what + "'" + key + "' must be a string";
  training.loss = object.at("loss").get<std::string>();
  training.optimizer = object.at("optimizer").get<std::string>();
  if (training.loss != "sum" && training.loss != "cross_entropy")
    return what + "unknown loss '" + training.loss +
           "' (expected sum or cross_entropy)";
  if (training.optimizer != "sgd" && training.optimizer != "adamw")
    return what + "unknown optimizer '" + training.optimizer +
           "' (expected sgd or adamw)";
  bool adamw = training.optimizer == "adamw";
  // Each hyperparameter, whether SGD takes it too, and its range as
  // torch.optim checks it: [0, high), high 1 or infinity.
  struct Field {
    const char *name;
    double *value;
    bool sgd;
    double high;
  };
  const double unbounded = std::numeric_limits<double>::infinity();
  const Field fields[] = {
      {"lr", &training.lr, true, unbounded},
      {"beta1", &training.beta1, false, 1.0},
      {"beta2", &training.beta2, false, 1.0},
      {"eps", &training.eps, false, unbounded},
      {"weight_decay", &training.weightDecay, true, unbounded}};
  for (const auto &[key, value] : object.items()) {
    if (key == "loss" || key == "optimizer")
      continue;
    const Field *field =
        std::find_if(std::begin(fields), std::end(fields),
                     [&](const Field &f) { return key == f.name; });
    if (field == std::end(fields) || (!adamw && !field->sgd))
      return what + training.optimizer + " has no hyperparameter '" + key + "'";
  }
  for (const Field &field : fields) {
    if (!adamw && !field.sgd)
      continue;
    std::string name = std::string("'") + field.name + "'";
    if (!object.contains(field.name))
      return what + training.optimizer + " needs " + name;
    const json &value = object.at(field.name);
    if (!value.is_number())
      return what + name + " must be a number, got " + value.dump();
    *field.value = value.get<double>();
    if (!(*field.value >= 0 && *field.value < field.high))
      return what + name + " = " + value.dump() + " is outside [0, " +
             (field.high == unbounded ? "infinity" : "1") + ")";
  }
  return {};
}

/// `split` as the manifest writes it: [[0], []].
static std::string formatSplit(const std::vector<std::vector<int64_t>> &split) {
  std::string text = "[";
  for (size_t d = 0; d < split.size(); ++d)
    text += (d ? ", " : "") + formatShape(split[d]);
  return text + "]";
}

/// Checks the master copy `master` against the parameter it names, whose
/// block main copies into it (widened to f32) and the *_master calls update
/// it from: an f32 state tensor laid out as a 16-bit model weight.
static std::string checkMasterCopy(const Manifest &manifest,
                                   const ManifestTensor &master) {
  std::string what = "manifest: parameter '" + master.name +
                     "': the master copy of '" + master.masterOf + "' ";
  if (!master.state)
    return what + "must be optimizer state (\"state\": true)";
  if (master.dtype != "F32")
    return what + "must be F32, not " + master.dtype;
  const ManifestTensor *param = manifest.findParameter(master.masterOf);
  if (!param)
    return what + "names no parameter of the manifest";
  std::string of = "'" + param->name + "' ";
  if (param->dtype != "F16" && param->dtype != "BF16")
    return what + "needs " + of + "to be F16 or BF16, not " + param->dtype +
           " (an F32 parameter is its own master)";
  if (param->state)
    return what + "needs " + of + "to be a model weight, not optimizer state";
  if (master.shape != param->shape)
    return what + "has shape " + formatShape(master.shape) + " but " + of +
           "has " + formatShape(param->shape);
  if (master.localShape != param->localShape)
    return what + "has local_shape " + formatShape(master.localShape) +
           " but " + of + "has " + formatShape(param->localShape);
  if (master.split != param->split)
    return what + "has split " + formatSplit(master.split) + " but " + of +
           "has " + formatSplit(param->split);
  return {};
}

/// Checks what the runtime assumes of all parameters together: distinct
/// names, none the step count of a checkpoint, state only in a training step,
/// master copies laid out as their parameters, at most one each.
static std::string checkParameters(const Manifest &manifest) {
  // A fused parameter's parts are listed once each; their rows must not
  // overlap, since an update of one would show in another.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> reads;
  for (const ManifestTensor &param : manifest.parameters) {
    std::string what = "manifest: parameter " + param.describe() + ": ";
    std::pair<int64_t, int64_t> rows =
        param.rowEnd > 0 ? std::pair(param.rowBegin, param.rowEnd)
                         : std::pair<int64_t, int64_t>(0, INT64_MAX);
    for (auto [begin, end] : reads[param.name])
      if (begin < rows.second && rows.first < end)
        return what + "listed twice, or overlapping another part";
    reads[param.name].push_back(rows);
    if (param.name == kCheckpointStepName)
      return what + "the name is that of a checkpoint's step count";
    if (param.state && !manifest.training)
      return what + "optimizer state in a manifest without 'training'";
  }
  std::map<std::string, std::string> masters;
  for (const ManifestTensor &param : manifest.parameters) {
    if (param.masterOf.empty())
      continue;
    std::string error = checkMasterCopy(manifest, param);
    if (!error.empty())
      return error;
    auto [other, first] = masters.emplace(param.masterOf, param.name);
    if (!first)
      return "manifest: parameter '" + param.masterOf +
             "' has two master copies, '" + other->second + "' and '" +
             param.name + "'";
  }
  return {};
}

/// Checks the inputs and outputs of a training step against its loss.
static std::string checkTrainingStep(const Manifest &manifest) {
  const std::string what = "manifest: training: ";
  const Training &training = *manifest.training;
  if (manifest.outputs.empty())
    return what + "a training step has no output; output 0 must be the loss";
  const ManifestTensor &loss = manifest.outputs.front();
  if (!loss.shape.empty() || floatDType(loss.dtype) < 0)
    return what + "output 0, the loss, must be a rank-0 float tensor, not " +
           loss.dtype + " " + formatShape(loss.shape);
  if (training.loss == "cross_entropy" &&
      (manifest.inputs.empty() || manifest.inputs.back().dtype != "I64"))
    return what +
           "a cross_entropy loss takes its labels as the last input, "
           "an I64 tensor" +
           (manifest.inputs.empty()
                ? std::string(", but the step has no input")
                : ", not " + manifest.inputs.back().dtype + " '" +
                      manifest.inputs.back().name + "'");
  return {};
}

std::string parseManifest(const char *text, Manifest &manifest) {
  manifest = Manifest();
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
    if (error.empty() && root.contains("training"))
      error = parseTraining(root.at("training"), manifest.training.emplace());
    if (error.empty() && root.contains("peak_arena_use")) {
      const json &use = root.at("peak_arena_use");
      manifest.peakGradientBytes = getInteger(use.at("gradient_bytes"));
      manifest.peakSavedActivationBytes =
          getInteger(use.at("saved_activation_bytes"));
      if (manifest.peakGradientBytes < 0 ||
          manifest.peakSavedActivationBytes < 0 ||
          manifest.peakGradientBytes > manifest.arenaBytes ||
          manifest.peakSavedActivationBytes >
              manifest.arenaBytes - manifest.peakGradientBytes)
        error = "manifest: peak_arena_use: its bytes must be non-negative "
                "and fit in the arena";
    }
    if (error.empty())
      error = checkParameters(manifest);
    if (error.empty() && manifest.training)
      error = checkTrainingStep(manifest);
    return error;
  } catch (const json::exception &e) {
    return std::string("manifest: ") + e.what();
  }
}

std::vector<int64_t> rankCoordinates(const std::vector<int64_t> &axisSizes,
                                     int64_t rank) {
  std::vector<int64_t> coordinates(axisSizes.size());
  for (size_t i = coordinates.size(); i-- > 0;) {
    coordinates[i] = rank % axisSizes[i];
    rank /= axisSizes[i];
  }
  return coordinates;
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
  // A part's rows start at its first row of the whole tensor.
  if (!start.empty())
    start[0] += tensor.rowBegin;
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
