//===- CudaCollectivesTest.cpp - cuda collectives under mpirun ------------===//
//
// This file checks the collectives of the cuda backend (tprt::cuda) against
// the cpu backend's (tprt::cpu, of tprt_cpu, linked into the same binary)
// under mpirun: all_reduce (also in place) and reduce_scatter in each dtype
// (f32, f16, bf16), all_gather and reduce_scatter with outer > 1, all_to_all
// between several pairs of dims, local_slice, and cross-entropy and its
// backward with their classes split over the group (loss_parallel), on a 1-D
// mesh of every rank and, with 4 ranks, on a 2x2 mesh under each axis mask.
// Each runs on NCCL where every rank has its own GPU, and always also on the
// MPI fallback over host memory (forced), which is the only path where ranks
// share a GPU (NCCL refuses that). Checks are non-fatal so that every rank
// reaches every collective even after a failure; values are small integers
// (for f16 and bf16 small enough that every partial sum is exact, whatever
// order NCCL and MPI add in), so results must be exact, but for the split
// cross-entropy's, computed in f32 and double, which must come within
// TestType's tolerance of the cpu's.
//
// Without a usable GPU every rank prints "SKIPPED: no CUDA device (...)" and
// exits 77 before MPI starts; mpirun passes 77 on, which ctest reports as
// skipped.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "CudaTestSupport.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <functional>

using namespace tprt_test;
namespace cpu = tprt::cpu;
namespace cuda = tprt::cuda;

