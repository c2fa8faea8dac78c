//===- CompareTest.cpp - the comparison behind --verify -------------------===//
//
// This file checks how --verify measures a sharded output against the
// unsharded one: the largest absolute difference relative to the largest
// magnitude of the unsharded output, where it lies, and how NaNs,
// infinities and all-zero outputs count.
//
//===----------------------------------------------------------------------===//

#include "Compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace tprt;

namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(CompareTest, RelativeToTheLargestMagnitude) {
  // The element near zero is off by 100% of itself, but by 1e-6 of the
  // largest value: sharding moves every element by rounding errors of the
  // size of the values summed.
  Difference d = compareTensors({1e-6f, -4.0f, 2.0f}, {0.0f, -4.0f, 2.0f});
  EXPECT_FLOAT_EQ(d.maxAbs, 1e-6f);
  EXPECT_NEAR(d.maxRel, 1e-6 / 4.0, 1e-12);
  EXPECT_EQ(d.worst, 0);

  d = compareTensors({1.0f, 2.5f, 3.0f}, {1.0f, 2.0f, -8.0f});
  EXPECT_DOUBLE_EQ(d.maxAbs, 11.0);
  EXPECT_DOUBLE_EQ(d.maxRel, 11.0 / 8.0);
  EXPECT_EQ(d.worst, 2);
}

TEST(CompareTest, EqualTensorsDifferByNothing) {
  Difference d = compareTensors({0.0f, 0.0f}, {0.0f, 0.0f});
  EXPECT_EQ(d.maxAbs, 0);
  EXPECT_EQ(d.maxRel, 0);
  d = compareTensors({kInf, kNaN, 1.0f}, {kInf, kNaN, 1.0f});
  EXPECT_EQ(d.maxRel, 0);
  d = compareTensors({}, {});
  EXPECT_EQ(d.maxRel, 0);
}

TEST(CompareTest, AnyValueAgainstZerosFails) {
  Difference d = compareTensors({0.0f, 1e-30f}, {0.0f, 0.0f});
  EXPECT_GT(d.maxRel, 1e5);
  EXPECT_EQ(d.worst, 1);
}

TEST(CompareTest, NonFiniteValuesWhereTheOtherDiffersAreInfinitelyFar) {
  for (auto [a, b] : {std::pair{kNaN, 1.0f}, std::pair{1.0f, kNaN},
                      std::pair{kInf, -kInf}, std::pair{kInf, 3.0f}}) {
    Difference d = compareTensors({2.0f, a}, {2.0f, b});
    EXPECT_TRUE(std::isinf(d.maxAbs)) << a << " vs " << b;
    EXPECT_TRUE(std::isinf(d.maxRel)) << a << " vs " << b;
    EXPECT_EQ(d.worst, 1);
    EXPECT_FALSE(d.maxRel <= 1e-5);
  }
}

TEST(CompareTest, TolerancesByDType) {
  EXPECT_EQ(verifyTolerance("F32"), 1e-5);
  EXPECT_EQ(verifyTolerance("F16"), 5e-3);
  EXPECT_EQ(verifyTolerance("BF16"), 2e-2);
}

} // namespace
