//===- TinyModelFiles.cpp - files for the tiny model's end-to-end tests ---===//
//
// This file implements the helper of the end-to-end tests of tprt_main:
//   write DIR      writes DIR/weights.safetensors (the tiny model's W and an
//                  unrelated tensor), DIR/bad-weights.safetensors (W with a
//                  wrong shape), DIR/x.npy and DIR/wrong-x.npy (W as an
//                  input: a wrong shape), and DIR/train-weights.safetensors
//                  (the tiny training step's parameters, gain in bf16, no
//                  optimizer state)
//   check Y        checks that the .npy file Y holds x W^T exactly
//   compare A B    checks that two .npy files hold the same values (within
//                  float rounding), e.g. a 1-rank and a 2-rank run
//   check-train C S
//                  checks that the checkpoint C, written by the tiny
//                  training step's --save, holds the reference's parameters
//                  and AdamW state after S steps (gain's master copy and
//                  gain, the master rounded to bf16), and the step count S
// and exits non-zero with a message when a check fails.
//
//===----------------------------------------------------------------------===//

#include "DType.h"
#include "Npy.h"
#include "Safetensors.h"
#include "TinyModel.h"
#include "TinyTrainModel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace tprt;
using namespace tiny;

static int failure(const std::string &message) {
  std::fprintf(stderr, "tprt-tiny-files: %s\n", message.c_str());
  return 1;
}

static std::vector<float> weightValues(int64_t rowCount) {
  std::vector<float> values(rowCount * inputs);
  for (int64_t n = 0; n < rowCount; ++n)
    for (int64_t k = 0; k < inputs; ++k)
      values[n * inputs + k] = weight(n, k);
  return values;
}

static TensorRef tensor(const std::string &name, std::vector<int64_t> shape,
                        const std::vector<float> &values) {
  TensorRef ref;
  ref.name = name;
  ref.dtype = "F32";
  ref.shape = std::move(shape);
  ref.data = reinterpret_cast<const char *>(values.data());
  return ref;
}

/// `values` rounded to bf16, as the bytes of a BF16 tensor.
static std::vector<uint16_t> bf16Values(const std::vector<float> &values) {
  std::vector<uint16_t> bits(values.size());
  narrow(TPRT_BF16, values.data(), bits.data(), values.size());
  return bits;
}

static int write(const std::string &dir) {
  std::vector<float> w = weightValues(outputs), bad = weightValues(outputs - 1),
                     other = {1.0f, 2.0f};
  std::string error =
      writeSafetensors(dir + "/weights.safetensors",
                       {tensor("other.bias", {2}, other),
                        tensor("proj.weight", {outputs, inputs}, w)},
                       {{"format", "pt"}});
  if (error.empty())
    error =
        writeSafetensors(dir + "/bad-weights.safetensors",
                         {tensor("proj.weight", {outputs - 1, inputs}, bad)});
  std::vector<float> x(rows * inputs);
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t k = 0; k < inputs; ++k)
      x[m * inputs + k] = input(m, k);
  if (error.empty())
    error = writeNpy(dir + "/x.npy", "F32", {rows, inputs}, x.data());
  if (error.empty())
    error = writeNpy(dir + "/wrong-x.npy", "F32", {outputs, inputs}, w.data());
  std::vector<float> b(outputs), s(inputs);
  for (int64_t n = 0; n < outputs; ++n)
    b[n] = bias(n);
  for (int64_t k = 0; k < inputs; ++k)
    s[k] = shift(k);
  std::vector<float> g(outputs);
  for (int64_t n = 0; n < outputs; ++n)
    g[n] = gain(n);
  std::vector<uint16_t> gainBits = bf16Values(g);
  TensorRef gainTensor = tensor("gain", {outputs}, g);
  gainTensor.dtype = "BF16";
  gainTensor.data = reinterpret_cast<const char *>(gainBits.data());
  if (error.empty())
    error = writeSafetensors(dir + "/train-weights.safetensors",
                             {gainTensor, tensor("proj.bias", {outputs}, b),
                              tensor("proj.weight", {outputs, inputs}, w),
                              tensor("shift", {inputs}, s)});
  return error.empty() ? 0 : failure(error);
}

static int read(const std::string &path, NpyArray &array) {
  std::string error = readNpy(path, array);
  if (!error.empty())
    return failure(error);
  if (array.dtype != "F32" ||
      array.shape != std::vector<int64_t>{rows, outputs})
    return failure(path + ": expected F32 [3, 6], got " + array.dtype + " " +
                   formatShape(array.shape));
  return 0;
}

static int check(const std::string &path) {
  NpyArray y;
  if (int status = read(path, y))
    return status;
  const auto *values = reinterpret_cast<const float *>(y.data.data());
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t n = 0; n < outputs; ++n) {
      float expected = 0;
      for (int64_t k = 0; k < inputs; ++k)
        expected += input(m, k) * weight(n, k);
      if (values[m * outputs + n] != expected)
        return failure(path + ": y[" + std::to_string(m) + ", " +
                       std::to_string(n) +
                       "] = " + std::to_string(values[m * outputs + n]) +
                       ", expected " + std::to_string(expected));
    }
  return 0;
}

