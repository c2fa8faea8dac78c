//===- ManifestTest.cpp - the manifest of a compiled model ----------------===//
//
// This file checks manifest parsing and validation (of a forward step and
// of a training step), and which block of a tensor each rank of a 2-D mesh
// holds.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <gtest/gtest.h>

using namespace tprt;

namespace {

const char *const manifestText = R"({
  "version": 2,
  "mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
  "arena_bytes": 4096, "param_bytes": 256, "flops": 1.5e3,
  "parameters": [{"name": "w1.weight", "dtype": "F32", "shape": [8, 4],
                  "local_shape": [4, 4], "split": [[1], []], "offset": 0}],
  "inputs": [{"name": "x", "dtype": "F32", "shape": [4, 6, 4],
              "local_shape": [2, 6, 4], "split": [[0], [], []], "offset": 0},
             {"name": "ids", "dtype": "I64", "shape": [8],
              "local_shape": [2], "split": [[0, 1]], "offset": 192,
              "id_bound": 128}],
  "outputs": [{"name": "y", "dtype": "F32", "shape": [4, 6, 8],
               "local_shape": [2, 6, 4], "split": [[0], [], [1]],
               "offset": 256}],
  "report": "rank 0: 128 B of parameters"
})";

TEST(ManifestTest, ParsesEveryField) {
  Manifest manifest;
  ASSERT_EQ(parseManifest(manifestText, manifest), "");
  EXPECT_EQ(manifest.axisNames, (std::vector<std::string>{"dp", "tp"}));
  EXPECT_EQ(manifest.rankCount(), 4);
  EXPECT_EQ(manifest.arenaBytes, 4096);
  EXPECT_EQ(manifest.flops, 1.5e3);
  ASSERT_EQ(manifest.parameters.size(), 1u);
  EXPECT_EQ(manifest.parameters[0].localBytes(), 64);
  ASSERT_EQ(manifest.inputs.size(), 2u);
  EXPECT_EQ(manifest.inputs[1].idBound, 128);
  EXPECT_EQ(manifest.inputs[1].split,
            (std::vector<std::vector<int64_t>>{{0, 1}}));
  EXPECT_EQ(manifest.report, "rank 0: 128 B of parameters");
}

TEST(ManifestTest, BlocksOfEachRank) {
  Manifest manifest;
  ASSERT_EQ(parseManifest(manifestText, manifest), "");
  const ManifestTensor &w = manifest.parameters[0];
  const ManifestTensor &ids = manifest.inputs[1];
  const ManifestTensor &y = manifest.outputs[0];
  // Rank (dp 1, tp 0).
  std::vector<int64_t> coordinates = {1, 0};
  EXPECT_EQ(blockStart(manifest, w, coordinates), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(blockStart(manifest, ids, coordinates), std::vector<int64_t>{4});
  EXPECT_EQ(blockStart(manifest, y, coordinates),
            (std::vector<int64_t>{2, 0, 0}));
  // Rank (dp 1, tp 1): dim 0 of ids is split by both axes, dp outermost.
  coordinates = {1, 1};
  EXPECT_EQ(blockStart(manifest, w, coordinates), (std::vector<int64_t>{4, 0}));
  EXPECT_EQ(blockStart(manifest, ids, coordinates), std::vector<int64_t>{6});
  EXPECT_EQ(blockStart(manifest, y, coordinates),
            (std::vector<int64_t>{2, 0, 4}));
  // w is replicated over dp: only dp 0 holds the first copy.
  EXPECT_FALSE(holdsFirstCopy(w, {1, 1}));
  EXPECT_TRUE(holdsFirstCopy(w, {0, 1}));
  EXPECT_TRUE(holdsFirstCopy(y, {1, 1}));
}

/// A training step's manifest: AdamW with the state of w1.weight, and a
/// cross-entropy loss whose labels are the last input.
const char *const trainingText = R"({
  "version": 2,
  "mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
  "arena_bytes": 4096, "param_bytes": 256, "flops": 1.5e3,
  "parameters": [{"name": "w1.weight", "dtype": "F32", "shape": [8, 4],
                  "local_shape": [4, 4], "split": [[1], []], "offset": 0},
                 {"name": "optimizer.w1.weight.exp_avg", "dtype": "F32",
                  "shape": [8, 4], "local_shape": [4, 4],
                  "split": [[1], []], "offset": 64, "state": true},
                 {"name": "optimizer.w1.weight.exp_avg_sq", "dtype": "F32",
                  "shape": [8, 4], "local_shape": [4, 4],
                  "split": [[1], []], "offset": 128, "state": true}],
  "inputs": [{"name": "input0", "dtype": "F32", "shape": [4, 4],
              "local_shape": [2, 4], "split": [[0], []], "offset": 0},
             {"name": "input1", "dtype": "I64", "shape": [4],
              "local_shape": [2], "split": [[0]], "offset": 64,
              "id_bound": 8}],
  "outputs": [{"name": "output0", "dtype": "F32", "shape": [],
               "local_shape": [], "split": [], "offset": 256}],
  "training": {"loss": "cross_entropy", "optimizer": "adamw", "lr": 1e-3,
               "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
               "weight_decay": 0.01},
  "peak_arena_use": {"gradient_bytes": 1024, "saved_activation_bytes": 512}
})";

