//===- Kernels.cpp - helpers shared by the cpu kernels --------------------===//
//
// This file implements the f32 views of 16-bit tensors and the row softmax
// that several cpu kernels share.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "DType.h"

#include <algorithm>
#include <cmath>

namespace tprt {

F32Scope::F32Scope(tprt_context &ctx, const char *call, const char *layer,
                   int32_t dtype)
    : ctx(ctx), dtype(dtype) {
  dtypeSize(&ctx, call, layer, dtype);
}

F32Scope::~F32Scope() {
  for (const Output &output : outputs)
    narrow(dtype, output.values, output.tensor, output.count);
}

float *F32Scope::nextCopy(int64_t count) {
  std::vector<std::vector<float>> &copies = ctx.f32Copies;
  if (copiesUsed == copies.size())
    copies.emplace_back();
  std::vector<float> &copy = copies[copiesUsed++];
  if (copy.size() < static_cast<size_t>(count))
    copy.resize(count);
  return copy.data();
}

const float *F32Scope::input(const void *tensor, int64_t count) {
  if (dtype == TPRT_F32)
    return static_cast<const float *>(tensor);
  float *copy = nextCopy(count);
  widen(dtype, tensor, copy, count);
  return copy;
}

float *F32Scope::output(void *tensor, int64_t count) {
  if (dtype == TPRT_F32)
    return static_cast<float *>(tensor);
  float *copy = nextCopy(count);
  outputs.push_back({tensor, copy, count});
  return copy;
}

void softmaxRow(float *row, int64_t n) {
  if (n == 0)
    return;
  float max = *std::max_element(row, row + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    row[i] = std::exp(row[i] - max);
    sum += row[i];
  }
  float inverse = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i)
    row[i] *= inverse;
}

} // namespace tprt
