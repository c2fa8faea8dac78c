//===- TinyModelFiles.cpp - files for the tiny model's end-to-end tests ---===//
//
// This file implements the helper of the end-to-end tests of tprt_main:
//   write DIR      writes DIR/weights.safetensors (the tiny model's W and an
//                  unrelated tensor), DIR/bad-weights.safetensors (W with a
//                  wrong shape), DIR/x.npy and DIR/wrong-x.npy (W as an
//                  input: a wrong shape)
//   check Y        checks that the .npy file Y holds x W^T exactly
//   compare A B    checks that two .npy files hold the same values (within
//                  float rounding), e.g. a 1-rank and a 2-rank run
// and exits non-zero with a message when a check fails.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "Safetensors.h"
#include "TinyModel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

int main(int argc, char **argv) {
  if (argc == 3 && !std::strcmp(argv[1], "write"))
    return write(argv[2]);
  if (argc == 3 && !std::strcmp(argv[1], "check"))
    return check(argv[2]);
  if (argc == 4 && !std::strcmp(argv[1], "compare"))
    return compare(argv[2], argv[3]);
  return failure("usage: write DIR | check Y.npy | compare A.npy B.npy");
}