static int compare(const std::string &first, const std::string &second) {
  NpyArray a, b;
  if (int status = read(first, a))
    return status;
  if (int status = read(second, b))
    return status;
  const auto *x = reinterpret_cast<const float *>(a.data.data());
  const auto *y = reinterpret_cast<const float *>(b.data.data());
  for (int64_t i = 0; i < rows * outputs; ++i)
    if (std::abs(x[i] - y[i]) > 1e-5f * std::max(1.0f, std::abs(x[i])))
      return failure("element " + std::to_string(i) +
                     " differs: " + std::to_string(x[i]) + " in " + first +
                     ", " + std::to_string(y[i]) + " in " + second);
  return 0;
}

/// Compares the tensor `name` of `file` with `expected`.
static int checkTensor(const SafetensorsFile &file, const std::string &name,
                       const std::vector<double> &expected) {
  const StoredTensor *tensor;
  std::string error = file.lookup(name, tensor);
  if (!error.empty())
    return failure(error);
  if (tensor->dtype != "F32" ||
      elementCount(tensor->shape) != int64_t(expected.size()))
    return failure(file.path() + ": '" + name + "' is " + tensor->dtype + " " +
                   formatShape(tensor->shape));
  std::vector<float> values(expected.size());
  error = file.read(*tensor, values.data());
  if (!error.empty())
    return failure(error);
  for (size_t i = 0; i < values.size(); ++i)
    if (std::abs(values[i] - expected[i]) >
        1e-4 * std::max(1.0, std::abs(expected[i])))
      return failure(file.path() + ": " + name + "[" + std::to_string(i) +
                     "] = " + std::to_string(values[i]) + ", expected " +
                     std::to_string(expected[i]));
  return 0;
}

/// Checks that the BF16 tensor `name` of `file` is the F32 tensor `master`
/// of `file` rounded to bf16, exactly.
static int checkRoundedMaster(const SafetensorsFile &file,
                              const std::string &name,
                              const std::string &master) {
  const StoredTensor *tensor, *masterTensor;
  std::string error = file.lookup(name, tensor);
  if (error.empty())
    error = file.lookup(master, masterTensor);
  if (!error.empty())
    return failure(error);
  int64_t count = elementCount(masterTensor->shape);
  if (tensor->dtype != "BF16" || masterTensor->dtype != "F32" ||
      tensor->shape != masterTensor->shape)
    return failure(file.path() + ": '" + name + "' is " + tensor->dtype + " " +
                   formatShape(tensor->shape) + " and its master '" + master +
                   "' " + masterTensor->dtype + " " +
                   formatShape(masterTensor->shape));
  std::vector<uint16_t> bits(count);
  std::vector<float> values(count), masterValues(count);
  error = file.read(*tensor, bits.data());
  if (error.empty())
    error = file.read(*masterTensor, masterValues.data());
  if (!error.empty())
    return failure(error);
  widen(TPRT_BF16, bits.data(), values.data(), count);
  std::vector<uint16_t> rounded = bf16Values(masterValues);
  for (int64_t i = 0; i < count; ++i)
    if (bf16ToFloat(rounded[i]) != values[i])
      return failure(file.path() + ": " + name + "[" + std::to_string(i) +
                     "] = " + std::to_string(values[i]) + ", but its master " +
                     std::to_string(masterValues[i]) + " rounds to " +
                     std::to_string(bf16ToFloat(rounded[i])));
  return 0;
}

static int checkTrain(const std::string &path, int64_t steps) {
  std::unique_ptr<SafetensorsFile> file;
  std::string error = SafetensorsFile::open(path, file);
  if (!error.empty())
    return failure(error);
  ReferenceTraining reference;
  reference.run(steps);
  const std::pair<const char *, const ReferenceParameter *> parameters[] = {
      {"proj.weight", &reference.weight},
      {"proj.bias", &reference.bias},
      {"shift", &reference.shift},
      {"gain", &reference.gain}};
  for (const auto &[name, parameter] : parameters) {
    std::string state = std::string("optimizer.") + name;
    // gain is updated through its master copy, which the reference follows.
    std::string updated = name;
    if (updated == "gain") {
      updated = state + ".master";
      if (int status = checkRoundedMaster(*file, name, updated))
        return status;
    }
    if (int status = checkTensor(*file, updated, parameter->value))
      return status;
    if (int status = checkTensor(*file, state + ".exp_avg", parameter->expAvg))
      return status;
    if (int status =
            checkTensor(*file, state + ".exp_avg_sq", parameter->expAvgSq))
      return status;
  }
  const StoredTensor *count = file->find("optimizer.step");
  int64_t saved = -1;
  if (count && count->dtype == "I64" && count->shape.empty()) {
    error = file->read(*count, &saved);
    if (!error.empty())
      return failure(error);
  }
  if (saved != steps)
    return failure(path + ": the step count is " + std::to_string(saved) +
                   ", expected " + std::to_string(steps));
  if (file->tensors().size() != 14)
    return failure(path + ": " + std::to_string(file->tensors().size()) +
                   " tensors, expected 14");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !std::strcmp(argv[1], "write"))
    return write(argv[2]);
  if (argc == 3 && !std::strcmp(argv[1], "check"))
    return check(argv[2]);
  if (argc == 4 && !std::strcmp(argv[1], "compare"))
    return compare(argv[2], argv[3]);
  if (argc == 4 && !std::strcmp(argv[1], "check-train"))
    return checkTrain(argv[2], std::atoll(argv[3]));
  return failure("usage: write DIR | check Y.npy | compare A.npy B.npy | "
                 "check-train CHECKPOINT STEPS");
}
