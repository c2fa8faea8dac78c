//===- KernelsTest.cpp - cpu kernels against naive references -------------===//
//
// This file checks every cpu kernel against a direct loop implementation on
// small, odd shapes, through the C API of tprt.h (the elementwise ones, listed
// in ElementwiseOps.h, in each dtype through the cpu backend's table), and
// that invalid arguments end the process with a message naming the call and
// the layer. The kernels run on a default context (one rank, no mesh), which
// needs no MPI.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "tprt/tprt.h"

#include "ElementwiseOps.h"
#include "ReferenceKernels.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace tprt_test;

namespace {

class KernelsTest : public ::testing::Test {
protected:
  tprt_context ctx;
};

using KernelsDeathTest = KernelsTest;

TEST_F(KernelsTest, LinearWithAndWithoutBias) {
  const int64_t m = 3, n = 5, k = 7;
  std::vector<float> x = randomFloats(m * k, 1), w = randomFloats(n * k, 2),
                     bias = randomFloats(n, 3), y(m * n);
  for (bool withBias : {false, true}) {
    std::vector<double> expected(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = withBias ? bias[j] : 0.0;
        for (int64_t l = 0; l < k; ++l)
          sum += double(x[i * k + l]) * w[j * k + l];
        expected[i * n + j] = sum;
      }
    tprt_linear(&ctx, "proj", TPRT_F32, x.data(), w.data(),
                withBias ? bias.data() : nullptr, y.data(), m, n, k);
    expectNear(y, expected);
  }
}

struct GemmCase {
  int64_t m, n, k;
};

TEST_F(KernelsTest, LinearBackwardsInEveryDtype) {
  // n past the 256 weight rows a 16-bit product without oneDNN takes at a
  // time; the empty sum of each product (n = 0, m = 0) gives zeros.
  for (const TestType &type : kTypes)
    for (GemmCase c : {GemmCase{3, 5, 7}, GemmCase{4, 300, 9},
                       GemmCase{2, 0, 3}, GemmCase{0, 3, 2}}) {
      SCOPED_TRACE(std::string(type.name) + " m " + std::to_string(c.m) +
                   " n " + std::to_string(c.n) + " k " + std::to_string(c.k));
      std::vector<unsigned char> dy = narrowed(type.dtype,
                                               randomFloats(c.m * c.n, 30)),
                                 w = narrowed(type.dtype,
                                              randomFloats(c.n * c.k, 31)),
                                 x = narrowed(type.dtype,
                                              randomFloats(c.m * c.k, 32));
      std::vector<float> dy32 = widened(type.dtype, dy),
                         w32 = widened(type.dtype, w),
                         x32 = widened(type.dtype, x);
      std::vector<double> dxExpected(c.m * c.k, 0.0),
          dwExpected(c.n * c.k, 0.0);
      for (int64_t i = 0; i < c.m; ++i)
        for (int64_t j = 0; j < c.n; ++j)
          for (int64_t l = 0; l < c.k; ++l) {
            dxExpected[i * c.k + l] +=
                double(dy32[i * c.n + j]) * w32[j * c.k + l];
            dwExpected[j * c.k + l] +=
                double(dy32[i * c.n + j]) * x32[i * c.k + l];
          }
      // NaN bytes, so that elements left unwritten show.
      std::vector<unsigned char> dx(
          c.m * c.k * tprt::floatDTypeBytes(type.dtype), 0xff),
          dw(c.n * c.k * tprt::floatDTypeBytes(type.dtype), 0xff);
      tprt_linear_input_grad(&ctx, "proj", type.dtype, dy.data(), w.data(),
                             dx.data(), c.m, c.n, c.k);
      tprt_linear_weight_grad(&ctx, "proj", type.dtype, dy.data(), x.data(),
                              dw.data(), c.m, c.n, c.k);
      expectNear(widened(type.dtype, dx), dxExpected, type.tolerance);
      expectNear(widened(type.dtype, dw), dwExpected, type.tolerance);
    }
}

TEST_F(KernelsTest, BatchedMatmul) {
  const int64_t batch = 2, m = 3, n = 5, k = 4;
  std::vector<float> a = randomFloats(batch * m * k, 4),
                     b = randomFloats(batch * k * n, 5), c(batch * m * n);
  std::vector<double> expected(batch * m * n);
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t l = 0; l < k; ++l)
          sum += double(a[(p * m + i) * k + l]) * b[(p * k + l) * n + j];
        expected[(p * m + i) * n + j] = sum;
      }
  tprt_matmul(&ctx, "scores", TPRT_F32, a.data(), b.data(), c.data(), batch, m,
              n, k);
  expectNear(c, expected);
}

