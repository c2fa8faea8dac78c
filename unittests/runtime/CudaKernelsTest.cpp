//===- CudaKernelsTest.cpp - cuda kernels against the cpu kernels ---------===//
//
// This file checks every kernel of the cuda backend (tprt::cuda) against the
// cpu backend's (tprt::cpu, of tprt_cpu, linked into the same binary) on
// small, odd shapes that cross the cuda kernels' block and tile sizes, in
// each dtype (f32, f16, bf16): the same inputs, rounded to the dtype, are
// copied to the device, both run, the cuda result is copied back and
// compared. The elementwise kernels are those ElementwiseOps.h lists, run
// through each backend's table. Also: invalid arguments end the process with
// the cpu backend's messages, and collectives of one rank copy. The kernels
// run on a default context (one rank, no mesh, GPU 0), which needs no MPI.
//
// Without a usable GPU the binary prints "SKIPPED: no CUDA device (...)" and
// exits 77, which ctest reports as skipped.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "CudaTestSupport.h"
#include "DType.h"
#include "ElementwiseOps.h"
#include "ReferenceKernels.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace tprt_test;
namespace cpu = tprt::cpu;
namespace cuda = tprt::cuda;

namespace {

/// A float tensor of one dtype for both backends: in host memory for the cpu
/// one, in device memory for the cuda one. An input holds the same values
/// (f32 values rounded to the dtype) in both.
class Tensor {
public:
  /// An input holding `values` rounded to `dtype`.
  Tensor(int32_t dtype, const std::vector<float> &values)
      : dtype(dtype), host(narrowed(dtype, values)), device(host) {}
  /// An output of `count` elements (NaN on the device until written).
  Tensor(int32_t dtype, size_t count)
      : dtype(dtype), host(count * tprt::floatDTypeBytes(dtype)),
        device(host.size()) {}

  /// The tensor from element `first` on, for the cpu and the cuda backend.
  void *cpu(int64_t first = 0) { return host.data() + first * elementBytes(); }
  void *gpu(int64_t first = 0) const {
    return device.get() + first * elementBytes();
  }

  /// What the cpu backend left on the host, and the cuda backend on the
  /// device, as f32.
  std::vector<float> cpuValues() const { return widened(dtype, host); }
  std::vector<float> cudaValues() const {
    return widened(dtype, device.read());
  }

private:
  int64_t elementBytes() const { return tprt::floatDTypeBytes(dtype); }
  int32_t dtype;
  std::vector<unsigned char> host;
  DeviceArray<unsigned char> device;
};

/// Expects the two backends' results in `y` within `type`'s tolerance.
void expectSame(const TestType &type, const Tensor &y) {
  expectClose(y.cudaValues(), y.cpuValues(), type.tolerance);
}

class CudaKernelsTest : public ::testing::Test {
protected:
  tprt_context ctx;
};

using CudaKernelsDeathTest = CudaKernelsTest;

TEST_F(CudaKernelsTest, Linear) {
  struct Case {
    int64_t m, n, k;
  };
  for (const TestType &type : kTypes)
    for (Case c : {Case{37, 29, 53}, Case{1, 300, 7}, Case{5, 3, 0}}) {
      Tensor x(type.dtype, randomFloats(c.m * c.k, 1)),
          w(type.dtype, randomFloats(c.n * c.k, 2)),
          bias(type.dtype, randomFloats(c.n, 3));
      for (bool withBias : {false, true}) {
        SCOPED_TRACE(std::string(type.name) + " m " + std::to_string(c.m) +
                     " k " + std::to_string(c.k) +
                     (withBias ? " with bias" : ""));
        Tensor y(type.dtype, c.m * c.n);
        cpu::linear(&ctx, "proj", type.dtype, x.cpu(), w.cpu(),
                    withBias ? bias.cpu() : nullptr, y.cpu(), c.m, c.n, c.k);
        cuda::linear(&ctx, "proj", type.dtype, x.gpu(), w.gpu(),
                     withBias ? bias.gpu() : nullptr, y.gpu(), c.m, c.n, c.k);
        expectSame(type, y);
      }
    }
}

TEST_F(CudaKernelsTest, LinearBiasPlansServeEveryBiasAndAlignment) {
  // The cuBLASLt plan of a shape, made by the first call, must take the
  // bias of each later call; x one element past an aligned address gets a
  // plan of its own (or, where cuBLASLt has no algorithm for it, the GEMM
  // over rows filled with the bias).
  const int64_t m = 9, n = 24, k = 40;
  for (const TestType &type : kTypes) {
    Tensor x(type.dtype, randomFloats(m * k + 1, 22)),
        w(type.dtype, randomFloats(n * k, 23));
    for (unsigned seed : {24u, 25u}) {
      Tensor bias(type.dtype, randomFloats(n, seed));
      for (int64_t first : {0, 1}) {
        SCOPED_TRACE(std::string(type.name) + " bias " + std::to_string(seed) +
                     " x at element " + std::to_string(first));
        Tensor y(type.dtype, m * n);
        cpu::linear(&ctx, "proj", type.dtype, x.cpu(first), w.cpu(), bias.cpu(),
                    y.cpu(), m, n, k);
        cuda::linear(&ctx, "proj", type.dtype, x.gpu(first), w.gpu(),
                     bias.gpu(), y.gpu(), m, n, k);
        expectSame(type, y);
      }
    }
  }
}

TEST_F(CudaKernelsTest, LinearBackwards) {
  struct Case {
    int64_t m, n, k;
  };
  for (const TestType &type : kTypes)
    for (Case c :
         {Case{37, 29, 53}, Case{1, 300, 7}, Case{5, 0, 3}, Case{0, 4, 6}}) {
      SCOPED_TRACE(std::string(type.name) + " m " + std::to_string(c.m) +
                   " n " + std::to_string(c.n) + " k " + std::to_string(c.k));
      Tensor dy(type.dtype, randomFloats(c.m * c.n, 30)),
          w(type.dtype, randomFloats(c.n * c.k, 31)),
          x(type.dtype, randomFloats(c.m * c.k, 32)), dx(type.dtype, c.m * c.k),
          dw(type.dtype, c.n * c.k);
      cpu::linear_input_grad(&ctx, "proj", type.dtype, dy.cpu(), w.cpu(),
                             dx.cpu(), c.m, c.n, c.k);
      cuda::linear_input_grad(&ctx, "proj", type.dtype, dy.gpu(), w.gpu(),
                              dx.gpu(), c.m, c.n, c.k);
      cpu::linear_weight_grad(&ctx, "proj", type.dtype, dy.cpu(), x.cpu(),
                              dw.cpu(), c.m, c.n, c.k);
      cuda::linear_weight_grad(&ctx, "proj", type.dtype, dy.gpu(), x.gpu(),
                               dw.gpu(), c.m, c.n, c.k);
      expectSame(type, dx);
      expectSame(type, dw);
    }
}

TEST_F(CudaKernelsTest, BatchedMatmul) {
  const int64_t batch = 3, m = 7, n = 5, k = 9;
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor a(type.dtype, randomFloats(batch * m * k, 4)),
        b(type.dtype, randomFloats(batch * k * n, 5)),
        c(type.dtype, batch * m * n);
    cpu::matmul(&ctx, "scores", type.dtype, a.cpu(), b.cpu(), c.cpu(), batch, m,
                n, k);
    cuda::matmul(&ctx, "scores", type.dtype, a.gpu(), b.gpu(), c.gpu(), batch,
                 m, n, k);
    expectSame(type, c);
    // k = 0 gives zeros.
    Tensor empty(type.dtype, batch * m * n);
    cuda::matmul(&ctx, "scores", type.dtype, a.gpu(), b.gpu(), empty.gpu(),
                 batch, m, n, 0);
    expectClose(empty.cudaValues(), std::vector<float>(batch * m * n, 0.0f));
  }
}

