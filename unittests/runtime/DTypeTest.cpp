//===- DTypeTest.cpp - f16/bf16 conversions and 16-bit cpu kernels --------===//
//
// This file checks the f32 <-> f16/bf16 conversions exhaustively (every
// 16-bit value round-trips; every midpoint between neighbours rounds to the
// even one) and on the special values, that random 16-bit tensors are the
// f32 ones rounded, and that every cpu kernel (every elementwise one that
// ElementwiseOps.h lists) called with an f16 or bf16 dtype returns its f32
// result on the same values, rounded once.
//
//===----------------------------------------------------------------------===//

#include "DType.h"
#include "Backend.h"
#include "Random.h"
#include "tprt/tprt.h"

#include "ElementwiseOps.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <vector>

using namespace tprt;
using namespace tprt_test;

namespace {

float toFloat(int32_t dtype, uint16_t bits) {
  return dtype == TPRT_BF16 ? bf16ToFloat(bits) : f16ToFloat(bits);
}

uint16_t fromFloat(int32_t dtype, float value) {
  return dtype == TPRT_BF16 ? floatToBF16(value) : floatToF16(value);
}

bool isNaN16(int32_t dtype, uint16_t bits) {
  return std::isnan(toFloat(dtype, bits));
}

class DTypeTest : public ::testing::TestWithParam<int32_t> {};

TEST_P(DTypeTest, EveryValueRoundTripsAndMidpointsRoundToEven) {
  int32_t dtype = GetParam();
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint16_t value = static_cast<uint16_t>(bits);
    if (isNaN16(dtype, value))
      continue;
    ASSERT_EQ(fromFloat(dtype, toFloat(dtype, value)), value) << bits;
    // The next value up in magnitude, unless this one is infinite.
    uint16_t next = static_cast<uint16_t>(value + 1);
    if (std::isinf(toFloat(dtype, value)) || isNaN16(dtype, next) ||
        (value & 0x7fff) == 0x7fff)
      continue;
    // Midpoints of 16-bit neighbours are exact in f32.
    float low = toFloat(dtype, value);
    float midpoint = low + (toFloat(dtype, next) - low) / 2;
    uint16_t even = (value & 1) ? next : value;
    ASSERT_EQ(fromFloat(dtype, midpoint), even) << bits;
  }
}

TEST_P(DTypeTest, SpecialValues) {
  int32_t dtype = GetParam();
  float infinity = std::numeric_limits<float>::infinity();
  EXPECT_EQ(toFloat(dtype, fromFloat(dtype, infinity)), infinity);
  EXPECT_EQ(toFloat(dtype, fromFloat(dtype, -infinity)), -infinity);
  EXPECT_TRUE(std::isnan(toFloat(dtype, fromFloat(dtype, NAN))));
  EXPECT_TRUE(std::signbit(toFloat(dtype, fromFloat(dtype, -0.0f))));
  EXPECT_EQ(fromFloat(dtype, 1.0f), dtype == TPRT_BF16 ? 0x3f80 : 0x3c00);
  EXPECT_EQ(floatDTypeBytes(dtype), 2);
  EXPECT_EQ(floatDType(floatDTypeName(dtype)), dtype);
}

INSTANTIATE_TEST_SUITE_P(HalfTypes, DTypeTest,
                         ::testing::Values(TPRT_F16, TPRT_BF16),
                         [](const auto &info) {
                           return std::string(floatDTypeName(info.param));
                         });

TEST(DTypeNamesTest, Table) {
  EXPECT_EQ(floatDType("F32"), TPRT_F32);
  EXPECT_EQ(floatDType("I64"), -1);
  EXPECT_EQ(floatDTypeName(7), nullptr);
  EXPECT_EQ(floatDTypeBytes(TPRT_F32), 4);
  EXPECT_EQ(floatDTypeBytes(-1), 0);
}

