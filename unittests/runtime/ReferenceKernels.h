//===- ReferenceKernels.h - kernels in double for the tests -----*- C++ -*-===//
//
// This file holds direct loop implementations in double of the forward
// kernels that have backwards (norms, softmax, cross-entropy, rotary
// embedding, attention), and central differences of them: KernelsTest checks
// the cpu forward kernels against these references, BackwardKernelsTest
// each backward kernel against the central differences of its forward's
// reference, which are the derivative of what the forward kernel computes
// up to its rounding.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_RUNTIME_REFERENCEKERNELS_H
#define TPRT_UNITTESTS_RUNTIME_REFERENCEKERNELS_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace tprt_test {

using Values = std::vector<double>;

/// `values` in double.
inline Values toDouble(const std::vector<float> &values) {
  return Values(values.begin(), values.end());
}

/// Expects `actual` within `tolerance` (relative, absolute below 1) of
/// `expected`.
inline void expectNear(const std::vector<float> &actual, const Values &expected,
                       double tolerance = 1e-5) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i],
                tolerance * std::max(1.0, std::abs(expected[i])))
        << "at element " << i;
}

/// tprt_rms_norm (`centered` false) or tprt_layer_norm (true, no bias) of
/// the rows of `features` values of x.
inline Values referenceNorm(const Values &x, const Values &weight,
                            int64_t features, double epsilon, bool centered) {
  Values y(x.size());
  for (size_t first = 0; first < x.size(); first += features) {
    const double *row = &x[first];
    double mean = 0, squares = 0;
    if (centered) {
      for (int64_t i = 0; i < features; ++i)
        mean += row[i];
      mean /= features;
    }
    for (int64_t i = 0; i < features; ++i)
      squares += (row[i] - mean) * (row[i] - mean);
    double inverse = 1 / std::sqrt(squares / features + epsilon);
    for (int64_t i = 0; i < features; ++i)
      y[first + i] = (row[i] - mean) * inverse * weight[i];
  }
  return y;
}

/// tprt_softmax along the middle dim of x viewed as [outer, dim, inner].
inline Values referenceSoftmax(const Values &x, int64_t outer, int64_t dim,
                               int64_t inner) {
  Values y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t d) { return (o * dim + d) * inner + i; };
      double max = -INFINITY, sum = 0;
      for (int64_t d = 0; d < dim; ++d)
        max = std::max(max, x[at(d)]);
      for (int64_t d = 0; d < dim; ++d)
        sum += std::exp(x[at(d)] - max);
      for (int64_t d = 0; d < dim; ++d)
        y[at(d)] = std::exp(x[at(d)] - max) / sum;
    }
  return y;
}

/// The sum over positions of -log_softmax(logits[p, :])[labels[p]]:
/// tprt_cross_entropy's loss times the number of positions.
inline double referenceCrossEntropySum(const Values &logits,
                                       const std::vector<int64_t> &labels,
                                       int64_t classes) {
  double total = 0;
  for (size_t p = 0; p < labels.size(); ++p) {
    const double *row = &logits[p * classes];
    double max = *std::max_element(row, row + classes), sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(row[c] - max);
    total += max + std::log(sum) - row[labels[p]];
  }
  return total;
}

/// tprt_rope on x[batch, seq, heads, headDim] in `convention`: Meta's
/// rotation of adjacent pairs, or Hugging Face's x * cos + rotate_half(x) *
/// sin, where rotate_half(x) = [-x[half:], x[:half]] and feature j has the
/// angle of pair j % half.
/// The frequency factors (head_dim / 2 values, or null) and magnitude of a
/// scaled rotary embedding (tprt_rope's freq_factors and attention_factor).
struct RopeScaling {
  const double *factors;
  double magnitude;
};

/// Plain, and scaled as Hugging Face's rope_scaling does, for head_dim 6.
inline constexpr double kRopeFactors[] = {1.0, 2.5, 8.0};
inline constexpr RopeScaling kRopeScalings[] = {{nullptr, 1.0},
                                                {kRopeFactors, 1.19}};

