//===- Attention.cpp - rotary embedding and attention ---------------------===//
//
// This file implements Llama's rotary embedding and scaled dot-product
// attention on [batch, seq, heads, head_dim] tensors. Attention runs per
// (batch, query head) as two GEMMs over a block of query rows: the heads are
// read in place through BLAS leading dimensions (no gather), and the scores
// of one block (at most `queryBlock` rows) live in the call's workspace.
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

void cpu::rope(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *input, void *output, int64_t batch, int64_t seq,
               int64_t heads, int64_t head_dim, double theta) {
  checkRope(ctx, layer, head_dim);
  F32Scope f32(*ctx, "tprt_rope", layer, dtype);
  int64_t count = batch * seq * heads * head_dim;
  const float *x = f32.input(input, count);
  float *y = f32.output(output, count);
  int64_t pairs = head_dim / 2;
  // The rotation of each (position, pair), computed once in double.
  std::vector<float> cosines(seq * pairs), sines(seq * pairs);
  for (int64_t p = 0; p < seq; ++p)
    for (int64_t i = 0; i < pairs; ++i) {
      double angle = p * std::pow(theta, -2.0 * i / head_dim);
      cosines[p * pairs + i] = static_cast<float>(std::cos(angle));
      sines[p * pairs + i] = static_cast<float>(std::sin(angle));
    }
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < seq; ++p) {
      const float *cos = cosines.data() + p * pairs;
      const float *sin = sines.data() + p * pairs;
      for (int64_t h = 0; h < heads; ++h, x += head_dim, y += head_dim)
        for (int64_t i = 0; i < pairs; ++i) {
          float even = x[2 * i], odd = x[2 * i + 1];
          y[2 * i] = even * cos[i] - odd * sin[i];
          y[2 * i + 1] = even * sin[i] + odd * cos[i];
        }
    }
}

void cpu::attention(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *query, const void *key, const void *value,
                    void *output, void *workspace, int64_t workspace_bytes,
                    int64_t batch, int64_t q_seq, int64_t kv_seq,
                    int64_t q_heads, int64_t kv_heads, int64_t head_dim,
                    int32_t causal, double scale) {
  const char *call = "tprt_attention";
  auto [dim, qStride, kvStride] =
      checkAttention(ctx, layer, q_heads, kv_heads, head_dim, kv_seq);
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
  attentionWorkspaceRows(ctx, layer, workspace_bytes, batch, q_heads, kv_seq);
  int64_t groupSize = q_heads / kv_heads;
  // One (batch, head) at a time: the workspace holds more rows of scores
  // than the layout of tprt_calls.def promises.
  int64_t blockRows =
      std::min(queryBlock, workspace_bytes / std::max<int64_t>(kv_seq * 4, 1));
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
        // PyTorch's is_causal: query i sees keys j <= i (top-left aligned),
        // so a causal block needs no key beyond its last row.
        int cols =
            static_cast<int>(causal ? std::min(kv_seq, first + rows) : kv_seq);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, dim,
                    static_cast<float>(scale), qHead + first * qStride, qStride,
                    kHead, kvStride, 0.0f, scores, cols);
        for (int r = 0; r < rows; ++r) {
          float *row = scores + int64_t(r) * cols;
          int64_t visible =
              causal ? std::min<int64_t>(cols, first + r + 1) : cols;
          softmaxRow(row, visible);
          std::fill(row + visible, row + cols, 0.0f);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dim, cols,
                    1.0f, scores, cols, vHead, kvStride, 0.0f,
                    oHead + first * qStride, qStride);
      }
    }
}