TEST_F(KernelsTest, Elementwise) {
  const int64_t count = 11;
  std::vector<float> aValues = randomFloats(count, 6),
                     bValues = randomFloats(count, 7);
  aValues[0] = 8.0f; // the tails of the activations
  aValues[1] = -8.0f;
  for (const TestType &type : kTypes) {
    // The references see the inputs as the kernels do: rounded to the dtype.
    std::vector<unsigned char> a = narrowed(type.dtype, aValues),
                               b = narrowed(type.dtype, bValues), y(a.size());
    std::vector<float> a32 = widened(type.dtype, a),
                       b32 = widened(type.dtype, b);
    auto check = [&](const ElementwiseOp &op) {
      std::vector<double> expected(count);
      for (int64_t i = 0; i < count; ++i)
        expected[i] = op.reference(a32[i], b32[i]);
      expectNear(widened(type.dtype, y), expected, type.tolerance);
    };
    for (const ElementwiseOp &op : kElementwiseOps) {
      SCOPED_TRACE(std::string(type.name) + " " + op.name);
      op.run(tprt::cpu::kernels,
             {&ctx, type.dtype, a.data(), b.data(), y.data(), count});
      check(op);
    }
    // Elementwise kernels may work in place.
    SCOPED_TRACE(std::string(type.name) + " add in place");
    y = a;
    tprt_add(&ctx, "test", type.dtype, y.data(), b.data(), y.data(), count);
    check(kElementwiseOps[0]);
  }
}

TEST_F(KernelsTest, Norms) {
  const int64_t rows = 3, features = 7;
  const double epsilon = 1e-5;
  std::vector<float> x = randomFloats(rows * features, 8),
                     weight = randomFloats(features, 9),
                     bias = randomFloats(features, 10), y(rows * features);
  Values rms = referenceNorm(toDouble(x), toDouble(weight), features, epsilon,
                             /*centered=*/false);
  Values layerNoBias = referenceNorm(toDouble(x), toDouble(weight), features,
                                     epsilon, /*centered=*/true);
  Values layer = layerNoBias;
  for (size_t i = 0; i < layer.size(); ++i)
    layer[i] += bias[i % features];
  tprt_rms_norm(&ctx, "norm", TPRT_F32, x.data(), weight.data(), y.data(), rows,
                features, epsilon);
  expectNear(y, rms);
  tprt_layer_norm(&ctx, "norm", TPRT_F32, x.data(), weight.data(), bias.data(),
                  y.data(), rows, features, epsilon);
  expectNear(y, layer);
  tprt_layer_norm(&ctx, "norm", TPRT_F32, x.data(), weight.data(), nullptr,
                  y.data(), rows, features, epsilon);
  expectNear(y, layerNoBias);
}

TEST_F(KernelsTest, SoftmaxOnMiddleAndLastDim) {
  const int64_t outer = 2, dim = 3;
  for (int64_t inner : {5, 1}) {
    std::vector<float> x = randomFloats(outer * dim * inner, 11), y(x.size());
    x[0] = 80.0f; // large logits must not overflow
    tprt_softmax(&ctx, "test", TPRT_F32, x.data(), y.data(), outer, dim, inner);
    expectNear(y, referenceSoftmax(toDouble(x), outer, dim, inner));
  }
}

TEST_F(KernelsTest, TransposeFloatsAndInt64) {
  // [2, 3, 4] -> perm [2, 0, 1] -> [4, 2, 3]: element-wise strided reads.
  const int64_t shape[] = {2, 3, 4}, perm[] = {2, 0, 1};
  std::vector<float> x(24), y(24);
  for (int i = 0; i < 24; ++i)
    x[i] = float(i);
  tprt_transpose(&ctx, "test", x.data(), y.data(), sizeof(float), 3, shape,
                 perm);
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(y[(a * 2 + b) * 3 + c], x[(b * 3 + c) * 4 + a]);

  // [2, 3, 4, 5] -> perm [0, 2, 1, 3]: whole rows copied at once.
  const int64_t heads[] = {2, 3, 4, 5}, swap[] = {0, 2, 1, 3};
  std::vector<int64_t> ids(120), moved(120);
  for (int i = 0; i < 120; ++i)
    ids[i] = int64_t(i) << 33;
  tprt_transpose(&ctx, "test", ids.data(), moved.data(), sizeof(int64_t), 4,
                 heads, swap);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t s = 0; s < 3; ++s)
        for (int64_t d = 0; d < 5; ++d)
          EXPECT_EQ(moved[((b * 4 + h) * 3 + s) * 5 + d],
                    ids[((b * 3 + s) * 4 + h) * 5 + d]);
}

