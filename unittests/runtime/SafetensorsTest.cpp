//===- SafetensorsTest.cpp - safetensors reader and writer ----------------===//
//
// This file checks the safetensors writer and reader: a round trip with
// metadata, the errors for truncated files, malformed headers, duplicate
// keys, offsets outside the file, inconsistent with the shape or not tiling
// the data section, directories and files that shrink while open, a missing
// tensor, the block reads that load one rank's slice (any range of its
// elements, in another float dtype too), and that a failed write leaves the
// file that stood before.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"
#include "DType.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <numeric>
#include <unistd.h>

using namespace tprt;

namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "tprt-safetensors-" + name;
}

/// Writes a file with the given header text (unpadded) and `dataBytes`
/// zero bytes of data.
void writeRaw(const std::string &path, const std::string &header,
              size_t dataBytes) {
  std::ofstream out(path, std::ios::binary);
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    out.put(static_cast<char>(length >> (8 * i)));
  out << header << std::string(dataBytes, '\0');
}

/// Reads the whole tensor `name` of `file` as `T`s.
template <typename T>
std::vector<T> readAll(const SafetensorsFile &file, const std::string &name) {
  const StoredTensor *tensor = file.find(name);
  EXPECT_NE(tensor, nullptr) << name;
  if (!tensor)
    return {};
  std::vector<T> values(elementCount(tensor->shape) *
                        dtypeBytes(tensor->dtype) / sizeof(T));
  EXPECT_EQ(file.read(*tensor, values.data()), "");
  return values;
}

constexpr auto openError = &tprt_test::openError<SafetensorsFile>;

/// Writes a file with `header` and `dataBytes` zero bytes of data, and
/// expects opening it to fail with a message containing `expected`.
void expectOpenError(const std::string &header, size_t dataBytes,
                     const std::string &expected) {
  // Named after the test: ctest runs tests in parallel.
  std::string path =
      tempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
  writeRaw(path, header, dataBytes);
  std::string error = openError(path);
  EXPECT_NE(error.find(expected), std::string::npos) << error;
}

TEST(SafetensorsTest, RoundTripWithMetadata) {
  std::vector<float> weight(6);
  std::iota(weight.begin(), weight.end(), 0.5f);
  std::vector<int64_t> ids = {1, -2, 3, int64_t(1) << 40};
  std::vector<TensorRef> tensors(2);
  tensors[0].name = "layers.0.w1.weight";
  tensors[0].dtype = "F32";
  tensors[0].shape = {2, 3};
  tensors[0].data = reinterpret_cast<const char *>(weight.data());
  tensors[1].name = "ids";
  tensors[1].dtype = "I64";
  tensors[1].shape = {4};
  tensors[1].data = reinterpret_cast<const char *>(ids.data());
  std::string path = tempPath("roundtrip");
  ASSERT_EQ(writeSafetensors(path, tensors, {{"format", "pt"}}), "");

  std::ifstream in(path, std::ios::binary);
  unsigned char length[8];
  in.read(reinterpret_cast<char *>(length), 8);
  EXPECT_EQ(length[0] % 8, 0) << "header not padded to 8 bytes";

  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->metadata().at("format"), "pt");
  const StoredTensor *w = file->find("layers.0.w1.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, "F32");
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(readAll<float>(*file, "layers.0.w1.weight"), weight);
  const StoredTensor *i = file->find("ids");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->dtype, "I64");
  EXPECT_EQ(readAll<int64_t>(*file, "ids"), ids);
}

TEST(SafetensorsTest, StreamingWriterAndUnpaddedHeader) {
  std::vector<TensorDesc> tensors = {{"a", "F32", {3}}, {"b", "BF16", {2, 2}}};
  std::string path = tempPath("streaming");
  ASSERT_EQ(
      writeSafetensors(path, tensors,
                       [](size_t i, int64_t first, int64_t count, char *bytes) {
                         EXPECT_EQ(first, 0);
                         std::memset(bytes, int(i) + 1, count * (i ? 2 : 4));
                       }),
      "");
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  EXPECT_EQ(readAll<char>(*file, "b")[7], 2);

  // Readers must not require the writer's padding.
  writeRaw(path, R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           4);
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  EXPECT_EQ(file->find("x")->shape, std::vector<int64_t>{1});
}