TEST_F(CudaKernelsTest, Elementwise) {
  const int64_t count = 1001;
  std::vector<float> aValues = randomFloats(count, 6);
  for (int i = 0; i < 8; ++i)
    aValues[i] *= 8.0f; // the tails of the activations
  for (const TestType &type : kTypes) {
    Tensor a(type.dtype, aValues), b(type.dtype, randomFloats(count, 7)),
        y(type.dtype, count);
    for (const ElementwiseOp &op : kElementwiseOps) {
      SCOPED_TRACE(std::string(type.name) + " " + op.name);
      op.run(cpu::kernels,
             {&ctx, type.dtype, a.cpu(), b.cpu(), y.cpu(), count});
      op.run(cuda::kernels,
             {&ctx, type.dtype, a.gpu(), b.gpu(), y.gpu(), count});
      expectSame(type, y);
    }
    // Elementwise kernels may work in place.
    cpu::add(&ctx, "test", type.dtype, a.cpu(), b.cpu(), a.cpu(), count);
    cuda::add(&ctx, "test", type.dtype, a.gpu(), b.gpu(), a.gpu(), count);
    SCOPED_TRACE(std::string(type.name) + " add in place");
    expectSame(type, a);
  }
}

TEST_F(CudaKernelsTest, NormsAndTheirGrads) {
  // 37 rows cross the 8 warps of rows of the weight gradients, 300 features
  // the 256 threads of a row's block.
  const double epsilon = 1e-5;
  const int64_t rows = 37;
  for (const TestType &type : kTypes)
    for (int64_t features : {7, 300}) {
      std::vector<float> xValues = randomFloats(rows * features, 8);
      for (int i = 0; i < rows * features; i += 3)
        xValues[i] += 2.0f; // a mean far from 0
      Tensor x(type.dtype, xValues),
          weight(type.dtype, randomFloats(features, 9)),
          bias(type.dtype, randomFloats(features, 10)),
          y(type.dtype, rows * features),
          dy(type.dtype, randomFloats(rows * features, 67)),
          dx(type.dtype, rows * features), dweight(type.dtype, features);
      SCOPED_TRACE(std::string(type.name) + " features " +
                   std::to_string(features));
      cpu::rms_norm(&ctx, "norm", type.dtype, x.cpu(), weight.cpu(), y.cpu(),
                    rows, features, epsilon);
      cuda::rms_norm(&ctx, "norm", type.dtype, x.gpu(), weight.gpu(), y.gpu(),
                     rows, features, epsilon);
      expectSame(type, y);
      cpu::layer_norm(&ctx, "norm", type.dtype, x.cpu(), weight.cpu(),
                      bias.cpu(), y.cpu(), rows, features, epsilon);
      cuda::layer_norm(&ctx, "norm", type.dtype, x.gpu(), weight.gpu(),
                       bias.gpu(), y.gpu(), rows, features, epsilon);
      expectSame(type, y);
      cpu::layer_norm(&ctx, "norm", type.dtype, x.cpu(), weight.cpu(), nullptr,
                      y.cpu(), rows, features, epsilon);
      cuda::layer_norm(&ctx, "norm", type.dtype, x.gpu(), weight.gpu(), nullptr,
                       y.gpu(), rows, features, epsilon);
      expectSame(type, y);
      cpu::rms_norm_input_grad(&ctx, "norm", type.dtype, x.cpu(), weight.cpu(),
                               dy.cpu(), dx.cpu(), rows, features, epsilon);
      cuda::rms_norm_input_grad(&ctx, "norm", type.dtype, x.gpu(), weight.gpu(),
                                dy.gpu(), dx.gpu(), rows, features, epsilon);
      expectSame(type, dx);
      cpu::rms_norm_weight_grad(&ctx, "norm", type.dtype, x.cpu(), dy.cpu(),
                                dweight.cpu(), rows, features, epsilon);
      cuda::rms_norm_weight_grad(&ctx, "norm", type.dtype, x.gpu(), dy.gpu(),
                                 dweight.gpu(), rows, features, epsilon);
      expectSame(type, dweight);
      cpu::layer_norm_input_grad(&ctx, "norm", type.dtype, x.cpu(),
                                 weight.cpu(), dy.cpu(), dx.cpu(), rows,
                                 features, epsilon);
      cuda::layer_norm_input_grad(&ctx, "norm", type.dtype, x.gpu(),
                                  weight.gpu(), dy.gpu(), dx.gpu(), rows,
                                  features, epsilon);
      expectSame(type, dx);
      cpu::layer_norm_weight_grad(&ctx, "norm", type.dtype, x.cpu(), dy.cpu(),
                                  dweight.cpu(), rows, features, epsilon);
      cuda::layer_norm_weight_grad(&ctx, "norm", type.dtype, x.gpu(), dy.gpu(),
                                   dweight.gpu(), rows, features, epsilon);
      expectSame(type, dweight);
    }
}