namespace {

/// Calls `check(ctx, mask)` for every mesh and axis mask, once with the
/// backend's own choice of NCCL or MPI and, where that was NCCL, once more
/// with the MPI fallback forced.
void forEachGroup(const std::function<void(tprt_context &, int64_t)> &check) {
  for (const Mesh &mesh : meshes()) {
    std::unique_ptr<tprt_context> ctx =
        tprt::createContext(mesh.names, mesh.sizes);
    cuda::initialize(*ctx);
    cuda::State &state = cuda::state(ctx.get());
    std::vector<bool> modes = {state.nccl};
    if (state.nccl)
      modes.push_back(false);
    for (bool nccl : modes) {
      state.nccl = nccl;
      for (int64_t mask = 0; mask < int64_t(1) << mesh.sizes.size(); ++mask) {
        SCOPED_TRACE("mesh " + tprt::formatMesh(mesh.names, mesh.sizes) +
                     ", axis mask " + std::to_string(mask) +
                     (nccl ? ", NCCL" : ", MPI over host memory"));
        check(*ctx, mask);
      }
    }
  }
}

/// `count` values that differ between ranks and positions.
template <typename T> std::vector<T> rankValues(int rank, size_t count) {
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = T(rank * 1000 + int64_t(i));
  return values;
}

/// The dtypes of the reductions.
const int32_t kDTypes[] = {TPRT_F32, TPRT_F16, TPRT_BF16};

/// `count` values of `dtype` that differ between ranks and positions, as
/// bytes. The f16 and bf16 ones lie in [0, 61), so that sums over up to
/// four ranks stay below 256, exact with bf16's 8 significant bits.
std::vector<unsigned char> reductionValues(int32_t dtype, int rank,
                                           size_t count) {
  std::vector<float> values = rankValues<float>(rank, count);
  if (dtype != TPRT_F32)
    for (size_t i = 0; i < count; ++i)
      values[i] = float((rank * 17 + int64_t(i)) % 61);
  return narrowed(dtype, values);
}

TEST(CudaCollectivesTest, AllReduce) {
  forEachGroup([](tprt_context &ctx, int64_t mask) {
    const int64_t count = 301;
    for (int32_t dtype : kDTypes) {
      std::vector<unsigned char> x = reductionValues(dtype, ctx.rank, count),
                                 y(x.size());
      cpu::all_reduce(&ctx, "test", dtype, x.data(), y.data(), count, mask);
      DeviceArray<unsigned char> dx(x), dy(x.size());
      cuda::all_reduce(&ctx, "test", dtype, dx, dy, count, mask);
      EXPECT_EQ(dy.read(), y) << "dtype " << dtype;
      cuda::all_reduce(&ctx, "test", dtype, dx, dx, count, mask);
      EXPECT_EQ(dx.read(), y) << "dtype " << dtype << " in place";
    }
  });
}

TEST(CudaCollectivesTest, AllGather) {
  forEachGroup([](tprt_context &ctx, int64_t mask) {
    const int64_t inner = 5;
    int64_t group = tprt::groupSize(ctx, mask);
    for (int64_t outer : {1, 3}) {
      std::vector<float> x = rankValues<float>(ctx.rank, outer * inner),
                         y(outer * group * inner);
      cpu::all_gather(&ctx, "test", x.data(), y.data(), outer,
                      inner * sizeof(float), mask);
      DeviceArray<float> dx(x), dy(y.size());
      cuda::all_gather(&ctx, "test", dx, dy, outer, inner * sizeof(float),
                       mask);
      EXPECT_EQ(dy.read(), y) << "outer " << outer;
    }
  });
}

TEST(CudaCollectivesTest, ReduceScatter) {
  forEachGroup([](tprt_context &ctx, int64_t mask) {
    const int64_t inner = 5;
    int64_t group = tprt::groupSize(ctx, mask);
    for (int32_t dtype : kDTypes)
      for (int64_t outer : {1, 3}) {
        std::vector<unsigned char> x = reductionValues(dtype, ctx.rank,
                                                       outer * group * inner),
                                   y(x.size() / group);
        cpu::reduce_scatter(&ctx, "test", dtype, x.data(), y.data(), outer,
                            inner, mask);
        DeviceArray<unsigned char> dx(x), dy(y.size());
        cuda::reduce_scatter(&ctx, "test", dtype, dx, dy, outer, inner, mask);
        EXPECT_EQ(dy.read(), y) << "dtype " << dtype << " outer " << outer;
      }
  });
}

/// Compares the two backends' all_to_all on element type T for a tensor of
/// `shape` whose split dim is widened to hold shape[splitDim] elements per
/// group member.
template <typename T>
void checkAllToAll(tprt_context &ctx, int64_t mask, std::vector<int64_t> shape,
                   int64_t splitDim, int64_t concatDim) {
  shape[splitDim] *= tprt::groupSize(ctx, mask);
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  std::vector<T> x = rankValues<T>(ctx.rank, count), y(count);
  cpu::all_to_all(&ctx, "test", x.data(), y.data(), sizeof(T), shape.size(),
                  shape.data(), splitDim, concatDim, mask);
  DeviceArray<T> dx(x), dy(count);
  cuda::all_to_all(&ctx, "test", dx, dy, sizeof(T), shape.size(), shape.data(),
                   splitDim, concatDim, mask);
  EXPECT_EQ(dy.read(), y) << "split " << splitDim << " concat " << concatDim;
}

TEST(CudaCollectivesTest, AllToAll) {
  forEachGroup([](tprt_context &ctx, int64_t mask) {
    // Sequence-sharded to head-sharded and back, as Ulysses attention does,
    // and moves between the outermost and innermost dims.
    checkAllToAll<float>(ctx, mask, {2, 3, 2}, 1, 0);
    checkAllToAll<float>(ctx, mask, {2, 3, 2}, 0, 1);
    checkAllToAll<int64_t>(ctx, mask, {2, 3, 2}, 0, 2);
    checkAllToAll<float>(ctx, mask, {2, 3, 2}, 2, 1);
    checkAllToAll<float>(ctx, mask, {2, 3, 2}, 1, 1);
  });
}

TEST(CudaCollectivesTest, LocalSlice) {
  forEachGroup([](tprt_context &ctx, int64_t mask) {
    const int64_t outer = 3, inner = 5;
    int64_t group = tprt::groupSize(ctx, mask);
    std::vector<float> x = rankValues<float>(ctx.rank, outer * group * inner),
                       y(outer * inner);
    cpu::local_slice(&ctx, "test", x.data(), y.data(), outer,
                     inner * sizeof(float), mask);
    DeviceArray<float> dx(x), dy(y.size());
    cuda::local_slice(&ctx, "test", dx, dy, outer, inner * sizeof(float), mask);
    EXPECT_EQ(dy.read(), y);
  });
}

TEST(CudaCollectivesTest, CrossEntropyWithSplitClasses) {
  // 1001 classes: uneven slices, each wider than a block's threads.
  const int64_t positions = 7, total = 1001, totalPositions = 14;
  std::vector<float> values = randomFloats(positions * total, 90);
  // The maxima of two positions in the last and the first member's classes.
  values[total - 1] = 30.0f;
  values[total + 3] = 25.0f;
  std::vector<int64_t> labels = {1000, 0, 500, 250, 750, 999, 1};
  DeviceArray<int64_t> deviceLabels(labels);
  forEachGroup([&](tprt_context &ctx, int64_t mask) {
    ClassSlice slice =
        sliceOf(total, tprt::groupSize(ctx, mask), tprt::groupIndex(ctx, mask));
    for (const TestType &type : kTypes) {
      SCOPED_TRACE(type.name);
      int64_t bytes = tprt::floatDTypeBytes(type.dtype);
      std::vector<unsigned char> logits =
          columns(narrowed(type.dtype, values), bytes, positions, total, slice);
      std::vector<unsigned char> dloss = narrowed(type.dtype, {0.75f}),
                                 loss(bytes), dlogits(logits.size());
      cpu::cross_entropy(&ctx, "loss", type.dtype, logits.data(), labels.data(),
                         loss.data(), positions, slice.classes, slice.offset,
                         total, mask);
      cpu::cross_entropy_grad(&ctx, "loss", type.dtype, logits.data(),
                              labels.data(), dloss.data(), dlogits.data(),
                              positions, slice.classes, totalPositions,
                              slice.offset, total, mask);
      DeviceArray<unsigned char> deviceLogits(logits), deviceDloss(dloss),
          deviceLoss(bytes), deviceDlogits(dlogits.size());
      cuda::cross_entropy(&ctx, "loss", type.dtype, deviceLogits, deviceLabels,
                          deviceLoss, positions, slice.classes, slice.offset,
                          total, mask);
      cuda::cross_entropy_grad(&ctx, "loss", type.dtype, deviceLogits,
                               deviceLabels, deviceDloss, deviceDlogits,
                               positions, slice.classes, totalPositions,
                               slice.offset, total, mask);
      expectClose(widened(type.dtype, deviceLoss.read()),
                  widened(type.dtype, loss), type.tolerance);
      expectClose(widened(type.dtype, deviceDlogits.read()),
                  widened(type.dtype, dlogits), type.tolerance);
    }
  });
}

} // namespace

int main(int argc, char **argv) {
  if (int status = checkCudaDevice())
    return status;
  return runMpiTests(argc, argv);
}
