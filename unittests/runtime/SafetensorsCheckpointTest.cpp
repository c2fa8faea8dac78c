//===- SafetensorsCheckpointTest.cpp - checkpoints of shard files ---------===//
//
// This file checks checkpoints as Hugging Face ships them: the sharded
// writer (save_pretrained's split and names, the index, padded headers, the
// files of an earlier checkpoint removed), opening a checkpoint by its file,
// its index or its directory, the errors of an index out of step with its
// shards or malformed, the checks of a checkpoint against a model's
// parameters, and the shard sizes Hugging Face's max_shard_size takes.
//
//===----------------------------------------------------------------------===//

#include "SafetensorsCheckpoint.h"
#include "File.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using namespace tprt;

namespace {

/// The tensors of the tests, 4-byte elements: a 16 B, b 8 B, big 64 B, c 8 B.
const std::vector<TensorDesc> kTensors = {{"a", "F32", {4}},
                                          {"b", "I32", {2}},
                                          {"big", "F32", {4, 4}},
                                          {"c", "F32", {2}}};

/// Fills element e of tensor i with i * 100 + e (as the bytes of an int32).
void fillIndices(size_t i, int64_t first, int64_t count, char *bytes) {
  for (int64_t e = 0; e < count; ++e) {
    int32_t value = int32_t(i * 100 + first + e);
    std::memcpy(bytes + 4 * e, &value, 4);
  }
}

/// Writes kTensors into a fresh directory `name` in files of at most
/// `maxShardBytes`; returns the directory.
std::string writeCheckpoint(const std::string &name, int64_t maxShardBytes,
                            std::vector<std::string> &written) {
  std::string dir = tprt_test::emptyDirectory(name);
  EXPECT_EQ(writeShardedSafetensors(dir, kTensors, fillIndices,
                                    {{"format", "pt"}}, maxShardBytes, written),
            "");
  return dir;
}

/// The names of the files in `dir`, sorted.
std::vector<std::string> filesIn(const std::string &dir) {
  std::vector<std::string> names;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

constexpr auto openError = &tprt_test::openError<SafetensorsCheckpoint>;

void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Writes an index of `weightMap` (JSON text) into `dir`.
void writeIndex(const std::string &dir, const std::string &weightMap) {
  writeText(dir + "/" + kIndexFileName,
            R"({"metadata": {"total_size": 96}, "weight_map": )" + weightMap +
                "}");
}

/// The name of shard `n` of writeCheckpoint(..., 20, ...).
std::string shard(int n) {
  return "model-0000" + std::to_string(n) + "-of-00003.safetensors";
}

TEST(SafetensorsCheckpointTest, SplitsAsSavePretrained) {
  std::vector<std::string> written;
  // a fits; a + b do not: b starts a shard; big exceeds the limit and gets
  // a shard of its own, before the one b is in; c joins b.
  std::string dir = writeCheckpoint("ckpt-split", 20, written);
  std::vector<std::string> expected = {
      dir + "/model-00001-of-00003.safetensors",
      dir + "/model-00002-of-00003.safetensors",
      dir + "/model-00003-of-00003.safetensors", dir + "/" + kIndexFileName};
  EXPECT_EQ(written, expected);
  std::string index;
  ASSERT_EQ(readFile(dir + "/" + kIndexFileName, index), "");
  EXPECT_EQ(index, R"({
  "metadata": {
    "total_size": 96
  },
  "weight_map": {
    "a": "model-00001-of-00003.safetensors",
    "b": "model-00003-of-00003.safetensors",
    "big": "model-00002-of-00003.safetensors",
    "c": "model-00003-of-00003.safetensors"
  }
}
)");

  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  for (const std::string &path : {dir, dir + "/" + kIndexFileName}) {
    ASSERT_EQ(SafetensorsCheckpoint::open(path, checkpoint), "") << path;
    EXPECT_TRUE(checkpoint->indexed());
    EXPECT_EQ(checkpoint->path(), dir + "/" + kIndexFileName);
    ASSERT_EQ(checkpoint->files().size(), 3u);
    EXPECT_EQ(checkpoint->metadata().at("total_size"), "96");
    std::vector<std::string> names;
    for (const CheckpointTensor &tensor : checkpoint->tensors())
      names.push_back(tensor.tensor->name);
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "big", "c"}));
  }
  for (size_t i = 0; i < kTensors.size(); ++i) {
    const CheckpointTensor *tensor = checkpoint->find(kTensors[i].name);
    ASSERT_NE(tensor, nullptr);
    int64_t count = elementCount(kTensors[i].shape);
    std::vector<int32_t> values(count), expected(count);
    fillIndices(i, 0, count, reinterpret_cast<char *>(expected.data()));
    ASSERT_EQ(tensor->file->read(*tensor->tensor, values.data()), "");
    EXPECT_EQ(values, expected) << kTensors[i].name;
    EXPECT_EQ(tensor->file->metadata().at("format"), "pt");
    // Each shard's header is padded with spaces to a multiple of 8 bytes.
    EXPECT_EQ(tensor->file->header().size() % 8, 0u);
  }
  EXPECT_EQ(checkpoint->find("b")->file->path(),
            dir + "/model-00003-of-00003.safetensors");
  const CheckpointTensor *missing;
  EXPECT_EQ(checkpoint->lookup("d", missing),
            dir + "/" + kIndexFileName +
                ": no tensor named 'd' (the checkpoint holds 4 tensors in 3 "
                "files)");
}