TEST_F(CudaKernelsTest, SoftmaxOnMiddleAndLastDim) {
  const int64_t outer = 3;
  for (const TestType &type : kTypes)
    for (int64_t dim : {3, 300})
      for (int64_t inner : {5, 1}) {
        std::vector<float> values = randomFloats(outer * dim * inner, 11);
        values[0] = 80.0f; // large logits must not overflow
        Tensor x(type.dtype, values), y(type.dtype, values.size());
        cpu::softmax(&ctx, "test", type.dtype, x.cpu(), y.cpu(), outer, dim,
                     inner);
        cuda::softmax(&ctx, "test", type.dtype, x.gpu(), y.gpu(), outer, dim,
                      inner);
        SCOPED_TRACE(std::string(type.name) + " dim " + std::to_string(dim) +
                     " inner " + std::to_string(inner));
        expectSame(type, y);
      }
}

/// Checks cuda::transpose against cpu::transpose on bytes of a tensor of
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
  cpu::transpose(&ctx, "test", x.data(), y.data(), elementBytes, shape.size(),
                 shape.data(), perm.data());
  cuda::transpose(&ctx, "test", dx, dy, elementBytes, shape.size(),
                  shape.data(), perm.data());
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
  cuda::copy(&ctx, "test", dx, dy, 7 * sizeof(float));
  EXPECT_EQ(dy.read(), x);
}

TEST_F(CudaKernelsTest, Rope) {
  const int64_t batch = 2, seq = 5, heads = 3, headDim = 10;
  for (const TestType &type : kTypes)
    for (double theta : {10000.0, 500000.0})
      for (int32_t convention : {TPRT_ROPE_INTERLEAVED, TPRT_ROPE_HALF}) {
        // The larger theta also scales, as Hugging Face's rope_scaling does.
        const double scaled[] = {1.0, 1.5, 2.0, 4.0, 8.0};
        const double *factors = theta > 10000.0 ? scaled : nullptr;
        double magnitude = theta > 10000.0 ? 1.19 : 1.0;
        Tensor x(type.dtype, randomFloats(batch * seq * heads * headDim, 13)),
            y(type.dtype, batch * seq * heads * headDim);
        cpu::rope(&ctx, "test", type.dtype, x.cpu(), y.cpu(), batch, seq, heads,
                  headDim, theta, convention, factors, magnitude);
        cuda::rope(&ctx, "test", type.dtype, x.gpu(), y.gpu(), batch, seq,
                   heads, headDim, theta, convention, factors, magnitude);
        SCOPED_TRACE(std::string(type.name) + " theta " +
                     std::to_string(theta) + " convention " +
                     std::to_string(convention));
        expectSame(type, y);
      }
}

/// Checks cuda::attention against cpu::attention in `type`, each with a
/// workspace of `workspaceRows` query rows; the cuda one is followed by guard
/// bytes that must stay as they were.
void checkAttention(tprt_context &ctx, const TestType &type,
                    const AttentionCase &c, int64_t workspaceRows) {
  SCOPED_TRACE(std::string(type.name) + " q_seq " + std::to_string(c.qSeq) +
               " kv_seq " + std::to_string(c.kvSeq) + " head_dim " +
               std::to_string(c.dim) + " causal " + std::to_string(c.causal) +
               " workspace rows " + std::to_string(workspaceRows));
  int64_t qCount = c.batch * c.qSeq * c.qHeads * c.dim,
          kvCount = c.batch * c.kvSeq * c.kvHeads * c.dim;
  Tensor q(type.dtype, randomFloats(qCount, 14)),
      k(type.dtype, randomFloats(kvCount, 15)),
      v(type.dtype, randomFloats(kvCount, 16)), o(type.dtype, qCount);
  double scale = 1.0 / std::sqrt(double(c.dim));
  const int64_t guard = 256;
  int64_t bytes =
      tprt_attention_workspace_bytes(c.batch, c.qHeads, c.kvSeq, workspaceRows);
  std::vector<float> hostWorkspace(bytes / sizeof(float));
  DeviceArray<unsigned char> workspace(bytes + guard);
  cpu::attention(&ctx, "attention", type.dtype, q.cpu(), k.cpu(), v.cpu(),
                 o.cpu(), hostWorkspace.data(), bytes, c.batch, c.qSeq, c.kvSeq,
                 c.qHeads, c.kvHeads, c.dim, c.causal, scale);
  cuda::attention(&ctx, "attention", type.dtype, q.gpu(), k.gpu(), v.gpu(),
                  o.gpu(), workspace, bytes, c.batch, c.qSeq, c.kvSeq, c.qHeads,
                  c.kvHeads, c.dim, c.causal, scale);
  // f32 sums of up to 300 products in different orders.
  expectClose(o.cudaValues(), o.cpuValues(), std::max(type.tolerance, 1e-4));
  std::vector<unsigned char> after = workspace.read();
  EXPECT_TRUE(std::all_of(after.begin() + bytes, after.end(),
                          [](unsigned char byte) { return byte == 0xff; }))
      << "written past the workspace";
}

