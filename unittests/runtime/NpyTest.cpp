//===- NpyTest.cpp - .npy reader and writer -------------------------------===//
//
// This file checks .npy round trips for float32 and int64 (including 0-d and
// 1-d shapes and the 64-byte data alignment), version 2 headers, the errors
// for a bad magic, unknown versions, Fortran order, other dtypes, truncated
// data and directories, and that a failed write leaves the file that stood
// before.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

using namespace tprt;

namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "tprt-npy-" + name + ".npy";
}

/// Writes a version `major` file with `dict` as its header and `data` after.
void writeRaw(const std::string &path, int major, const std::string &dict,
              const std::string &data) {
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY", 6);
  out.put(static_cast<char>(major));
  out.put('\0');
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
    out.put(static_cast<char>(dict.size() >> (8 * i)));
  out << dict << data;
}

std::string readError(const std::string &path) {
  NpyArray array;
  std::string error = readNpy(path, array);
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(NpyTest, RoundTripFloatsAndInt64) {
  std::vector<float> floats = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f};
  std::vector<int64_t> ids = {5, -1, int64_t(1) << 50};
  std::vector<uint16_t> halves = {0x3c00, 0xc000, 0x7bff};
  int64_t scalar = 42;
  struct Case {
    std::string dtype;
    std::vector<int64_t> shape;
    const void *data;
    size_t bytes;
  } cases[] = {{"F32", {2, 3}, floats.data(), 24},
               {"I64", {3}, ids.data(), 24},
               {"I64", {}, &scalar, 8},
               {"F16", {3}, halves.data(), 6},
               {"F32", {0, 4}, floats.data(), 0}};
  for (const Case &c : cases) {
    std::string path = tempPath("roundtrip");
    ASSERT_EQ(writeNpy(path, c.dtype, c.shape, c.data), "");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    EXPECT_EQ((static_cast<size_t>(in.tellg()) - c.bytes) % 64, 0u)
        << "data not 64-byte aligned";
    NpyArray array;
    ASSERT_EQ(readNpy(path, array), "");
    EXPECT_EQ(array.dtype, c.dtype);
    EXPECT_EQ(array.shape, c.shape);
    ASSERT_EQ(array.data.size(), c.bytes);
    if (c.bytes) {
      EXPECT_EQ(std::memcmp(array.data.data(), c.data, c.bytes), 0);
    }
  }
}

TEST(NpyTest, VersionTwoHeaderAndNumpySpelling) {
  std::string path = tempPath("v2");
  float values[2] = {1.0f, 2.0f};
  writeRaw(path, 2,
           "{\"shape\": (1,2), \"fortran_order\": False, \"descr\": '<f4'}\n",
           std::string(reinterpret_cast<const char *>(values), 8));
  NpyArray array;
  ASSERT_EQ(readNpy(path, array), "");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(std::memcmp(array.data.data(), values, 8), 0);
}

TEST(NpyTest, BadMagic) {
  std::string path = tempPath("magic");
  std::ofstream(path, std::ios::binary) << "PK\x03\x04 not numpy at all";
  EXPECT_EQ(readError(path), path + ": not an .npy file (bad magic)");
}

TEST(NpyTest, UnknownVersionsAreRejected) {
  std::string path = tempPath("version");
  for (int major : {0, 4}) {
    writeRaw(path, major,
             "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
             std::string(4, '\0'));
    EXPECT_EQ(readError(path),
              path + ": unsupported .npy version " + std::to_string(major));
  }
}

TEST(NpyTest, DirectoryIsRejected) {
  std::string dir = tprt_test::emptyDirectory("tprt-npy-directory.npy");
  EXPECT_EQ(readError(dir), dir + ": is a directory");
}

TEST(NpyTest, FailedWriteKeepsTheFileThatStoodBefore) {
  std::string dir = tprt_test::emptyDirectory("tprt-npy-failed-write");
  std::string path = dir + "/y.npy";
  std::vector<float> small = {1.0f, 2.0f}, large(1 << 20, 3.0f);
  ASSERT_EQ(writeNpy(path, "F32", {2}, small.data()), "");
  {
    tprt_test::FileSizeLimit limit(64 * 1024);
    EXPECT_EQ(writeNpy(path, "F32", {int64_t(large.size())}, large.data()),
              path + ": write failed: File too large");
  }
  NpyArray array;
  ASSERT_EQ(readNpy(path, array), "");
  EXPECT_EQ(array.shape, std::vector<int64_t>{2});
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"y.npy"});

  // Nothing is created where the directory cannot take a file.
  EXPECT_EQ(writeNpy(dir + "/absent/y.npy", "F32", {2}, small.data()),
            dir + "/absent/y.npy: cannot create: No such file or directory");
  EXPECT_NE(writeNpy(dir, "F32", {2}, small.data()), "");
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"y.npy"});
}

TEST(NpyTest, FortranOrderIsRejected) {
  std::string path = tempPath("fortran");
  writeRaw(path, 1,
           "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n",
           std::string(16, '\0'));
  EXPECT_NE(readError(path).find("fortran_order arrays are not supported"),
            std::string::npos);
}

TEST(NpyTest, OtherDtypesAndTruncatedData) {
  std::string path = tempPath("dtype");
  writeRaw(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
           std::string(16, '\0'));
  EXPECT_NE(readError(path).find("dtype '<f8' is not supported"),
            std::string::npos);
  writeRaw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
           std::string(8, '\0'));
  EXPECT_NE(readError(path).find("dtype '>f4' is not supported"),
            std::string::npos);
  writeRaw(path, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
           std::string(16, '\0'));
  EXPECT_NE(readError(path).find("holds 16 data bytes but shape [3] of <i8 "
                                 "needs 24"),
            std::string::npos);
  writeRaw(path, 1, "{'descr': '<i8', 'shape': (3,), }", "");
  EXPECT_NE(readError(path).find("malformed header"), std::string::npos);
  EXPECT_NE(readError(tempPath("absent")).find("cannot open"),
            std::string::npos);
}

} // namespace
