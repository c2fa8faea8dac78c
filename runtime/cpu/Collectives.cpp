//===- Collectives.cpp - collectives over mesh axis groups ----------------===//
//
// This file implements the mesh query and the collectives of tprt.h for the
// cpu backend: MPI on host memory, shared with the cuda backend's fallback
// (src/HostCollectives.cpp).
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "HostCollectives.h"

using namespace tprt;

int64_t tprt_group_index(tprt_context *ctx, int64_t axis_mask) {
  checkAxisMask(*ctx, "tprt_group_index", axis_mask);
  return groupIndex(*ctx, axis_mask);
}

void tprt_all_reduce(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                     int64_t count, int64_t axis_mask) {
  hostAllReduce(ctx, dtype, x, y, count, axis_mask);
}

void tprt_all_gather(tprt_context *ctx, const void *x, void *y, int64_t outer,
                     int64_t inner_bytes, int64_t axis_mask) {
  hostAllGather(ctx, x, y, outer, inner_bytes, axis_mask);
}

void tprt_reduce_scatter(tprt_context *ctx, int32_t dtype, const void *x,
                         void *y, int64_t outer, int64_t inner,
                         int64_t axis_mask) {
  hostReduceScatter(ctx, dtype, x, y, outer, inner, axis_mask);
}

void tprt_all_to_all(tprt_context *ctx, const void *x, void *y,
                     int64_t element_bytes, int64_t rank, const int64_t *shape,
                     int64_t split_dim, int64_t concat_dim, int64_t axis_mask) {
  hostAllToAll(ctx, x, y, element_bytes, rank, shape, split_dim, concat_dim,
               axis_mask);
}

void tprt_local_slice(tprt_context *ctx, const void *x, void *y, int64_t outer,
                      int64_t inner_bytes, int64_t axis_mask) {
  hostLocalSlice(ctx, x, y, outer, inner_bytes, axis_mask);
}