/// tprt_rope, written from its contract: `factors` (head_dim / 2 values or
/// null) divide the inverse frequencies, `magnitude` scales the result.
inline Values referenceRope(const Values &x, int64_t batch, int64_t seq,
                            int64_t heads, int64_t headDim, double theta,
                            int32_t convention, const double *factors = nullptr,
                            double magnitude = 1.0) {
  Values y(x.size());
  int64_t half = headDim / 2;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < seq; ++p)
      for (int64_t h = 0; h < heads; ++h) {
        int64_t at = ((b * seq + p) * heads + h) * headDim;
        const double *in = &x[at];
        double *out = &y[at];
        auto angle = [&](int64_t i) {
          return p * std::pow(theta, -2.0 * i / headDim) /
                 (factors ? factors[i] : 1.0);
        };
        if (convention == TPRT_ROPE_HALF) {
          for (int64_t j = 0; j < headDim; ++j) {
            double rotated = j < half ? -in[j + half] : in[j - half];
            out[j] = in[j] * std::cos(angle(j % half)) +
                     rotated * std::sin(angle(j % half));
          }
          continue;
        }
        for (int64_t i = 0; i < half; ++i) {
          double c = std::cos(angle(i)), s = std::sin(angle(i));
          out[2 * i] = in[2 * i] * c - in[2 * i + 1] * s;
          out[2 * i + 1] = in[2 * i] * s + in[2 * i + 1] * c;
        }
      }
  for (double &value : y)
    value *= magnitude;
  return y;
}

/// The shape of a tprt_attention call.
struct AttentionCase {
  int64_t batch, qSeq, kvSeq, qHeads, kvHeads, dim;
  bool causal;
};

/// tprt_attention on [batch, seq, heads, dim] tensors, one score at a time.
inline Values referenceAttention(const Values &q, const Values &k,
                                 const Values &v, const AttentionCase &c,
                                 double scale) {
  Values o(c.batch * c.qSeq * c.qHeads * c.dim, 0.0);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.qHeads; ++h) {
      int64_t g = h / (c.qHeads / c.kvHeads);
      for (int64_t i = 0; i < c.qSeq; ++i) {
        int64_t visible = c.causal ? std::min(c.kvSeq, i + 1) : c.kvSeq;
        const double *query = &q[((b * c.qSeq + i) * c.qHeads + h) * c.dim];
        double *out = &o[((b * c.qSeq + i) * c.qHeads + h) * c.dim];
        Values scores(visible);
        double max = -INFINITY, sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          const double *key = &k[((b * c.kvSeq + j) * c.kvHeads + g) * c.dim];
          double dot = 0;
          for (int64_t d = 0; d < c.dim; ++d)
            dot += query[d] * key[d];
          scores[j] = dot * scale;
          max = std::max(max, scores[j]);
        }
        for (double &score : scores)
          sum += score = std::exp(score - max);
        for (int64_t j = 0; j < visible; ++j)
          for (int64_t d = 0; d < c.dim; ++d)
            out[d] += scores[j] / sum *
                      v[((b * c.kvSeq + j) * c.kvHeads + g) * c.dim + d];
      }
    }
  return o;
}

/// The gradient at x of sum(dy * f(x)) by central differences of `step`:
/// what a backward kernel computes from dy, up to an error of the order of
/// step^2 and of f's rounding over step.
inline Values numericGradient(const std::function<Values(const Values &)> &f,
                              Values x, const Values &dy, double step = 1e-4) {
  auto weighted = [&](const Values &at) {
    Values y = f(at);
    double sum = 0;
    for (size_t i = 0; i < y.size(); ++i)
      sum += dy[i] * y[i];
    return sum;
  };
  Values gradient(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double value = x[i];
    x[i] = value + step;
    double above = weighted(x);
    x[i] = value - step;
    double below = weighted(x);
    x[i] = value;
    gradient[i] = (above - below) / (2 * step);
  }
  return gradient;
}

} // namespace tprt_test

#endif // TPRT_UNITTESTS_RUNTIME_REFERENCEKERNELS_H