/// Parses `base` with `from` replaced by `to`, expecting `error`.
void expectErrorIn(const char *base, const std::string &from,
                   const std::string &to, const std::string &error) {
  std::string text = base;
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  Manifest manifest;
  std::string actual = parseManifest(text.c_str(), manifest);
  EXPECT_NE(actual.find(error), std::string::npos) << actual;
}

/// Parses the forward manifest with `from` replaced by `to`, expecting
/// `error`.
void expectError(const std::string &from, const std::string &to,
                 const std::string &error) {
  expectErrorIn(manifestText, from, to, error);
}

/// The same for the training step's manifest.
void expectTrainingError(const std::string &from, const std::string &to,
                         const std::string &error) {
  expectErrorIn(trainingText, from, to, error);
}

TEST(ManifestTest, InconsistentManifestsAreErrors) {
  expectError(R"("local_shape": [4, 4])", R"("local_shape": [3, 4])",
              "manifest: parameter 'w1.weight': dim 0 of size 8 is not 2 "
              "pieces of 3");
  expectError(R"("split": [[1], []])", R"("split": [[2], []])",
              "split of dim 0 must list distinct mesh axes in mesh order");
  expectError(R"("split": [[0, 1]])", R"("split": [[1, 0]])",
              "split of dim 0 must list distinct mesh axes in mesh order");
  expectError(R"("offset": 256)", R"("offset": 4000)",
              "output 'y': block of 192 bytes at offset 4000 is misaligned "
              "or outside its 4096-byte buffer");
  expectError(R"("id_bound": 128)", R"("id_bound": 0)",
              "input 'ids': an I64 input needs a positive id_bound");
  expectError(R"("dtype": "F32", "shape": [8, 4])",
              R"("dtype": "F64", "shape": [8, 4])",
              "parameter 'w1.weight': unsupported dtype 'F64'");
  expectError(R"("sizes": [2, 2])", R"("sizes": [2])",
              "manifest: mesh axes and sizes differ in length");
  expectError(R"("arena_bytes": 4096,)", "", "manifest: ");
  expectError("{", "", "manifest: malformed JSON");
  // A float where an integer belongs is refused before it is converted.
  expectError(R"("offset": 256)", R"("offset": 1e300)",
              "output 'y': [json.exception.type_error.302] expected an "
              "integer that fits in 64 bits, got 1e+300");
  expectError(R"("split": [[1], []])", R"("split": [[1.5], []])",
              "expected an integer that fits in 64 bits, got 1.5");
  expectError(R"("version": 2)", R"("version": 1)",
              "manifest: version 1, but this runtime reads version 2; "
              "compile the model again");
  expectError(R"("version": 2,)", "",
              "manifest: no version: the model was compiled by an older "
              "tp-compile");
}

} // namespace

