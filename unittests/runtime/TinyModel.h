//===- TinyModel.h - the tiny model of the end-to-end tests -----*- C++ -*-===//
//
// This file fixes the shapes and data of the tiny model the tests of
// tprt_main run: y = x W^T with x [3, 5] replicated and W [6, 5] split on
// dim 0 over the mesh axis tp, followed by an all-gather of y's last dim.
// The data are small integers, so every result is exact in f32.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_RUNTIME_TINYMODEL_H
#define TPRT_UNITTESTS_RUNTIME_TINYMODEL_H

#include <cstdint>

namespace tiny {

const int64_t rows = 3, inputs = 5, outputs = 6;

inline float weight(int64_t n, int64_t k) {
  return float((n * inputs + k) % 7 - 3);
}

inline float input(int64_t m, int64_t k) { return float((m + 2 * k) % 5 - 2); }

} // namespace tiny

#endif // TPRT_UNITTESTS_RUNTIME_TINYMODEL_H
