//===- TinyTrainModel.h - the tiny training step of the tests ---*- C++ -*-===//
//
// This file fixes the tiny training step the tests of tprt_main's training
// mode run, and its reference: with x [3, 5] an input and the parameters
// shift [5] (replicated), proj.weight W [6, 5] and proj.bias b [6] (both
// split on dim 0 over the mesh axis tp),
//   h = x + shift,  y = h W^T + b,  loss = sum(y * y)
// and one AdamW update of every parameter from the gradients of the loss.
// Beside them, gain [6] (split on dim 0 over tp) is a bf16 parameter trained
// as mixed precision does it: AdamW updates its f32 master copy, and gain is
// the master rounded to bf16. It stays out of the loss: its gradient is the
// constant gainGrad, so that its update is checked alone. The reference runs
// the same steps in double (TinyModelFiles.cpp checks a saved checkpoint
// against it).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_RUNTIME_TINYTRAINMODEL_H
#define TPRT_UNITTESTS_RUNTIME_TINYTRAINMODEL_H

#include "TinyModel.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace tiny {

/// AdamW's hyperparameters of the step.
const double lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
             weightDecay = 0.1;

inline float bias(int64_t n) { return float(n % 3) - 1.0f; }
inline float shift(int64_t k) { return 0.5f * float(k % 2); }
/// gain's values in the weights file (exact in bf16), and its gradient.
inline float gain(int64_t n) { return 0.5f + 0.125f * float(n); }
const double gainGrad = 0.25;

/// A parameter and its AdamW state, in double.
struct ReferenceParameter {
  std::vector<double> value, expAvg, expAvgSq;

  explicit ReferenceParameter(std::vector<double> start)
      : value(std::move(start)), expAvg(value.size(), 0.0),
        expAvgSq(value.size(), 0.0) {}

  /// torch.optim.AdamW's update at `step` (counted from 1).
  void update(const std::vector<double> &grad, int64_t step) {
    double correction1 = 1 - std::pow(beta1, step),
           correction2 = 1 - std::pow(beta2, step);
    for (size_t i = 0; i < value.size(); ++i) {
      value[i] *= 1 - lr * weightDecay;
      expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * grad[i];
      expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * grad[i] * grad[i];
      value[i] -= lr / correction1 * expAvg[i] /
                  (std::sqrt(expAvgSq[i]) / std::sqrt(correction2) + eps);
    }
  }
};

/// The tiny training step's parameters after `steps` steps, in double.
struct ReferenceTraining {
  /// gain's is its master copy (f32 in the step, never rounded).
  ReferenceParameter weight, bias, shift, gain;
  std::vector<double> losses;

  ReferenceTraining()
      : weight(initial(
            outputs * inputs,
            [](int64_t i) { return tiny::weight(i / inputs, i % inputs); })),
        bias(initial(outputs, tiny::bias)), shift(initial(inputs, tiny::shift)),
        gain(initial(outputs, tiny::gain)) {}

  void run(int64_t steps) {
    for (int64_t step = 1; step <= steps; ++step) {
      std::vector<double> h(rows * inputs), dy(rows * outputs);
      for (int64_t m = 0; m < rows; ++m)
        for (int64_t k = 0; k < inputs; ++k)
          h[m * inputs + k] = input(m, k) + shift.value[k];
      double loss = 0;
      for (int64_t m = 0; m < rows; ++m)
        for (int64_t n = 0; n < outputs; ++n) {
          double y = bias.value[n];
          for (int64_t k = 0; k < inputs; ++k)
            y += h[m * inputs + k] * weight.value[n * inputs + k];
          loss += y * y;
          dy[m * outputs + n] = 2 * y;
        }
      losses.push_back(loss);
      std::vector<double> dw(outputs * inputs, 0.0), db(outputs, 0.0),
          dshift(inputs, 0.0);
      for (int64_t m = 0; m < rows; ++m)
        for (int64_t n = 0; n < outputs; ++n) {
          double g = dy[m * outputs + n];
          db[n] += g;
          for (int64_t k = 0; k < inputs; ++k) {
            dw[n * inputs + k] += g * h[m * inputs + k];
            dshift[k] += g * weight.value[n * inputs + k];
          }
        }
      weight.update(dw, step);
      bias.update(db, step);
      shift.update(dshift, step);
      gain.update(std::vector<double>(outputs, gainGrad), step);
    }
  }

private:
  template <typename Value>
  static std::vector<double> initial(int64_t count, Value value) {
    std::vector<double> values(count);
    for (int64_t i = 0; i < count; ++i)
      values[i] = value(i);
    return values;
  }
};

} // namespace tiny

#endif // TPRT_UNITTESTS_RUNTIME_TINYTRAINMODEL_H
