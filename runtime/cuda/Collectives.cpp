//===- Collectives.cpp - the cuda backend's collectives -------------------===//
//
// This file implements the collectives of tprt.h on device buffers. With one
// GPU per rank they run on NCCL over a communicator per axis mask created on
// first use: the group's rank 0 makes the unique id and broadcasts it over
// the group's MPI communicator (as nccl-tests do), and each member joins at
// its group index, so NCCL ranks order members as tprt.h does. Every NCCL
// call runs on the rank's communication stream, after the work issued on
// its compute stream so far, and the compute stream's later work waits for
// it; but an async sum (tprt_all_reduce_start), which the compute stream
// waits for only at tprt_wait, so that the work in between overlaps it.
// NCCL moves contiguous pieces, so where tprt.h interleaves them
// ([outer, group, inner] with outer > 1) they are rearranged through device
// scratch with the strided-copy kernel, as the cpu backend does with MPI.
//
// Where the ranks of a node outnumber its GPUs (a one-GPU test machine),
// NCCL refuses to run; each collective then copies its input to pinned host
// memory, runs the cpu backend's collective on it (cpu/Collectives.cpp, MPI)
// and copies the result back. Reductions sum in the
// dtype on both paths, as tprt.h specifies. The same two paths serve the
// in-place reductions of the cross-entropy kernels whose classes are split
// (allReduceInPlace).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Tensor.h"

namespace tprt {
namespace cuda {

namespace {

/// The NCCL communicator of this rank's group of `axisMask`, created on
/// first use. Creation is collective over the group (and MPI_Comm_split's
/// over every rank), which SPMD code satisfies.
ncclComm_t communicator(tprt_context *ctx, State &s, int64_t axisMask,
                        const char *call, const char *layer) {
  auto it = s.comms.find(axisMask);
  if (it != s.comms.end())
    return it->second;
  MPI_Comm group = groupComm(*ctx, axisMask);
  int size = 0, rank = 0;
  MPI_Comm_size(group, &size);
  MPI_Comm_rank(group, &rank);
  ncclUniqueId id;
  if (rank == 0)
    checkNccl(ctx, ncclGetUniqueId(&id), nullptr, call, layer,
              "ncclGetUniqueId");
  MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, group);
  ncclComm_t comm = nullptr;
  checkNccl(ctx, ncclCommInitRank(&comm, size, id, rank), comm, call, layer,
            "ncclCommInitRank");
  s.comms[axisMask] = comm;
  return comm;
}

/// NCCL's type of the elements of `dtype`, a checked tprt_dtype.
ncclDataType_t ncclType(int32_t dtype) {
  switch (dtype) {
  case TPRT_F16:
    return ncclFloat16;
  case TPRT_BF16:
    return ncclBfloat16;
  default:
    return ncclFloat32;
  }
}

/// Copies src viewed as [d0, d1, block bytes] to dst viewed as [d1, d0,
/// block bytes], on the stream.
void swapOuterDims(tprt_context *ctx, State &s, const char *call,
                   const char *layer, const void *src, void *dst, int64_t d0,
                   int64_t d1, int64_t blockBytes) {
  int64_t sizes[] = {d1, d0};
  int64_t srcStrides[] = {blockBytes, d1 * blockBytes};
  check(ctx,
        launchStridedCopy(s.stream, src, srcStrides, dst, sizes, 2, blockBytes),
        call, layer, "the rearranging kernel");
}

void copyDevice(tprt_context *ctx, State &s, const char *call,
                const char *layer, const void *x, void *y, int64_t bytes) {
  if (x == y || bytes == 0)
    return;
  check(ctx, cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, s.stream),
        call, layer, "cudaMemcpyAsync");
}

/// The stream to issue NCCL calls on: the communication stream, once the
/// work issued on the compute stream so far is done. All calls go there, so
/// that those on one communicator run in the order issued even while an
/// async sum is in flight.
cudaStream_t startComm(tprt_context *ctx, State &s, const char *call,
                       const char *layer) {
  check(ctx, cudaEventRecord(s.computeIssued, s.stream), call, layer,
        "cudaEventRecord");
  check(ctx, cudaStreamWaitEvent(s.commStream, s.computeIssued, 0), call, layer,
        "cudaStreamWaitEvent");
  return s.commStream;
}

/// Orders the compute stream's later work after the NCCL calls issued so
/// far, as a blocking collective needs.
void endComm(tprt_context *ctx, State &s, const char *call, const char *layer) {
  check(ctx, cudaEventRecord(s.commIssued, s.commStream), call, layer,
        "cudaEventRecord");
  check(ctx, cudaStreamWaitEvent(s.stream, s.commIssued, 0), call, layer,
        "cudaStreamWaitEvent");
}

/// The event that marks the end of the async collective numbered `request`.
cudaEvent_t requestEvent(tprt_context *ctx, State &s, const char *call,
                         const char *layer, int64_t request) {
  // Requests are numbered from 0, the lowest free one first (tp-compile).
  const int64_t limit = 1 << 16;
  if (request < 0 || request >= limit)
    fail(ctx, callName(call, layer) + ": request " + std::to_string(request) +
                  " is outside [0, " + std::to_string(limit) + ")");
  if (size_t(request) >= s.requestDone.size())
    s.requestDone.resize(request + 1, nullptr);
  cudaEvent_t &event = s.requestDone[request];
  if (!event)
    check(ctx, cudaEventCreateWithFlags(&event, cudaEventDisableTiming), call,
          layer, "cudaEventCreateWithFlags");
  return event;
}

/// The MPI fallback's first step: `bytes` of device memory at `x` in pinned
/// staging buffer `slot`, once all earlier work is done.
void *toHost(tprt_context *ctx, State &s, const char *call, const char *layer,
             const void *x, int64_t bytes, int slot) {
  void *host = hostStaging(ctx, slot, bytes);
  check(ctx, cudaMemcpyAsync(host, x, bytes, cudaMemcpyDeviceToHost, s.stream),
        call, layer, "cudaMemcpyAsync");
  waitForStream(ctx, s, call, layer, "cudaStreamQuery");
  return host;
}

/// Its last step: the result back to the device. The copy is ordered before
/// anything later on the stream, including the next copy into the staging
/// buffer, so it need not be waited for.
void toDevice(tprt_context *ctx, State &s, const char *call, const char *layer,
              void *y, const void *host, int64_t bytes) {
  check(ctx, cudaMemcpyAsync(y, host, bytes, cudaMemcpyHostToDevice, s.stream),
        call, layer, "cudaMemcpyAsync");
}

} // namespace

