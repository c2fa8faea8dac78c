//===- Normalization.cpp - norm, softmax and loss kernels -----------------===//
//
// This file implements the row-wise kernels whose accuracy depends on the
// reduction: RMS and layer norm, softmax and cross-entropy, and their
// backwards. Each reduces in double so that long rows (hidden sizes,
// vocabularies) lose no precision; a norm's backward recomputes the row's
// scale as its forward does (rmsScale, layerScale). Cross-entropy and its
// backward may hold only some of each position's classes (loss_parallel):
// the positions' maxima, then their sums (and the labels' logits), are
// reduced across the group of ranks holding the others, one MPI all-reduce
// each per call.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace tprt;

namespace {

/// What rms_norm and layer_norm normalize a row by, in f32 as they apply it:
/// y = (x - center) * inverse * weight (+ bias), center 0 for rms_norm.
struct RowScale {
  float center, inverse;
};

RowScale rmsScale(const float *x, int64_t features, double epsilon) {
  double squares = 0;
  for (int64_t i = 0; i < features; ++i)
    squares += double(x[i]) * x[i];
  return {0.0f,
          static_cast<float>(1.0 / std::sqrt(squares / features + epsilon))};
}

RowScale layerScale(const float *x, int64_t features, double epsilon) {
  double sum = 0;
  for (int64_t i = 0; i < features; ++i)
    sum += x[i];
  double mean = sum / features, squares = 0;
  // Two passes: the variance from centred values does not cancel.
  for (int64_t i = 0; i < features; ++i)
    squares += (x[i] - mean) * (x[i] - mean);
  return {static_cast<float>(mean),
          static_cast<float>(1.0 / std::sqrt(squares / features + epsilon))};
}

/// The backward of rms_norm or layer_norm (`scaleOf`) for its input:
/// with xhat = (x - center) * r and g = dy * weight,
///   dx = r * (g - mean(g) - xhat * mean(g * xhat)),
/// where layer_norm's mean(g) is the derivative through its centre and
/// rms_norm has none (its xhat * mean(g * xhat) is x * r^2 * mean(g * x)).
template <typename ScaleOf>
void normInputGrad(tprt_context *ctx, const char *call, const char *layer,
                   int32_t dtype, const void *input, const void *weightInput,
                   const void *dyInput, void *output, int64_t rows,
                   int64_t features, double epsilon, bool centered,
                   ScaleOf scaleOf) {
  F32Scope f32(*ctx, call, layer, dtype);
  const float *x = f32.input(input, rows * features);
  const float *weight = f32.input(weightInput, features);
  const float *dy = f32.input(dyInput, rows * features);
  float *dx = f32.output(output, rows * features);
  for (int64_t r = 0; r < rows;
       ++r, x += features, dy += features, dx += features) {
    RowScale scale = scaleOf(x, features, epsilon);
    double gSum = 0, gxSum = 0;
    for (int64_t i = 0; i < features; ++i) {
      double g = double(dy[i]) * weight[i];
      gSum += g;
      gxSum += g * ((x[i] - scale.center) * scale.inverse);
    }
    float gMean = centered ? static_cast<float>(gSum / features) : 0.0f;
    float gxMean = static_cast<float>(gxSum / features);
    for (int64_t i = 0; i < features; ++i) {
      float xhat = (x[i] - scale.center) * scale.inverse;
      dx[i] = scale.inverse * (dy[i] * weight[i] - gMean - xhat * gxMean);
    }
  }
}

/// The backward of rms_norm or layer_norm (`scaleOf`) for its weight:
/// dweight[f] = the sum over rows of dy[row, f] * xhat[row, f].
template <typename ScaleOf>
void normWeightGrad(tprt_context *ctx, const char *call, const char *layer,
                    int32_t dtype, const void *input, const void *dyInput,
                    void *output, int64_t rows, int64_t features,
                    double epsilon, ScaleOf scaleOf) {
  F32Scope f32(*ctx, call, layer, dtype);
  const float *x = f32.input(input, rows * features);
  const float *dy = f32.input(dyInput, rows * features);
  float *dweight = f32.output(output, features);
  std::vector<double> sums(features, 0.0);
  for (int64_t r = 0; r < rows; ++r, x += features, dy += features) {
    RowScale scale = scaleOf(x, features, epsilon);
    for (int64_t i = 0; i < features; ++i)
      sums[i] += double(dy[i]) * ((x[i] - scale.center) * scale.inverse);
  }
  for (int64_t i = 0; i < features; ++i)
    dweight[i] = static_cast<float>(sums[i]);
}

/// Fails naming `call` and `layer` on the first label outside [0,
/// totalClasses), before any rank of a split loss reduces.
void checkLabels(tprt_context *ctx, const char *call, const char *layer,
                 const int64_t *labels, int64_t positions,
                 int64_t totalClasses) {
  for (int64_t p = 0; p < positions; ++p)
    if (labels[p] < 0 || labels[p] >= totalClasses)
      failIndex(ctx, call, layer, "label", labels[p], p, totalClasses);
}

/// max[p] = the largest of the logits of position p over the classes of
/// every rank of the group of `axisMask` (-inf where none holds one): this
/// rank's `classes`, then one reduction across the group.
void groupMaxima(tprt_context *ctx, const char *call, const char *layer,
                 const float *logits, float *max, int64_t positions,
                 int64_t classes, int64_t axisMask) {
  for (int64_t p = 0; p < positions; ++p, logits += classes)
    max[p] = classes ? *std::max_element(logits, logits + classes)
                     : -std::numeric_limits<float>::infinity();
  cpu::allReduceInPlace(ctx, call, layer, max, positions, MPI_FLOAT, MPI_MAX,
                        axisMask);
}

} // namespace

