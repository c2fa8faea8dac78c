//===- Compare.h - how --verify compares two runs' outputs ------*- C++ -*-===//
//
// This file declares the comparison behind a compiled model's --verify: an
// output of the sharded run against the same output of the unsharded run on
// rank 0. The error is measured relative to the largest magnitude of the
// unsharded output, not element by element, since sharding changes the
// order in which a GEMM's or a collective's sums are added up, which moves
// every element by rounding errors of the size of the values summed, so
// that elements near zero would show large element-wise relative errors.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_COMPARE_H
#define TPRT_SRC_COMPARE_H

#include <cstdint>
#include <string>
#include <vector>

namespace tprt {

/// How far a tensor is from the one it should equal.
struct Difference {
  /// max |actual - expected| over the elements.
  double maxAbs = 0;
  /// maxAbs / max(max |expected|, tiny), tiny being the smallest normal f32
  /// (so that an all-zero expected tensor gives 0 when actual is zero too).
  double maxRel = 0;
  /// The flat index of an element where |actual - expected| is maxAbs (0
  /// when the tensors are equal).
  int64_t worst = 0;
};

/// Compares `actual` with `expected` (of equal sizes). Elements that are
/// equal, infinities included, or NaN in both differ by 0; elsewhere a NaN or
/// infinity in either makes the difference infinite.
Difference compareTensors(const std::vector<float> &actual,
                          const std::vector<float> &expected);

/// The tolerance of --verify on maxRel for an output of `dtype` (a
/// safetensors name): 1e-5 for F32, 1e-2 for F16, 2e-2 for BF16 (a few units
/// in the last place of the 16-bit types, whose sharded runs round partial
/// sums before they are reduced).
double verifyTolerance(const std::string &dtype);

} // namespace tprt

#endif // TPRT_SRC_COMPARE_H
