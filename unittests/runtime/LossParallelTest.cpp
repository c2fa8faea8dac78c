//===- LossParallelTest.cpp - cross-entropy over split classes ------------===//
//
// This file checks tprt_cross_entropy and tprt_cross_entropy_grad where the
// classes are split over mesh axes (PyTorch's loss_parallel) under mpirun
// (see CMakeLists.txt): on a 1-D mesh of every rank and, with 4 ranks, on a
// 2x2 mesh under each axis mask, each member of a group holding a
// contiguous slice of the classes (evenly, as the compiler splits them, and
// unevenly, down to a member holding none), in f32, f16 and bf16. Every
// rank's loss, and the gradient of each rank's classes, must equal those of
// the unsplit call on one rank (a context of its own, without MPI). The
// labels fall on every member's classes, the first and last of each slice
// included, and large logits on different members check that the maxima are
// reduced before the exponentials are taken. Checks are non-fatal so that
// every rank reaches every reduction even after a failure.
//
// A label outside [0, total_classes) stops the job: the DISABLED_ tests do
// that, each run alone by a ctest entry that expects the failure and its
// message (tprt.loss-parallel.bad-label*).
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "tprt/tprt.h"

#include "ReferenceKernels.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <string>

using namespace tprt_test;

namespace {

const int64_t kPositions = 10;

/// The logits of `total` classes: random, with large values in the first
/// and the last class of two positions, so that the maxima of those lie on
/// different members.
std::vector<float> logitsOf(int64_t total) {
  std::vector<float> values = randomFloats(kPositions * total, 81);
  for (float &value : values)
    value *= 4.0f;
  values[1 * total + total - 1] = 30.0f;
  values[2 * total] = 25.0f;
  return values;
}

/// Labels that fall on every class, for kPositions >= total: 5 is prime to
/// every total tested.
std::vector<int64_t> labelsOf(int64_t total) {
  std::vector<int64_t> labels(kPositions);
  for (int64_t p = 0; p < kPositions; ++p)
    labels[p] = (5 * p + 2) % total;
  return labels;
}

/// One case of the split: this rank's context and group, its slice of
/// `total` classes, and the labels and logits in `type`'s dtype.
struct SplitCase {
  tprt_context &ctx;
  int64_t mask, total;
  ClassSlice slice;
  const TestType &type;
  int64_t elementBytes;
  std::vector<int64_t> labels;
  /// The logits of every class, and this rank's columns of them.
  std::vector<unsigned char> logits, mine;
};

/// Calls `check(c)` for every mesh, axis mask, number of classes (8, split
/// evenly as the compiler splits them; 7 and 3 unevenly, 3 over 4 members
/// leaving one none) and dtype.
template <typename Check> void forEachSplit(const Check &check) {
  for (const Mesh &mesh : meshes()) {
    std::unique_ptr<tprt_context> ctx =
        tprt::createContext(mesh.names, mesh.sizes);
    for (int64_t mask = 0; mask < int64_t(1) << mesh.sizes.size(); ++mask)
      for (int64_t total : {8, 7, 3})
        for (const TestType &type : kTypes) {
          ClassSlice slice = sliceOf(total, tprt::groupSize(*ctx, mask),
                                     tprt::groupIndex(*ctx, mask));
          SCOPED_TRACE("mesh " + tprt::formatMesh(mesh.names, mesh.sizes) +
                       ", axis mask " + std::to_string(mask) + ", " +
                       type.name + ", " + std::to_string(total) +
                       " classes, this rank's from " +
                       std::to_string(slice.offset));
          int64_t bytes = tprt::floatDTypeBytes(type.dtype);
          std::vector<unsigned char> logits =
              narrowed(type.dtype, logitsOf(total));
          std::vector<unsigned char> mine =
              columns(logits, bytes, kPositions, total, slice);
          check(SplitCase{*ctx, mask, total, slice, type, bytes,
                          labelsOf(total), logits, mine});
        }
  }
}

TEST(LossParallelTest, LossEqualsTheUnsplitLoss) {
  forEachSplit([](SplitCase c) {
    tprt_context single;
    std::vector<unsigned char> expected(c.elementBytes), loss(c.elementBytes);
    tprt_cross_entropy(&single, "loss", c.type.dtype, c.logits.data(),
                       c.labels.data(), expected.data(), kPositions, c.total, 0,
                       c.total, 0);
    tprt_cross_entropy(&c.ctx, "loss", c.type.dtype, c.mine.data(),
                       c.labels.data(), loss.data(), kPositions,
                       c.slice.classes, c.slice.offset, c.total, c.mask);
    expectNear(widened(c.type.dtype, loss),
               toDouble(widened(c.type.dtype, expected)), c.type.tolerance);
  });
}

TEST(LossParallelTest, GradientOfEachRanksClassesEqualsTheUnsplitOne) {
  forEachSplit([](SplitCase c) {
    tprt_context single;
    // The mean is over twice these positions, as if another rank held as
    // many.
    const int64_t totalPositions = 2 * kPositions;
    std::vector<unsigned char> dloss = narrowed(c.type.dtype, {0.75f}),
                               full(c.logits.size()), dlogits(c.mine.size());
    tprt_cross_entropy_grad(&single, "loss", c.type.dtype, c.logits.data(),
                            c.labels.data(), dloss.data(), full.data(),
                            kPositions, c.total, totalPositions, 0, c.total, 0);
    tprt_cross_entropy_grad(&c.ctx, "loss", c.type.dtype, c.mine.data(),
                            c.labels.data(), dloss.data(), dlogits.data(),
                            kPositions, c.slice.classes, totalPositions,
                            c.slice.offset, c.total, c.mask);
    expectNear(
        widened(c.type.dtype, dlogits),
        toDouble(widened(c.type.dtype, columns(full, c.elementBytes, kPositions,
                                               c.total, c.slice))),
        c.type.tolerance);
    // In place, as a training step may reuse the logits' buffer.
    tprt_cross_entropy_grad(&c.ctx, "loss", c.type.dtype, c.mine.data(),
                            c.labels.data(), dloss.data(), c.mine.data(),
                            kPositions, c.slice.classes, totalPositions,
                            c.slice.offset, c.total, c.mask);
    EXPECT_EQ(c.mine, dlogits) << "in place";
  });
}

/// Calls `call(ctx, slice)` with the classes of 8 split over every rank,
/// the labels of labelsOf(8) but `bad` at position 3.
template <typename Call> void withBadLabel(int64_t bad, const Call &call) {
  Mesh mesh = meshes().front();
  std::unique_ptr<tprt_context> ctx =
      tprt::createContext(mesh.names, mesh.sizes);
  ClassSlice slice = sliceOf(8, ctx->size, ctx->rank);
  std::vector<int64_t> labels = labelsOf(8);
  labels[3] = bad;
  std::vector<float> logits(kPositions * slice.classes), out(logits.size());
  call(*ctx, slice, logits.data(), labels.data(), out.data());
}

TEST(LossParallelErrorTest, DISABLED_LabelPastTheLastClass) {
  withBadLabel(8, [](tprt_context &ctx, ClassSlice slice, float *logits,
                     const int64_t *labels, float *loss) {
    tprt_cross_entropy(&ctx, "loss", TPRT_F32, logits, labels, loss, kPositions,
                       slice.classes, slice.offset, 8, 1);
  });
}

TEST(LossParallelErrorTest, DISABLED_NegativeLabelInTheGradient) {
  withBadLabel(-1, [](tprt_context &ctx, ClassSlice slice, float *logits,
                      const int64_t *labels, float *dlogits) {
    float dloss = 1.0f;
    tprt_cross_entropy_grad(&ctx, "loss", TPRT_F32, logits, labels, &dloss,
                            dlogits, kPositions, slice.classes, kPositions,
                            slice.offset, 8, 1);
  });
}

} // namespace

int main(int argc, char **argv) { return runMpiTests(argc, argv); }
