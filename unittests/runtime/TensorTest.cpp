//===- TensorTest.cpp - block copies and deterministic random tensors -----===//
//
// This file checks the strided block copies that slice and assemble global
// tensors, and that the random generator gives every rank exactly its block
// of one global tensor, so 1-rank and N-rank runs see the same data, and a
// writer streaming a tensor or a staging buffer filling a block a chunk at a
// time exactly its run of elements; and the runs a block is read in.
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"
#include "DType.h"
#include "Random.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace tprt;

namespace {

TEST(TensorTest, ShapesAndDtypes) {
  EXPECT_EQ(dtypeBytes("F32"), 4);
  EXPECT_EQ(dtypeBytes("BF16"), 2);
  EXPECT_EQ(dtypeBytes("I64"), 8);
  EXPECT_EQ(dtypeBytes("f32"), 0);
  EXPECT_EQ(elementCount({2, 3, 4}), 24);
  EXPECT_EQ(elementCount({}), 1);
  EXPECT_EQ(elementCount({-1}), -1);
  EXPECT_EQ(elementCount({int64_t(1) << 40, int64_t(1) << 40}), -1);
  EXPECT_EQ(formatShape({8192, 4096}), "[8192, 4096]");
}

TEST(TensorTest, ExtractAndInsertBlocksRoundTrip) {
  const std::vector<int64_t> shape = {3, 4, 5};
  std::vector<int64_t> tensor(60), rebuilt(60, -1);
  std::iota(tensor.begin(), tensor.end(), 0);
  // Every [1, 2, 5] block: rows of whole trailing dims, 8-byte elements.
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 4; b += 2) {
      std::vector<int64_t> block(10);
      extractBlock(tensor.data(), shape, 8, {a, b, 0}, {1, 2, 5}, block.data());
      EXPECT_EQ(block[7], tensor[(a * 4 + b + 1) * 5 + 2]);
      insertBlock(block.data(), shape, 8, {a, b, 0}, {1, 2, 5}, rebuilt.data());
    }
  EXPECT_EQ(rebuilt, tensor);

  // A [2, 3, 2] block in the middle, 4-byte elements, rest untouched.
  std::vector<float> floats(60), block(12);
  std::iota(floats.begin(), floats.end(), 0.0f);
  extractBlock(floats.data(), shape, 4, {1, 1, 2}, {2, 3, 2}, block.data());
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 2; ++c)
        EXPECT_EQ(block[(a * 3 + b) * 2 + c],
                  floats[((1 + a) * 4 + 1 + b) * 5 + 2 + c]);
  std::vector<float> zeros(60, 0.0f);
  insertBlock(block.data(), shape, 4, {1, 1, 2}, {2, 3, 2}, zeros.data());
  EXPECT_EQ(zeros[0], 0.0f);
  EXPECT_EQ(zeros[(1 * 4 + 1) * 5 + 2], floats[(1 * 4 + 1) * 5 + 2]);
  EXPECT_EQ(std::accumulate(zeros.begin(), zeros.end(), 0.0f),
            std::accumulate(block.begin(), block.end(), 0.0f));
}

