//===- CollectivesTest.cpp - collectives under mpirun ---------------------===//
//
// This file checks the MPI collectives of the cpu runtime with exact values
// (small integers in f32): all_reduce, all_gather and reduce_scatter with
// outer > 1, all_to_all between several pairs of dims, local_slice and the
// group index, on a 1-D mesh of every rank and, with 4 ranks, on a 2x2 mesh
// under each axis mask. It runs under mpirun (see CMakeLists.txt); checks are
// non-fatal so that every rank reaches every collective even after a
// failure.
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "Tensor.h"
#include "tprt/tprt.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

using namespace tprt;

using namespace tprt_test;

namespace {

/// Calls `check(ctx, mask, members)` for every mesh and axis mask, where
/// `members` are the world ranks of this rank's group in group order.
void forEachGroup(
    const std::function<void(tprt_context &, int64_t,
                             const std::vector<int64_t> &)> &check) {
  for (const Mesh &mesh : meshes()) {
    std::unique_ptr<tprt_context> ctx = createContext(mesh.names, mesh.sizes);
    for (int64_t mask = 0; mask < int64_t(1) << mesh.sizes.size(); ++mask) {
      // Members share this rank's coordinates off the mask and are ordered
      // row-major by their coordinates on it.
      std::vector<std::pair<int64_t, int64_t>> keyed;
      for (int64_t r = 0; r < ctx->size; ++r) {
        std::vector<int64_t> at = meshCoordinates(*ctx, r);
        bool same = true;
        int64_t key = 0;
        for (size_t a = 0; a < at.size(); ++a) {
          if (mask >> a & 1)
            key = key * mesh.sizes[a] + at[a];
          else
            same = same && at[a] == ctx->coordinates[a];
        }
        if (same)
          keyed.push_back({key, r});
      }
      std::sort(keyed.begin(), keyed.end());
      std::vector<int64_t> members;
      for (auto &[key, r] : keyed)
        members.push_back(r);
      SCOPED_TRACE("mesh " + formatMesh(mesh.names, mesh.sizes) +
                   ", axis mask " + std::to_string(mask));
      check(*ctx, mask, members);
    }
  }
}

/// This rank's index in `members`.
int64_t indexIn(const tprt_context &ctx, const std::vector<int64_t> &members) {
  return std::find(members.begin(), members.end(), ctx.rank) - members.begin();
}

TEST(CollectivesTest, GroupIndex) {
  forEachGroup(
      [](tprt_context &ctx, int64_t mask, const std::vector<int64_t> &members) {
        EXPECT_EQ(tprt_group_index(&ctx, "test", mask), indexIn(ctx, members));
      });
}

TEST(CollectivesTest, AllReduce) {
  forEachGroup([](tprt_context &ctx, int64_t mask,
                  const std::vector<int64_t> &members) {
    const int64_t count = 5;
    std::vector<float> x(count), y(count, -1.0f), expected(count, 0.0f);
    for (int64_t i = 0; i < count; ++i) {
      x[i] = float(ctx.rank * 100 + i);
      for (int64_t m : members)
        expected[i] += float(m * 100 + i);
    }
    tprt_all_reduce(&ctx, "test", TPRT_F32, x.data(), y.data(), count, mask);
    EXPECT_EQ(y, expected);
    tprt_all_reduce(&ctx, "test", TPRT_F32, x.data(), x.data(), count, mask);
    EXPECT_EQ(x, expected) << "in place";
  });
}

TEST(CollectivesTest, AllGather) {
  forEachGroup(
      [](tprt_context &ctx, int64_t mask, const std::vector<int64_t> &members) {
        const int64_t inner = 2;
        int64_t group = members.size();
        for (int64_t outer : {1, 3}) {
          std::vector<float> x(outer * inner), y(outer * group * inner, -1.0f),
              expected(y.size());
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t e = 0; e < inner; ++e) {
              x[o * inner + e] = float(ctx.rank * 100 + o * 10 + e);
              for (int64_t j = 0; j < group; ++j)
                expected[(o * group + j) * inner + e] =
                    float(members[j] * 100 + o * 10 + e);
            }
          tprt_all_gather(&ctx, "test", x.data(), y.data(), outer,
                          inner * sizeof(float), mask);
          EXPECT_EQ(y, expected) << "outer " << outer;
        }
      });
}

