//===- Api.cpp - the C API of the cuda backend ----------------------------===//
//
// This file defines every function of tprt.h for the cuda backend, on device
// pointers, by forwarding to namespace tprt::cuda (Cuda.h), and the backend
// table main uses (Backend.h). It is the only part of tprt_cuda that the
// tests comparing the cuda kernels with the cpu ones leave out, since the cpu
// backend defines the same symbols.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "Cuda.h"

using namespace tprt;

const Backend &tprt::backend() {
  static const Backend table = {
      "cuda",             // name
      false,              // hostMemory
      cuda::initialize,   // initialize
      cuda::allocate,     // allocate
      cuda::release,      // release
      cuda::allocateHost, // allocateHost
      cuda::releaseHost,  // releaseHost
      cuda::copyToDevice, // copyToDevice
      cuda::copyToHost,   // copyToHost
      cuda::synchronize,  // synchronize
  };
  return table;
}

int64_t tprt_group_index(tprt_context *ctx, int64_t axis_mask) {
  checkAxisMask(*ctx, "tprt_group_index", axis_mask);
  return groupIndex(*ctx, axis_mask);
}

void tprt_linear(tprt_context *ctx, const char *layer, int32_t dtype,
                 const void *x, const void *w, const void *bias, void *y,
                 int64_t m, int64_t n, int64_t k) {
  cuda::linear(ctx, layer, dtype, x, w, bias, y, m, n, k);
}

void tprt_embedding(tprt_context *ctx, const char *layer, int32_t dtype,
                    const int64_t *ids, const void *table, void *y,
                    int64_t count, int64_t rows, int64_t dim,
                    int64_t row_offset, int64_t total_rows) {
  cuda::embedding(ctx, layer, dtype, ids, table, y, count, rows, dim,
                  row_offset, total_rows);
}

void tprt_matmul(tprt_context *ctx, const char *layer, int32_t dtype,
                 const void *a, const void *b, void *c, int64_t batch,
                 int64_t m, int64_t n, int64_t k) {
  cuda::matmul(ctx, layer, dtype, a, b, c, batch, m, n, k);
}

void tprt_add(tprt_context *ctx, int32_t dtype, const void *a, const void *b,
              void *y, int64_t count) {
  cuda::add(ctx, dtype, a, b, y, count);
}

void tprt_mul(tprt_context *ctx, int32_t dtype, const void *a, const void *b,
              void *y, int64_t count) {
  cuda::mul(ctx, dtype, a, b, y, count);
}

void tprt_silu_mul(tprt_context *ctx, int32_t dtype, const void *gate,
                   const void *up, void *y, int64_t count) {
  cuda::siluMul(ctx, dtype, gate, up, y, count);
}

void tprt_silu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count) {
  cuda::silu(ctx, dtype, x, y, count);
}

void tprt_relu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count) {
  cuda::relu(ctx, dtype, x, y, count);
}

void tprt_gelu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count, int32_t tanh_approx) {
  cuda::gelu(ctx, dtype, x, y, count, tanh_approx);
}

void tprt_scale(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                int64_t count, double factor) {
  cuda::scale(ctx, dtype, x, y, count, factor);
}

void tprt_rms_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                   const void *x, const void *weight, void *y, int64_t rows,
                   int64_t features, double epsilon) {
  cuda::rmsNorm(ctx, layer, dtype, x, weight, y, rows, features, epsilon);
}

void tprt_layer_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                     const void *x, const void *weight, const void *bias,
                     void *y, int64_t rows, int64_t features, double epsilon) {
  cuda::layerNorm(ctx, layer, dtype, x, weight, bias, y, rows, features,
                  epsilon);
}

void tprt_softmax(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                  int64_t outer, int64_t dim, int64_t inner) {
  cuda::softmax(ctx, dtype, x, y, outer, dim, inner);
}

void tprt_transpose(tprt_context *ctx, const void *x, void *y,
                    int64_t element_bytes, int64_t rank, const int64_t *shape,
                    const int64_t *perm) {
  cuda::transpose(ctx, x, y, element_bytes, rank, shape, perm);
}

void tprt_copy(tprt_context *ctx, const void *x, void *y, int64_t bytes) {
  cuda::copy(ctx, x, y, bytes);
}

void tprt_rope(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
               double theta) {
  cuda::rope(ctx, dtype, x, y, batch, seq, heads, head_dim, theta);
}

void tprt_attention(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *q, const void *k, const void *v, void *o,
                    void *workspace, int64_t workspace_bytes, int64_t batch,
                    int64_t q_seq, int64_t kv_seq, int64_t q_heads,
                    int64_t kv_heads, int64_t head_dim, int32_t causal,
                    double scale) {
  cuda::attention(ctx, layer, dtype, q, k, v, o, workspace, workspace_bytes,
                  batch, q_seq, kv_seq, q_heads, kv_heads, head_dim, causal,
                  scale);
}

void tprt_sum(tprt_context *ctx, int32_t dtype, const void *x, void *y,
              int64_t rank, const int64_t *shape, int64_t dim_mask) {
  cuda::sum(ctx, dtype, x, y, rank, shape, dim_mask);
}

void tprt_cross_entropy(tprt_context *ctx, const char *layer, int32_t dtype,
                        const void *logits, const int64_t *labels, void *loss,
                        int64_t positions, int64_t classes) {
  cuda::crossEntropy(ctx, layer, dtype, logits, labels, loss, positions,
                     classes);
}

void tprt_all_reduce(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                     int64_t count, int64_t axis_mask) {
  cuda::allReduce(ctx, dtype, x, y, count, axis_mask);
}

void tprt_all_gather(tprt_context *ctx, const void *x, void *y, int64_t outer,
                     int64_t inner_bytes, int64_t axis_mask) {
  cuda::allGather(ctx, x, y, outer, inner_bytes, axis_mask);
}

void tprt_reduce_scatter(tprt_context *ctx, int32_t dtype, const void *x,
                         void *y, int64_t outer, int64_t inner,
                         int64_t axis_mask) {
  cuda::reduceScatter(ctx, dtype, x, y, outer, inner, axis_mask);
}

void tprt_all_to_all(tprt_context *ctx, const void *x, void *y,
                     int64_t element_bytes, int64_t rank, const int64_t *shape,
                     int64_t split_dim, int64_t concat_dim, int64_t axis_mask) {
  cuda::allToAll(ctx, x, y, element_bytes, rank, shape, split_dim, concat_dim,
                 axis_mask);
}

void tprt_local_slice(tprt_context *ctx, const void *x, void *y, int64_t outer,
                      int64_t inner_bytes, int64_t axis_mask) {
  cuda::localSlice(ctx, x, y, outer, inner_bytes, axis_mask);
}
