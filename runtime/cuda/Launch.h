//===- Launch.h - the cuda backend's kernels --------------------*- C++ -*-===//
//
// This file declares the launchers of the CUDA kernels written for the
// runtime (Kernels.cu): each enqueues its kernel on `stream` and returns the
// launch's error. They take sizes their callers (Ops.cpp, Collectives.cpp)
// have checked: non-negative, grids within 2^31-1 blocks, at most kMaxDims
// dims, so they neither fail nor print. Float tensors have the call's
// `dtype`, a tprt_dtype the caller has checked (another one gives
// cudaErrorInvalidValue): the kernels load them as f32, compute in f32 (or
// double where the cpu kernels do) and round each result to the dtype once.
// Nothing here needs MPI, cuBLAS or NCCL, which keeps nvcc's work to the
// kernels.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CUDA_LAUNCH_H
#define TPRT_CUDA_LAUNCH_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tprt {
namespace cuda {

/// The most dims of a strided copy (one more than tprt_transpose's rank, for
/// the bytes of an element) or of tprt_sum's input.
constexpr int kMaxDims = 12;

/// The largest head_dim the attention kernel takes (its shared memory).
constexpr int64_t kMaxHeadDim = 4096;

enum class Unary { Silu, Relu, GeluErf, GeluTanh, Scale };
enum class Binary { Add, Mul, SiluMul };

/// y[i] = op(x[i]) (`factor` for Scale); y may equal x.
cudaError_t launchUnary(cudaStream_t stream, int32_t dtype, Unary op,
                        const void *x, void *y, int64_t count, float factor);
/// y[i] = a[i] op b[i]; y may equal a or b.
cudaError_t launchBinary(cudaStream_t stream, int32_t dtype, Binary op,
                         const void *a, const void *b, void *y, int64_t count);
/// y[r, :] = row[:] for r < rows (a bias under a GEMM with beta = 1).
cudaError_t launchFillRows(cudaStream_t stream, int32_t dtype, const void *row,
                           void *y, int64_t rows, int64_t n);
/// tprt_embedding; an id outside [0, totalRows) gives a zero row and leaves
/// the smallest such position in *badIndex (atomicMin).
cudaError_t launchEmbedding(cudaStream_t stream, int32_t dtype,
                            const int64_t *ids, const void *table, void *y,
                            int64_t count, int64_t rows, int64_t dim,
                            int64_t rowOffset, int64_t totalRows,
                            unsigned long long *badIndex);
/// After a kernel that left a bad position in slot[0] (all ones for none):
/// slot[1] = values[slot[0]], the value for the message.
cudaError_t launchKeepBadValue(cudaStream_t stream, const int64_t *values,
                               unsigned long long *slot);
cudaError_t launchRmsNorm(cudaStream_t stream, int32_t dtype, const void *x,
                          const void *weight, void *y, int64_t rows,
                          int64_t features, double epsilon);
/// `bias` may be null.
cudaError_t launchLayerNorm(cudaStream_t stream, int32_t dtype, const void *x,
                            const void *weight, const void *bias, void *y,
                            int64_t rows, int64_t features, double epsilon);
cudaError_t launchSoftmax(cudaStream_t stream, int32_t dtype, const void *x,
                          void *y, int64_t outer, int64_t dim, int64_t inner);
/// headDim is even.
cudaError_t launchRope(cudaStream_t stream, int32_t dtype, const void *x,
                       void *y, int64_t batch, int64_t seq, int64_t heads,
                       int64_t headDim, double theta);
/// kvSeq > 0, 0 < headDim <= kMaxHeadDim, qHeads a multiple of kvHeads.
cudaError_t launchAttention(cudaStream_t stream, int32_t dtype, const void *q,
                            const void *k, const void *v, void *o,
                            int64_t batch, int64_t qSeq, int64_t kvSeq,
                            int64_t qHeads, int64_t kvHeads, int64_t headDim,
                            bool causal, float scale);
/// The device pointer arrays of attention's batched GEMMs over a block of
/// query rows, one entry per (batch b, query head h) pair p = b * qHeads +
/// h: array a starts at pointers + a * stride.
enum AttentionArray {
  kQueryArray,       // q[b, first, h, :]
  kKeyArray,         // k[b, 0, g, :], g = h / (qHeads / kvHeads)
  kValueArray,       // v[b, 0, g, :]
  kOutputArray,      // o[b, first, h, :]
  kScoreArray,       // scores + p * rows * ld (f32)
  kProbabilityArray, // probabilities + p * rows * ld (the dtype)
  kAttentionArrays
};
/// Fills the arrays of AttentionArray for query rows [first, first + rows);
/// batch * qHeads > 0, qHeads a multiple of kvHeads.
cudaError_t launchAttentionPointers(
    cudaStream_t stream, int32_t dtype, const void *q, const void *k,
    const void *v, void *o, void *scores, void *probabilities, void **pointers,
    int64_t stride, int64_t batch, int64_t qSeq, int64_t kvSeq, int64_t qHeads,
    int64_t kvHeads, int64_t headDim, int64_t first, int64_t rows, int64_t ld);
/// Attention's softmax over `count` f32 score rows of `cols` values, `ld`
/// apart, in blocks of `rows` rows: row t is query row first + t % rows,
/// whose keys j >= visible (causal ? min(cols, i + 1) : cols) get
/// probability 0. Writes the probabilities in the dtype at the same offsets
/// of `probabilities`, which may equal `scores` for f32. cols > 0.
cudaError_t launchAttentionSoftmax(cudaStream_t stream, int32_t dtype,
                                   const float *scores, void *probabilities,
                                   int64_t count, int64_t rows, int64_t cols,
                                   int64_t ld, int64_t first, bool causal);
/// tprt_sum; rank <= kMaxDims.
cudaError_t launchSum(cudaStream_t stream, int32_t dtype, const void *x,
                      void *y, int64_t rank, const int64_t *shape,
                      int64_t dimMask);
/// tprt_cross_entropy with positions > 0: per-position losses in
/// `perPosition` (device scratch), then their mean in loss[0]. A label
/// outside [0, classes) leaves the smallest such position in *badIndex.
cudaError_t launchCrossEntropy(cudaStream_t stream, int32_t dtype,
                               const void *logits, const int64_t *labels,
                               double *perPosition, void *loss,
                               int64_t positions, int64_t classes,
                               unsigned long long *badIndex);
/// Copies a box of `sizes` elements of `elementBytes` bytes, dim i advancing
/// `src` by srcStrides[i] bytes, into the contiguous row-major `dst` (the
/// device twin of copyStrided with row-major destination strides);
/// rank < kMaxDims.
cudaError_t launchStridedCopy(cudaStream_t stream, const void *src,
                              const int64_t *srcStrides, void *dst,
                              const int64_t *sizes, int64_t rank,
                              int64_t elementBytes);

} // namespace cuda
} // namespace tprt

#endif // TPRT_CUDA_LAUNCH_H
