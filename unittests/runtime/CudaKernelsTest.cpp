//===- CudaKernelsTest.cpp - cuda kernels against the cpu kernels ---------===//
//
// This file checks every kernel of the cuda backend (tprt::cuda, Cuda.h)
// against the cpu backend's (the C API of tprt_cpu, linked into the same
// binary) on small, odd shapes that cross the cuda kernels' block and tile
// sizes: inputs are copied to the device, both run, the cuda result is copied
// back and compared. Also: invalid ids and labels end the process with the
// cpu backend's messages, and collectives of one rank copy. The kernels run
// on a default context (one rank, no mesh, GPU 0), which needs no MPI.
//
// Without a usable GPU the binary prints "SKIPPED: no CUDA device (...)" and
// exits 77, which ctest reports as skipped.
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "Cuda.h"
#include "CudaTestSupport.h"
#include "tprt/tprt.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace tprt_test;
namespace cuda = tprt::cuda;

namespace {

class CudaKernelsTest : public ::testing::Test {
protected:
  tprt_context ctx;
};

using CudaKernelsDeathTest = CudaKernelsTest;

TEST_F(CudaKernelsTest, Linear) {
  struct Case {
    int64_t m, n, k;
  };
  for (Case c : {Case{37, 29, 53}, Case{1, 300, 7}, Case{5, 3, 0}}) {
    std::vector<float> x = randomFloats(c.m * c.k, 1),
                       w = randomFloats(c.n * c.k, 2),
                       bias = randomFloats(c.n, 3), y(c.m * c.n);
    DeviceArray<float> dx(x), dw(w), dbias(bias);
    for (bool withBias : {false, true}) {
      SCOPED_TRACE("m " + std::to_string(c.m) + " k " + std::to_string(c.k) +
                   (withBias ? " with bias" : ""));
      DeviceArray<float> dy(y.size());
      tprt_linear(&ctx, "proj", x.data(), w.data(),
                  withBias ? bias.data() : nullptr, y.data(), c.m, c.n, c.k);
      cuda::linear(&ctx, "proj", dx, dw, withBias ? dbias.get() : nullptr, dy,
                   c.m, c.n, c.k);
      expectClose(dy.read(), y, 1e-5);
    }
  }
}

TEST_F(CudaKernelsTest, BatchedMatmul) {
  const int64_t batch = 3, m = 7, n = 5, k = 9;
  std::vector<float> a = randomFloats(batch * m * k, 4),
                     b = randomFloats(batch * k * n, 5), c(batch * m * n);
  DeviceArray<float> da(a), db(b), dc(c.size());
  tprt_matmul(&ctx, "scores", a.data(), b.data(), c.data(), batch, m, n, k);
  cuda::matmul(&ctx, "scores", da, db, dc, batch, m, n, k);
  expectClose(dc.read(), c);
  // k = 0 gives zeros.
  DeviceArray<float> empty(c.size());
  cuda::matmul(&ctx, "scores", da, db, empty, batch, m, n, 0);
  expectClose(empty.read(), std::vector<float>(c.size(), 0.0f));
}

TEST_F(CudaKernelsTest, Elementwise) {
  const int64_t count = 1001;
  std::vector<float> a = randomFloats(count, 6), b = randomFloats(count, 7),
                     y(count);
  for (int i = 0; i < 8; ++i)
    a[i] *= 8.0f; // the tails of the activations
  DeviceArray<float> da(a), db(b), dy(count);
  auto compare = [&](const char *op) {
    SCOPED_TRACE(op);
    expectClose(dy.read(), y);
  };
  tprt_add(&ctx, a.data(), b.data(), y.data(), count);
  cuda::add(&ctx, da, db, dy, count);
  compare("add");
  tprt_mul(&ctx, a.data(), b.data(), y.data(), count);
  cuda::mul(&ctx, da, db, dy, count);
  compare("mul");
  tprt_silu(&ctx, a.data(), y.data(), count);
  cuda::silu(&ctx, da, dy, count);
  compare("silu");
  tprt_silu_mul(&ctx, a.data(), b.data(), y.data(), count);
  cuda::siluMul(&ctx, da, db, dy, count);
  compare("silu_mul");
  tprt_relu(&ctx, a.data(), y.data(), count);
  cuda::relu(&ctx, da, dy, count);
  compare("relu");
  for (int32_t approx : {0, 1}) {
    tprt_gelu(&ctx, a.data(), y.data(), count, approx);
    cuda::gelu(&ctx, da, dy, count, approx);
    compare(approx ? "gelu tanh" : "gelu");
  }
  tprt_scale(&ctx, a.data(), y.data(), count, 0.125);
  cuda::scale(&ctx, da, dy, count, 0.125);
  compare("scale");
  // Elementwise kernels may work in place.
  tprt_add(&ctx, a.data(), b.data(), y.data(), count);
  cuda::add(&ctx, da, db, da, count);
  SCOPED_TRACE("add in place");
  expectClose(da.read(), y);
}

TEST_F(CudaKernelsTest, Norms) {
  const double epsilon = 1e-5;
  for (int64_t features : {7, 300}) {
    const int64_t rows = 5;
    std::vector<float> x = randomFloats(rows * features, 8),
                       weight = randomFloats(features, 9),
                       bias = randomFloats(features, 10), y(rows * features);
    for (int i = 0; i < rows * features; i += 3)
      x[i] += 2.0f; // a mean far from 0
    DeviceArray<float> dx(x), dweight(weight), dbias(bias), dy(y.size());
    SCOPED_TRACE("features " + std::to_string(features));
    tprt_rms_norm(&ctx, "norm", x.data(), weight.data(), y.data(), rows,
                  features, epsilon);
    cuda::rmsNorm(&ctx, "norm", dx, dweight, dy, rows, features, epsilon);
    expectClose(dy.read(), y);
    tprt_layer_norm(&ctx, "norm", x.data(), weight.data(), bias.data(),
                    y.data(), rows, features, epsilon);
    cuda::layerNorm(&ctx, "norm", dx, dweight, dbias, dy, rows, features,
                    epsilon);
    expectClose(dy.read(), y);
    tprt_layer_norm(&ctx, "norm", x.data(), weight.data(), nullptr, y.data(),
                    rows, features, epsilon);
    cuda::layerNorm(&ctx, "norm", dx, dweight, nullptr, dy, rows, features,
                    epsilon);
    expectClose(dy.read(), y);
  }
}

TEST_F(CudaKernelsTest, SoftmaxOnMiddleAndLastDim) {
  const int64_t outer = 3;
  for (int64_t dim : {3, 300})
    for (int64_t inner : {5, 1}) {
      std::vector<float> x = randomFloats(outer * dim * inner, 11), y(x.size());
      x[0] = 80.0f; // large logits must not overflow
      DeviceArray<float> dx(x), dy(x.size());
      tprt_softmax(&ctx, x.data(), y.data(), outer, dim, inner);
      cuda::softmax(&ctx, dx, dy, outer, dim, inner);
      SCOPED_TRACE("dim " + std::to_string(dim) + " inner " +
                   std::to_string(inner));
      expectClose(dy.read(), y);
    }
}

/// Checks cuda::transpose against tprt_transpose on bytes of a tensor of
/// `shape` with elements of `elementBytes` bytes.
void checkTranspose(tprt_context &ctx, std::vector<int64_t> shape,
                    std::vector<int64_t> perm, int64_t elementBytes) {
  int64_t count = elementBytes;
  for (int64_t size : shape)
    count *= size;
  std::vector<unsigned char> x(count), y(count);
  for (int64_t i = 0; i < count; ++i)
    x[i] = static_cast<unsigned char>(i * 7 + 3);
  DeviceArray<unsigned char> dx(x), dy(count);
  tprt_transpose(&ctx, x.data(), y.data(), elementBytes, shape.size(),
                 shape.data(), perm.data());
  cuda::transpose(&ctx, dx, dy, elementBytes, shape.size(), shape.data(),
                  perm.data());
  EXPECT_EQ(dy.read(), y) << "element bytes " << elementBytes;
}

TEST_F(CudaKernelsTest, Transpose) {
  checkTranspose(ctx, {2, 3, 4}, {2, 0, 1}, sizeof(float));
  checkTranspose(ctx, {2, 3, 4, 5}, {0, 2, 1, 3}, sizeof(int64_t));
  // Units narrower than the element: 12 bytes go as 3 x 4, 6 as 3 x 2.
  checkTranspose(ctx, {3, 5}, {1, 0}, 12);
  checkTranspose(ctx, {7, 3, 5}, {2, 1, 0}, 6);
  checkTranspose(ctx, {7, 3, 5}, {1, 2, 0}, 1);
  checkTranspose(ctx, {33, 17}, {1, 0}, 16);
  checkTranspose(ctx, {}, {}, 8);
}

TEST_F(CudaKernelsTest, Copy) {
  std::vector<float> x = randomFloats(7, 12);
  DeviceArray<float> dx(x), dy(7);
  cuda::copy(&ctx, dx, dy, 7 * sizeof(float));
  EXPECT_EQ(dy.read(), x);
}

TEST_F(CudaKernelsTest, Rope) {
  const int64_t batch = 2, seq = 5, heads = 3, headDim = 10;
  for (double theta : {10000.0, 500000.0}) {
    std::vector<float> x = randomFloats(batch * seq * heads * headDim, 13),
                       y(x.size());
    DeviceArray<float> dx(x), dy(x.size());
    tprt_rope(&ctx, x.data(), y.data(), batch, seq, heads, headDim, theta);
    cuda::rope(&ctx, dx, dy, batch, seq, heads, headDim, theta);
    SCOPED_TRACE("theta " + std::to_string(theta));
    expectClose(dy.read(), y);
  }
}

struct AttentionCase {
  int64_t batch, qSeq, kvSeq, qHeads, kvHeads, dim;
  bool causal;
};

TEST_F(CudaKernelsTest, AttentionCausalAndGroupedQuery) {
  // Grouped heads, both masks, fewer queries than keys, key counts across
  // the kernel's tile of 128 keys, and head dims across its 128 threads.
  const AttentionCase cases[] = {
      {2, 5, 5, 4, 2, 3, true},     {2, 5, 5, 4, 2, 3, false},
      {1, 3, 5, 3, 1, 4, false},    {1, 3, 5, 2, 2, 4, true},
      {1, 131, 131, 2, 1, 5, true}, {2, 3, 300, 4, 2, 7, false},
      {1, 4, 9, 2, 2, 130, true},   {1, 257, 257, 1, 1, 64, true},
      {1, 2, 0, 2, 1, 4, false}};
  for (const AttentionCase &c : cases) {
    std::vector<float> q = randomFloats(c.batch * c.qSeq * c.qHeads * c.dim,
                                        14),
                       k = randomFloats(c.batch * c.kvSeq * c.kvHeads * c.dim,
                                        15),
                       v = randomFloats(c.batch * c.kvSeq * c.kvHeads * c.dim,
                                        16),
                       o(q.size());
    DeviceArray<float> dq(q), dk(k), dv(v), dout(q.size());
    double scale = 1.0 / std::sqrt(double(c.dim));
    tprt_attention(&ctx, "attention", q.data(), k.data(), v.data(), o.data(),
                   c.batch, c.qSeq, c.kvSeq, c.qHeads, c.kvHeads, c.dim,
                   c.causal, scale);
    cuda::attention(&ctx, "attention", dq, dk, dv, dout, c.batch, c.qSeq,
                    c.kvSeq, c.qHeads, c.kvHeads, c.dim, c.causal, scale);
    SCOPED_TRACE("q_seq " + std::to_string(c.qSeq) + " kv_seq " +
                 std::to_string(c.kvSeq) + " head_dim " +
                 std::to_string(c.dim) + " causal " + std::to_string(c.causal));
    expectClose(dout.read(), o, 1e-4);
  }
}

TEST_F(CudaKernelsTest, SumOverDimMask) {
  for (const std::vector<int64_t> &shape :
       {std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{3, 5, 70},
        std::vector<int64_t>{}}) {
    int64_t count = 1;
    for (int64_t size : shape)
      count *= size;
    std::vector<float> x = randomFloats(count, 17);
    DeviceArray<float> dx(x);
    int64_t rank = shape.size();
    for (int64_t mask = 0; mask < int64_t(1) << rank; ++mask) {
      int64_t outputs = 1;
      for (int64_t d = 0; d < rank; ++d)
        if (!(mask >> d & 1))
          outputs *= shape[d];
      std::vector<float> y(outputs);
      DeviceArray<float> dy(outputs);
      tprt_sum(&ctx, x.data(), y.data(), rank, shape.data(), mask);
      cuda::sum(&ctx, dx, dy, rank, shape.data(), mask);
      SCOPED_TRACE("rank " + std::to_string(rank) + " dim mask " +
                   std::to_string(mask));
      expectClose(dy.read(), y);
    }
  }
}

TEST_F(CudaKernelsTest, CrossEntropy) {
  const int64_t positions = 7, classes = 1000;
  std::vector<float> logits = randomFloats(positions * classes, 18);
  logits[5] = 30.0f;
  std::vector<int64_t> labels = {4, 0, 999, 2, 500, 7, 5};
  DeviceArray<float> dlogits(logits), dloss(1);
  DeviceArray<int64_t> dlabels(labels);
  std::vector<float> loss(1);
  tprt_cross_entropy(&ctx, "loss", logits.data(), labels.data(), loss.data(),
                     positions, classes);
  cuda::crossEntropy(&ctx, "loss", dlogits, dlabels, dloss, positions, classes);
  expectClose(dloss.read(), loss);
}

TEST_F(CudaKernelsTest, EmbeddingWithRowOffset) {
  // This rank holds rows [3, 6) of a 7-row table; other ids give zeros.
  const int64_t rows = 3, dim = 300, offset = 3, total = 7;
  std::vector<float> table = randomFloats(rows * dim, 19);
  std::vector<int64_t> ids = {0, 4, 6, 3, 5};
  std::vector<float> y(ids.size() * dim);
  DeviceArray<float> dtable(table), dy(y.size());
  DeviceArray<int64_t> dids(ids);
  tprt_embedding(&ctx, "tok_embeddings", ids.data(), table.data(), y.data(),
                 ids.size(), rows, dim, offset, total);
  cuda::embedding(&ctx, "tok_embeddings", dids, dtable, dy, ids.size(), rows,
                  dim, offset, total);
  EXPECT_EQ(dy.read(), y);
}

TEST_F(CudaKernelsDeathTest, BadArgumentsNameTheCall) {
  DeviceArray<float> logits(std::vector<float>(10, 0.0f)), y(8);
  DeviceArray<int64_t> labels(std::vector<int64_t>{1, 5, 9});
  EXPECT_EXIT(cuda::crossEntropy(&ctx, "loss", logits, labels, y, 2, 5),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_cross_entropy 'loss': label 5 at position 1 "
              "is outside \\[0, 5\\)");
  DeviceArray<int64_t> ids(std::vector<int64_t>{1, 7, -1});
  EXPECT_EXIT(cuda::embedding(&ctx, "emb", ids, logits, y, 3, 2, 2, 0, 7),
              ::testing::ExitedWithCode(1),
              "tprt_embedding 'emb': id 7 at position 1 is outside \\[0, 7\\)");
  EXPECT_EXIT(
      cuda::attention(&ctx, "attn", y, y, y, y, 1, 1, 1, 3, 2, 1, 0, 1.0),
      ::testing::ExitedWithCode(1),
      "3 query heads are not a multiple of 2 key/value heads");
  EXPECT_EXIT(cuda::allReduce(&ctx, y, y, 1, 2), ::testing::ExitedWithCode(1),
              "tprt_all_reduce: axis mask 2 names axes beyond the mesh's 0");
}

TEST_F(CudaKernelsTest, CollectivesOfOneRankCopy) {
  std::vector<float> x = randomFloats(6, 20);
  DeviceArray<float> dx(x), dy(6);
  cuda::allReduce(&ctx, dx, dy, 6, 0);
  EXPECT_EQ(dy.read(), x);
  DeviceArray<float> gathered(6);
  cuda::allGather(&ctx, dx, gathered, 2, 3 * sizeof(float), 0);
  EXPECT_EQ(gathered.read(), x);
  DeviceArray<float> scattered(6);
  cuda::reduceScatter(&ctx, dx, scattered, 2, 3, 0);
  EXPECT_EQ(scattered.read(), x);
  DeviceArray<float> sliced(6);
  cuda::localSlice(&ctx, dx, sliced, 2, 3 * sizeof(float), 0);
  EXPECT_EQ(sliced.read(), x);
  const int64_t shape[] = {2, 3};
  DeviceArray<float> moved(6);
  cuda::allToAll(&ctx, dx, moved, sizeof(float), 2, shape, 1, 0, 0);
  EXPECT_EQ(moved.read(), x);
}

TEST_F(CudaKernelsTest, BackendCopiesRoundTrip) {
  std::vector<float> x = randomFloats(100, 21), back(100);
  char *device = cuda::allocate(ctx, x.size() * sizeof(float), "a test");
  char *host = cuda::allocateHost(ctx, x.size() * sizeof(float));
  std::memcpy(host, x.data(), x.size() * sizeof(float));
  cuda::copyToDevice(ctx, device, host, x.size() * sizeof(float));
  cuda::scale(&ctx, reinterpret_cast<float *>(device),
              reinterpret_cast<float *>(device), x.size(), 2.0);
  cuda::synchronize(ctx);
  cuda::copyToHost(ctx, back.data(), device, x.size() * sizeof(float));
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(back[i], x[i] * 2.0f) << "at element " << i;
  cuda::releaseHost(ctx, host);
  cuda::release(ctx, device);
}

} // namespace

int main(int argc, char **argv) {
  if (int status = checkCudaDevice())
    return status;
  ::testing::InitGoogleTest(&argc, argv);
  // A forked child cannot use the parent's CUDA context: death tests re-run
  // the binary instead.
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  return RUN_ALL_TESTS();
}
