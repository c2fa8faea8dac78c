//===- Kernels.cpp - helpers shared by the cpu kernels --------------------===//
//
// This file implements the argument checks and the row softmax that several
// cpu kernels share.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Context.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace tprt {

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
