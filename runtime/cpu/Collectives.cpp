//===- Collectives.cpp - collectives on host memory over MPI --------------===//
//
// This file implements the cpu backend's collectives and mesh query: MPI on
// host memory; and the in-place reductions of the cross-entropy kernels
// whose classes are split (allReduceInPlace). The cuda backend calls them
// too, on pinned host copies of its device buffers where several ranks share
// a GPU (NCCL refuses that, and Debian's OpenMPI cannot read device memory),
// so they are compiled into both backends (tprt_common). Each runs on the
// communicator of its axis mask; a group of one member is a plain copy and
// never touches MPI. MPI wants each member's piece contiguous, while the
// layouts of tprt_calls.def interleave pieces along a split dim ([outer,
// group, inner]), so pieces are packed into or unpacked from the context's
// scratch buffers with one strided copy where outer > 1.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "Checks.h"
#include "DType.h"
#include "Tensor.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

using namespace tprt;

/// `value` as an MPI count; fails beyond MPI's int range.
static int mpiCount(const tprt_context *ctx, const char *call,
                    const char *layer, int64_t value) {
  if (value < 0 || value > INT_MAX)
    fail(ctx, callName(call, layer) + ": a count of " + std::to_string(value) +
                  " per rank is outside MPI's range [0, 2^31-1]");
  return static_cast<int>(value);
}

/// Copies src viewed as [d0, d1, block bytes] to dst viewed as [d1, d0,
/// block bytes].
static void swapOuterDims(const void *src, void *dst, int64_t d0, int64_t d1,
                          int64_t blockBytes) {
  int64_t sizes[] = {d1, d0};
  int64_t srcStrides[] = {blockBytes, d1 * blockBytes};
  int64_t dstStrides[] = {d0 * blockBytes, blockBytes};
  copyStrided(static_cast<const char *>(src), srcStrides,
              static_cast<char *>(dst), dstStrides, sizes, 2, blockBytes);
}

/// MPI's sum of 16-bit floats, which it has no datatype for: each pair is
/// added in f32 and rounded once, as NCCL does.
template <float (*toFloat)(uint16_t), uint16_t (*fromFloat)(float)>
static void sum16(void *in, void *inout, int *count, MPI_Datatype *) {
  const auto *x = static_cast<const uint16_t *>(in);
  auto *y = static_cast<uint16_t *>(inout);
  for (int i = 0; i < *count; ++i)
    y[i] = fromFloat(toFloat(x[i]) + toFloat(y[i]));
}

/// The MPI datatype and sum of `dtype`'s elements.
static std::pair<MPI_Datatype, MPI_Op> mpiSum(int32_t dtype) {
  if (dtype == TPRT_F32)
    return {MPI_FLOAT, MPI_SUM};
  // Created once per process; MPI_Finalize frees them.
  static MPI_Op sums[2] = {MPI_OP_NULL, MPI_OP_NULL};
  MPI_Op &op = sums[dtype == TPRT_BF16];
  if (op == MPI_OP_NULL)
    MPI_Op_create(dtype == TPRT_BF16 ? sum16<bf16ToFloat, floatToBF16>
                                     : sum16<f16ToFloat, floatToF16>,
                  /*commute=*/1, &op);
  return {MPI_UINT16_T, op};
}

/// Copies `bytes` from x to y unless they are the same buffer.
static void copyUnlessSame(const void *x, void *y, int64_t bytes) {
  if (x != y)
    std::memcpy(y, x, bytes);
}

void cpu::allReduceInPlace(tprt_context *ctx, const char *call,
                           const char *layer, void *values, int64_t count,
                           MPI_Datatype type, MPI_Op op, int64_t axisMask) {
  if (count == 0 || groupSize(*ctx, axisMask) == 1)
    return;
  MPI_Allreduce(MPI_IN_PLACE, values, mpiCount(ctx, call, layer, count), type,
                op, groupComm(*ctx, axisMask));
}

int64_t cpu::group_index(tprt_context *ctx, const char *layer,
                         int64_t axis_mask) {
  checkAxisMask(*ctx, "tprt_group_index", layer, axis_mask);
  return groupIndex(*ctx, axis_mask);
}

/// tprt_all_reduce, and its start where `requests` is given: each chunk's
/// MPI_Iallreduce then joins them.
static void sum(tprt_context *ctx, const char *call, const char *layer,
                int32_t dtype, const void *x, void *y, int64_t count,
                int64_t axisMask, std::vector<MPI_Request> *requests) {
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkAxisMask(*ctx, call, layer, axisMask);
  if (groupSize(*ctx, axisMask) == 1)
    return copyUnlessSame(x, y, count * elementBytes);
  MPI_Comm comm = groupComm(*ctx, axisMask);
  auto [type, op] = mpiSum(dtype);
  // Summing is elementwise, so a tensor past MPI's int counts goes in chunks.
  for (int64_t done = 0; done < count; done += INT_MAX) {
    int chunk =
        mpiCount(ctx, call, layer, std::min<int64_t>(count - done, INT_MAX));
    int64_t offset = done * elementBytes;
    const void *send =
        x == y ? MPI_IN_PLACE : static_cast<const char *>(x) + offset;
    void *receive = static_cast<char *>(y) + offset;
    if (requests)
      MPI_Iallreduce(send, receive, chunk, type, op, comm,
                     &requests->emplace_back());
    else
      MPI_Allreduce(send, receive, chunk, type, op, comm);
  }
}

