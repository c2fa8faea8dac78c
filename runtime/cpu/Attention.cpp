//===- Attention.cpp - rotary embedding and attention ---------------------===//
//
// This file implements the rotary embedding (in Meta's and Hugging Face's
// pairings) and scaled dot-product attention on [batch, seq, heads, head_dim]
// tensors, and their backwards.
// Attention runs per (batch, query head) as two GEMMs over a block of query
// rows: the heads are read in place through BLAS leading dimensions (no
// gather), and the scores of one block (at most `queryBlock` rows) live in
// the call's workspace. Its backward recomputes a block's probabilities P
// the same way and adds four GEMMs (dP = dO V^T, dV += P^T dO, dQ = dS K,
// dK += dS^T Q), with P and dS side by side in the workspace.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace tprt;

/// Query rows per score block: large enough for efficient GEMMs, small
/// enough that the scores of long sequences take little memory.
static const int64_t queryBlock = 128;

/// Rotates the pairs of x[batch, seq, heads, head_dim] as tprt_rope does,
/// by the opposite angle where `inverse` (tprt_rope_grad, `call`).
static void rotatePairs(tprt_context *ctx, const char *call, const char *layer,
                        int32_t dtype, const void *input, void *output,
                        int64_t batch, int64_t seq, int64_t heads,
                        int64_t head_dim, double theta, int32_t convention,
                        const double *freqFactors, double attentionFactor,
                        bool inverse) {
  RopeRotation rotation = checkRope(ctx, call, layer, head_dim, theta,
                                    convention, freqFactors, attentionFactor);
  auto [step, partner] = rotation.pairs;
  F32Scope f32(*ctx, call, layer, dtype);
  int64_t count = batch * seq * heads * head_dim;
  const float *x = f32.input(input, count);
  float *y = f32.output(output, count);
  int64_t pairs = head_dim / 2;
  // The rotation of each (position, pair), computed once in double.
  std::vector<float> cosines(seq * pairs), sines(seq * pairs);
  for (int64_t p = 0; p < seq; ++p)
    for (int64_t i = 0; i < pairs; ++i) {
      double angle = p * rotation.inverseFrequencies[i];
      if (inverse)
        angle = -angle;
      cosines[p * pairs + i] =
          static_cast<float>(rotation.magnitude * std::cos(angle));
      sines[p * pairs + i] =
          static_cast<float>(rotation.magnitude * std::sin(angle));
    }
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < seq; ++p) {
      const float *cos = cosines.data() + p * pairs;
      const float *sin = sines.data() + p * pairs;
      for (int64_t h = 0; h < heads; ++h, x += head_dim, y += head_dim)
        for (int64_t i = 0; i < pairs; ++i) {
          int64_t first = step * i, second = first + partner;
          float a = x[first], b = x[second];
          y[first] = a * cos[i] - b * sin[i];
          y[second] = a * sin[i] + b * cos[i];
        }
    }
}

void cpu::rope(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *input, void *output, int64_t batch, int64_t seq,
               int64_t heads, int64_t head_dim, double theta,
               int32_t convention, const double *freq_factors,
               double attention_factor) {
  rotatePairs(ctx, "tprt_rope", layer, dtype, input, output, batch, seq, heads,
              head_dim, theta, convention, freq_factors, attention_factor,
              /*inverse=*/false);
}

void cpu::rope_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *dy, void *dx, int64_t batch, int64_t seq,
                    int64_t heads, int64_t head_dim, double theta,
                    int32_t convention, const double *freq_factors,
                    double attention_factor) {
  // A rotation's transpose is the rotation by the opposite angle (and the
  // same magnitude).
  rotatePairs(ctx, "tprt_rope_grad", layer, dtype, dy, dx, batch, seq, heads,
              head_dim, theta, convention, freq_factors, attention_factor,
              /*inverse=*/true);
}