TEST(CollectivesTest, ReduceScatter) {
  forEachGroup(
      [](tprt_context &ctx, int64_t mask, const std::vector<int64_t> &members) {
        const int64_t inner = 2;
        int64_t group = members.size(), index = indexIn(ctx, members);
        auto value = [](int64_t rank, int64_t o, int64_t j, int64_t e) {
          return float(rank * 1000 + o * 100 + j * 10 + e);
        };
        for (int64_t outer : {1, 3}) {
          std::vector<float> x(outer * group * inner), y(outer * inner, -1.0f),
              expected(outer * inner, 0.0f);
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < group; ++j)
              for (int64_t e = 0; e < inner; ++e)
                x[(o * group + j) * inner + e] = value(ctx.rank, o, j, e);
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t e = 0; e < inner; ++e)
              for (int64_t m : members)
                expected[o * inner + e] += value(m, o, index, e);
          tprt_reduce_scatter(&ctx, "test", TPRT_F32, x.data(), y.data(), outer,
                              inner, mask);
          EXPECT_EQ(y, expected) << "outer " << outer;
        }
      });
}

/// Checks tprt_all_to_all on element type T for a tensor of `shape` whose
/// split dim is widened to hold shape[splitDim] elements per group member.
template <typename T>
void checkAllToAll(tprt_context &ctx, int64_t mask,
                   const std::vector<int64_t> &members,
                   std::vector<int64_t> shape, int64_t splitDim,
                   int64_t concatDim) {
  int64_t group = members.size(), index = indexIn(ctx, members);
  shape[splitDim] *= group;
  std::vector<int64_t> piece = shape, yShape;
  piece[splitDim] /= group;
  yShape = piece;
  yShape[concatDim] *= group;
  auto valueAt = [&](int64_t rank, int64_t flat) {
    return T(rank * 1000 + flat);
  };
  std::vector<T> x(elementCount(shape)), y(elementCount(yShape), T(-1)),
      expected(y.size());
  for (int64_t i = 0; i < int64_t(x.size()); ++i)
    x[i] = valueAt(ctx.rank, i);
  // y at index p came from member p[concat] / piece[concat], whose piece
  // `index` along the split dim it is.
  int64_t rank = shape.size();
  std::vector<int64_t> at(rank, 0);
  for (size_t flat = 0; flat < y.size(); ++flat) {
    int64_t from = at[concatDim] / piece[concatDim], source = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t coordinate = at[d];
      if (d == concatDim)
        coordinate %= piece[concatDim];
      if (d == splitDim)
        coordinate += index * piece[splitDim];
      source = source * shape[d] + coordinate;
    }
    expected[flat] = valueAt(members[from], source);
    for (int64_t d = rank - 1; d >= 0 && ++at[d] == yShape[d]; --d)
      at[d] = 0;
  }
  tprt_all_to_all(&ctx, "test", x.data(), y.data(), sizeof(T), rank,
                  shape.data(), splitDim, concatDim, mask);
  EXPECT_EQ(y, expected) << "split " << splitDim << " concat " << concatDim;
}

TEST(CollectivesTest, AllToAll) {
  forEachGroup(
      [](tprt_context &ctx, int64_t mask, const std::vector<int64_t> &members) {
        // Sequence-sharded to head-sharded and back, as Ulysses attention does,
        // and moves between the outermost and innermost dims.
        checkAllToAll<float>(ctx, mask, members, {2, 3, 2}, 1, 0);
        checkAllToAll<float>(ctx, mask, members, {2, 3, 2}, 0, 1);
        checkAllToAll<int64_t>(ctx, mask, members, {2, 3, 2}, 0, 2);
        checkAllToAll<float>(ctx, mask, members, {2, 3, 2}, 2, 1);
        checkAllToAll<float>(ctx, mask, members, {2, 3, 2}, 1, 1);
      });
}

TEST(CollectivesTest, LocalSlice) {
  forEachGroup(
      [](tprt_context &ctx, int64_t mask, const std::vector<int64_t> &members) {
        const int64_t outer = 3, inner = 2;
        int64_t group = members.size(), index = indexIn(ctx, members);
        std::vector<float> x(outer * group * inner), y(outer * inner, -1.0f),
            expected(outer * inner);
        for (int64_t i = 0; i < int64_t(x.size()); ++i)
          x[i] = float(i);
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t e = 0; e < inner; ++e)
            expected[o * inner + e] = x[(o * group + index) * inner + e];
        tprt_local_slice(&ctx, "test", x.data(), y.data(), outer,
                         inner * sizeof(float), mask);
        EXPECT_EQ(y, expected);
      });
}

} // namespace

int main(int argc, char **argv) { return runMpiTests(argc, argv); }