TEST_F(KernelsTest, Copy) {
  std::vector<float> x = randomFloats(7, 12), y(7);
  tprt_copy(&ctx, "test", x.data(), y.data(), 7 * sizeof(float));
  EXPECT_EQ(x, y);
}

TEST_F(KernelsTest, Rope) {
  const int64_t batch = 2, seq = 3, heads = 2, headDim = 6;
  const double theta = 10000.0;
  std::vector<float> values = randomFloats(batch * seq * heads * headDim, 13);
  for (const TestType &type : kTypes)
    for (int32_t convention : {TPRT_ROPE_INTERLEAVED, TPRT_ROPE_HALF})
      for (const RopeScaling &scaling : kRopeScalings) {
        SCOPED_TRACE(std::string(type.name) + " convention " +
                     std::to_string(convention) + " magnitude " +
                     std::to_string(scaling.magnitude));
        // The reference sees the input as the kernel does: rounded.
        std::vector<unsigned char> x = narrowed(type.dtype, values),
                                   y(x.size());
        tprt_rope(&ctx, "test", type.dtype, x.data(), y.data(), batch, seq,
                  heads, headDim, theta, convention, scaling.factors,
                  scaling.magnitude);
        expectNear(widened(type.dtype, y),
                   referenceRope(toDouble(widened(type.dtype, x)), batch, seq,
                                 heads, headDim, theta, convention,
                                 scaling.factors, scaling.magnitude),
                   type.tolerance);
      }
}

TEST_F(KernelsTest, AttentionCausalAndGroupedQuery) {
  // Grouped heads, both masks, fewer queries than keys, and a sequence that
  // crosses the kernel's block of query rows.
  const AttentionCase cases[] = {{2, 5, 5, 4, 2, 3, true},
                                 {2, 5, 5, 4, 2, 3, false},
                                 {1, 3, 5, 3, 1, 4, false},
                                 {1, 3, 5, 2, 2, 4, true},
                                 {1, 131, 131, 2, 1, 5, true}};
  for (const AttentionCase &c : cases) {
    std::vector<float> q = randomFloats(c.batch * c.qSeq * c.qHeads * c.dim,
                                        14),
                       k = randomFloats(c.batch * c.kvSeq * c.kvHeads * c.dim,
                                        15),
                       v = randomFloats(c.batch * c.kvSeq * c.kvHeads * c.dim,
                                        16),
                       o(q.size());
    double scale = 1.0 / std::sqrt(double(c.dim));
    // The smallest workspace tprt_calls.def allows: the kernel takes fewer
    // query rows at a time than it would from the compiler's.
    std::vector<char> workspace(
        tprt_attention_workspace_bytes(c.batch, c.qHeads, c.kvSeq, 1));
    tprt_attention(&ctx, "attention", TPRT_F32, q.data(), k.data(), v.data(),
                   o.data(), workspace.data(), workspace.size(), c.batch,
                   c.qSeq, c.kvSeq, c.qHeads, c.kvHeads, c.dim, c.causal,
                   scale);
    SCOPED_TRACE("q_seq " + std::to_string(c.qSeq) + " causal " +
                 std::to_string(c.causal));
    expectNear(
        o, referenceAttention(toDouble(q), toDouble(k), toDouble(v), c, scale));
  }
}