void cpu::rms_norm(tprt_context *ctx, const char *layer, int32_t dtype,
                   const void *input, const void *weightInput, void *output,
                   int64_t rows, int64_t features, double epsilon) {
  F32Scope f32(*ctx, "tprt_rms_norm", layer, dtype);
  const float *x = f32.input(input, rows * features);
  const float *weight = f32.input(weightInput, features);
  float *y = f32.output(output, rows * features);
  for (int64_t r = 0; r < rows; ++r, x += features, y += features) {
    float inverse = rmsScale(x, features, epsilon).inverse;
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
    auto [center, inverse] = layerScale(x, features, epsilon);
    for (int64_t i = 0; i < features; ++i)
      y[i] = (x[i] - center) * inverse * weight[i] + (bias ? bias[i] : 0.0f);
  }
}

void cpu::rms_norm_input_grad(tprt_context *ctx, const char *layer,
                              int32_t dtype, const void *x, const void *weight,
                              const void *dy, void *dx, int64_t rows,
                              int64_t features, double epsilon) {
  normInputGrad(ctx, "tprt_rms_norm_input_grad", layer, dtype, x, weight, dy,
                dx, rows, features, epsilon, /*centered=*/false, rmsScale);
}

void cpu::rms_norm_weight_grad(tprt_context *ctx, const char *layer,
                               int32_t dtype, const void *x, const void *dy,
                               void *dweight, int64_t rows, int64_t features,
                               double epsilon) {
  normWeightGrad(ctx, "tprt_rms_norm_weight_grad", layer, dtype, x, dy, dweight,
                 rows, features, epsilon, rmsScale);
}

void cpu::layer_norm_input_grad(tprt_context *ctx, const char *layer,
                                int32_t dtype, const void *x,
                                const void *weight, const void *dy, void *dx,
                                int64_t rows, int64_t features,
                                double epsilon) {
  normInputGrad(ctx, "tprt_layer_norm_input_grad", layer, dtype, x, weight, dy,
                dx, rows, features, epsilon, /*centered=*/true, layerScale);
}