TEST(SafetensorsCheckpointTest, OneFileWhereTheTensorsFit) {
  std::vector<std::string> written;
  std::string dir = writeCheckpoint("ckpt-one", 96, written);
  EXPECT_EQ(written,
            std::vector<std::string>{dir + "/" + std::string(kSingleFileName)});
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  ASSERT_EQ(SafetensorsCheckpoint::open(dir, checkpoint), "");
  EXPECT_FALSE(checkpoint->indexed());
  EXPECT_EQ(checkpoint->files().size(), 1u);
  EXPECT_EQ(checkpoint->tensors().size(), 4u);
  EXPECT_EQ(checkpoint->metadata().at("format"), "pt");
}

TEST(SafetensorsCheckpointTest, RewritingRemovesTheEarlierCheckpoint) {
  std::vector<std::string> written;
  std::string dir = writeCheckpoint("ckpt-rewrite", 20, written);
  writeText(dir + "/model-00007-of-00009.safetensors", "stale");
  writeText(dir + "/model-00001-of-00009.safetensors.bak", "kept");
  writeText(dir + "/model-1-of-2.safetensors", "kept");
  // One file now: the index and every shard go; what is not a checkpoint's
  // file stays.
  ASSERT_EQ(
      writeShardedSafetensors(dir, kTensors, fillIndices, {}, 1000, written),
      "");
  EXPECT_EQ(filesIn(dir), (std::vector<std::string>{
                              "model-00001-of-00009.safetensors.bak",
                              "model-1-of-2.safetensors", kSingleFileName}));
  std::filesystem::remove(dir + "/model-00001-of-00009.safetensors.bak");
  std::filesystem::remove(dir + "/model-1-of-2.safetensors");
  writeText(dir + "/config.json", "{}");
  // Shards again: model.safetensors, which Hugging Face would load first,
  // goes.
  ASSERT_EQ(
      writeShardedSafetensors(dir, kTensors, fillIndices, {}, 40, written), "");
  EXPECT_EQ(filesIn(dir),
            (std::vector<std::string>{
                "config.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", kIndexFileName}));
}

TEST(SafetensorsCheckpointTest, WriterErrors) {
  std::string dir = tprt_test::emptyDirectory("ckpt-writer-errors");
  writeText(dir + "/file", "");
  std::vector<std::string> written;
  EXPECT_EQ(writeShardedSafetensors(dir + "/file", kTensors, fillIndices, {},
                                    20, written),
            dir + "/file: cannot create the directory: a file of that name is "
                  "in the way");
  std::vector<TensorDesc> twice = {kTensors[0], kTensors[0]};
  EXPECT_EQ(writeShardedSafetensors(dir, twice, fillIndices, {}, 20, written),
            dir + ": tensor 'a' is given twice");
  EXPECT_TRUE(written.empty());
}

TEST(SafetensorsCheckpointTest, DirectoryWithoutACheckpoint) {
  std::string dir = tprt_test::emptyDirectory("ckpt-empty-dir");
  EXPECT_EQ(openError(dir), dir + ": the directory holds neither "
                                  "model.safetensors nor "
                                  "model.safetensors.index.json");
  writeText(dir + "/consolidated.safetensors", "");
  writeText(dir + "/config.json", "{}");
  EXPECT_EQ(openError(dir),
            dir + ": the directory holds neither model.safetensors nor "
                  "model.safetensors.index.json (it holds config.json, "
                  "consolidated.safetensors: name the checkpoint's file)");
}