/// The MPI requests of the async collective numbered `request`.
static std::vector<MPI_Request> &requestsOf(tprt_context *ctx, const char *call,
                                            const char *layer,
                                            int64_t request) {
  // Requests are numbered from 0, the lowest free one first (tp-compile).
  const int64_t limit = 1 << 16;
  if (request < 0 || request >= limit)
    fail(ctx, callName(call, layer) + ": request " + std::to_string(request) +
                  " is outside [0, " + std::to_string(limit) + ")");
  if (size_t(request) >= ctx->requests.size())
    ctx->requests.resize(request + 1);
  return ctx->requests[request];
}

void cpu::all_reduce(tprt_context *ctx, const char *layer, int32_t dtype,
                     const void *x, void *y, int64_t count, int64_t axis_mask) {
  sum(ctx, "tprt_all_reduce", layer, dtype, x, y, count, axis_mask, nullptr);
}

void cpu::all_reduce_start(tprt_context *ctx, const char *layer, int32_t dtype,
                           const void *x, void *y, int64_t count,
                           int64_t axis_mask, int64_t request) {
  const char *call = "tprt_all_reduce_start";
  std::vector<MPI_Request> &pending = requestsOf(ctx, call, layer, request);
  if (!pending.empty())
    fail(ctx, callName(call, layer) + ": request " + std::to_string(request) +
                  " is still pending");
  sum(ctx, call, layer, dtype, x, y, count, axis_mask, &pending);
}

void cpu::wait(tprt_context *ctx, const char *layer, int64_t request) {
  std::vector<MPI_Request> &pending =
      requestsOf(ctx, "tprt_wait", layer, request);
  MPI_Waitall(static_cast<int>(pending.size()), pending.data(),
              MPI_STATUSES_IGNORE);
  pending.clear();
}

void cpu::all_gather(tprt_context *ctx, const char *layer, const void *x,
                     void *y, int64_t outer, int64_t inner_bytes,
                     int64_t axis_mask) {
  const char *call = "tprt_all_gather";
  checkAxisMask(*ctx, call, layer, axis_mask);
  int64_t group = groupSize(*ctx, axis_mask);
  if (group == 1)
    return copyUnlessSame(x, y, outer * inner_bytes);
  int count = mpiCount(ctx, call, layer, outer * inner_bytes);
  MPI_Comm comm = groupComm(*ctx, axis_mask);
  if (outer == 1) {
    MPI_Allgather(x, count, MPI_BYTE, y, count, MPI_BYTE, comm);
    return;
  }
  char *pieces = scratch(*ctx, 0, group * count);
  MPI_Allgather(x, count, MPI_BYTE, pieces, count, MPI_BYTE, comm);
  swapOuterDims(pieces, y, group, outer, inner_bytes);
}

void cpu::reduce_scatter(tprt_context *ctx, const char *layer, int32_t dtype,
                         const void *x, void *y, int64_t outer, int64_t inner,
                         int64_t axis_mask) {
  const char *call = "tprt_reduce_scatter";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkAxisMask(*ctx, call, layer, axis_mask);
  int64_t group = groupSize(*ctx, axis_mask);
  if (group == 1)
    return copyUnlessSame(x, y, outer * inner * elementBytes);
  int count = mpiCount(ctx, call, layer, outer * inner);
  MPI_Comm comm = groupComm(*ctx, axis_mask);
  const void *pieces = x;
  if (outer > 1) {
    char *packed = scratch(*ctx, 0, group * count * elementBytes);
    swapOuterDims(x, packed, outer, group, inner * elementBytes);
    pieces = packed;
  }
  auto [type, sum] = mpiSum(dtype);
  MPI_Reduce_scatter_block(pieces, y, count, type, sum, comm);
}

void cpu::all_to_all(tprt_context *ctx, const char *layer, const void *x,
                     void *y, int64_t element_bytes, int64_t rank,
                     const int64_t *shape, int64_t split_dim,
                     int64_t concat_dim, int64_t axis_mask) {
  const char *call = "tprt_all_to_all";
  std::vector<int64_t> piece =
      allToAllPiece(ctx, layer, rank, shape, split_dim, concat_dim, axis_mask);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t pieceBytes = elementCount(piece) * element_bytes;
  if (group == 1)
    return copyUnlessSame(x, y, pieceBytes);
  int count = mpiCount(ctx, call, layer, pieceBytes);
  MPI_Comm comm = groupComm(*ctx, axis_mask);

  // x is [before, group, piece bytes per before-index] around the split dim;
  // MPI sends [group, before, ...].
  int64_t before = elementCount(std::vector<int64_t>(shape, shape + split_dim));
  const void *send = x;
  if (before > 1) {
    char *packed = scratch(*ctx, 0, group * pieceBytes);
    swapOuterDims(x, packed, before, group, pieceBytes / before);
    send = packed;
  }
  // y is [ahead, group, received bytes per ahead-index] around the concat
  // dim, while MPI receives [group, ahead, ...].
  int64_t ahead = elementCount(
      std::vector<int64_t>(piece.begin(), piece.begin() + concat_dim));
  void *received = ahead > 1 ? scratch(*ctx, 1, group * pieceBytes) : y;
  MPI_Alltoall(send, count, MPI_BYTE, received, count, MPI_BYTE, comm);
  if (ahead > 1)
    swapOuterDims(received, y, group, ahead, pieceBytes / ahead);
}

void cpu::local_slice(tprt_context *ctx, const char *layer, const void *x,
                      void *y, int64_t outer, int64_t inner_bytes,
                      int64_t axis_mask) {
  checkAxisMask(*ctx, "tprt_local_slice", layer, axis_mask);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t index = groupIndex(*ctx, axis_mask);
  // Row o of y is piece `index` of row o of x.
  int64_t stride = group * inner_bytes, contiguous = inner_bytes;
  copyStrided(static_cast<const char *>(x) + index * inner_bytes, &stride,
              static_cast<char *>(y), &contiguous, &outer, 1, inner_bytes);
}