TEST_F(CudaKernelsTest, AttentionCausalAndGroupedQuery) {
  // Grouped heads, both masks, fewer queries than keys, key counts up to
  // and just past the fused kernel's 128 (beyond it, the GEMM path), and
  // head dims across its 128 threads.
  const AttentionCase cases[] = {
      {2, 5, 5, 4, 2, 3, true},      {2, 5, 5, 4, 2, 3, false},
      {1, 3, 5, 3, 1, 4, false},     {1, 3, 5, 2, 2, 4, true},
      {1, 128, 128, 2, 1, 5, true},  {1, 131, 131, 2, 1, 5, true},
      {2, 3, 300, 4, 2, 7, false},   {1, 4, 9, 2, 2, 130, true},
      {1, 257, 257, 1, 1, 64, true}, {1, 2, 0, 2, 1, 4, false}};
  for (const TestType &type : kTypes)
    for (const AttentionCase &c : cases)
      checkAttention(ctx, type, c, c.qSeq);
}

TEST_F(CudaKernelsTest, AttentionGemmsInBlocksOfQueryRows) {
  // Beyond 128 keys, cuBLAS GEMMs over blocks of as many query rows as the
  // workspace holds: one, 7 (a partial last block), all.
  const AttentionCase cases[] = {{2, 300, 300, 4, 2, 16, true},
                                 {2, 300, 300, 4, 2, 16, false},
                                 {2, 100, 300, 4, 2, 16, true}};
  for (const TestType &type : kTypes)
    for (const AttentionCase &c : cases)
      for (int64_t rows : {int64_t(1), int64_t(7), c.qSeq})
        checkAttention(ctx, type, c, rows);
}

TEST_F(CudaKernelsTest, SumOverDimMask) {
  for (const TestType &type : kTypes)
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{3, 5, 70},
          std::vector<int64_t>{}}) {
      int64_t count = 1;
      for (int64_t size : shape)
        count *= size;
      Tensor x(type.dtype, randomFloats(count, 17));
      int64_t rank = shape.size();
      for (int64_t mask = 0; mask < int64_t(1) << rank; ++mask) {
        int64_t outputs = 1;
        for (int64_t d = 0; d < rank; ++d)
          if (!(mask >> d & 1))
            outputs *= shape[d];
        Tensor y(type.dtype, outputs);
        cpu::sum(&ctx, "test", type.dtype, x.cpu(), y.cpu(), rank, shape.data(),
                 mask);
        cuda::sum(&ctx, "test", type.dtype, x.gpu(), y.gpu(), rank,
                  shape.data(), mask);
        SCOPED_TRACE(std::string(type.name) + " rank " + std::to_string(rank) +
                     " dim mask " + std::to_string(mask));
        expectSame(type, y);
      }
    }
}

TEST_F(CudaKernelsTest, BroadcastOverDimMask) {
  for (const TestType &type : kTypes)
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{3, 5, 70},
          std::vector<int64_t>{}}) {
      int64_t rank = shape.size(), count = 1;
      for (int64_t size : shape)
        count *= size;
      for (int64_t mask = 0; mask < int64_t(1) << rank; ++mask) {
        int64_t inputs = 1;
        for (int64_t d = 0; d < rank; ++d)
          if (!(mask >> d & 1))
            inputs *= shape[d];
        Tensor x(type.dtype, randomFloats(inputs, 33)), y(type.dtype, count);
        cpu::broadcast(&ctx, "test", type.dtype, x.cpu(), y.cpu(), rank,
                       shape.data(), mask);
        cuda::broadcast(&ctx, "test", type.dtype, x.gpu(), y.gpu(), rank,
                        shape.data(), mask);
        SCOPED_TRACE(std::string(type.name) + " rank " + std::to_string(rank) +
                     " dim mask " + std::to_string(mask));
        EXPECT_EQ(y.cudaValues(), y.cpuValues());
      }
    }
}

TEST_F(CudaKernelsTest, Fill) {
  for (const TestType &type : kTypes)
    for (double value : {1.0, 0.1, -2.5}) {
      SCOPED_TRACE(std::string(type.name) + " " + std::to_string(value));
      Tensor y(type.dtype, std::vector<float>(1001, 7.0f));
      cpu::fill(&ctx, "seed", type.dtype, y.cpu(), 1000, value);
      cuda::fill(&ctx, "seed", type.dtype, y.gpu(), 1000, value);
      // The element past the count stays 7 on both.
      EXPECT_EQ(y.cudaValues(), y.cpuValues());
    }
}

TEST_F(CudaKernelsTest, OptimizersOverThreeSteps) {
  const int64_t count = 1001;
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor sgdParam(type.dtype, randomFloats(count, 34)),
        param(type.dtype, randomFloats(count, 40)),
        expAvg(type.dtype, std::vector<float>(count, 0.0f)),
        expAvgSq(type.dtype, std::vector<float>(count, 0.0f));
    for (int64_t step = 1; step <= 3; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      Tensor grad(type.dtype, randomFloats(count, 41 + step));
      cpu::sgd(&ctx, "w", type.dtype, sgdParam.cpu(), grad.cpu(), count, 0.1,
               0.05);
      cuda::sgd(&ctx, "w", type.dtype, sgdParam.gpu(), grad.gpu(), count, 0.1,
                0.05);
      cpu::adamw(&ctx, "w", type.dtype, param.cpu(), grad.cpu(), expAvg.cpu(),
                 expAvgSq.cpu(), count, step, 0.01, 0.9, 0.999, 1e-8, 0.05);
      cuda::adamw(&ctx, "w", type.dtype, param.gpu(), grad.gpu(), expAvg.gpu(),
                  expAvgSq.gpu(), count, step, 0.01, 0.9, 0.999, 1e-8, 0.05);
      expectSame(type, sgdParam);
      expectSame(type, param);
      expectSame(type, expAvg);
      expectSame(type, expAvgSq);
    }
  }
  ctx.step = 7;
  EXPECT_EQ(cuda::step_number(&ctx, "step"), 7);
}