TEST(DTypeRangesTest, F16OverflowAndSubnormals) {
  EXPECT_EQ(floatToF16(65504.0f), 0x7bff); // the largest finite f16
  EXPECT_EQ(floatToF16(65519.0f), 0x7bff); // below the midpoint to 2^16
  EXPECT_EQ(floatToF16(65520.0f), 0x7c00); // the midpoint rounds to even: inf
  EXPECT_EQ(floatToF16(0x1p-24f), 0x0001); // the smallest subnormal
  EXPECT_EQ(floatToF16(0x1p-25f), 0x0000); // half of it ties to zero
  EXPECT_EQ(floatToF16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(f16ToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(floatToBF16(3.4e38f), 0x7f80); // beyond bf16's largest: inf
}

TEST(DTypeRandomTest, SixteenBitTensorsAreTheRoundedF32Tensor) {
  std::vector<int64_t> shape = {4, 6}, start = {1, 2}, sizes = {2, 3};
  std::vector<float> f32(6);
  fillRandomFloats(7, shape, start, sizes, 0.5f, TPRT_F32, f32.data());
  for (int32_t dtype : {TPRT_F16, TPRT_BF16}) {
    std::vector<uint16_t> half(6), expected(6);
    fillRandomFloats(7, shape, start, sizes, 0.5f, dtype, half.data());
    narrow(dtype, f32.data(), expected.data(), 6);
    EXPECT_EQ(half, expected) << floatDTypeName(dtype);
  }
}

/// The kernel under test, called with `dtype`, its inputs and its output.
using Kernel = std::function<void(
    int32_t dtype, const std::vector<const void *> &inputs, void *output)>;

/// Runs `kernel` in f32 on `inputs` rounded to `dtype`, and in `dtype` on the
/// same values, and expects the 16-bit output to be the f32 output rounded,
/// within `ulps` units in the last place.
void expectF32Rounded(int32_t dtype, std::vector<std::vector<float>> inputs,
                      size_t outputCount, const Kernel &kernel, int ulps = 0) {
  SCOPED_TRACE(floatDTypeName(dtype));
  std::vector<std::vector<uint16_t>> halfInputs;
  std::vector<const void *> f32Pointers, halfPointers;
  for (std::vector<float> &input : inputs) {
    std::vector<uint16_t> &half = halfInputs.emplace_back(input.size());
    narrow(dtype, input.data(), half.data(), input.size());
    widen(dtype, half.data(), input.data(), input.size());
    f32Pointers.push_back(input.data());
    halfPointers.push_back(half.data());
  }
  std::vector<float> f32Output(outputCount);
  std::vector<uint16_t> halfOutput(outputCount), expected(outputCount);
  kernel(TPRT_F32, f32Pointers, f32Output.data());
  kernel(dtype, halfPointers, halfOutput.data());
  narrow(dtype, f32Output.data(), expected.data(), outputCount);
  for (size_t i = 0; i < outputCount; ++i)
    EXPECT_LE(std::abs(int(halfOutput[i]) - int(expected[i])), ulps)
        << "at element " << i << ": " << toFloat(dtype, halfOutput[i]) << " vs "
        << toFloat(dtype, expected[i]);
}

class HalfKernelsTest : public ::testing::TestWithParam<int32_t> {
protected:
  tprt_context ctx;
};

TEST_P(HalfKernelsTest, LinearAndMatmul) {
  // 300 outputs: the 16-bit linear widens its weight in two blocks of rows.
  const int64_t m = 3, n = 300, k = 7;
  for (bool withBias : {false, true})
    expectF32Rounded(
        GetParam(),
        {randomFloats(m * k, 1), randomFloats(n * k, 2), randomFloats(n, 3)},
        m * n,
        [&](int32_t dtype, const auto &in, void *y) {
          tprt_linear(&ctx, "proj", dtype, in[0], in[1],
                      withBias ? in[2] : nullptr, y, m, n, k);
        },
        /*ulps=*/1);
  const int64_t batch = 2, rows = 3, cols = 5, inner = 4;
  expectF32Rounded(GetParam(),
                   {randomFloats(batch * rows * inner, 4),
                    randomFloats(batch * inner * cols, 5)},
                   batch * rows * cols,
                   [&](int32_t dtype, const auto &in, void *c) {
                     tprt_matmul(&ctx, "scores", dtype, in[0], in[1], c, batch,
                                 rows, cols, inner);
                   });
}

TEST_P(HalfKernelsTest, Elementwise) {
  const int64_t count = 37;
  std::vector<std::vector<float>> two = {randomFloats(count, 6),
                                         randomFloats(count, 7)};
  for (const ElementwiseOp &op : kElementwiseOps) {
    SCOPED_TRACE(op.name);
    expectF32Rounded(GetParam(), two, count,
                     [&](int32_t t, const auto &in, void *y) {
                       op.run(cpu::kernels, {&ctx, t, in[0], in[1], y, count});
                     });
  }
}

TEST_P(HalfKernelsTest, ElementwiseInPlace) {
  // y aliases a: the 16-bit path must read all of a before writing y.
  int32_t dtype = GetParam();
  std::vector<float> a = randomFloats(9, 8), b = randomFloats(9, 9), sum(9);
  std::vector<uint16_t> a16(9), b16(9), expected(9);
  narrow(dtype, a.data(), a16.data(), 9);
  narrow(dtype, b.data(), b16.data(), 9);
  for (int i = 0; i < 9; ++i)
    sum[i] = toFloat(dtype, a16[i]) + toFloat(dtype, b16[i]);
  narrow(dtype, sum.data(), expected.data(), 9);
  tprt_add(&ctx, "test", dtype, a16.data(), b16.data(), a16.data(), 9);
  EXPECT_EQ(a16, expected);
}

TEST_P(HalfKernelsTest, NormsSoftmaxRopeAndSum) {
  int32_t dtype = GetParam();
  const int64_t rows = 4, features = 6;
  std::vector<std::vector<float>> norm = {randomFloats(rows * features, 10),
                                          randomFloats(features, 11),
                                          randomFloats(features, 12)};
  expectF32Rounded(
      dtype, norm, rows * features, [&](int32_t t, const auto &in, void *y) {
        tprt_rms_norm(&ctx, "norm", t, in[0], in[1], y, rows, features, 1e-5);
      });
  expectF32Rounded(dtype, norm, rows * features,
                   [&](int32_t t, const auto &in, void *y) {
                     tprt_layer_norm(&ctx, "norm", t, in[0], in[1], in[2], y,
                                     rows, features, 1e-5);
                   });
  for (int64_t inner : {1, 3})
    expectF32Rounded(dtype, {randomFloats(2 * 5 * inner, 13)}, 2 * 5 * inner,
                     [&](int32_t t, const auto &in, void *y) {
                       tprt_softmax(&ctx, "test", t, in[0], y, 2, 5, inner);
                     });
  for (int32_t convention : {TPRT_ROPE_INTERLEAVED, TPRT_ROPE_HALF})
    expectF32Rounded(dtype, {randomFloats(2 * 3 * 2 * 8, 14)}, 2 * 3 * 2 * 8,
                     [&](int32_t t, const auto &in, void *y) {
                       tprt_rope(&ctx, "test", t, in[0], y, 2, 3, 2, 8, 10000.0,
                                 convention, nullptr, 1.0);
                     });
  const int64_t shape[] = {2, 3, 4};
  expectF32Rounded(dtype, {randomFloats(24, 15)}, 3,
                   [&](int32_t t, const auto &in, void *y) {
                     tprt_sum(&ctx, "test", t, in[0], y, 3, shape, 0b101);
                   });
}

TEST_P(HalfKernelsTest, AttentionAndLoss) {
  int32_t dtype = GetParam();
  const int64_t batch = 1, seq = 5, qHeads = 4, kvHeads = 2, dim = 3;
  int64_t qCount = batch * seq * qHeads * dim, kvCount = qCount / 2;
  std::vector<char> workspace(
      tprt_attention_workspace_bytes(batch, qHeads, seq, seq));
  expectF32Rounded(dtype,
                   {randomFloats(qCount, 16), randomFloats(kvCount, 17),
                    randomFloats(kvCount, 18)},
                   qCount, [&](int32_t t, const auto &in, void *o) {
                     tprt_attention(&ctx, "attention", t, in[0], in[1], in[2],
                                    o, workspace.data(), workspace.size(),
                                    batch, seq, seq, qHeads, kvHeads, dim,
                                    /*causal=*/1, 0.5);
                   });
  std::vector<int64_t> labels = {4, 0, 2};
  expectF32Rounded(dtype, {randomFloats(3 * 5, 19)}, 1,
                   [&](int32_t t, const auto &in, void *loss) {
                     tprt_cross_entropy(&ctx, "loss", t, in[0], labels.data(),
                                        loss, 3, 5, 0, 5, 0);
                   });
}

TEST_P(HalfKernelsTest, EmbeddingCopiesRows) {
  int32_t dtype = GetParam();
  std::vector<uint16_t> table = {1, 2, 3, 4, 5, 6}, y(6);
  std::vector<int64_t> ids = {2, 0, 1};
  tprt_embedding(&ctx, "tok_embeddings", dtype, ids.data(), table.data(),
                 y.data(), 3, 3, 2, 0, 3);
  EXPECT_EQ(y, (std::vector<uint16_t>{5, 6, 1, 2, 3, 4}));
}

INSTANTIATE_TEST_SUITE_P(HalfTypes, HalfKernelsTest,
                         ::testing::Values(TPRT_F16, TPRT_BF16),
                         [](const auto &info) {
                           return std::string(floatDTypeName(info.param));
                         });

using DTypeDeathTest = HalfKernelsTest;

TEST_F(DTypeDeathTest, UnknownDTypeNamesTheCall) {
  float x = 1, y;
  EXPECT_EXIT(
      tprt_silu(&ctx, "test", 9, &x, &y, 1), ::testing::ExitedWithCode(1),
      "tprt_silu 'test': dtype 9 is not one of f32 \\(0\\), f16 \\(1\\), bf16 "
      "\\(2\\)");
}

} // namespace