TEST(SafetensorsTest, StreamingWriterHoldsBoundedChunks) {
  // 36 MiB of I32 elements, each its own index: more than one chunk.
  const int64_t count = 9 << 20;
  std::string path = tempPath("chunks");
  int64_t next = 0, largest = 0;
  ASSERT_EQ(writeSafetensors(
                path, {{"small", "I8", {3}}, {"big", "I32", {count}}},
                [&](size_t i, int64_t first, int64_t n, char *bytes) {
                  if (i == 0) {
                    std::memset(bytes, 7, n);
                    return;
                  }
                  EXPECT_EQ(first, next);
                  next = first + n;
                  largest = std::max(largest, n);
                  for (int64_t j = 0; j < n; ++j)
                    reinterpret_cast<int32_t *>(bytes)[j] = int32_t(first + j);
                }),
            "");
  EXPECT_EQ(next, count);
  EXPECT_LE(largest * 4, 32 << 20);
  EXPECT_LT(largest, count);
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  std::vector<int32_t> values = readAll<int32_t>(*file, "big");
  for (int64_t j = 0; j < count; ++j)
    ASSERT_EQ(values[j], j);
  EXPECT_EQ(readAll<char>(*file, "small")[2], 7);
}

TEST(SafetensorsTest, TruncatedFile) {
  std::string path = tempPath("truncated");
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_NE(openError(path).find("truncated: 3 bytes"), std::string::npos);

  std::string header =
      R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  writeRaw(path, header + "  ", 0);
  std::string error = openError(path);
  EXPECT_NE(error.find("data_offsets [0, 16) lie outside the 0 data bytes"),
            std::string::npos)
      << error;

  // The length promises more header than the file holds.
  std::ofstream out(path, std::ios::binary);
  out.write("\x40\0\0\0\0\0\0\0{}", 10);
  out.close();
  error = openError(path);
  EXPECT_NE(error.find("header length says 64 bytes but only 2 follow"),
            std::string::npos)
      << error;
}

TEST(SafetensorsTest, HeaderLengthBeyondTheFormatsLimit) {
  // A sparse file: the length is all that is read of it.
  std::string path = tempPath("oversized");
  std::ofstream(path, std::ios::binary).write("\x01\xe1\xf5\x05\0\0\0\0", 8);
  ASSERT_EQ(truncate(path.c_str(), 8 + 100'000'001), 0);
  EXPECT_EQ(openError(path),
            path + ": the header length says 100000001 bytes, more than the "
                   "100000000 a safetensors header may have");
}

TEST(SafetensorsTest, MalformedHeader) {
  std::string path = tempPath("malformed");
  writeRaw(path, R"({"w": {"dtype": "F32", )", 0);
  std::string error = openError(path);
  EXPECT_NE(error.find(path + ": malformed header: "), std::string::npos)
      << error;

  writeRaw(path, "[1, 2]", 0);
  EXPECT_NE(openError(path).find("expected a JSON object, got array"),
            std::string::npos);

  writeRaw(path, R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
           4);
  EXPECT_NE(openError(path).find("tensor 'w': unknown dtype 'F33'"),
            std::string::npos);

  writeRaw(path, R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
           4);
  EXPECT_NE(openError(path).find("must hold non-negative integers"),
            std::string::npos);

  writeRaw(path, R"({"__metadata__":{"a":1}})", 0);
  EXPECT_NE(openError(path).find("__metadata__ value of 'a' is not a string"),
            std::string::npos);
}

TEST(SafetensorsTest, OffsetsOutsideFileOrInconsistentWithShape) {
  expectOpenError(
      R"({"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})", 16,
      "tensor 'w': data_offsets [0, 400) lie outside the 16 data bytes");
  expectOpenError(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                  16,
                  "tensor 'w': data_offsets [0, 8) hold 8 bytes but shape [3] "
                  "of F32 needs 12");
  expectOpenError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                  16, "0 <= begin <= end");
}

TEST(SafetensorsTest, OffsetsMustTileTheDataSection) {
  // Read one byte off: the tensor skips the first byte of the data section.
  expectOpenError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})",
                  5,
                  "bytes [0, 1) of the data section belong to no tensor "
                  "(before tensor 'w')");
  expectOpenError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                  12,
                  "bytes [4, 8) of the data section belong to no tensor "
                  "(before tensor 'b')");
  expectOpenError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                  8, "tensor 'b' at [4, 8) overlaps tensor 'a' at [0, 8)");
  // 8 + header length + the end of the last tensor must be the file size.
  expectOpenError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                  5,
                  "the tensors end at byte 4 of the data section but it holds "
                  "5 bytes");
}

TEST(SafetensorsTest, ZeroByteTensorsAndPaddedHeaders) {
  std::string path = tempPath("empty");
  writeRaw(path,
           R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
           R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
           R"("z":{"dtype":"BF16","shape":[2,0],"data_offsets":[0,0]}}     )",
           4);
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  EXPECT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(file->find("z")->shape, (std::vector<int64_t>{2, 0}));

  // Only the tensors themselves: an empty data section.
  writeRaw(path, R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}} )",
           0);
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
}