namespace {

TEST(ManifestTest, ParsesATrainingStep) {
  Manifest manifest;
  ASSERT_EQ(parseManifest(trainingText, manifest), "");
  ASSERT_TRUE(manifest.training.has_value());
  const Training &training = *manifest.training;
  EXPECT_EQ(training.loss, "cross_entropy");
  EXPECT_EQ(training.optimizer, "adamw");
  EXPECT_EQ(training.lr, 1e-3);
  EXPECT_EQ(training.beta1, 0.9);
  EXPECT_EQ(training.beta2, 0.999);
  EXPECT_EQ(training.eps, 1e-8);
  EXPECT_EQ(training.weightDecay, 0.01);
  ASSERT_EQ(manifest.parameters.size(), 3u);
  EXPECT_FALSE(manifest.parameters[0].state);
  EXPECT_TRUE(manifest.parameters[1].state);
  EXPECT_TRUE(manifest.parameters[2].state);
  EXPECT_TRUE(manifest.outputs[0].shape.empty());
  EXPECT_EQ(manifest.outputs[0].localBytes(), 4);
  EXPECT_EQ(manifest.peakGradientBytes, 1024);
  EXPECT_EQ(manifest.peakSavedActivationBytes, 512);

  // SGD takes lr and weight_decay alone; integers are numbers too.
  std::string sgd = trainingText;
  std::string adamw = R"("optimizer": "adamw", "lr": 1e-3,
               "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
               "weight_decay": 0.01})";
  sgd.replace(sgd.find(adamw), adamw.size(),
              R"("optimizer": "sgd", "lr": 1, "weight_decay": 0})");
  ASSERT_EQ(parseManifest(sgd.c_str(), manifest), "");
  EXPECT_EQ(manifest.training->optimizer, "sgd");
  EXPECT_EQ(manifest.training->lr, 1.0);
  EXPECT_EQ(manifest.training->beta1, 0.0);

  // A forward step has no training and no state.
  Manifest forward;
  ASSERT_EQ(parseManifest(manifestText, forward), "");
  EXPECT_FALSE(forward.training.has_value());
  EXPECT_FALSE(forward.parameters[0].state);
}

TEST(ManifestTest, InconsistentTrainingStepsAreErrors) {
  expectTrainingError(R"("loss": "cross_entropy")", R"("loss": "mse")",
                      "manifest: training: unknown loss 'mse' (expected sum "
                      "or cross_entropy)");
  expectTrainingError(R"("optimizer": "adamw")", R"("optimizer": "adam")",
                      "manifest: training: unknown optimizer 'adam' "
                      "(expected sgd or adamw)");
  expectTrainingError(R"("optimizer": "adamw")", R"("optimizer": "sgd")",
                      "manifest: training: sgd has no hyperparameter 'beta1'");
  expectTrainingError(R"("eps": 1e-8,)", "",
                      "manifest: training: adamw needs 'eps'");
  expectTrainingError(R"("loss": "cross_entropy", )", "",
                      "manifest: training: 'loss' must be a string");
  expectTrainingError(R"("lr": 1e-3)", R"("lr": -1e-3)",
                      "manifest: training: 'lr' = -0.001 is outside [0, "
                      "infinity)");
  expectTrainingError(R"("beta1": 0.9)", R"("beta1": 1)",
                      "manifest: training: 'beta1' = 1 is outside [0, 1)");
  expectTrainingError(
      R"("lr": 1e-3)", R"("lr": "fast")",
      "manifest: training: 'lr' must be a number, got \"fast\"");
  expectTrainingError(R"("weight_decay": 0.01)",
                      R"("weight_decay": 0.01, "momentum": 0.9)",
                      "manifest: training: adamw has no hyperparameter "
                      "'momentum'");
  expectTrainingError(R"("training": {)", R"("training": [], "x": {)",
                      "manifest: training: expected an object, got []");
  // The loss and the labels.
  expectTrainingError(R"("shape": [],
               "local_shape": [], "split": [])",
                      R"("shape": [1],
               "local_shape": [1], "split": [[]])",
                      "manifest: training: output 0, the loss, must be a "
                      "rank-0 float tensor, not F32 [1]");
  expectTrainingError(R"("dtype": "I64", "shape": [4])",
                      R"("dtype": "F32", "shape": [4])",
                      "manifest: training: a cross_entropy loss takes its "
                      "labels as the last input, an I64 tensor, not F32 "
                      "'input1'");
  // What the arena holds at its peak must fit in it.
  expectTrainingError(R"("gradient_bytes": 1024)", R"("gradient_bytes": -1)",
                      "manifest: peak_arena_use: its bytes must be "
                      "non-negative and fit in the arena");
  expectTrainingError(R"("saved_activation_bytes": 512)",
                      R"("saved_activation_bytes": 3073)",
                      "manifest: peak_arena_use: its bytes must be "
                      "non-negative and fit in the arena");
  // Optimizer state.
  expectTrainingError(R"("offset": 64, "state": true)",
                      R"("offset": 64, "state": 1)",
                      "manifest: parameter 'optimizer.w1.weight.exp_avg': "
                      "[json.exception.type_error.302] state must be true or "
                      "false, got 1");
  expectTrainingError(R"("offset": 0},
             {"name": "input1")",
                      R"("offset": 0, "state": false},
             {"name": "input1")",
                      "manifest: input 'input0': only a parameter can be "
                      "optimizer state");
  expectTrainingError("optimizer.w1.weight.exp_avg_sq", "w1.weight",
                      "manifest: parameter 'w1.weight': listed twice");
  expectTrainingError("optimizer.w1.weight.exp_avg_sq", "optimizer.step",
                      "manifest: parameter 'optimizer.step': the name is "
                      "that of a checkpoint's step count");
  expectError(R"("offset": 0}],
  "inputs")",
              R"("offset": 0, "state": true}],
  "inputs")",
              "manifest: parameter 'w1.weight': optimizer state in a "
              "manifest without 'training'");
}