void cpu::layer_norm_weight_grad(tprt_context *ctx, const char *layer,
                                 int32_t dtype, const void *x, const void *dy,
                                 void *dweight, int64_t rows, int64_t features,
                                 double epsilon) {
  normWeightGrad(ctx, "tprt_layer_norm_weight_grad", layer, dtype, x, dy,
                 dweight, rows, features, epsilon, layerScale);
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
                        void *lossOutput, int64_t positions, int64_t classes,
                        int64_t class_offset, int64_t total_classes,
                        int64_t axis_mask) {
  const char *call = "tprt_cross_entropy";
  F32Scope f32(*ctx, call, layer, dtype);
  checkClassSplit(*ctx, call, layer, classes, class_offset, total_classes,
                  axis_mask);
  checkLabels(ctx, call, layer, labels, positions, total_classes);
  const float *logits = f32.input(logitsInput, positions * classes);
  float *loss = f32.output(lossOutput, 1);
  float *max = f32.temporary(positions);
  groupMaxima(ctx, call, layer, logits, max, positions, classes, axis_mask);
  // Per position, reduced together: the sum of exp(logit - max) over the
  // classes, and the label's logit (0 on the ranks that do not hold it).
  auto *sums = reinterpret_cast<double *>(
      scratch(*ctx, 0, 2 * positions * sizeof(double)));
  double *labelLogits = sums + positions;
  for (int64_t p = 0; p < positions; ++p, logits += classes) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(double(logits[c]) - max[p]);
    sums[p] = sum;
    int64_t label = labels[p] - class_offset;
    labelLogits[p] = label >= 0 && label < classes ? logits[label] : 0.0;
  }
  cpu::allReduceInPlace(ctx, call, layer, sums, 2 * positions, MPI_DOUBLE,
                        MPI_SUM, axis_mask);
  double total = 0;
  // -log_softmax(logits)[label] = logsumexp(logits) - logits[label].
  for (int64_t p = 0; p < positions; ++p)
    total += max[p] + std::log(sums[p]) - labelLogits[p];
  loss[0] = positions ? static_cast<float>(total / positions) : 0.0f;
}

void cpu::softmax_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                       const void *output, const void *dyInput, void *dxOutput,
                       int64_t outer, int64_t dim, int64_t inner) {
  F32Scope f32(*ctx, "tprt_softmax_grad", layer, dtype);
  int64_t count = outer * dim * inner;
  const float *y = f32.input(output, count);
  const float *dy = f32.input(dyInput, count);
  float *dx = f32.output(dxOutput, count);
  // As softmax, whole rows of `inner` contiguous values at a time, each
  // updating `inner` running sums of dy * y.
  std::vector<double> sums(inner);
  int64_t step = dim * inner;
  for (int64_t o = 0; o < outer; ++o, y += step, dy += step, dx += step) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < inner; ++i)
        sums[i] += double(dy[d * inner + i]) * y[d * inner + i];
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < inner; ++i)
        dx[d * inner + i] = y[d * inner + i] *
                            (dy[d * inner + i] - static_cast<float>(sums[i]));
  }
}

void cpu::cross_entropy_grad(tprt_context *ctx, const char *layer,
                             int32_t dtype, const void *logitsInput,
                             const int64_t *labels, const void *dlossInput,
                             void *dlogitsOutput, int64_t positions,
                             int64_t classes, int64_t total_positions,
                             int64_t class_offset, int64_t total_classes,
                             int64_t axis_mask) {
  const char *call = "tprt_cross_entropy_grad";
  checkTotalPositions(ctx, layer, positions, total_positions);
  F32Scope f32(*ctx, call, layer, dtype);
  checkClassSplit(*ctx, call, layer, classes, class_offset, total_classes,
                  axis_mask);
  checkLabels(ctx, call, layer, labels, positions, total_classes);
  const float *logits = f32.input(logitsInput, positions * classes);
  float dloss = f32.input(dlossInput, 1)[0];
  float *dlogits = f32.output(dlogitsOutput, positions * classes);
  float *max = f32.temporary(positions);
  groupMaxima(ctx, call, layer, logits, max, positions, classes, axis_mask);
  // The softmax as softmaxRow computes it, its sums reduced across the
  // group: dlogits holds exp(logit - max) in between (dlogits may be
  // logits, each read before it is written).
  auto *sums =
      reinterpret_cast<double *>(scratch(*ctx, 0, positions * sizeof(double)));
  for (int64_t p = 0; p < positions; ++p) {
    const float *row = logits + p * classes;
    float *out = dlogits + p * classes;
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
      out[c] = std::exp(row[c] - max[p]);
      sum += out[c];
    }
    sums[p] = sum;
  }
  cpu::allReduceInPlace(ctx, call, layer, sums, positions, MPI_DOUBLE, MPI_SUM,
                        axis_mask);
  // The loss is the mean over every rank's positions.
  float factor =
      positions ? static_cast<float>(double(dloss) / total_positions) : 0.0f;
  for (int64_t p = 0; p < positions; ++p, dlogits += classes) {
    float inverse = static_cast<float>(1.0 / sums[p]);
    int64_t label = labels[p] - class_offset;
    for (int64_t c = 0; c < classes; ++c) {
      float probability = dlogits[c] * inverse;
      dlogits[c] = (c == label ? probability - 1.0f : probability) * factor;
    }
  }
}