void allReduceInPlace(tprt_context *ctx, State &s, const char *call,
                      const char *layer, void *values, int64_t count,
                      ncclDataType_t type, ncclRedOp_t op, int64_t axisMask) {
  if (count == 0 || groupSize(*ctx, axisMask) == 1)
    return;
  if (!s.nccl) {
    bool isDouble = type == ncclFloat64;
    int64_t bytes = count * (isDouble ? sizeof(double) : sizeof(float));
    void *host = toHost(ctx, s, call, layer, values, bytes, 0);
    cpu::allReduceInPlace(ctx, call, layer, host, count,
                          isDouble ? MPI_DOUBLE : MPI_FLOAT,
                          op == ncclMax ? MPI_MAX : MPI_SUM, axisMask);
    return toDevice(ctx, s, call, layer, values, host, bytes);
  }
  ncclComm_t comm = communicator(ctx, s, axisMask, call, layer);
  checkNccl(ctx,
            ncclAllReduce(values, values, count, type, op, comm,
                          startComm(ctx, s, call, layer)),
            comm, call, layer, "ncclAllReduce");
  endComm(ctx, s, call, layer);
}

int64_t group_index(tprt_context *ctx, const char *layer, int64_t axis_mask) {
  return cpu::group_index(ctx, layer, axis_mask);
}