TEST_F(KernelsTest, SumOverDimMask) {
  const int64_t shape[] = {2, 3, 4};
  std::vector<float> x = randomFloats(24, 17);
  for (int64_t mask = 0; mask < 8; ++mask) {
    std::vector<int64_t> kept;
    for (int64_t d = 0; d < 3; ++d)
      if (!(mask >> d & 1))
        kept.push_back(d);
    int64_t count = 1;
    for (int64_t d : kept)
      count *= shape[d];
    std::vector<double> expected(count, 0.0);
    for (int64_t a = 0; a < 2; ++a)
      for (int64_t b = 0; b < 3; ++b)
        for (int64_t c = 0; c < 4; ++c) {
          int64_t index[] = {a, b, c}, at = 0;
          for (int64_t d : kept)
            at = at * shape[d] + index[d];
          expected[at] += x[(a * 3 + b) * 4 + c];
        }
    std::vector<float> y(count);
    tprt_sum(&ctx, "test", TPRT_F32, x.data(), y.data(), 3, shape, mask);
    SCOPED_TRACE("dim mask " + std::to_string(mask));
    expectNear(y, expected);
  }
}

TEST_F(KernelsTest, BroadcastIsTheInverseShapeOfSum) {
  // y [2, 3, 4] from x of the dims a mask leaves: x repeated along the
  // others, in every dtype (a copy: exact); summing y over the same mask
  // gives x times the number of copies.
  const int64_t shape[] = {2, 3, 4};
  for (const TestType &type : kTypes)
    for (int64_t mask = 0; mask < 8; ++mask) {
      SCOPED_TRACE(std::string(type.name) + " dim mask " +
                   std::to_string(mask));
      int64_t count = 1, copies = 1;
      for (int64_t d = 0; d < 3; ++d)
        (mask >> d & 1 ? copies : count) *= shape[d];
      std::vector<unsigned char> x =
          narrowed(type.dtype, randomFloats(count, 33));
      std::vector<float> x32 = widened(type.dtype, x);
      std::vector<unsigned char> y(24 * tprt::floatDTypeBytes(type.dtype));
      tprt_broadcast(&ctx, "test", type.dtype, x.data(), y.data(), 3, shape,
                     mask);
      std::vector<float> y32 = widened(type.dtype, y);
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 3; ++b)
          for (int64_t c = 0; c < 4; ++c) {
            int64_t index[] = {a, b, c}, at = 0;
            for (int64_t d = 0; d < 3; ++d)
              if (!(mask >> d & 1))
                at = at * shape[d] + index[d];
            EXPECT_EQ(y32[(a * 3 + b) * 4 + c], x32[at])
                << "at " << a << ", " << b << ", " << c;
          }
      std::vector<unsigned char> summed(x.size());
      tprt_sum(&ctx, "test", type.dtype, y.data(), summed.data(), 3, shape,
               mask);
      std::vector<double> expected(x32.begin(), x32.end());
      for (double &value : expected)
        value *= copies;
      expectNear(widened(type.dtype, summed), expected, type.tolerance);
    }
  // A scalar to a scalar.
  float one = 3.0f, out = 0.0f;
  tprt_broadcast(&ctx, "test", TPRT_F32, &one, &out, 0, nullptr, 0);
  EXPECT_EQ(out, 3.0f);
}

TEST_F(KernelsTest, Fill) {
  for (const TestType &type : kTypes)
    for (double value : {1.0, 0.1, -2.5}) {
      SCOPED_TRACE(std::string(type.name) + " " + std::to_string(value));
      // One element past the count must stay as it was.
      std::vector<unsigned char> y =
          narrowed(type.dtype, std::vector<float>(6, 7.0f));
      tprt_fill(&ctx, "seed", type.dtype, y.data(), 5, value);
      std::vector<float> expected =
          widened(type.dtype, narrowed(type.dtype, {float(value)}));
      std::vector<float> filled = widened(type.dtype, y);
      for (int64_t i = 0; i < 5; ++i)
        EXPECT_EQ(filled[i], expected[0]) << "at element " << i;
      EXPECT_EQ(filled[5], 7.0f);
    }
}

/// The hyperparameters of the optimizer tests.
const double kLr = 0.01, kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8,
             kWeightDecay = 0.05;

/// A parameter with its optimizer state, in double, updated by
/// torch.optim's formulas (tprt_calls.def); rounded to `dtype` after each
/// step where the kernels store them so.
struct ReferenceParameter {
  std::vector<double> param, expAvg, expAvgSq;

  /// SGD's update from the gradient `g`, with learning rate `lr`.
  void sgd(const std::vector<float> &g, double lr) {
    for (size_t i = 0; i < param.size(); ++i)
      param[i] -= lr * (g[i] + kWeightDecay * param[i]);
  }

