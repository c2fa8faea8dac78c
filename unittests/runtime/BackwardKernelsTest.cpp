//===- BackwardKernelsTest.cpp - cpu backward kernels as derivatives ------===//
//
// This file checks the cpu backward kernels of the ops that are not
// elementwise (those are lines of ElementwiseOps.h) in every dtype: each
// against central differences of the reference of its forward kernel
// (ReferenceKernels.h, which KernelsTest checks the forward kernels against),
// taken at the inputs as the kernel sees them, rounded to the dtype; the
// embedding's against the sums it is defined by. Also: what they make of
// empty sizes, and invalid arguments ending the process with a message
// naming the call and the layer. The kernels run on a default context (one
// rank, no mesh), which needs no MPI.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "tprt/tprt.h"

#include "ReferenceKernels.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace tprt_test;

namespace {

/// A tensor a test passes to a kernel: f32 values rounded to the dtype, as
/// the kernel's bytes and as the reference sees them.
struct Input {
  Input(int32_t dtype, const std::vector<float> &values)
      : bytes(narrowed(dtype, values)),
        values(toDouble(widened(dtype, bytes))) {}
  void *data() { return bytes.data(); }

  std::vector<unsigned char> bytes;
  Values values;
};

/// An output of `count` elements of `dtype`, NaN until written.
std::vector<unsigned char> outputBytes(int32_t dtype, size_t count) {
  return std::vector<unsigned char>(count * tprt::floatDTypeBytes(dtype), 0xff);
}

class BackwardKernelsTest : public ::testing::Test {
protected:
  tprt_context ctx;
};

using BackwardKernelsDeathTest = BackwardKernelsTest;

TEST_F(BackwardKernelsTest, EmbeddingGradSumsThePositionsOfEachRow) {
  // This rank holds rows [3, 6) of a 7-row table: id 4 comes three times,
  // ids 0 and 2 belong to other ranks, and row 5 gets no position (zeros).
  const int64_t rows = 3, dim = 5, offset = 3, total = 7;
  std::vector<int64_t> ids = {0, 4, 6, 3, 4, 2, 4};
  int64_t count = ids.size();
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Input dy(type.dtype, randomFloats(count * dim, 50));
    Values expected(rows * dim, 0.0);
    for (int64_t i = 0; i < count; ++i)
      if (ids[i] >= offset && ids[i] < offset + rows)
        for (int64_t d = 0; d < dim; ++d)
          expected[(ids[i] - offset) * dim + d] += dy.values[i * dim + d];
    std::vector<unsigned char> dtable = outputBytes(type.dtype, rows * dim);
    tprt_embedding_grad(&ctx, "tok_embeddings", type.dtype, ids.data(),
                        dy.data(), dtable.data(), count, rows, dim, offset,
                        total);
    expectNear(widened(type.dtype, dtable), expected, type.tolerance);
  }
}

TEST_F(BackwardKernelsTest, NormGradsAreTheDerivativesOfTheNorms) {
  const int64_t rows = 3, features = 7;
  const double epsilon = 1e-5;
  std::vector<float> xValues = randomFloats(rows * features, 51);
  for (size_t i = 0; i < xValues.size(); i += 3)
    xValues[i] += 2.0f; // a mean far from 0
  for (bool centered : {false, true})
    for (const TestType &type : kTypes) {
      SCOPED_TRACE(std::string(type.name) +
                   (centered ? " layer_norm" : " rms_norm"));
      Input x(type.dtype, xValues),
          weight(type.dtype, randomFloats(features, 52)),
          dy(type.dtype, randomFloats(rows * features, 53));
      Values dxExpected = numericGradient(
          [&](const Values &at) {
            return referenceNorm(at, weight.values, features, epsilon,
                                 centered);
          },
          x.values, dy.values);
      Values dweightExpected = numericGradient(
          [&](const Values &at) {
            return referenceNorm(x.values, at, features, epsilon, centered);
          },
          weight.values, dy.values);
      std::vector<unsigned char> dx = outputBytes(type.dtype, rows * features),
                                 dweight = outputBytes(type.dtype, features);
      if (centered) {
        tprt_layer_norm_input_grad(&ctx, "norm", type.dtype, x.data(),
                                   weight.data(), dy.data(), dx.data(), rows,
                                   features, epsilon);
        tprt_layer_norm_weight_grad(&ctx, "norm", type.dtype, x.data(),
                                    dy.data(), dweight.data(), rows, features,
                                    epsilon);
      } else {
        tprt_rms_norm_input_grad(&ctx, "norm", type.dtype, x.data(),
                                 weight.data(), dy.data(), dx.data(), rows,
                                 features, epsilon);
        tprt_rms_norm_weight_grad(&ctx, "norm", type.dtype, x.data(), dy.data(),
                                  dweight.data(), rows, features, epsilon);
      }
      expectNear(widened(type.dtype, dx), dxExpected, type.tolerance);
      expectNear(widened(type.dtype, dweight), dweightExpected, type.tolerance);
    }
}