TEST(SafetensorsTest, DuplicateKeys) {
  expectOpenError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                  8, "malformed header: key 'w' appears twice");
  expectOpenError(R"({"w":{"dtype":"F16","dtype":"F32","shape":[1],)"
                  R"("data_offsets":[0,4]}})",
                  4, "malformed header: key 'dtype' appears twice in 'w'");
  expectOpenError(R"({"__metadata__":{"a":"1","a":"2"}})", 0,
                  "malformed header: key 'a' appears twice in '__metadata__'");
}

TEST(SafetensorsTest, DirectoryIsRejected) {
  std::string error = openError(::testing::TempDir());
  EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
}

TEST(SafetensorsTest, FileThatShrinksWhileOpenIsAnError) {
  std::string path = tempPath("shrinks");
  std::vector<float> values(1 << 18, 1.0f);
  TensorRef tensor;
  tensor.name = "w";
  tensor.dtype = "F32";
  tensor.shape = {int64_t(values.size())};
  tensor.data = reinterpret_cast<const char *>(values.data());
  ASSERT_EQ(writeSafetensors(path, {tensor}), "");
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  // Another process truncates the checkpoint: reads past the new end come
  // back short, as they are or converted.
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  const StoredTensor &w = *file->find("w");
  EXPECT_EQ(file->read(w, values.data()),
            path + ": tensor 'w': the file shrank while it was read");
  EXPECT_EQ(
      file->readBlock(w, {0}, w.shape, 1 << 17, 16, "BF16", values.data()),
      path + ": tensor 'w': the file shrank while it was read");
  // What still lies in the file reads.
  EXPECT_EQ(file->readBlock(w, {0}, w.shape, 0, 16, "F32", values.data()), "");
}

TEST(SafetensorsTest, FailedWriteKeepsTheFileThatStoodBefore) {
  std::string dir = tprt_test::emptyDirectory("tprt-safetensors-failed-write");
  std::string path = dir + "/w.safetensors";
  std::vector<float> small = {1.0f, 2.0f}, large(1 << 20, 3.0f);
  TensorRef tensor;
  tensor.name = "w";
  tensor.dtype = "F32";
  tensor.shape = {2};
  tensor.data = reinterpret_cast<const char *>(small.data());
  ASSERT_EQ(writeSafetensors(path, {tensor}), "");
  tensor.shape = {int64_t(large.size())};
  tensor.data = reinterpret_cast<const char *>(large.data());
  {
    tprt_test::FileSizeLimit limit(64 * 1024);
    std::string error = writeSafetensors(path, {tensor});
    EXPECT_NE(error.find(path + ": write failed: File too large"),
              std::string::npos)
        << error;
  }
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  EXPECT_EQ(file->find("w")->shape, std::vector<int64_t>{2});
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"w.safetensors"});
}

TEST(SafetensorsTest, MissingTensor) {
  std::string path = tempPath("missing");
  writeRaw(path, R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           4);
  std::unique_ptr<SafetensorsFile> file;
  ASSERT_EQ(SafetensorsFile::open(path, file), "");
  EXPECT_EQ(file->find("v"), nullptr);
  const StoredTensor *tensor = nullptr;
  EXPECT_EQ(file->lookup("v", tensor),
            path + ": no tensor named 'v' (the file holds 1 tensors)");
  EXPECT_EQ(file->lookup("w", tensor), "");
  EXPECT_NE(tensor, nullptr);
}

/// Writes the [4, 5, 6] F32 tensor "w" holding 0, 1, 2... and an I32 "i",
/// and opens the file.
std::unique_ptr<SafetensorsFile> openCounting(const std::string &name,
                                              std::vector<float> &values) {
  values.resize(4 * 5 * 6);
  std::iota(values.begin(), values.end(), 0.0f);
  int32_t one = 1;
  std::vector<TensorRef> tensors(2);
  tensors[0].name = "w";
  tensors[0].dtype = "F32";
  tensors[0].shape = {4, 5, 6};
  tensors[0].data = reinterpret_cast<const char *>(values.data());
  tensors[1].name = "i";
  tensors[1].dtype = "I32";
  tensors[1].shape = {1};
  tensors[1].data = reinterpret_cast<const char *>(&one);
  std::string path = tempPath(name);
  EXPECT_EQ(writeSafetensors(path, tensors), "");
  std::unique_ptr<SafetensorsFile> file;
  EXPECT_EQ(SafetensorsFile::open(path, file), "");
  return file;
}