  /// AdamW's update from the gradient `g` at `step` (counted from 1).
  void adamw(const std::vector<float> &g, int64_t step) {
    double correction1 = 1 - std::pow(kBeta1, step),
           correction2 = 1 - std::pow(kBeta2, step);
    for (size_t i = 0; i < param.size(); ++i) {
      double &p = param[i], &m = expAvg[i], &v = expAvgSq[i];
      p *= 1 - kLr * kWeightDecay;
      m = kBeta1 * m + (1 - kBeta1) * g[i];
      v = kBeta2 * v + (1 - kBeta2) * double(g[i]) * g[i];
      p -= kLr / correction1 * m /
           (std::sqrt(v) / std::sqrt(correction2) + kEps);
    }
  }

  void round(int32_t dtype) {
    for (std::vector<double> *values : {&param, &expAvg, &expAvgSq})
      for (double &value : *values)
        value = widened(dtype, narrowed(dtype, {float(value)}))[0];
  }
};

TEST_F(KernelsTest, SgdOverThreeSteps) {
  const int64_t count = 37;
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    std::vector<unsigned char> param =
        narrowed(type.dtype, randomFloats(count, 34));
    ReferenceParameter reference;
    std::vector<float> start = widened(type.dtype, param);
    reference.param.assign(start.begin(), start.end());
    for (int64_t step = 1; step <= 3; ++step) {
      std::vector<unsigned char> grad =
          narrowed(type.dtype, randomFloats(count, 35 + step));
      reference.sgd(widened(type.dtype, grad), kLr * 10);
      reference.round(type.dtype);
      tprt_sgd(&ctx, "w", type.dtype, param.data(), grad.data(), count,
               kLr * 10, kWeightDecay);
      SCOPED_TRACE("step " + std::to_string(step));
      expectNear(widened(type.dtype, param), reference.param, type.tolerance);
    }
  }
}

TEST_F(KernelsTest, AdamWOverThreeSteps) {
  const int64_t count = 37;
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    std::vector<unsigned char> param =
        narrowed(type.dtype, randomFloats(count, 40));
    size_t bytes = param.size();
    // The state starts at zero, as main starts it.
    std::vector<unsigned char> expAvg(bytes, 0), expAvgSq(bytes, 0);
    ReferenceParameter reference;
    std::vector<float> start = widened(type.dtype, param);
    reference.param.assign(start.begin(), start.end());
    reference.expAvg.assign(count, 0.0);
    reference.expAvgSq.assign(count, 0.0);
    for (int64_t step = 1; step <= 3; ++step) {
      std::vector<unsigned char> grad =
          narrowed(type.dtype, randomFloats(count, 41 + step));
      reference.adamw(widened(type.dtype, grad), step);
      reference.round(type.dtype);
      tprt_adamw(&ctx, "w", type.dtype, param.data(), grad.data(),
                 expAvg.data(), expAvgSq.data(), count, step, kLr, kBeta1,
                 kBeta2, kEps, kWeightDecay);
      SCOPED_TRACE("step " + std::to_string(step));
      expectNear(widened(type.dtype, param), reference.param, type.tolerance);
      expectNear(widened(type.dtype, expAvg), reference.expAvg, type.tolerance);
      expectNear(widened(type.dtype, expAvgSq), reference.expAvgSq,
                 type.tolerance);
    }
  }
}

/// The 16-bit dtypes: those of a parameter with an f32 master copy.
const TestType k16BitTypes[] = {kTypes[1], kTypes[2]};

/// A 16-bit parameter of `count` random elements (from `seed`) and its f32
/// master copy and reference, each starting as the parameter widened, as
/// main starts them.
struct MasterCopy {
  MasterCopy(int32_t dtype, int64_t count, unsigned seed)
      : param(narrowed(dtype, randomFloats(count, seed))),
        master(widened(dtype, param)) {
    reference.param.assign(master.begin(), master.end());
  }
  std::vector<unsigned char> param;
  std::vector<float> master;
  ReferenceParameter reference;
};