TEST_F(BackwardKernelsTest, SoftmaxGradOnMiddleAndLastDim) {
  const int64_t outer = 2, dim = 3;
  for (int64_t inner : {5, 1})
    for (const TestType &type : kTypes) {
      SCOPED_TRACE(std::string(type.name) + " inner " + std::to_string(inner));
      int64_t count = outer * dim * inner;
      Input x(type.dtype, randomFloats(count, 54)),
          dy(type.dtype, randomFloats(count, 55));
      // The backward takes the forward's output.
      std::vector<unsigned char> y = outputBytes(type.dtype, count),
                                 dx = outputBytes(type.dtype, count);
      tprt_softmax(&ctx, "test", type.dtype, x.data(), y.data(), outer, dim,
                   inner);
      tprt_softmax_grad(&ctx, "test", type.dtype, y.data(), dy.data(),
                        dx.data(), outer, dim, inner);
      std::vector<float> result = widened(type.dtype, dx);
      // The formula of tprt_calls.def on the rounded output it was given...
      Values yValues = toDouble(widened(type.dtype, y)), formula(count);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t d) { return (o * dim + d) * inner + i; };
          double sum = 0;
          for (int64_t d = 0; d < dim; ++d)
            sum += dy.values[at(d)] * yValues[at(d)];
          for (int64_t d = 0; d < dim; ++d)
            formula[at(d)] = yValues[at(d)] * (dy.values[at(d)] - sum);
        }
      expectNear(result, formula, type.tolerance);
      // ... which, from f32 probabilities, is softmax's derivative.
      if (type.dtype == TPRT_F32)
        expectNear(result, numericGradient(
                               [&](const Values &at) {
                                 return referenceSoftmax(at, outer, dim, inner);
                               },
                               x.values, dy.values));
    }
}

TEST_F(BackwardKernelsTest, CrossEntropyGradDividesByEveryRanksPositions) {
  // 3 of the 8 positions of the mean: the other 5 are other ranks'.
  const int64_t positions = 3, classes = 5, totalPositions = 8;
  std::vector<int64_t> labels = {4, 0, 2};
  std::vector<float> values = randomFloats(positions * classes, 56);
  values[1] = 30.0f; // a large logit must not overflow
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Input logits(type.dtype, values), dloss(type.dtype, {0.75f});
    Values expected = numericGradient(
        [&](const Values &at) {
          return Values{dloss.values[0] / totalPositions *
                        referenceCrossEntropySum(at, labels, classes)};
        },
        logits.values, {1.0});
    std::vector<unsigned char> dlogits =
        outputBytes(type.dtype, positions * classes);
    tprt_cross_entropy_grad(&ctx, "loss", type.dtype, logits.data(),
                            labels.data(), dloss.data(), dlogits.data(),
                            positions, classes, totalPositions,
                            /*class_offset=*/0, /*total_classes=*/classes,
                            /*axis_mask=*/0);
    expectNear(widened(type.dtype, dlogits), expected, type.tolerance);
  }
}