/// Attention's probabilities for query rows [first, first + rows) of one
/// (batch, query head) over `cols` keys, into probabilities[rows, cols]:
/// scores scale * q k^T, then a row softmax over the keys each row sees
/// (PyTorch's is_causal: query i sees keys j <= i, top-left aligned), zero
/// beyond them. `qRows` is the block's first query row, `kHead` the head's
/// first key row, qStride and kvStride elements apart.
static void blockProbabilities(const float *qRows, const float *kHead,
                               float *probabilities, int rows, int cols,
                               int64_t first, int dim, int qStride,
                               int kvStride, bool causal, float scale) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, dim, scale,
              qRows, qStride, kHead, kvStride, 0.0f, probabilities, cols);
  for (int r = 0; r < rows; ++r) {
    float *row = probabilities + int64_t(r) * cols;
    int64_t visible = causal ? std::min<int64_t>(cols, first + r + 1) : cols;
    softmaxRow(row, visible);
    std::fill(row + visible, row + cols, 0.0f);
  }
}

/// The keys a block of query rows [first, first + rows) needs: all of them,
/// or for a causal mask none beyond its last row's.
static int blockKeys(int64_t first, int rows, int64_t kvSeq, bool causal) {
  return static_cast<int>(causal ? std::min(kvSeq, first + rows) : kvSeq);
}

/// Checks the workspace of tprt_attention or tprt_attention_grad (`call`)
/// and returns the query rows of one (batch, query head) whose `values` f32
/// values per key (scores; probabilities and their gradients) it holds at
/// once, at most queryBlock. The kernels take one (batch, head) at a time,
/// so it holds more rows than the layout of tprt_calls.def promises.
static int64_t workspaceBlockRows(tprt_context *ctx, const char *call,
                                  const char *layer, int64_t workspaceBytes,
                                  int64_t batch, int64_t qHeads, int64_t kvSeq,
                                  int64_t values) {
  attentionWorkspaceRows(ctx, call, layer, workspaceBytes, batch, qHeads,
                         kvSeq);
  int64_t rowBytes = std::max<int64_t>(kvSeq * values * sizeof(float), 1);
  return std::min(queryBlock, workspaceBytes / rowBytes);
}

void cpu::attention(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *query, const void *key, const void *value,
                    void *output, void *workspace, int64_t workspace_bytes,
                    int64_t batch, int64_t q_seq, int64_t kv_seq,
                    int64_t q_heads, int64_t kv_heads, int64_t head_dim,
                    int32_t causal, double scale) {
  const char *call = "tprt_attention";
  auto [dim, qStride, kvStride] =
      checkAttention(ctx, call, layer, q_heads, kv_heads, head_dim, kv_seq);
  if (dim == 0 || q_seq <= 0 || batch == 0)
    return;
  F32Scope f32(*ctx, call, layer, dtype);
  int64_t qCount = batch * q_seq * q_heads * head_dim;
  int64_t kvCount = batch * kv_seq * kv_heads * head_dim;
  float *o = f32.output(output, qCount);
  if (kv_seq == 0) {
    std::fill(o, o + qCount, 0.0f);
    return;
  }
  const float *q = f32.input(query, qCount);
  const float *k = f32.input(key, kvCount), *v = f32.input(value, kvCount);
  int64_t blockRows = workspaceBlockRows(ctx, call, layer, workspace_bytes,
                                         batch, q_heads, kv_seq, 1);
  int64_t groupSize = q_heads / kv_heads;
  auto *scores = static_cast<float *>(workspace);

  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < q_heads; ++h) {
      // Row i of head h is q[b, i, h, :]: a matrix with leading dim qStride.
      const float *qHead = q + (b * q_seq * q_heads + h) * head_dim;
      float *oHead = o + (b * q_seq * q_heads + h) * head_dim;
      int64_t kvOffset = (b * kv_seq * kv_heads + h / groupSize) * head_dim;
      const float *kHead = k + kvOffset, *vHead = v + kvOffset;
      for (int64_t first = 0; first < q_seq; first += blockRows) {
        int rows = static_cast<int>(std::min(blockRows, q_seq - first));
        int cols = blockKeys(first, rows, kv_seq, causal);
        blockProbabilities(qHead + first * qStride, kHead, scores, rows, cols,
                           first, dim, qStride, kvStride, causal,
                           static_cast<float>(scale));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dim, cols,
                    1.0f, scores, cols, vHead, kvStride, 0.0f,
                    oHead + first * qStride, qStride);
      }
    }
}

