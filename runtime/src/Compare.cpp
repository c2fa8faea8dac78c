//===- Compare.cpp - how --verify compares two runs' outputs --------------===//
//
// This file implements the comparison of Compare.h.
//
//===----------------------------------------------------------------------===//

#include "Compare.h"

#include <cmath>
#include <limits>

namespace tprt {

/// |a - b|, but 0 where both are NaN or equal (equal infinities would give
/// NaN), and infinite where either is not finite otherwise.
static double elementDifference(float a, float b) {
  if (a == b || (std::isnan(a) && std::isnan(b)))
    return 0;
  if (!std::isfinite(a) || !std::isfinite(b))
    return std::numeric_limits<double>::infinity();
  return std::fabs(double(a) - double(b));
}

Difference compareTensors(const std::vector<float> &actual,
                          const std::vector<float> &expected) {
  Difference difference;
  double largest = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isfinite(expected[i]))
      largest = std::max(largest, std::fabs(double(expected[i])));
    double error = elementDifference(actual[i], expected[i]);
    if (error > difference.maxAbs) {
      difference.maxAbs = error;
      difference.worst = static_cast<int64_t>(i);
    }
  }
  difference.maxRel =
      difference.maxAbs /
      std::max(largest, double(std::numeric_limits<float>::min()));
  return difference;
}

double verifyTolerance(const std::string &dtype) {
  if (dtype == "BF16")
    return 2e-2;
  if (dtype == "F16")
    return 5e-3;
  return 1e-5;
}

} // namespace tprt
