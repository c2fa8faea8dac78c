//===- ManifestTest.cpp - the manifest of a compiled model ----------------===//
//
// This file checks manifest parsing and validation, and which block of a
// tensor each rank of a 2-D mesh holds.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <gtest/gtest.h>

using namespace tprt;

namespace {

const char *const manifestText = R"({
  "version": 1,
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

/// Parses the manifest with `from` replaced by `to`, expecting `error`.
void expectError(const std::string &from, const std::string &to,
                 const std::string &error) {
  std::string text = manifestText;
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  Manifest manifest;
  std::string actual = parseManifest(text.c_str(), manifest);
  EXPECT_NE(actual.find(error), std::string::npos) << actual;
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
  expectError(R"("version": 1)", R"("version": 2)",
              "manifest: version 2, but this runtime reads version 1; "
              "compile the model again");
  expectError(R"("version": 1,)", "",
              "manifest: no version: the model was compiled by an older "
              "tp-compile");
}

} // namespace