void cpu::attention_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                         const void *query, const void *key, const void *value,
                         const void *outputGrad, void *queryGrad, void *keyGrad,
                         void *valueGrad, void *workspace,
                         int64_t workspace_bytes, int64_t batch, int64_t q_seq,
                         int64_t kv_seq, int64_t q_heads, int64_t kv_heads,
                         int64_t head_dim, int32_t causal, double scale) {
  const char *call = "tprt_attention_grad";
  auto [dim, qStride, kvStride] =
      checkAttention(ctx, call, layer, q_heads, kv_heads, head_dim, kv_seq);
  if (dim == 0 || batch == 0)
    return;
  F32Scope f32(*ctx, call, layer, dtype);
  int64_t qCount = batch * q_seq * q_heads * head_dim;
  int64_t kvCount = batch * kv_seq * kv_heads * head_dim;
  float *dq = f32.output(queryGrad, qCount);
  float *dk = f32.output(keyGrad, kvCount),
        *dv = f32.output(valueGrad, kvCount);
  // A key/value head's gradients sum over the query heads that read it.
  std::fill(dk, dk + kvCount, 0.0f);
  std::fill(dv, dv + kvCount, 0.0f);
  if (q_seq == 0 || q_heads == 0)
    return;
  if (kv_seq == 0) {
    std::fill(dq, dq + qCount, 0.0f);
    return;
  }
  const float *q = f32.input(query, qCount),
              *dout = f32.input(outputGrad, qCount);
  const float *k = f32.input(key, kvCount), *v = f32.input(value, kvCount);
  // A block's probabilities P and their gradients dS side by side.
  int64_t blockRows = workspaceBlockRows(ctx, call, layer, workspace_bytes,
                                         batch, q_heads, kv_seq, 2);
  int64_t groupSize = q_heads / kv_heads;
  auto *probabilities = static_cast<float *>(workspace);
  float *scoreGrads = probabilities + blockRows * kv_seq;
  float alpha = static_cast<float>(scale);

  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < q_heads; ++h) {
      int64_t qOffset = (b * q_seq * q_heads + h) * head_dim;
      int64_t kvOffset = (b * kv_seq * kv_heads + h / groupSize) * head_dim;
      for (int64_t first = 0; first < q_seq; first += blockRows) {
        int rows = static_cast<int>(std::min(blockRows, q_seq - first));
        int cols = blockKeys(first, rows, kv_seq, causal);
        const float *qRows = q + qOffset + first * qStride;
        const float *dRows = dout + qOffset + first * qStride;
        blockProbabilities(qRows, k + kvOffset, probabilities, rows, cols,
                           first, dim, qStride, kvStride, causal, alpha);
        // dP = dO V^T, then dS = P * (dP - rowsum(dP * P)) in place.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, dim,
                    1.0f, dRows, qStride, v + kvOffset, kvStride, 0.0f,
                    scoreGrads, cols);
        for (int r = 0; r < rows; ++r) {
          const float *p = probabilities + int64_t(r) * cols;
          float *ds = scoreGrads + int64_t(r) * cols;
          double sum = 0;
          for (int j = 0; j < cols; ++j)
            sum += double(p[j]) * ds[j];
          float rowSum = static_cast<float>(sum);
          for (int j = 0; j < cols; ++j)
            ds[j] = p[j] * (ds[j] - rowSum);
        }
        // dV += P^T dO, dQ = scale * dS K, dK += scale * dS^T Q.
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, dim, rows,
                    1.0f, probabilities, cols, dRows, qStride, 1.0f,
                    dv + kvOffset, kvStride);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dim, cols,
                    alpha, scoreGrads, cols, k + kvOffset, kvStride, 0.0f,
                    dq + qOffset + first * qStride, qStride);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, dim, rows,
                    alpha, scoreGrads, cols, qRows, qStride, 1.0f,
                    dk + kvOffset, kvStride);
      }
    }
}