TEST_F(KernelsTest, SgdMasterOverThreeSteps) {
  const int64_t count = 37;
  for (const TestType &type : k16BitTypes) {
    SCOPED_TRACE(type.name);
    MasterCopy w(type.dtype, count, 34);
    for (int64_t step = 1; step <= 3; ++step) {
      std::vector<unsigned char> grad =
          narrowed(type.dtype, randomFloats(count, 35 + step));
      // An f32 parameter's update, applied to the master, never rounded.
      w.reference.sgd(widened(type.dtype, grad), kLr * 10);
      tprt_sgd_master(&ctx, "w", type.dtype, w.param.data(), grad.data(),
                      w.master.data(), count, kLr * 10, kWeightDecay);
      SCOPED_TRACE("step " + std::to_string(step));
      expectNear(w.master, w.reference.param, kTypes[0].tolerance);
      EXPECT_EQ(w.param, narrowed(type.dtype, w.master));
    }
  }
}

TEST_F(KernelsTest, AdamWMasterOverThreeSteps) {
  const int64_t count = 37;
  for (const TestType &type : k16BitTypes) {
    SCOPED_TRACE(type.name);
    MasterCopy w(type.dtype, count, 40);
    // The f32 moments start at zero, as main starts them.
    std::vector<float> expAvg(count, 0.0f), expAvgSq(count, 0.0f);
    w.reference.expAvg.assign(count, 0.0);
    w.reference.expAvgSq.assign(count, 0.0);
    for (int64_t step = 1; step <= 3; ++step) {
      std::vector<unsigned char> grad =
          narrowed(type.dtype, randomFloats(count, 41 + step));
      w.reference.adamw(widened(type.dtype, grad), step);
      tprt_adamw_master(&ctx, "w", type.dtype, w.param.data(), grad.data(),
                        w.master.data(), expAvg.data(), expAvgSq.data(), count,
                        step, kLr, kBeta1, kBeta2, kEps, kWeightDecay);
      SCOPED_TRACE("step " + std::to_string(step));
      expectNear(w.master, w.reference.param, kTypes[0].tolerance);
      expectNear(expAvg, w.reference.expAvg, kTypes[0].tolerance);
      expectNear(expAvgSq, w.reference.expAvgSq, kTypes[0].tolerance);
      EXPECT_EQ(w.param, narrowed(type.dtype, w.master));
    }
  }
}

TEST_F(KernelsTest, MasterCopiesKeepUpdatesBelowTheDTypesSpacing) {
  // bf16 holds 1 and 1 + 2^-7, nothing between: SGD steps of 2^-9 leave a
  // bf16 parameter at 1, but its master moves, and the parameter with it
  // once the master is nearer 1 + 2^-7 (after 3 steps).
  std::vector<unsigned char> param = narrowed(TPRT_BF16, {1.0f}),
                             grad = narrowed(TPRT_BF16, {-1.0f});
  std::vector<float> master = {1.0f};
  const double lr = std::ldexp(1.0, -9);
  for (int step = 1; step <= 3; ++step) {
    tprt_sgd(&ctx, "w", TPRT_BF16, param.data(), grad.data(), 1, lr, 0.0);
    EXPECT_EQ(widened(TPRT_BF16, param)[0], 1.0f);
  }
  param = narrowed(TPRT_BF16, {1.0f});
  for (int step = 1; step <= 3; ++step) {
    tprt_sgd_master(&ctx, "w", TPRT_BF16, param.data(), grad.data(),
                    master.data(), 1, lr, 0.0);
    EXPECT_EQ(master[0], 1.0f + step * std::ldexp(1.0f, -9));
    EXPECT_EQ(widened(TPRT_BF16, param)[0],
              step < 3 ? 1.0f : 1.0f + std::ldexp(1.0f, -7));
  }
}

TEST_F(KernelsTest, StepNumberIsTheContexts) {
  EXPECT_EQ(tprt_step_number(&ctx, "step"), 1);
  ctx.step = 42;
  EXPECT_EQ(tprt_step_number(&ctx, "step"), 42);
}

TEST_F(KernelsTest, CrossEntropy) {
  const int64_t positions = 3, classes = 5;
  std::vector<float> logits = randomFloats(positions * classes, 18);
  std::vector<int64_t> labels = {4, 0, 2};
  std::vector<float> loss(1);
  tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits.data(), labels.data(),
                     loss.data(), positions, classes, /*class_offset=*/0,
                     /*total_classes=*/classes, /*axis_mask=*/0);
  expectNear(loss,
             {referenceCrossEntropySum(toDouble(logits), labels, classes) /
              positions});
}