TEST_F(CudaKernelsTest, MasterOptimizersOverThreeSteps) {
  const int64_t count = 1001;
  const TestType &f32 = kTypes[0];
  for (const TestType &type : {kTypes[1], kTypes[2]}) {
    SCOPED_TRACE(type.name);
    // Each master starts as its parameter widened; the moments at zero.
    Tensor sgdParam(type.dtype, randomFloats(count, 34)),
        param(type.dtype, randomFloats(count, 40)),
        sgdMaster(TPRT_F32, sgdParam.cpuValues()),
        master(TPRT_F32, param.cpuValues()),
        expAvg(TPRT_F32, std::vector<float>(count, 0.0f)),
        expAvgSq(TPRT_F32, std::vector<float>(count, 0.0f));
    auto cpuF32 = [](Tensor &t) { return static_cast<float *>(t.cpu()); };
    auto gpuF32 = [](const Tensor &t) { return static_cast<float *>(t.gpu()); };
    for (int64_t step = 1; step <= 3; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      Tensor grad(type.dtype, randomFloats(count, 41 + step));
      cpu::sgd_master(&ctx, "w", type.dtype, sgdParam.cpu(), grad.cpu(),
                      cpuF32(sgdMaster), count, 0.1, 0.05);
      cuda::sgd_master(&ctx, "w", type.dtype, sgdParam.gpu(), grad.gpu(),
                       gpuF32(sgdMaster), count, 0.1, 0.05);
      cpu::adamw_master(&ctx, "w", type.dtype, param.cpu(), grad.cpu(),
                        cpuF32(master), cpuF32(expAvg), cpuF32(expAvgSq), count,
                        step, 0.01, 0.9, 0.999, 1e-8, 0.05);
      cuda::adamw_master(&ctx, "w", type.dtype, param.gpu(), grad.gpu(),
                         gpuF32(master), gpuF32(expAvg), gpuF32(expAvgSq),
                         count, step, 0.01, 0.9, 0.999, 1e-8, 0.05);
      for (const Tensor *state : {&sgdMaster, &master, &expAvg, &expAvgSq})
        expectSame(f32, *state);
      // On the device too, the parameter is its master rounded.
      for (auto [p, m] :
           {std::pair{&sgdParam, &sgdMaster}, std::pair{&param, &master}}) {
        expectSame(type, *p);
        EXPECT_EQ(p->cudaValues(),
                  widened(type.dtype, narrowed(type.dtype, m->cudaValues())));
      }
    }
  }
}

TEST_F(CudaKernelsTest, CrossEntropy) {
  const int64_t positions = 7, classes = 1000;
  std::vector<float> values = randomFloats(positions * classes, 18);
  values[5] = 30.0f;
  std::vector<int64_t> labels = {4, 0, 999, 2, 500, 7, 5};
  DeviceArray<int64_t> dlabels(labels);
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor logits(type.dtype, values), loss(type.dtype, 1);
    cpu::cross_entropy(&ctx, "loss", type.dtype, logits.cpu(), labels.data(),
                       loss.cpu(), positions, classes, 0, classes, 0);
    cuda::cross_entropy(&ctx, "loss", type.dtype, logits.gpu(), dlabels,
                        loss.gpu(), positions, classes, 0, classes, 0);
    expectSame(type, loss);
  }
}

TEST_F(CudaKernelsTest, EmbeddingWithRowOffset) {
  // This rank holds rows [3, 6) of a 7-row table; other ids give zeros.
  const int64_t rows = 3, dim = 300, offset = 3, total = 7;
  std::vector<int64_t> ids = {0, 4, 6, 3, 5};
  DeviceArray<int64_t> dids(ids);
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor table(type.dtype, randomFloats(rows * dim, 19)),
        y(type.dtype, ids.size() * dim);
    cpu::embedding(&ctx, "tok_embeddings", type.dtype, ids.data(), table.cpu(),
                   y.cpu(), ids.size(), rows, dim, offset, total);
    cuda::embedding(&ctx, "tok_embeddings", type.dtype, dids, table.gpu(),
                    y.gpu(), ids.size(), rows, dim, offset, total);
    EXPECT_EQ(y.cudaValues(), y.cpuValues());
  }
}

TEST_F(CudaKernelsTest, EmbeddingGrad) {
  // This rank holds rows [3, 6) of a 7-row table; 600 ids cross the
  // kernel's tiles of 256 positions, rows of 2100 values its chunks of 2048.
  const int64_t rows = 3, offset = 3, total = 7;
  std::vector<int64_t> ids(600);
  std::mt19937 engine(63);
  std::uniform_int_distribution<int64_t> uniform(0, total - 1);
  for (int64_t &id : ids)
    id = uniform(engine);
  DeviceArray<int64_t> dids(ids);
  int64_t count = ids.size();
  for (const TestType &type : kTypes)
    for (int64_t dim : {5, 2100}) {
      SCOPED_TRACE(std::string(type.name) + " dim " + std::to_string(dim));
      Tensor dy(type.dtype, randomFloats(count * dim, 64)),
          dtable(type.dtype, rows * dim);
      cpu::embedding_grad(&ctx, "tok_embeddings", type.dtype, ids.data(),
                          dy.cpu(), dtable.cpu(), count, rows, dim, offset,
                          total);
      cuda::embedding_grad(&ctx, "tok_embeddings", type.dtype, dids, dy.gpu(),
                           dtable.gpu(), count, rows, dim, offset, total);
      expectSame(type, dtable);
    }
}