TEST(SafetensorsCheckpointTest, IndexOutOfStepWithItsShards) {
  std::vector<std::string> written;
  std::string dir = writeCheckpoint("ckpt-out-of-step", 20, written);
  std::string index = dir + "/" + kIndexFileName;
  std::string mapsIt = ", which the index " + index + " maps to this file";
  struct Case {
    const char *what;
    /// The file of each tensor of kTensors; none leaves it out.
    std::vector<std::string> files;
    /// The error, after the directory.
    std::string error;
  };
  const Case cases[] = {
      {"as written", {shard(1), shard(3), shard(2), shard(3)}, ""},
      {"a tensor moved to a shard that lacks it",
       {shard(1), shard(1), shard(2), shard(3)},
       "/" + shard(1) + ": no tensor named 'b'" + mapsIt},
      {"the only tensor of a shard moved to another",
       {shard(3), shard(3), shard(2), shard(3)},
       "/" + shard(3) + ": no tensor named 'a'" + mapsIt},
      {"the file named through '.'",
       {"./" + shard(2), shard(3), shard(2), shard(3)},
       "/" + shard(2) + ": no tensor named 'a'" + mapsIt},
      {"a tensor of a shard left out",
       {shard(1), shard(3), shard(2), ""},
       "/" + shard(3) + ": tensor 'c' is not in the weight_map of the index " +
           index},
      {"a shard file that is not there",
       {shard(1), "model-00004-of-00003.safetensors", shard(2),
        "model-00004-of-00003.safetensors"},
       "/model-00004-of-00003.safetensors: cannot open: No such file or "
       "directory (the index " +
           index + " maps 2 tensors to it, 'b' first)"}};
  for (const Case &c : cases) {
    std::string weightMap;
    for (size_t i = 0; i < kTensors.size(); ++i)
      if (!c.files[i].empty())
        weightMap += (weightMap.empty() ? "" : ", ") +
                     ("\"" + kTensors[i].name + "\": \"" + c.files[i] + "\"");
    writeIndex(dir, "{" + weightMap + "}");
    std::unique_ptr<SafetensorsCheckpoint> checkpoint;
    std::string error = SafetensorsCheckpoint::open(index, checkpoint);
    EXPECT_EQ(error, c.error.empty() ? "" : dir + c.error) << c.what;
  }
}

TEST(SafetensorsCheckpointTest, MappedToAnotherShard) {
  // A tensor in two shards, the index naming one.
  std::string dir = tprt_test::emptyDirectory("ckpt-elsewhere");
  float zero = 0;
  TensorRef a;
  a.name = "a";
  a.dtype = "F32";
  a.shape = {1};
  a.data = reinterpret_cast<const char *>(&zero);
  TensorRef b = a;
  b.name = "b";
  ASSERT_EQ(writeSafetensors(dir + "/one.safetensors", {a, b}), "");
  ASSERT_EQ(writeSafetensors(dir + "/two.safetensors", {b}), "");
  std::string index = dir + "/" + kIndexFileName;
  writeIndex(dir, R"({"a": "one.safetensors", "b": "two.safetensors"})");
  EXPECT_EQ(openError(dir), dir +
                                "/one.safetensors: tensor 'b' is mapped by "
                                "the index " +
                                index + " to " + dir +
                                "/two.safetensors, not to this file");
}

TEST(SafetensorsCheckpointTest, MalformedIndex) {
  std::string dir = tprt_test::emptyDirectory("ckpt-malformed");
  std::string index = dir + "/" + kIndexFileName;
  std::string malformed = index + ": malformed index: ";
  writeText(index, R"({"weight_map": {"a": "x.safetensors")");
  std::string error = openError(index);
  EXPECT_EQ(error.rfind(malformed + "parse error at line 1", 0), 0u) << error;
  writeText(index, "[]");
  EXPECT_EQ(openError(index), malformed + "expected a JSON object, got array");
  writeText(index, R"({"metadata": {"total_size": 8}})");
  EXPECT_EQ(openError(dir),
            malformed +
                "no \"weight_map\" object mapping each tensor to its file");
  writeText(index, R"({"weight_map": {}})");
  EXPECT_EQ(openError(index), malformed + "its weight_map maps no tensor");
  writeText(index, R"({"weight_map": {"a": 3}})");
  EXPECT_EQ(openError(index),
            malformed + "the weight_map entry of tensor 'a' is not a file "
                        "name");
  writeText(index, R"({"metadata": [], "weight_map": {"a": "x"}})");
  EXPECT_EQ(openError(index), malformed + "\"metadata\" must be an object");
  writeText(index, R"({"weight_map": {"a": "x", "a": "y"}})");
  EXPECT_EQ(openError(index),
            malformed + "key 'a' appears twice in 'weight_map'");
  EXPECT_EQ(openError(dir + "/none.json"),
            dir + "/none.json: cannot open: No such file or directory");
}