TEST(SafetensorsTest, BlockReads) {
  std::vector<float> values;
  auto file = openCounting("blocks", values);
  ASSERT_TRUE(file);
  const StoredTensor &w = *file->find("w");
  auto expected = [&](int a, int b, int c) {
    return values[((1 + a) * 5 + 2 + b) * 6 + 3 + c];
  };
  std::vector<float> block(2 * 3 * 2, -1.0f);
  ASSERT_EQ(
      file->readBlock(w, {1, 2, 3}, {2, 3, 2}, 0, 12, "F32", block.data()), "");
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(block[(a * 3 + b) * 2 + c], expected(a, b, c));

  // A range of the block's elements, as a bounded staging buffer reads it.
  std::vector<float> part(5, -1.0f);
  ASSERT_EQ(file->readBlock(w, {1, 2, 3}, {2, 3, 2}, 3, 5, "F32", part.data()),
            "");
  EXPECT_EQ(part, std::vector<float>(block.begin() + 3, block.begin() + 8));

  // Whole rows: one run.
  std::vector<float> rows(2 * 5 * 6);
  ASSERT_EQ(file->readBlock(w, {2, 0, 0}, {2, 5, 6}, 0, 60, "F32", rows.data()),
            "");
  EXPECT_EQ(rows, std::vector<float>(values.begin() + 60, values.end()));

  std::string what = file->path() + ": tensor 'w'";
  EXPECT_EQ(file->readBlock(w, {3, 0, 0}, {2, 5, 6}, 0, 60, "F32", rows.data()),
            what + " of shape [4, 5, 6] has no block of sizes [2, 5, 6] at "
                   "[3, 0, 0]");
  EXPECT_NE(file->readBlock(w, {0, 0}, {1, 1}, 0, 1, "F32", rows.data()), "");
  EXPECT_EQ(file->readBlock(w, {0, 0, 0}, {1, 1, 2}, 1, 2, "F32", rows.data()),
            what + ": its block of sizes [1, 1, 2] has no elements [1, 3)");
}

TEST(SafetensorsTest, BlockReadsConvertFloatDTypes) {
  std::vector<float> values;
  auto file = openCounting("convert", values);
  ASSERT_TRUE(file);
  const StoredTensor &w = *file->find("w");
  // An F32 tensor read as bf16 and f16: every value here is exact in both.
  std::vector<uint16_t> half(2 * 3 * 6);
  for (const char *dtype : {"BF16", "F16"}) {
    ASSERT_EQ(
        file->readBlock(w, {1, 2, 0}, {2, 3, 6}, 0, 36, dtype, half.data()),
        "");
    std::vector<float> widened(half.size());
    widen(floatDType(dtype), half.data(), widened.data(), half.size());
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 18; ++b)
        EXPECT_EQ(widened[a * 18 + b], values[(1 + a) * 30 + 12 + b]) << dtype;
  }
  // 16-bit tensors widen to f32 and round to the other 16-bit type.
  std::vector<float> f32(4);
  std::vector<uint16_t> bf16 = {floatToBF16(1.5f), floatToBF16(-2.0f),
                                floatToBF16(1.0f + 0x1p-7f),
                                floatToBF16(256.0f)};
  TensorRef tensor;
  tensor.name = "h";
  tensor.dtype = "BF16";
  tensor.shape = {4};
  tensor.data = reinterpret_cast<const char *>(bf16.data());
  std::string path = tempPath("convert-bf16");
  ASSERT_EQ(writeSafetensors(path, {tensor}), "");
  std::unique_ptr<SafetensorsFile> halfFile;
  ASSERT_EQ(SafetensorsFile::open(path, halfFile), "");
  const StoredTensor &h = *halfFile->find("h");
  ASSERT_EQ(halfFile->readBlock(h, {0}, {4}, 0, 4, "F32", f32.data()), "");
  EXPECT_EQ(f32, (std::vector<float>{1.5f, -2.0f, 1.0f + 0x1p-7f, 256.0f}));
  std::vector<uint16_t> f16(4);
  ASSERT_EQ(halfFile->readBlock(h, {0}, {4}, 0, 4, "F16", f16.data()), "");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(f16ToFloat(f16[i]), f32[i]);

  // Integers convert to nothing else.
  EXPECT_EQ(
      file->readBlock(*file->find("i"), {0}, {1}, 0, 1, "F32", f32.data()),
      file->path() + ": tensor 'i' has dtype I32, which does not "
                     "convert to F32");
}

} // namespace