TEST_F(CudaKernelsTest, SoftmaxGradOnMiddleAndLastDim) {
  const int64_t outer = 3;
  for (const TestType &type : kTypes)
    for (int64_t dim : {3, 300})
      for (int64_t inner : {5, 1}) {
        int64_t count = outer * dim * inner;
        Values probabilities = referenceSoftmax(
            toDouble(randomFloats(count, 68)), outer, dim, inner);
        Tensor y(type.dtype, std::vector<float>(probabilities.begin(),
                                                probabilities.end())),
            dy(type.dtype, randomFloats(count, 69)), dx(type.dtype, count);
        cpu::softmax_grad(&ctx, "test", type.dtype, y.cpu(), dy.cpu(), dx.cpu(),
                          outer, dim, inner);
        cuda::softmax_grad(&ctx, "test", type.dtype, y.gpu(), dy.gpu(),
                           dx.gpu(), outer, dim, inner);
        SCOPED_TRACE(std::string(type.name) + " dim " + std::to_string(dim) +
                     " inner " + std::to_string(inner));
        expectSame(type, dx);
      }
}

TEST_F(CudaKernelsTest, CrossEntropyGrad) {
  const int64_t positions = 7, classes = 1000, totalPositions = 10;
  std::vector<float> values = randomFloats(positions * classes, 70);
  values[5] = 30.0f;
  std::vector<int64_t> labels = {4, 0, 999, 2, 500, 7, 5};
  DeviceArray<int64_t> dlabels(labels);
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor logits(type.dtype, values),
        dloss(type.dtype, std::vector<float>{0.75f}),
        dlogits(type.dtype, positions * classes);
    cpu::cross_entropy_grad(&ctx, "loss", type.dtype, logits.cpu(),
                            labels.data(), dloss.cpu(), dlogits.cpu(),
                            positions, classes, totalPositions, 0, classes, 0);
    cuda::cross_entropy_grad(&ctx, "loss", type.dtype, logits.gpu(), dlabels,
                             dloss.gpu(), dlogits.gpu(), positions, classes,
                             totalPositions, 0, classes, 0);
    expectSame(type, dlogits);
  }
}

TEST_F(CudaKernelsTest, RopeGrad) {
  const int64_t batch = 2, seq = 5, heads = 3, headDim = 10;
  int64_t count = batch * seq * heads * headDim;
  for (const TestType &type : kTypes)
    for (double theta : {10000.0, 500000.0})
      for (int32_t convention : {TPRT_ROPE_INTERLEAVED, TPRT_ROPE_HALF}) {
        // The larger theta also scales, as Hugging Face's rope_scaling does.
        const double scaled[] = {1.0, 1.5, 2.0, 4.0, 8.0};
        const double *factors = theta > 10000.0 ? scaled : nullptr;
        double magnitude = theta > 10000.0 ? 1.19 : 1.0;
        Tensor dy(type.dtype, randomFloats(count, 71)), dx(type.dtype, count);
        cpu::rope_grad(&ctx, "test", type.dtype, dy.cpu(), dx.cpu(), batch, seq,
                       heads, headDim, theta, convention, factors, magnitude);
        cuda::rope_grad(&ctx, "test", type.dtype, dy.gpu(), dx.gpu(), batch,
                        seq, heads, headDim, theta, convention, factors,
                        magnitude);
        SCOPED_TRACE(std::string(type.name) + " theta " +
                     std::to_string(theta) + " convention " +
                     std::to_string(convention));
        expectSame(type, dx);
      }
}

/// Checks cuda::attention_grad against cpu::attention_grad in `type`, each
/// with the smallest workspace tprt_calls.def allows.
void checkAttentionGrad(tprt_context &ctx, const TestType &type,
                        const AttentionCase &c) {
  SCOPED_TRACE(std::string(type.name) + " q_seq " + std::to_string(c.qSeq) +
               " kv_seq " + std::to_string(c.kvSeq) + " heads " +
               std::to_string(c.qHeads) + "/" + std::to_string(c.kvHeads) +
               " head_dim " + std::to_string(c.dim) + " causal " +
               std::to_string(c.causal));
  int64_t qCount = c.batch * c.qSeq * c.qHeads * c.dim,
          kvCount = c.batch * c.kvSeq * c.kvHeads * c.dim;
  Tensor q(type.dtype, randomFloats(qCount, 72)),
      k(type.dtype, randomFloats(kvCount, 73)),
      v(type.dtype, randomFloats(kvCount, 74)),
      dout(type.dtype, randomFloats(qCount, 75)), dq(type.dtype, qCount),
      dk(type.dtype, kvCount), dv(type.dtype, kvCount);
  double scale = 1.0 / std::sqrt(double(c.dim));
  int64_t bytes = tprt_attention_workspace_bytes(c.batch, c.qHeads, c.kvSeq, 1);
  std::vector<float> hostWorkspace(bytes / sizeof(float));
  DeviceArray<unsigned char> workspace(bytes);
  cpu::attention_grad(&ctx, "attention", type.dtype, q.cpu(), k.cpu(), v.cpu(),
                      dout.cpu(), dq.cpu(), dk.cpu(), dv.cpu(),
                      hostWorkspace.data(), bytes, c.batch, c.qSeq, c.kvSeq,
                      c.qHeads, c.kvHeads, c.dim, c.causal, scale);
  cuda::attention_grad(&ctx, "attention", type.dtype, q.gpu(), k.gpu(), v.gpu(),
                       dout.gpu(), dq.gpu(), dk.gpu(), dv.gpu(), workspace,
                       bytes, c.batch, c.qSeq, c.kvSeq, c.qHeads, c.kvHeads,
                       c.dim, c.causal, scale);
  // f32 sums of up to 600 products in different orders.
  double tolerance = std::max(type.tolerance, 1e-4);
  expectClose(dq.cudaValues(), dq.cpuValues(), tolerance);
  expectClose(dk.cudaValues(), dk.cpuValues(), tolerance);
  expectClose(dv.cudaValues(), dv.cpuValues(), tolerance);
}