TEST(SafetensorsCheckpointTest, ChecksAgainstTheModel) {
  std::vector<std::string> written;
  std::string dir = writeCheckpoint("ckpt-model", 20, written);
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  ASSERT_EQ(SafetensorsCheckpoint::open(dir, checkpoint), "");
  const CheckpointTensor &a = *checkpoint->find("a");
  const CheckpointTensor &b = *checkpoint->find("b");
  std::string shard1 = dir + "/model-00001-of-00003.safetensors";
  EXPECT_EQ(checkLoadable(a, {"a", "F32", {4}}), "");
  // Float dtypes convert on load; others do not.
  EXPECT_EQ(checkLoadable(a, {"a", "BF16", {4}}), "");
  EXPECT_EQ(checkLoadable(b, {"b", "F32", {2}}),
            dir + "/model-00003-of-00003.safetensors: tensor 'b' has dtype "
                  "I32 but the model expects F32");
  EXPECT_EQ(checkLoadable(a, {"a", "F32", {2, 2}}),
            shard1 + ": tensor 'a' has shape [4] but the model expects [2, 2]");

  auto parameters = [](std::set<std::string> names) {
    return [names](const std::string &name) { return names.count(name) > 0; };
  };
  EXPECT_EQ(
      describeUnusedTensors(*checkpoint, parameters({"a", "b", "big", "c"})),
      "");
  EXPECT_EQ(describeUnusedTensors(*checkpoint, parameters({"a", "big", "c"})),
            dir + "/" + shard(3) +
                ": tensor 'b' is not a parameter of the model and is not "
                "loaded; is the checkpoint another model's?");
  EXPECT_EQ(describeUnusedTensors(*checkpoint, parameters({"big"})),
            shard1 + ": tensor 'a' and 2 more of the checkpoint's tensors are "
                     "not parameters of the model and are not loaded; is the "
                     "checkpoint another model's?");
  EXPECT_TRUE(isKnownNonParameter("model.layers.0.self_attn.rotary_emb."
                                  "inv_freq"));
  EXPECT_TRUE(isKnownNonParameter("optimizer.w1.weight.exp_avg"));
  EXPECT_FALSE(isKnownNonParameter("inv_freq"));
  EXPECT_FALSE(isKnownNonParameter("model.layers.0.mlp.up_proj.weight"));
}

TEST(SafetensorsCheckpointTest, ShardSizesAsHuggingFaceWritesThem) {
  const std::pair<const char *, int64_t> sizes[] = {
      {"100MB", 100'000'000},     {"5GB", 5'000'000'000},
      {"500MiB", 524'288'000},    {"1.5GiB", 1'610'612'736},
      {"10kb", 10'000},           {"64 KiB", 65'536},
      {"2TB", 2'000'000'000'000}, {"4096B", 4096}};
  for (const auto &[text, expected] : sizes) {
    int64_t bytes = 0;
    EXPECT_EQ(parseByteSize(text, bytes), "") << text;
    EXPECT_EQ(bytes, expected) << text;
  }
  int64_t bytes;
  const std::string notASize =
      "' is not a size such as 100MB, 5GB or 500MiB (KB, MB, GB, TB count "
      "powers of 1000, KiB, MiB, GiB, TiB powers of 1024)";
  for (std::string text : {"100", "MB", "-5MB", "1e3MB", "1.2.3GB", "5XB"})
    EXPECT_EQ(parseByteSize(text, bytes), "'" + text + notASize) << text;
  EXPECT_EQ(parseByteSize("0.5B", bytes), "'0.5B' is less than a byte");
  EXPECT_EQ(parseByteSize("99999999TB", bytes),
            "'99999999TB' is more bytes than a file may hold");
}

} // namespace
