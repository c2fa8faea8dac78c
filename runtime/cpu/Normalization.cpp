//===- Normalization.cpp - norm, softmax and loss kernels -----------------===//
//
// This file implements the row-wise kernels whose accuracy depends on the
// reduction: RMS and layer norm, softmax and cross-entropy. Each reduces in
// double so that long rows (hidden sizes, vocabularies) lose no precision.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace tprt;

void cpu::rms_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                   const void *input, const void *weightInput, void *output,
                   int64_t rows, int64_t features, double epsilon) {
  F32Scope f32(*ctx, "tprt_rms_norm", layer, dtype);
  const float *x = f32.input(input, rows * features);
  const float *weight = f32.input(weightInput, features);
  float *y = f32.output(output, rows * features);
  for (int64_t r = 0; r < rows; ++r, x += features, y += features) {
    double squares = 0;
    for (int64_t i = 0; i < features; ++i)
      squares += double(x[i]) * x[i];
    float inverse =
        static_cast<float>(1.0 / std::sqrt(squares / features + epsilon));
    for (int64_t i = 0; i < features; ++i)
      y[i] = x[i] * inverse * weight[i];
  }
}

void cpu::layer_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                     const void *input, const void *weightInput,
                     const void *biasInput, void *output, int64_t rows,
                     int64_t features, double epsilon) {
  F32Scope f32(*ctx, "tprt_layer_norm", layer, dtype);
  const float *x = f32.input(input, rows * features);
  const float *weight = f32.input(weightInput, features);
  const float *bias = f32.optionalInput(biasInput, features);
  float *y = f32.output(output, rows * features);
  for (int64_t r = 0; r < rows; ++r, x += features, y += features) {
    double sum = 0;
    for (int64_t i = 0; i < features; ++i)
      sum += x[i];
    double mean = sum / features, squares = 0;
    // Two passes: the variance from centred values does not cancel.
    for (int64_t i = 0; i < features; ++i)
      squares += (x[i] - mean) * (x[i] - mean);
    float inverse =
        static_cast<float>(1.0 / std::sqrt(squares / features + epsilon));
    float center = static_cast<float>(mean);
    for (int64_t i = 0; i < features; ++i)
      y[i] = (x[i] - center) * inverse * weight[i] + (bias ? bias[i] : 0.0f);
  }
}

void cpu::softmax(tprt_context *ctx, const char *layer, int32_t dtype,
                  const void *input, void *output, int64_t outer, int64_t dim,
                  int64_t inner) {
  F32Scope f32(*ctx, "tprt_softmax", layer, dtype);
  const float *x = f32.input(input, outer * dim * inner);
  float *y = f32.output(output, outer * dim * inner);
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o, x += dim, y += dim) {
      std::copy(x, x + dim, y);
      softmaxRow(y, dim);
    }
    return;
  }
  // Along a middle dim: sweep whole rows of `inner` contiguous values, each
  // updating `inner` running maxima and sums, instead of striding by inner.
  std::vector<float> max(inner);
  std::vector<double> sum(inner);
  for (int64_t o = 0; o < outer; ++o, x += dim * inner, y += dim * inner) {
    std::fill(max.begin(), max.end(), -std::numeric_limits<float>::infinity());
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < inner; ++i)
        max[i] = std::max(max[i], x[d * inner + i]);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < inner; ++i) {
        float e = std::exp(x[d * inner + i] - max[i]);
        y[d * inner + i] = e;
        sum[i] += e;
      }
    // The maxima are spent: reuse their storage for the reciprocal sums.
    for (int64_t i = 0; i < inner; ++i)
      max[i] = static_cast<float>(1.0 / sum[i]);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < inner; ++i)
        y[d * inner + i] *= max[i];
  }
}

void cpu::cross_entropy(tprt_context *ctx, const char *layer, int32_t dtype,
                        const void *logitsInput, const int64_t *labels,
                        void *lossOutput, int64_t positions, int64_t classes) {
  F32Scope f32(*ctx, "tprt_cross_entropy", layer, dtype);
  const float *logits = f32.input(logitsInput, positions * classes);
  float *loss = f32.output(lossOutput, 1);
  double total = 0;
  for (int64_t p = 0; p < positions; ++p, logits += classes) {
    int64_t label = labels[p];
    if (label < 0 || label >= classes)
      fail(ctx, callName("tprt_cross_entropy", layer) + ": label " +
                    std::to_string(label) + " at position " +
                    std::to_string(p) + " is outside [0, " +
                    std::to_string(classes) + ")");
    float max = *std::max_element(logits, logits + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(double(logits[c]) - max);
    // -log_softmax(logits)[label] = logsumexp(logits) - logits[label].
    total += max + std::log(sum) - logits[label];
  }
  loss[0] = positions ? static_cast<float>(total / positions) : 0.0f;
}
