//===- CheckpointTest.cpp - the checkpoints of a training step ------------===//
//
// This file checks the layout of a training step's checkpoints on a dp:2,
// tp:2 mesh: the tensors written, the ranks whose blocks make up a tensor
// (one copy of replicated blocks), a tensor assembled from every rank's
// block, and what --resume reads (from one file or an index of shards) and
// refuses.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

using namespace tprt;

namespace {

/// w split on dim 0 over tp, replicated over dp, with its AdamW state; b
/// (bf16) split over both axes, with its f32 master copy; the loss a scalar.
const char *const manifestText = R"({
  "version": 2,
  "mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
  "arena_bytes": 64, "param_bytes": 256,
  "parameters": [{"name": "w", "dtype": "F32", "shape": [4, 3],
                  "local_shape": [2, 3], "split": [[1], []], "offset": 0},
                 {"name": "b", "dtype": "BF16", "shape": [8],
                  "local_shape": [2], "split": [[0, 1]], "offset": 32},
                 {"name": "optimizer.w.exp_avg", "dtype": "F32",
                  "shape": [4, 3], "local_shape": [2, 3], "split": [[1], []],
                  "offset": 64, "state": true},
                 {"name": "optimizer.w.exp_avg_sq", "dtype": "F32",
                  "shape": [4, 3], "local_shape": [2, 3], "split": [[1], []],
                  "offset": 96, "state": true},
                 {"name": "optimizer.b.master", "dtype": "F32", "shape": [8],
                  "local_shape": [2], "split": [[0, 1]], "offset": 128,
                  "state": true, "master_of": "b"}],
  "inputs": [],
  "outputs": [{"name": "output0", "dtype": "F32", "shape": [],
               "local_shape": [], "split": [], "offset": 0}],
  "training": {"loss": "sum", "optimizer": "adamw", "lr": 1e-3,
               "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
               "weight_decay": 0.0}
})";

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(parseManifest(manifestText, manifest), "");
  }
  Manifest manifest;
};

TEST_F(CheckpointTest, HoldsEveryParameterAndTheStepCount) {
  std::vector<TensorDesc> tensors = checkpointTensors(manifest);
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[0].name, "w");
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(tensors[1].dtype, "BF16");
  EXPECT_EQ(tensors[3].name, "optimizer.w.exp_avg_sq");
  // The master copy of b, in its global shape as b's, but f32.
  EXPECT_EQ(tensors[4].name, "optimizer.b.master");
  EXPECT_EQ(tensors[4].dtype, "F32");
  EXPECT_EQ(tensors[4].shape, std::vector<int64_t>{8});
  EXPECT_EQ(tensors[5].name, "optimizer.step");
  EXPECT_EQ(tensors[5].dtype, "I64");
  EXPECT_TRUE(tensors[5].shape.empty());
}