/// Mixed precision: the bf16 w1.weight with its f32 master copy and AdamW
/// moments (one entry a line, so that a test can replace one field of one).
const char *const masterText = R"({
  "version": 2,
  "mesh": {"axes": ["dp", "tp"], "sizes": [2, 2]},
  "arena_bytes": 64, "param_bytes": 256,
  "parameters": [
    {"name": "w1.weight", "dtype": "BF16", "shape": [8, 4], "local_shape": [4, 4], "split": [[1], []], "offset": 0},
    {"name": "optimizer.w1.weight.master", "dtype": "F32", "shape": [8, 4], "local_shape": [4, 4], "split": [[1], []], "offset": 64, "state": true, "master_of": "w1.weight"},
    {"name": "optimizer.w1.weight.exp_avg", "dtype": "F32", "shape": [8, 4], "local_shape": [4, 4], "split": [[1], []], "offset": 128, "state": true},
    {"name": "optimizer.w1.weight.exp_avg_sq", "dtype": "F32", "shape": [8, 4], "local_shape": [4, 4], "split": [[1], []], "offset": 192, "state": true}],
  "inputs": [{"name": "input0", "dtype": "BF16", "shape": [4], "local_shape": [4], "split": [[]], "offset": 0}],
  "outputs": [{"name": "output0", "dtype": "F32", "shape": [], "local_shape": [], "split": [], "offset": 32}],
  "training": {"loss": "sum", "optimizer": "adamw", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
})";

/// Parses the mixed-precision manifest with `from` replaced by `to`,
/// expecting `error`.
void expectMasterError(const std::string &from, const std::string &to,
                       const std::string &error) {
  expectErrorIn(masterText, from, to, error);
}

TEST(ManifestTest, ParsesAMasterCopy) {
  Manifest manifest;
  ASSERT_EQ(parseManifest(masterText, manifest), "");
  ASSERT_EQ(manifest.parameters.size(), 4u);
  EXPECT_EQ(manifest.parameters[0].masterOf, "");
  EXPECT_EQ(manifest.parameters[1].masterOf, "w1.weight");
  EXPECT_TRUE(manifest.parameters[1].state);
  EXPECT_EQ(manifest.parameters[2].masterOf, "");
  EXPECT_EQ(manifest.findParameter("w1.weight"), &manifest.parameters[0]);
  EXPECT_EQ(manifest.findParameter("w2.weight"), nullptr);
  // f16 parameters have master copies too.
  std::string f16 = masterText;
  f16.replace(f16.find(R"("dtype": "BF16")"), 15, R"("dtype": "F16")");
  EXPECT_EQ(parseManifest(f16.c_str(), manifest), "");
}

