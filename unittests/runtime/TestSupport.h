//===- TestSupport.h - helpers shared by the runtime's tests ----*- C++ -*-===//
//
// This file holds what the cpu and cuda tests of the runtime share: random
// test data and, for the tests run under mpirun, a listener that reports
// failures with the rank that saw them.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_TESTSUPPORT_H
#define TPRT_UNITTESTS_TESTSUPPORT_H

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

namespace tprt_test {

/// `count` floats uniform in [-1, 1), the same for the same seed.
inline std::vector<float> randomFloats(size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &value : values)
    value = uniform(engine);
  return values;
}

/// Prints only failures, so that ranks other than 0 do not repeat the log.
class FailurePrinter : public ::testing::EmptyTestEventListener {
public:
  explicit FailurePrinter(int rank) : rank(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult &result) override {
    if (result.failed())
      std::printf("rank %d: %s:%d: failure\n%s\n", rank, result.file_name(),
                  result.line_number(), result.summary());
  }

private:
  int rank;
};

} // namespace tprt_test

#endif // TPRT_UNITTESTS_TESTSUPPORT_H