TEST_F(BackwardKernelsTest, RopeGradRotatesBack) {
  const int64_t batch = 2, seq = 3, heads = 2, headDim = 6;
  const double theta = 10000.0;
  int64_t count = batch * seq * heads * headDim;
  for (const TestType &type : kTypes)
    for (int32_t convention : {TPRT_ROPE_INTERLEAVED, TPRT_ROPE_HALF})
      for (const RopeScaling &scaling : kRopeScalings) {
        SCOPED_TRACE(std::string(type.name) + " convention " +
                     std::to_string(convention) + " magnitude " +
                     std::to_string(scaling.magnitude));
        Input x(type.dtype, randomFloats(count, 57)),
            dy(type.dtype, randomFloats(count, 58));
        Values expected = numericGradient(
            [&](const Values &at) {
              return referenceRope(at, batch, seq, heads, headDim, theta,
                                   convention, scaling.factors,
                                   scaling.magnitude);
            },
            x.values, dy.values);
        std::vector<unsigned char> dx = outputBytes(type.dtype, count);
        tprt_rope_grad(&ctx, "rope", type.dtype, dy.data(), dx.data(), batch,
                       seq, heads, headDim, theta, convention, scaling.factors,
                       scaling.magnitude);
        expectNear(widened(type.dtype, dx), expected, type.tolerance);
      }
}

/// Checks tprt_attention_grad in `type` against central differences of
/// attention with respect to q, k and v, with a workspace of
/// `workspaceRows` query rows.
void checkAttentionGrad(tprt_context &ctx, const TestType &type,
                        const AttentionCase &c, int64_t workspaceRows) {
  SCOPED_TRACE(std::string(type.name) + " q_seq " + std::to_string(c.qSeq) +
               " kv_seq " + std::to_string(c.kvSeq) + " heads " +
               std::to_string(c.qHeads) + "/" + std::to_string(c.kvHeads) +
               " causal " + std::to_string(c.causal) + " workspace rows " +
               std::to_string(workspaceRows));
  int64_t qCount = c.batch * c.qSeq * c.qHeads * c.dim,
          kvCount = c.batch * c.kvSeq * c.kvHeads * c.dim;
  Input q(type.dtype, randomFloats(qCount, 59)),
      k(type.dtype, randomFloats(kvCount, 60)),
      v(type.dtype, randomFloats(kvCount, 61)),
      dout(type.dtype, randomFloats(qCount, 62));
  double scale = 1.0 / std::sqrt(double(c.dim));
  Values dqExpected = numericGradient(
      [&](const Values &at) {
        return referenceAttention(at, k.values, v.values, c, scale);
      },
      q.values, dout.values);
  Values dkExpected = numericGradient(
      [&](const Values &at) {
        return referenceAttention(q.values, at, v.values, c, scale);
      },
      k.values, dout.values);
  Values dvExpected = numericGradient(
      [&](const Values &at) {
        return referenceAttention(q.values, k.values, at, c, scale);
      },
      v.values, dout.values);
  std::vector<char> workspace(tprt_attention_workspace_bytes(
      c.batch, c.qHeads, c.kvSeq, workspaceRows));
  std::vector<unsigned char> dq = outputBytes(type.dtype, qCount),
                             dk = outputBytes(type.dtype, kvCount),
                             dv = outputBytes(type.dtype, kvCount);
  tprt_attention_grad(&ctx, "attention", type.dtype, q.data(), k.data(),
                      v.data(), dout.data(), dq.data(), dk.data(), dv.data(),
                      workspace.data(), workspace.size(), c.batch, c.qSeq,
                      c.kvSeq, c.qHeads, c.kvHeads, c.dim, c.causal, scale);
  expectNear(widened(type.dtype, dq), dqExpected, type.tolerance);
  expectNear(widened(type.dtype, dk), dkExpected, type.tolerance);
  expectNear(widened(type.dtype, dv), dvExpected, type.tolerance);
}

TEST_F(BackwardKernelsTest, AttentionGradCausalAndGroupedQuery) {
  // Grouped heads (4 query heads over 2 key/value heads, 3 over 1, 2 over
  // 1), both masks, fewer queries than keys (under a causal mask, keys no
  // query sees get zero gradients) and more. The smallest workspace takes 2
  // to 4 query rows at a time in the last three, whose heads have the most
  // rows; the largest all.
  const AttentionCase cases[] = {
      {2, 5, 5, 4, 2, 3, true},   {2, 5, 5, 4, 2, 3, false},
      {1, 3, 5, 3, 1, 4, false},  {1, 3, 5, 4, 2, 4, true},
      {1, 7, 4, 2, 2, 2, true},   {1, 9, 9, 1, 1, 3, true},
      {1, 9, 12, 2, 1, 2, false}, {1, 10, 10, 2, 1, 2, true}};
  for (const TestType &type : kTypes)
    for (const AttentionCase &c : cases)
      for (int64_t rows : {int64_t(1), c.qSeq})
        checkAttentionGrad(ctx, type, c, rows);
}