TEST_F(CheckpointTest, OneCopyOfEachBlock) {
  // w is replicated over dp: the ranks at dp 0 (0 and 1) hold it; b is
  // split over both axes: every rank holds a block of its own.
  EXPECT_EQ(blockOwners(manifest, manifest.parameters[0]),
            (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(blockOwners(manifest, manifest.parameters[1]),
            (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(blockOwners(manifest, manifest.outputs[0]),
            (std::vector<int64_t>{0}));
}

TEST_F(CheckpointTest, AssemblesTheGlobalTensorFromTheBlocks) {
  for (size_t p : {size_t(0), size_t(1)}) {
    const ManifestTensor &param = manifest.parameters[p];
    SCOPED_TRACE(param.name);
    int64_t elementBytes = dtypeBytes(param.dtype);
    std::vector<char> global(elementCount(param.shape) * elementBytes);
    std::iota(global.begin(), global.end(), 1);
    // Each rank's block, as loading the global tensor leaves it.
    std::vector<std::vector<char>> blocks;
    for (int64_t rank = 0; rank < manifest.rankCount(); ++rank) {
      std::vector<char> &block = blocks.emplace_back(param.localBytes());
      extractBlock(global.data(), param.shape, elementBytes,
                   blockStart(manifest, param,
                              rankCoordinates(manifest.axisSizes, rank)),
                   param.localShape, block.data());
    }
    std::vector<int64_t> asked;
    std::vector<char> assembled(global.size(), 0);
    assembleTensor(
        manifest, param,
        [&](int64_t rank) {
          asked.push_back(rank);
          return blocks[rank].data();
        },
        assembled.data());
    EXPECT_EQ(assembled, global);
    EXPECT_EQ(asked, blockOwners(manifest, param));
  }
}

/// Writes `tensors` (F32 zeros, shape [1], but optimizer.step) to a file of
/// `dir` and opens it.
std::unique_ptr<SafetensorsCheckpoint>
checkpointWith(const std::string &dir, const std::vector<std::string> &names,
               const std::string &stepDType = "I64",
               std::vector<int64_t> stepShape = {}, int64_t step = 3) {
  std::vector<TensorRef> tensors;
  float zero = 0.0f;
  for (const std::string &name : names) {
    TensorRef &tensor = tensors.emplace_back();
    tensor.name = name;
    if (name == "optimizer.step") {
      tensor.dtype = stepDType;
      tensor.shape = stepShape;
      tensor.data = reinterpret_cast<const char *>(&step);
    } else {
      tensor.dtype = "F32";
      tensor.shape = {1};
      tensor.data = reinterpret_cast<const char *>(&zero);
    }
  }
  std::string path = dir + "/w.safetensors";
  EXPECT_EQ(writeSafetensors(path, tensors), "");
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  EXPECT_EQ(SafetensorsCheckpoint::open(path, checkpoint), "");
  return checkpoint;
}

TEST_F(CheckpointTest, ResumeReadsTheStepCountOfACompleteCheckpoint) {
  std::string dir = tprt_test::emptyDirectory("checkpoint-resume");
  int64_t step = -1;
  auto file = checkpointWith(dir, {"w", "b", "optimizer.w.exp_avg",
                                   "optimizer.w.exp_avg_sq",
                                   "optimizer.b.master", "optimizer.step"});
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step), "");
  EXPECT_EQ(step, 3);
}

TEST_F(CheckpointTest, ResumeReadsAnIndexOfShards) {
  std::string dir = tprt_test::emptyDirectory("checkpoint-resume-index");
  std::vector<TensorDesc> tensors;
  for (const char *name : {"w", "b", "optimizer.w.exp_avg",
                           "optimizer.w.exp_avg_sq", "optimizer.b.master"})
    tensors.push_back({name, "F32", {1}});
  tensors.push_back({"optimizer.step", "I64", {}});
  std::vector<std::string> written;
  // At most 4 bytes a file: one tensor in each.
  ASSERT_EQ(writeShardedSafetensors(
                dir, tensors,
                [&](size_t i, int64_t, int64_t count, char *bytes) {
                  int64_t step = 5;
                  if (i + 1 == tensors.size())
                    std::memcpy(bytes, &step, sizeof step);
                  else
                    std::memset(bytes, 0, count * 4);
                },
                {}, 4, written),
            "");
  EXPECT_EQ(written.size(), tensors.size() + 1);
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  ASSERT_EQ(SafetensorsCheckpoint::open(dir, checkpoint), "");
  EXPECT_EQ(checkpoint->files().size(), tensors.size());
  int64_t step = -1;
  EXPECT_EQ(readResumeStep(manifest, *checkpoint, step), "");
  EXPECT_EQ(step, 5);
}

TEST_F(CheckpointTest, ResumeRefusesCheckpointsWithoutOptimizerState) {
  std::string dir = tprt_test::emptyDirectory("checkpoint-refused");
  std::string path = dir + "/w.safetensors";
  int64_t step;
  // Weights alone, as a model's checkpoint holds them.
  auto file = checkpointWith(dir, {"w", "b"});
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step),
            "cannot resume from '" + path +
                "': it has no optimizer state 'optimizer.w.exp_avg'; "
                "--resume needs a checkpoint written by --save");
  // A master copy is state: --weights starts it from b, --resume reads it.
  file = checkpointWith(dir, {"w", "b", "optimizer.w.exp_avg",
                              "optimizer.w.exp_avg_sq", "optimizer.step"});
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step),
            "cannot resume from '" + path +
                "': it has no optimizer state 'optimizer.b.master'; "
                "--resume needs a checkpoint written by --save");
  file = checkpointWith(dir, {"w", "b", "optimizer.w.exp_avg",
                              "optimizer.w.exp_avg_sq", "optimizer.b.master"});
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step),
            "cannot resume from '" + path +
                "': it has no step count 'optimizer.step'; --resume needs a "
                "checkpoint written by --save");
  std::vector<std::string> all = {"w",
                                  "b",
                                  "optimizer.w.exp_avg",
                                  "optimizer.w.exp_avg_sq",
                                  "optimizer.b.master",
                                  "optimizer.step"};
  file = checkpointWith(dir, all, "I64", {1});
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step),
            "cannot resume from '" + path +
                "': its step count 'optimizer.step' is I64 [1], not an I64 "
                "scalar");
  file = checkpointWith(dir, all, "I64", {}, -2);
  ASSERT_TRUE(file);
  EXPECT_EQ(readResumeStep(manifest, *file, step),
            "cannot resume from '" + path + "': its step count -2 is negative");
}

} // namespace