TEST(TensorTest, RandomBlocksAreSlicesOfOneGlobalTensor) {
  const std::vector<int64_t> shape = {4, 6};
  uint64_t seed = tensorSeed(7, "layers.0.w1.weight");
  EXPECT_NE(seed, tensorSeed(7, "layers.0.w2.weight"));
  EXPECT_NE(seed, tensorSeed(8, "layers.0.w1.weight"));
  std::vector<float> global(24), block(6);
  fillRandomFloats(seed, shape, {0, 0}, shape, 0.5f, TPRT_F32, global.data());
  for (float value : global) {
    EXPECT_GE(value, -0.5f);
    EXPECT_LT(value, 0.5f);
  }
  fillRandomFloats(seed, shape, {2, 3}, {2, 3}, 0.5f, TPRT_F32, block.data());
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_EQ(block[r * 3 + c], global[(2 + r) * 6 + 3 + c]);
  // Element i follows the documented formula.
  uint64_t bits = mix64(seed + 6 * 0x9E3779B97F4A7C15ull);
  EXPECT_EQ(global[5], 0.5f * (float(bits >> 40) * 0x1p-23f - 1.0f));

  std::vector<int64_t> ids(24), idBlock(4);
  fillRandomIntegers(seed, shape, {0, 0}, shape, 5, ids.data());
  fillRandomIntegers(seed, shape, {0, 2}, {4, 1}, 5, idBlock.data());
  for (int64_t r = 0; r < 4; ++r) {
    EXPECT_EQ(idBlock[r], ids[r * 6 + 2]);
    EXPECT_GE(idBlock[r], 0);
    EXPECT_LT(idBlock[r], 5);
  }
  // Any run of elements, as a writer streaming a tensor asks for it.
  std::vector<float> run(7);
  fillRandomFloatElements(seed, 9, 7, 0.5f, TPRT_F32, run.data());
  EXPECT_EQ(run, std::vector<float>(global.begin() + 9, global.begin() + 16));
  // Any run of a block's elements, as a bounded staging buffer asks.
  std::vector<float> part(4);
  fillRandomBlockFloats(seed, shape, {2, 3}, {2, 3}, 1, 4, 0.5f, TPRT_F32,
                        part.data());
  EXPECT_EQ(part, std::vector<float>(block.begin() + 1, block.begin() + 5));
  EXPECT_FLOAT_EQ(parameterScale({8, 16}), 0.25f);
  EXPECT_EQ(parameterScale({16}), 1.0f);
}

/// The runs forEachBlockRun gives, as {blockOffset, tensorOffset, length}.
std::vector<std::vector<int64_t>> runsOf(const std::vector<int64_t> &shape,
                                         const std::vector<int64_t> &start,
                                         const std::vector<int64_t> &sizes,
                                         int64_t first, int64_t count) {
  std::vector<std::vector<int64_t>> runs;
  forEachBlockRun(shape, start, sizes, first, count,
                  [&](int64_t block, int64_t tensor, int64_t length) {
                    runs.push_back({block, tensor, length});
                  });
  return runs;
}

TEST(TensorTest, BlockRunsMergeWhatIsContiguous) {
  using Runs = std::vector<std::vector<int64_t>>;
  // Whole rows (a column-wise slice of a weight): one run.
  EXPECT_EQ(runsOf({8, 6}, {4, 0}, {4, 6}, 0, 24), (Runs{{0, 24, 24}}));
  // Part of each row (a row-wise slice): a run per row.
  EXPECT_EQ(runsOf({4, 6}, {0, 3}, {4, 3}, 0, 12),
            (Runs{{0, 3, 3}, {3, 9, 3}, {6, 15, 3}, {9, 21, 3}}));
  // Whole inner dims merge with the dim before them, across rows too.
  EXPECT_EQ(runsOf({2, 4, 3}, {0, 1, 0}, {2, 2, 3}, 0, 12),
            (Runs{{0, 3, 6}, {6, 15, 6}}));
  EXPECT_EQ(runsOf({2, 4, 3}, {1, 0, 0}, {1, 4, 3}, 0, 12),
            (Runs{{0, 12, 12}}));
  // A range of the block's elements: partial runs at both ends.
  EXPECT_EQ(runsOf({4, 6}, {0, 3}, {4, 3}, 2, 6),
            (Runs{{2, 5, 1}, {3, 9, 3}, {6, 15, 2}}));
  EXPECT_EQ(runsOf({}, {}, {}, 0, 1), (Runs{{0, 0, 1}}));
  EXPECT_EQ(runsOf({4, 6}, {0, 0}, {4, 0}, 0, 0), Runs{});
}

} // namespace