TEST_F(KernelsTest, EmbeddingWithRowOffset) {
  // This rank holds rows [3, 6) of a 7-row table; other ids give zeros.
  const int64_t rows = 3, dim = 4, offset = 3, total = 7;
  std::vector<float> table = randomFloats(rows * dim, 19);
  std::vector<int64_t> ids = {0, 4, 6, 3, 5};
  std::vector<float> y(ids.size() * dim);
  tprt_embedding(&ctx, "tok_embeddings", TPRT_F32, ids.data(), table.data(),
                 y.data(), ids.size(), rows, dim, offset, total);
  for (size_t i = 0; i < ids.size(); ++i)
    for (int64_t d = 0; d < dim; ++d)
      EXPECT_EQ(y[i * dim + d], ids[i] >= offset && ids[i] < offset + rows
                                    ? table[(ids[i] - offset) * dim + d]
                                    : 0.0f);
}

TEST_F(KernelsDeathTest, BadArgumentsNameTheCall) {
  std::vector<float> logits(10), y(8);
  std::vector<int64_t> labels = {1, 5};
  EXPECT_EXIT(tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits.data(),
                                 labels.data(), y.data(), 2, 5, 0, 5, 0),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_cross_entropy 'loss': label 5 at position 1 "
              "is outside \\[0, 5\\)");
  // A split of the classes must lie within them, and cover them where no
  // other rank holds any.
  labels = {1, 0};
  EXPECT_EXIT(tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits.data(),
                                 labels.data(), y.data(), 2, 5, 3, 7, 0),
              ::testing::ExitedWithCode(1),
              "tprt_cross_entropy 'loss': this rank's 5 classes from class 3 "
              "on are not within the 7 total classes");
  EXPECT_EXIT(tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits.data(),
                                 labels.data(), y.data(), 2, 5, 0, 10, 0),
              ::testing::ExitedWithCode(1),
              "tprt_cross_entropy 'loss': this rank holds 5 of the 10 classes "
              "but axis mask 0 splits them over no other rank");
  EXPECT_EXIT(tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits.data(),
                                 labels.data(), y.data(), 2, 5, 0, 5, 1),
              ::testing::ExitedWithCode(1),
              "tprt_cross_entropy 'loss': axis mask 1 names axes beyond the "
              "mesh's 0");
  std::vector<int64_t> ids = {7};
  EXPECT_EXIT(tprt_embedding(&ctx, "emb", TPRT_F32, ids.data(), logits.data(),
                             y.data(), 1, 2, 2, 0, 7),
              ::testing::ExitedWithCode(1),
              "tprt_embedding 'emb': id 7 at position 0 is outside \\[0, 7\\)");
  EXPECT_EXIT(tprt_attention(&ctx, "attn", TPRT_F32, y.data(), y.data(),
                             y.data(), y.data(), y.data(), 4096, 1, 1, 1, 3, 2,
                             1, 0, 1.0),
              ::testing::ExitedWithCode(1),
              "3 query heads are not a multiple of 2 key/value heads");
  // One query row of one head over 2 keys needs 64 * 2 + 8 * 2 bytes.
  EXPECT_EXIT(tprt_attention(&ctx, "attn", TPRT_F32, y.data(), y.data(),
                             y.data(), y.data(), y.data(), 143, 1, 1, 2, 1, 1,
                             1, 0, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_attention 'attn': a workspace of 143 bytes holds no query "
              "row; it needs 144");
  EXPECT_EXIT(
      tprt_all_reduce(&ctx, "test", TPRT_F32, y.data(), y.data(), 1, 2),
      ::testing::ExitedWithCode(1),
      "tprt_all_reduce 'test': axis mask 2 names axes beyond the mesh's 0");
  const int64_t shape[] = {2, 4}, repeated[] = {1, 1};
  EXPECT_EXIT(
      tprt_transpose(&ctx, "t", y.data(), y.data(), 4, 2, shape, repeated),
      ::testing::ExitedWithCode(1),
      "tprt_transpose 't': perm is not a permutation of the 2 dims");
  EXPECT_EXIT(tprt_sum(&ctx, "s", TPRT_F32, y.data(), y.data(), 2, shape, 4),
              ::testing::ExitedWithCode(1),
              "tprt_sum 's': dim mask 4 names dims beyond the 2 of x");
  EXPECT_EXIT(
      tprt_broadcast(&ctx, "b", TPRT_F32, y.data(), y.data(), 2, shape, 4),
      ::testing::ExitedWithCode(1),
      "tprt_broadcast 'b': dim mask 4 names dims beyond the 2 of y");
  EXPECT_EXIT(tprt_linear_input_grad(&ctx, "proj", TPRT_F32, y.data(), y.data(),
                                     y.data(), -1, 1, 1),
              ::testing::ExitedWithCode(1),
              "tprt_linear_input_grad 'proj': m = -1 is outside");
  EXPECT_EXIT(tprt_linear_weight_grad(&ctx, "proj", 5, y.data(), y.data(),
                                      y.data(), 1, 1, 1),
              ::testing::ExitedWithCode(1),
              "tprt_linear_weight_grad 'proj': dtype 5 is not one of");
  EXPECT_EXIT(tprt_fill(&ctx, "seed", 3, y.data(), 1, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_fill 'seed': dtype 3 is not one of");
  EXPECT_EXIT(tprt_sgd(&ctx, "w", -1, y.data(), y.data(), 1, 0.1, 0.0),
              ::testing::ExitedWithCode(1), "tprt_sgd 'w': dtype -1");
  EXPECT_EXIT(tprt_adamw(&ctx, "w", TPRT_F32, y.data(), y.data(), y.data(),
                         y.data(), 1, 0, 0.1, 0.9, 0.999, 1e-8, 0.0),
              ::testing::ExitedWithCode(1),
              "tprt_adamw 'w': step 0 is not counted from 1");
  // A master copy is of a 16-bit parameter only.
  EXPECT_EXIT(tprt_sgd_master(&ctx, "w", TPRT_F32, y.data(), y.data(), y.data(),
                              1, 0.1, 0.0),
              ::testing::ExitedWithCode(1),
              "tprt_sgd_master 'w': dtype f32 \\(0\\) has no master copy; it "
              "must be f16 \\(1\\) or bf16 \\(2\\)");
  EXPECT_EXIT(tprt_adamw_master(&ctx, "w", 7, y.data(), y.data(), y.data(),
                                y.data(), y.data(), 1, 1, 0.1, 0.9, 0.999, 1e-8,
                                0.0),
              ::testing::ExitedWithCode(1),
              "tprt_adamw_master 'w': dtype 7 is not one of");
  EXPECT_EXIT(tprt_adamw_master(&ctx, "w", TPRT_BF16, y.data(), y.data(),
                                y.data(), y.data(), y.data(), 1, 0, 0.1, 0.9,
                                0.999, 1e-8, 0.0),
              ::testing::ExitedWithCode(1),
              "tprt_adamw_master 'w': step 0 is not counted from 1");
  EXPECT_EXIT(tprt_rope(&ctx, "r", TPRT_F32, y.data(), y.data(), 1, 1, 1, 5,
                        10000.0, TPRT_ROPE_INTERLEAVED, nullptr, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope 'r': head_dim 5 must be even");
  EXPECT_EXIT(tprt_rope(&ctx, "r", TPRT_F32, y.data(), y.data(), 1, 1, 1, 4,
                        10000.0, 2, nullptr, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope 'r': convention 2 is neither interleaved \\(0\\) "
              "nor half \\(1\\)");
  const double zeroFactor[] = {1.0, 0.0};
  EXPECT_EXIT(tprt_rope(&ctx, "r", TPRT_F32, y.data(), y.data(), 1, 1, 1, 4,
                        10000.0, TPRT_ROPE_HALF, zeroFactor, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope 'r': frequency factor 1 is 0.000000, not positive");
}

TEST_F(KernelsTest, CollectivesOfOneRankCopy) {
  std::vector<float> x = randomFloats(6, 20), y(6);
  tprt_all_reduce(&ctx, "test", TPRT_F32, x.data(), y.data(), 6, 0);
  EXPECT_EQ(x, y);
  std::fill(y.begin(), y.end(), 0.0f);
  tprt_all_gather(&ctx, "test", x.data(), y.data(), 2, 3 * sizeof(float), 0);
  EXPECT_EQ(x, y);
  EXPECT_EQ(tprt_group_index(&ctx, "test", 0), 0);
}

} // namespace