/// tprt_all_reduce, or its start where `done` is given: the event recorded
/// after it, which tprt_wait orders the compute stream after. Only NCCL's
/// sum runs asynchronously; the others are done before `done` is recorded.
static void sum(tprt_context *ctx, const char *call, const char *layer,
                int32_t dtype, const void *x, void *y, int64_t count,
                int64_t axisMask, cudaEvent_t done) {
  int64_t bytes = count * dtypeSize(ctx, call, layer, dtype);
  checkAxisMask(*ctx, call, layer, axisMask);
  State &s = state(ctx);
  if (groupSize(*ctx, axisMask) == 1 || count == 0 || !s.nccl) {
    if (groupSize(*ctx, axisMask) == 1)
      copyDevice(ctx, s, call, layer, x, y, bytes);
    else if (count != 0) {
      void *host = toHost(ctx, s, call, layer, x, bytes, 0);
      cpu::all_reduce(ctx, layer, dtype, host, host, count, axisMask);
      toDevice(ctx, s, call, layer, y, host, bytes);
    }
    if (done)
      check(ctx, cudaEventRecord(done, s.stream), call, layer,
            "cudaEventRecord");
    return;
  }
  ncclComm_t comm = communicator(ctx, s, axisMask, call, layer);
  cudaStream_t stream = startComm(ctx, s, call, layer);
  checkNccl(ctx,
            ncclAllReduce(x, y, count, ncclType(dtype), ncclSum, comm, stream),
            comm, call, layer, "ncclAllReduce");
  if (done)
    check(ctx, cudaEventRecord(done, stream), call, layer, "cudaEventRecord");
  else
    endComm(ctx, s, call, layer);
}

void all_reduce(tprt_context *ctx, const char *layer, int32_t dtype,
                const void *x, void *y, int64_t count, int64_t axis_mask) {
  sum(ctx, "tprt_all_reduce", layer, dtype, x, y, count, axis_mask, nullptr);
}

void all_reduce_start(tprt_context *ctx, const char *layer, int32_t dtype,
                      const void *x, void *y, int64_t count, int64_t axis_mask,
                      int64_t request) {
  const char *call = "tprt_all_reduce_start";
  sum(ctx, call, layer, dtype, x, y, count, axis_mask,
      requestEvent(ctx, state(ctx), call, layer, request));
}

void wait(tprt_context *ctx, const char *layer, int64_t request) {
  const char *call = "tprt_wait";
  State &s = state(ctx);
  check(ctx,
        cudaStreamWaitEvent(s.stream,
                            requestEvent(ctx, s, call, layer, request), 0),
        call, layer, "cudaStreamWaitEvent");
}

void all_gather(tprt_context *ctx, const char *layer, const void *x, void *y,
                int64_t outer, int64_t inner_bytes, int64_t axis_mask) {
  const char *call = "tprt_all_gather";
  checkAxisMask(*ctx, call, layer, axis_mask);
  State &s = state(ctx);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t bytes = outer * inner_bytes;
  if (group == 1)
    return copyDevice(ctx, s, call, layer, x, y, bytes);
  if (bytes == 0)
    return;
  if (!s.nccl) {
    void *hostX = toHost(ctx, s, call, layer, x, bytes, 0);
    void *hostY = hostStaging(ctx, 1, group * bytes);
    cpu::all_gather(ctx, layer, hostX, hostY, outer, inner_bytes, axis_mask);
    return toDevice(ctx, s, call, layer, y, hostY, group * bytes);
  }
  ncclComm_t comm = communicator(ctx, s, axis_mask, call, layer);
  // NCCL gathers [group, outer, inner]; y is [outer, group, inner].
  void *pieces = outer == 1 ? y : deviceScratch(ctx, 0, group * bytes);
  checkNccl(ctx,
            ncclAllGather(x, pieces, bytes, ncclChar, comm,
                          startComm(ctx, s, call, layer)),
            comm, call, layer, "ncclAllGather");
  endComm(ctx, s, call, layer);
  if (outer > 1)
    swapOuterDims(ctx, s, call, layer, pieces, y, group, outer, inner_bytes);
}

void reduce_scatter(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *x, void *y, int64_t outer, int64_t inner,
                    int64_t axis_mask) {
  const char *call = "tprt_reduce_scatter";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkAxisMask(*ctx, call, layer, axis_mask);
  State &s = state(ctx);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t count = outer * inner, bytes = count * elementBytes;
  if (group == 1)
    return copyDevice(ctx, s, call, layer, x, y, bytes);
  if (count == 0)
    return;
  if (!s.nccl) {
    void *hostX = toHost(ctx, s, call, layer, x, group * bytes, 0);
    void *hostY = hostStaging(ctx, 1, bytes);
    cpu::reduce_scatter(ctx, layer, dtype, hostX, hostY, outer, inner,
                        axis_mask);
    return toDevice(ctx, s, call, layer, y, hostY, bytes);
  }
  ncclComm_t comm = communicator(ctx, s, axis_mask, call, layer);
  // x is [outer, group, inner]; NCCL scatters [group, outer, inner].
  const void *pieces = x;
  if (outer > 1) {
    void *packed = deviceScratch(ctx, 0, group * bytes);
    swapOuterDims(ctx, s, call, layer, x, packed, outer, group,
                  inner * elementBytes);
    pieces = packed;
  }
  checkNccl(ctx,
            ncclReduceScatter(pieces, y, count, ncclType(dtype), ncclSum, comm,
                              startComm(ctx, s, call, layer)),
            comm, call, layer, "ncclReduceScatter");
  endComm(ctx, s, call, layer);
}

