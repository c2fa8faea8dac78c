//===- CudaTestSupport.h - helpers of the cuda backend's tests --*- C++ -*-===//
//
// This file holds what the tests of the cuda backend share: the check that
// skips them (exit code 77, ctest's SKIP_RETURN_CODE) where no GPU is usable,
// device arrays filled from and read back into host vectors, and the
// comparison of a cuda result with the cpu backend's.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_RUNTIME_CUDATESTSUPPORT_H
#define TPRT_UNITTESTS_RUNTIME_CUDATESTSUPPORT_H

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace tprt_test {

/// The exit code of a skipped gpu test.
const int kSkipped = 77;

/// 0 where a CUDA device is usable; otherwise prints why on stdout and
/// returns kSkipped, so that a machine without a GPU shows the test as
/// skipped, never as passed.
inline int checkCudaDevice() {
  int count = 0;
  cudaError_t error = cudaGetDeviceCount(&count);
  if (error == cudaSuccess && count > 0)
    return 0;
  if (error != cudaSuccess)
    std::printf("SKIPPED: no CUDA device (%s: %s)\n", cudaGetErrorName(error),
                cudaGetErrorString(error));
  else
    std::printf("SKIPPED: no CUDA device (none visible)\n");
  std::fflush(stdout);
  return kSkipped;
}

/// An array in device memory.
template <typename T> class DeviceArray {
public:
  /// `count` elements of all-ones bytes (NaN for floats), so that elements a
  /// kernel fails to write show up.
  explicit DeviceArray(size_t count) : count(count) {
    allocate();
    EXPECT_EQ(cudaMemset(data, 0xff, bytes()), cudaSuccess);
  }
  explicit DeviceArray(const std::vector<T> &host) : count(host.size()) {
    allocate();
    EXPECT_EQ(cudaMemcpy(data, host.data(), bytes(), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceArray() { cudaFree(data); }
  DeviceArray(const DeviceArray &) = delete;
  DeviceArray &operator=(const DeviceArray &) = delete;

  T *get() const { return data; }
  operator T *() const { return data; }

  /// The contents, once all work on the device is done.
  std::vector<T> read() const {
    std::vector<T> host(count);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(host.data(), data, bytes(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }

private:
  size_t bytes() const { return std::max<size_t>(count, 1) * sizeof(T); }
  void allocate() {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void **>(&data), bytes()),
              cudaSuccess);
  }

  size_t count;
  T *data = nullptr;
};

/// Expects the cuda result `actual` within `tolerance` (relative, absolute
/// below 1) of the cpu backend's `expected`.
inline void expectClose(const std::vector<float> &actual,
                        const std::vector<float> &expected,
                        double tolerance = 1e-5) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i],
                tolerance * std::max(1.0, std::abs(double(expected[i]))))
        << "at element " << i;
}

} // namespace tprt_test

#endif // TPRT_UNITTESTS_RUNTIME_CUDATESTSUPPORT_H