TEST(ManifestTest, InconsistentMasterCopiesAreErrors) {
  const std::string master =
      "manifest: parameter 'optimizer.w1.weight.master': the master copy of "
      "'w1.weight' ";
  expectMasterError(R"("master_of": "w1.weight")", R"("master_of": 1)",
                    "manifest: parameter 'optimizer.w1.weight.master': "
                    "[json.exception.type_error.302] master_of must be a "
                    "parameter's name, got 1");
  expectMasterError(R"("master_of": "w1.weight")", R"("master_of": "")",
                    "master_of must be a parameter's name, got \"\"");
  expectMasterError(R"("split": [[]], "offset": 0})",
                    R"("split": [[]], "offset": 0, "master_of": "w1.weight"})",
                    "manifest: input 'input0': only a parameter can be a "
                    "master copy");
  expectMasterError(R"("offset": 64, "state": true)", R"("offset": 64)",
                    master + "must be optimizer state (\"state\": true)");
  expectMasterError(R"("optimizer.w1.weight.master", "dtype": "F32")",
                    R"("optimizer.w1.weight.master", "dtype": "BF16")",
                    master + "must be F32, not BF16");
  expectMasterError(R"("master_of": "w1.weight")",
                    R"("master_of": "w2.weight")",
                    "manifest: parameter 'optimizer.w1.weight.master': the "
                    "master copy of 'w2.weight' names no parameter of the "
                    "manifest");
  expectMasterError(R"("dtype": "BF16", "shape": [8, 4])",
                    R"("dtype": "F32", "shape": [8, 4])",
                    master + "needs 'w1.weight' to be F16 or BF16, not F32 (an "
                             "F32 parameter is its own master)");
  expectMasterError(R"("master_of": "w1.weight")",
                    R"("master_of": "optimizer.w1.weight.master")",
                    "the master copy of 'optimizer.w1.weight.master' needs "
                    "'optimizer.w1.weight.master' to be F16 or BF16, not F32");
  // Nor is a 16-bit state tensor a model weight.
  std::string ofState = masterText;
  for (auto [from, to] :
       {std::pair<std::string, std::string>{
            R"("master_of": "w1.weight")",
            R"("master_of": "optimizer.w1.weight.exp_avg")"},
        {R"("optimizer.w1.weight.exp_avg", "dtype": "F32")",
         R"("optimizer.w1.weight.exp_avg", "dtype": "BF16")"}})
    ofState.replace(ofState.find(from), from.size(), to);
  Manifest manifest;
  EXPECT_EQ(parseManifest(ofState.c_str(), manifest),
            "manifest: parameter 'optimizer.w1.weight.master': the master "
            "copy of 'optimizer.w1.weight.exp_avg' needs "
            "'optimizer.w1.weight.exp_avg' to be a model weight, not "
            "optimizer state");
  // The layout: shape first, then local_shape, then split.
  expectMasterError(
      R"("dtype": "F32", "shape": [8, 4], "local_shape": [4, 4], "split": [[1], []], "offset": 64)",
      R"("dtype": "F32", "shape": [4, 4], "local_shape": [2, 4], "split": [[1], []], "offset": 64)",
      master + "has shape [4, 4] but 'w1.weight' has [8, 4]");
  expectMasterError(
      R"("local_shape": [4, 4], "split": [[1], []], "offset": 64)",
      R"("local_shape": [2, 4], "split": [[0, 1], []], "offset": 64)",
      master + "has local_shape [2, 4] but 'w1.weight' has [4, 4]");
  expectMasterError(R"("split": [[1], []], "offset": 64)",
                    R"("split": [[0], []], "offset": 64)",
                    master + "has split [[0], []] but 'w1.weight' has [[1], "
                             "[]]");
  expectMasterError(R"("offset": 128, "state": true)",
                    R"("offset": 128, "state": true, "master_of": "w1.weight")",
                    "manifest: parameter 'w1.weight' has two master copies, "
                    "'optimizer.w1.weight.master' and "
                    "'optimizer.w1.weight.exp_avg'");
}

TEST(ManifestTest, RankCoordinatesAreRowMajor) {
  EXPECT_EQ(rankCoordinates({2, 3}, 0), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(rankCoordinates({2, 3}, 4), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(rankCoordinates({2, 3}, 5), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(rankCoordinates({}, 0), std::vector<int64_t>{});
}

} // namespace