TEST_F(CudaKernelsTest, AttentionGradCausalAndGroupedQuery) {
  // Grouped heads, both masks, fewer queries than keys and more, keys and
  // (query head, query row) pairs across the kernels' 128-thread tiles, head
  // dims across their 128 threads, and no keys (dq = 0) or no queries
  // (dk = dv = 0).
  const AttentionCase cases[] = {
      {2, 5, 5, 4, 2, 3, true},    {2, 5, 5, 4, 2, 3, false},
      {1, 3, 5, 3, 1, 4, false},   {1, 3, 5, 4, 2, 4, true},
      {1, 7, 4, 2, 2, 2, true},    {1, 300, 300, 4, 2, 16, true},
      {2, 3, 300, 4, 2, 7, false}, {1, 4, 9, 2, 2, 130, true},
      {1, 2, 0, 2, 1, 4, false},   {1, 0, 4, 2, 2, 4, false}};
  for (const TestType &type : kTypes)
    for (const AttentionCase &c : cases)
      checkAttentionGrad(ctx, type, c);
}

TEST_F(CudaKernelsDeathTest, BackwardBadArgumentsNameTheCall) {
  DeviceArray<float> x(std::vector<float>(16, 0.0f)), y(16);
  DeviceArray<int64_t> labels(std::vector<int64_t>{1, 5, 9});
  // Bad ids and labels are found when the step is waited for.
  EXPECT_EXIT(
      {
        cuda::cross_entropy_grad(&ctx, "loss", TPRT_F32, x, labels, x, y, 2, 5,
                                 4, 0, 5, 0);
        cuda::synchronize(ctx);
      },
      ::testing::ExitedWithCode(1),
      "tprt: error: tprt_cross_entropy_grad 'loss': label 5 at position 1 "
      "is outside \\[0, 5\\)");
  EXPECT_EXIT(
      cuda::cross_entropy_grad(&ctx, "loss", TPRT_F32, x, labels, x, y, 2, 5, 1,
                               0, 5, 0),
      ::testing::ExitedWithCode(1),
      "tprt_cross_entropy_grad 'loss': total_positions 1 is fewer than this "
      "rank's 2 positions");
  DeviceArray<int64_t> ids(std::vector<int64_t>{1, 7, -1});
  EXPECT_EXIT(
      {
        cuda::embedding_grad(&ctx, "emb", TPRT_F32, ids, x, y, 3, 2, 2, 0, 7);
        cuda::synchronize(ctx);
      },
      ::testing::ExitedWithCode(1),
      "tprt_embedding_grad 'emb': id 7 at position 1 is outside \\[0, 7\\)");
  EXPECT_EXIT(cuda::attention_grad(&ctx, "attn", TPRT_F32, x, x, x, x, y, y, y,
                                   y, 4096, 1, 1, 1, 3, 2, 1, 0, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_attention_grad 'attn': 3 query heads are not a multiple "
              "of 2 key/value heads");
  EXPECT_EXIT(cuda::rope_grad(&ctx, "r", TPRT_F32, x, y, 1, 1, 1, 5, 10000.0,
                              TPRT_ROPE_INTERLEAVED, nullptr, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope_grad 'r': head_dim 5 must be even");
  EXPECT_EXIT(cuda::rope(&ctx, "r", TPRT_F32, x, y, 1, 1, 1, 4, 10000.0, 2,
                         nullptr, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_rope 'r': convention 2 is neither interleaved \\(0\\) "
              "nor half \\(1\\)");
}

TEST_F(CudaKernelsDeathTest, BadArgumentsNameTheCall) {
  DeviceArray<float> logits(std::vector<float>(10, 0.0f)), y(8);
  DeviceArray<int64_t> labels(std::vector<int64_t>{1, 5, 9});
  // Bad ids and labels are found when the step is waited for.
  EXPECT_EXIT(
      {
        cuda::cross_entropy(&ctx, "loss", TPRT_F32, logits, labels, y, 2, 5, 0,
                            5, 0);
        cuda::synchronize(ctx);
      },
      ::testing::ExitedWithCode(1),
      "tprt: error: tprt_cross_entropy 'loss': label 5 at position 1 "
      "is outside \\[0, 5\\)");
  DeviceArray<int64_t> ids(std::vector<int64_t>{1, 7, -1});
  EXPECT_EXIT(
      {
        cuda::embedding(&ctx, "emb", TPRT_F32, ids, logits, y, 3, 2, 2, 0, 7);
        cuda::synchronize(ctx);
      },
      ::testing::ExitedWithCode(1),
      "tprt_embedding 'emb': id 7 at position 1 is outside \\[0, 7\\)");
  // The first bad check of a step is reported, after the slots ran out.
  DeviceArray<int64_t> good(std::vector<int64_t>{1, 2, 3});
  EXPECT_EXIT(
      {
        cuda::embedding(&ctx, "emb", TPRT_F32, ids, logits, y, 3, 2, 2, 0, 7);
        for (size_t i = 0; i < 2 * cuda::kIndexCheckSlots; ++i)
          cuda::embedding(&ctx, "later", TPRT_F32, good, logits, y, 3, 2, 2, 0,
                          7);
        cuda::synchronize(ctx);
      },
      ::testing::ExitedWithCode(1), "tprt_embedding 'emb': id 7");
  EXPECT_EXIT(cuda::attention(&ctx, "attn", TPRT_F32, y, y, y, y, y, 32, 1, 1,
                              1, 3, 2, 1, 0, 1.0),
              ::testing::ExitedWithCode(1),
              "3 query heads are not a multiple of 2 key/value heads");
  // One query row of one head over 2 keys needs 64 * 2 + 8 * 2 bytes.
  EXPECT_EXIT(cuda::attention(&ctx, "attn", TPRT_F32, y, y, y, y, y, 143, 1, 1,
                              2, 1, 1, 1, 0, 1.0),
              ::testing::ExitedWithCode(1),
              "tprt_attention 'attn': a workspace of 143 bytes holds no query "
              "row; it needs 144");
  EXPECT_EXIT(cuda::all_reduce(&ctx, "test", TPRT_F32, y, y, 1, 2),
              ::testing::ExitedWithCode(1),
              "tprt_all_reduce 'test': axis mask 2 names axes beyond the "
              "mesh's 0");
  const int64_t shape[] = {2, 4}, repeated[] = {1, 1};
  EXPECT_EXIT(cuda::transpose(&ctx, "t", y, y, 4, 2, shape, repeated),
              ::testing::ExitedWithCode(1),
              "tprt_transpose 't': perm is not a permutation of the 2 dims");
  EXPECT_EXIT(cuda::sum(&ctx, "s", TPRT_F32, y, y, 2, shape, 4),
              ::testing::ExitedWithCode(1),
              "tprt_sum 's': dim mask 4 names dims beyond the 2 of x");
  EXPECT_EXIT(cuda::broadcast(&ctx, "b", TPRT_F32, y, y, 2, shape, 4),
              ::testing::ExitedWithCode(1),
              "tprt_broadcast 'b': dim mask 4 names dims beyond the 2 of y");
  EXPECT_EXIT(cuda::adamw(&ctx, "w", TPRT_F32, y, y, y, y, 1, 0, 0.1, 0.9,
                          0.999, 1e-8, 0.0),
              ::testing::ExitedWithCode(1),
              "tprt_adamw 'w': step 0 is not counted from 1");
  EXPECT_EXIT(cuda::adamw_master(&ctx, "w", TPRT_F32, y, y, y, y, y, 1, 1, 0.1,
                                 0.9, 0.999, 1e-8, 0.0),
              ::testing::ExitedWithCode(1),
              "tprt_adamw_master 'w': dtype f32 \\(0\\) has no master copy");
  // An unknown dtype, named with the call and the layer.
  EXPECT_EXIT(cuda::linear(&ctx, "proj", 3, y, y, y, y, 1, 1, 1),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_linear 'proj': dtype 3 is not one of f32 "
              "\\(0\\), f16 \\(1\\), bf16 \\(2\\)");
  EXPECT_EXIT(cuda::add(&ctx, "test", -1, y, y, y, 1),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_add 'test': dtype -1 is not one of");
  EXPECT_EXIT(cuda::all_reduce(&ctx, "test", 7, y, y, 1, 0),
              ::testing::ExitedWithCode(1),
              "tprt: error: tprt_all_reduce 'test': dtype 7 is not one of");
}

TEST_F(CudaKernelsTest, CollectivesOfOneRankCopy) {
  std::vector<float> x = randomFloats(6, 20);
  DeviceArray<float> dx(x), dy(6);
  cuda::all_reduce(&ctx, "test", TPRT_F32, dx, dy, 6, 0);
  EXPECT_EQ(dy.read(), x);
  DeviceArray<float> gathered(6);
  cuda::all_gather(&ctx, "test", dx, gathered, 2, 3 * sizeof(float), 0);
  EXPECT_EQ(gathered.read(), x);
  DeviceArray<float> scattered(6);
  cuda::reduce_scatter(&ctx, "test", TPRT_F32, dx, scattered, 2, 3, 0);
  EXPECT_EQ(scattered.read(), x);
  DeviceArray<float> sliced(6);
  cuda::local_slice(&ctx, "test", dx, sliced, 2, 3 * sizeof(float), 0);
  EXPECT_EQ(sliced.read(), x);
  const int64_t shape[] = {2, 3};
  DeviceArray<float> moved(6);
  cuda::all_to_all(&ctx, "test", dx, moved, sizeof(float), 2, shape, 1, 0, 0);
  EXPECT_EQ(moved.read(), x);
  // The reductions copy `count` elements of the dtype, no more.
  for (const TestType &type : kTypes) {
    SCOPED_TRACE(type.name);
    Tensor input(type.dtype, x), reduced(type.dtype, 6),
        scattered(type.dtype, 6);
    cuda::all_reduce(&ctx, "test", type.dtype, input.gpu(), reduced.gpu(), 5,
                     0);
    cuda::reduce_scatter(&ctx, "test", type.dtype, input.gpu(), scattered.gpu(),
                         5, 1, 0);
    std::vector<float> expected = input.cpuValues();
    for (const Tensor *y : {&reduced, &scattered}) {
      std::vector<float> copied = y->cudaValues();
      for (size_t i = 0; i < 5; ++i)
        EXPECT_EQ(copied[i], expected[i]) << "at element " << i;
      EXPECT_TRUE(std::isnan(copied[5])) << "written past the count";
    }
  }
}

TEST_F(CudaKernelsTest, BackendCopiesRoundTrip) {
  std::vector<float> x = randomFloats(100, 21), back(100);
  char *device = cuda::allocate(ctx, x.size() * sizeof(float), "a test");
  char *host = cuda::allocateHost(ctx, x.size() * sizeof(float));
  std::memcpy(host, x.data(), x.size() * sizeof(float));
  cuda::copyToDevice(ctx, device, host, x.size() * sizeof(float));
  cuda::scale(&ctx, "test", TPRT_F32, device, device, x.size(), 2.0);
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
