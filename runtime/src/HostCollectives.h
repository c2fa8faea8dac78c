//===- HostCollectives.h - collectives on host memory over MPI --*- C++ -*-===//
//
// This file declares the collectives of tprt.h on host buffers over MPI, with
// the same arguments, checks and messages as the C API: the cpu backend's
// tprt_all_reduce and friends are these, and the cuda backend calls them on
// pinned host copies of its device buffers where several ranks share a GPU
// (NCCL refuses that, and Debian's OpenMPI cannot read device memory).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_HOSTCOLLECTIVES_H
#define TPRT_SRC_HOSTCOLLECTIVES_H

#include "Context.h"

#include <vector>

namespace tprt {

void hostAllReduce(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                   int64_t count, int64_t axis_mask);
void hostAllGather(tprt_context *ctx, const void *x, void *y, int64_t outer,
                   int64_t inner_bytes, int64_t axis_mask);
void hostReduceScatter(tprt_context *ctx, int32_t dtype, const void *x,
                       void *y, int64_t outer, int64_t inner,
                       int64_t axis_mask);
void hostAllToAll(tprt_context *ctx, const void *x, void *y,
                  int64_t element_bytes, int64_t rank, const int64_t *shape,
                  int64_t split_dim, int64_t concat_dim, int64_t axis_mask);
/// Checks the arguments of tprt_all_to_all as it does and returns the shape
/// of one piece (the split dim divided by the group size).
std::vector<int64_t> allToAllPiece(const tprt_context *ctx, int64_t rank,
                                   const int64_t *shape, int64_t split_dim,
                                   int64_t concat_dim, int64_t axis_mask);
void hostLocalSlice(tprt_context *ctx, const void *x, void *y, int64_t outer,
                    int64_t inner_bytes, int64_t axis_mask);

} // namespace tprt

#endif // TPRT_SRC_HOSTCOLLECTIVES_H
