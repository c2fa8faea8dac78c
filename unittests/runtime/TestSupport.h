//===- TestSupport.h - helpers shared by the runtime's tests ----*- C++ -*-===//
//
// This file holds what the cpu and cuda tests of the runtime share: random
// test data, the dtypes the kernels are checked in and tensors rounded to
// them, the slices of a loss's classes split over ranks and, for the tests
// run under mpirun, the meshes they run on and a listener that reports
// failures with the rank that saw them, and their main (runMpiTests); for
// the tests of the file readers and writers, a limit on the size of files
// written, to make writes fail part way, the listing of a directory, to
// see what a failed write left, and the message of a file refused.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_TESTSUPPORT_H
#define TPRT_UNITTESTS_TESTSUPPORT_H

#include "DType.h"
#include "tprt/tprt.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <sys/resource.h>
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

/// A dtype the kernels are checked in, and how close a result must come to
/// a reference (relative, absolute below 1): f32 results differ by the order
/// of sums only; f16 and bf16 results, computed in f32 from the same rounded
/// inputs, by a unit or two in the last place of the rounded result (2^-10
/// and 2^-7 relative at most).
struct TestType {
  int32_t dtype;
  const char *name;
  double tolerance;
};

const TestType kTypes[] = {{TPRT_F32, "f32", 1e-5},
                           {TPRT_F16, "f16", 2e-3},
                           {TPRT_BF16, "bf16", 1e-2}};

/// `values` rounded to `dtype`, as the bytes of a tensor of that dtype.
inline std::vector<unsigned char> narrowed(int32_t dtype,
                                           const std::vector<float> &values) {
  std::vector<unsigned char> bytes(values.size() *
                                   tprt::floatDTypeBytes(dtype));
  tprt::narrow(dtype, values.data(), bytes.data(), values.size());
  return bytes;
}

/// The values of a tensor of `dtype`, as f32.
inline std::vector<float> widened(int32_t dtype,
                                  const std::vector<unsigned char> &bytes) {
  std::vector<float> values(bytes.size() / tprt::floatDTypeBytes(dtype));
  tprt::widen(dtype, bytes.data(), values.data(), values.size());
  return values;
}

/// A rank's slice of the classes of a loss split over a group (tprt_calls.def):
/// `classes` of them from `offset` on.
struct ClassSlice {
  int64_t offset, classes;
};

/// Member `index` of a group of `group` members splitting `total` classes:
/// the first total % group members hold one class more than the others.
inline ClassSlice sliceOf(int64_t total, int64_t group, int64_t index) {
  int64_t base = total / group, extra = total % group;
  return {index * base + std::min(index, extra), base + (index < extra)};
}

/// The columns [slice.offset, slice.offset + slice.classes) of the
/// [positions, total] matrix `full` of elements of `elementBytes` bytes.
inline std::vector<unsigned char>
columns(const std::vector<unsigned char> &full, int64_t elementBytes,
        int64_t positions, int64_t total, ClassSlice slice) {
  std::vector<unsigned char> part(positions * slice.classes * elementBytes);
  for (int64_t p = 0; p < positions; ++p)
    std::copy_n(full.begin() + (p * total + slice.offset) * elementBytes,
                slice.classes * elementBytes,
                part.begin() + p * slice.classes * elementBytes);
  return part;
}

/// A mesh the collective tests run on.
struct Mesh {
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
};

/// The meshes to test on this job's world size: 1-D, and 2x2 on 4 ranks.
inline std::vector<Mesh> meshes() {
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<Mesh> result = {{{"tp"}, {size}}};
  if (size == 4)
    result.push_back({{"dp", "tp"}, {2, 2}});
  return result;
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

/// The main of a test binary run under mpirun: GoogleTest on every rank,
/// ranks other than 0 printing only their failures.
inline int runMpiTests(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    ::testing::TestEventListeners &listeners =
        ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(rank));
  }
  int failed = RUN_ALL_TESTS();
  MPI_Finalize();
  return failed;
}

/// While it lives, writes that would make a file of this process larger
/// than `bytes` fail with EFBIG (instead of killing it with SIGXFSZ), as
/// when the disk fills part way through a file.
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &previous);
    rlimit limit = previous;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
    previousHandler = std::signal(SIGXFSZ, SIG_IGN);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previousHandler);
  }
  FileSizeLimit(const FileSizeLimit &) = delete;
  FileSizeLimit &operator=(const FileSizeLimit &) = delete;

private:
  rlimit previous;
  void (*previousHandler)(int);
};

/// The names of the entries of directory `dir`, sorted.
inline std::vector<std::string> filesIn(const std::string &dir) {
  std::vector<std::string> names;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// An empty directory `name` under GoogleTest's temporary directory.
inline std::string emptyDirectory(const std::string &name) {
  std::string dir = ::testing::TempDir() + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  return dir;
}

/// Opens `path` with `Reader::open` (a file reader), expecting it to fail;
/// returns the message.
template <typename Reader> std::string openError(const std::string &path) {
  std::unique_ptr<Reader> reader;
  std::string error = Reader::open(path, reader);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(reader, nullptr);
  return error;
}

} // namespace tprt_test

#endif // TPRT_UNITTESTS_TESTSUPPORT_H