TEST_F(BackwardKernelsTest, AttentionGradOfNoKeysOrNoQueries) {
  // No keys: the output was zeros, whatever q; no queries: nothing reads
  // the keys and values.
  std::vector<float> x(8, 0.5f), dq(8, NAN), dk(8, NAN), dv(8, NAN);
  std::vector<char> workspace(1024);
  tprt_attention_grad(&ctx, "attention", TPRT_F32, x.data(), x.data(), x.data(),
                      x.data(), dq.data(), dk.data(), dv.data(),
                      workspace.data(), workspace.size(), 1, 4, 0, 2, 1, 1, 0,
                      1.0);
  expectNear(dq, Values(8, 0.0));
  tprt_attention_grad(&ctx, "attention", TPRT_F32, x.data(), x.data(), x.data(),
                      x.data(), dq.data(), dk.data(), dv.data(),
                      workspace.data(), workspace.size(), 1, 0, 4, 2, 2, 1, 1,
                      1.0);
  expectNear(dk, Values(8, 0.0));
  expectNear(dv, Values(8, 0.0));
}

TEST_F(BackwardKernelsDeathTest, BadArgumentsNameTheCall) {
  std::vector<float> x(16), y(16);
  std::vector<int64_t> ids = {1, 7};
  EXPECT_EXIT(tprt_embedding_grad(&ctx, "emb", TPRT_F32, ids.data(), x.data(),
                                  y.data(), 2, 2, 2, 0, 7),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_embedding_grad 'emb': id 7 at position 1 is "
              "outside \\[0, 7\\)");
  std::vector<int64_t> labels = {1, 5};
  float dloss = 1.0f;
  EXPECT_EXIT(tprt_cross_entropy_grad(&ctx, "loss", TPRT_F32, x.data(),
                                      labels.data(), &dloss, y.data(), 2, 5, 4,
                                      0, 5, 0),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_cross_entropy_grad 'loss': label 5 at "
              "position 1 is outside \\[0, 5\\)");
  EXPECT_EXIT(tprt_cross_entropy_grad(&ctx, "loss", TPRT_F32, x.data(),
                                      labels.data(), &dloss, y.data(), 2, 5, 1,
                                      0, 5, 0),
              ::testing::ExitedWithCode(1),
              "tprt_cross_entropy_grad 'loss': total_positions 1 is fewer "
              "than this rank's 2 positions");
  EXPECT_EXIT(tprt_rope_grad(&ctx, "r", TPRT_F32, x.data(), y.data(), 1, 1, 1,
                             5, 10000.0, TPRT_ROPE_HALF, nullptr, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope_grad 'r': head_dim 5 must be even");
  EXPECT_EXIT(tprt_attention_grad(&ctx, "attn", TPRT_F32, x.data(), x.data(),
                                  x.data(), x.data(), y.data(), y.data(),
                                  y.data(), y.data(), 4096, 1, 1, 1, 3, 2, 1, 0,
                                  1.0),
              ::testing::ExitedWithCode(1),
              "tprt_attention_grad 'attn': 3 query heads are not a multiple "
              "of 2 key/value heads");
  // One query row of one head over 2 keys needs 64 * 2 + 8 * 2 bytes.
  EXPECT_EXIT(tprt_attention_grad(&ctx, "attn", TPRT_F32, x.data(), x.data(),
                                  x.data(), x.data(), y.data(), y.data(),
                                  y.data(), y.data(), 143, 1, 1, 2, 1, 1, 1, 0,
                                  1.0),
              ::testing::ExitedWithCode(1),
              "tprt_attention_grad 'attn': a workspace of 143 bytes holds no "
              "query row; it needs 144");
  EXPECT_EXIT(tprt_layer_norm_weight_grad(&ctx, "norm", 4, x.data(), x.data(),
                                          y.data(), 1, 1, 1e-5),
              ::testing::ExitedWithCode(1),
              "tprt_layer_norm_weight_grad 'norm': dtype 4 is not one of");
}

} // namespace