void all_to_all(tprt_context *ctx, const char *layer, const void *x, void *y,
                int64_t element_bytes, int64_t rank, const int64_t *shape,
                int64_t split_dim, int64_t concat_dim, int64_t axis_mask) {
  const char *call = "tprt_all_to_all";
  std::vector<int64_t> piece =
      allToAllPiece(ctx, layer, rank, shape, split_dim, concat_dim, axis_mask);
  State &s = state(ctx);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t pieceBytes = elementCount(piece) * element_bytes;
  if (group == 1)
    return copyDevice(ctx, s, call, layer, x, y, pieceBytes);
  if (pieceBytes == 0)
    return;
  if (!s.nccl) {
    void *hostX = toHost(ctx, s, call, layer, x, group * pieceBytes, 0);
    void *hostY = hostStaging(ctx, 1, group * pieceBytes);
    cpu::all_to_all(ctx, layer, hostX, hostY, element_bytes, rank, shape,
                    split_dim, concat_dim, axis_mask);
    return toDevice(ctx, s, call, layer, y, hostY, group * pieceBytes);
  }
  ncclComm_t comm = communicator(ctx, s, axis_mask, call, layer);
  // x is [before, group, piece bytes per before-index] around the split dim;
  // member j is sent [j, before, ...].
  int64_t before = elementCount(std::vector<int64_t>(shape, shape + split_dim));
  const char *send = static_cast<const char *>(x);
  if (before > 1) {
    auto *packed =
        static_cast<char *>(deviceScratch(ctx, 0, group * pieceBytes));
    swapOuterDims(ctx, s, call, layer, x, packed, before, group,
                  pieceBytes / before);
    send = packed;
  }
  // y is [ahead, group, received bytes per ahead-index] around the concat
  // dim, while member j's piece arrives whole.
  int64_t ahead = elementCount(
      std::vector<int64_t>(piece.begin(), piece.begin() + concat_dim));
  char *received =
      ahead > 1 ? static_cast<char *>(deviceScratch(ctx, 1, group * pieceBytes))
                : static_cast<char *>(y);
  cudaStream_t stream = startComm(ctx, s, call, layer);
  checkNccl(ctx, ncclGroupStart(), comm, call, layer, "ncclGroupStart");
  for (int64_t j = 0; j < group; ++j) {
    checkNccl(ctx,
              ncclSend(send + j * pieceBytes, pieceBytes, ncclChar, int(j),
                       comm, stream),
              comm, call, layer, "ncclSend");
    checkNccl(ctx,
              ncclRecv(received + j * pieceBytes, pieceBytes, ncclChar, int(j),
                       comm, stream),
              comm, call, layer, "ncclRecv");
  }
  checkNccl(ctx, ncclGroupEnd(), comm, call, layer, "ncclGroupEnd");
  endComm(ctx, s, call, layer);
  if (ahead > 1)
    swapOuterDims(ctx, s, call, layer, received, y, group, ahead,
                  pieceBytes / ahead);
}

void local_slice(tprt_context *ctx, const char *layer, const void *x, void *y,
                 int64_t outer, int64_t inner_bytes, int64_t axis_mask) {
  const char *call = "tprt_local_slice";
  checkAxisMask(*ctx, call, layer, axis_mask);
  int64_t group = groupSize(*ctx, axis_mask);
  int64_t index = groupIndex(*ctx, axis_mask);
  if (outer == 0 || inner_bytes == 0)
    return;
  // Row o of y is piece `index` of row o of x.
  int64_t stride = group * inner_bytes;
  check(ctx,
        launchStridedCopy(state(ctx).stream,
                          static_cast<const char *>(x) + index * inner_bytes,
                          &stride, y, &outer, 1, inner_bytes),
        call, layer, "the kernel launch");
}

} // namespace cuda
} // namespace tprt
