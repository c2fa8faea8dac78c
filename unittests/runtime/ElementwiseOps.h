//===- ElementwiseOps.h - elementwise kernels for the tests -----*- C++ -*-===//
//
// This file lists the elementwise kernels of tprt_calls.def for the kernel
// tests, each with a reference in double and its call through a backend's
// table of kernels (Backend.h): KernelsTest checks every one of the cpu
// backend against its reference, CudaKernelsTest every one of the cuda
// backend against the cpu one, in every dtype. A new elementwise kernel is
// tested on both backends by its line here.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_UNITTESTS_RUNTIME_ELEMENTWISEOPS_H
#define TPRT_UNITTESTS_RUNTIME_ELEMENTWISEOPS_H

#include "Backend.h"

#include <cmath>
#include <cstdint>

namespace tprt_test {

/// The arguments of one elementwise call: y = op(a) or op(a, b), `count`
/// elements of `dtype`.
struct ElementwiseCall {
  tprt_context *ctx;
  int32_t dtype;
  const void *a, *b;
  void *y;
  int64_t count;
};

/// An elementwise kernel: y[i] = reference(a[i], b[i]) up to rounding, where
/// a unary kernel ignores b.
struct ElementwiseOp {
  const char *name;
  double (*reference)(double a, double b);
  void (*run)(const tprt::Kernels &kernels, const ElementwiseCall &call);
};

/// The logistic function, which silu and its kin are made of.
inline double logistic(double x) { return 1 / (1 + std::exp(-x)); }

inline const ElementwiseOp kElementwiseOps[] = {
    {"add", [](double a, double b) { return a + b; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.add(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count);
     }},
    {"mul", [](double a, double b) { return a * b; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.mul(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count);
     }},
    {"silu", [](double x, double) { return x * logistic(x); },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.silu(c.ctx, "test", c.dtype, c.a, c.y, c.count);
     }},
    {"silu_grad",
     [](double x, double dy) {
       double s = logistic(x);
       return dy * s * (1 + x * (1 - s));
     },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.silu_grad(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count);
     }},
    {"silu_mul",
     [](double gate, double up) { return gate * logistic(gate) * up; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.silu_mul(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count);
     }},
    {"relu", [](double x, double) { return x > 0 ? x : 0; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.relu(c.ctx, "test", c.dtype, c.a, c.y, c.count);
     }},
    {"gelu",
     [](double x, double) {
       return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
     },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.gelu(c.ctx, "test", c.dtype, c.a, c.y, c.count, 0);
     }},
    {"gelu tanh",
     [](double x, double) {
       return 0.5 * x *
              (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
     },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.gelu(c.ctx, "test", c.dtype, c.a, c.y, c.count, 1);
     }},
    {"gelu_grad",
     [](double x, double dy) {
       return dy * (0.5 * (1 + std::erf(x / std::sqrt(2.0))) +
                    x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI));
     },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.gelu_grad(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count, 0);
     }},
    {"gelu_grad tanh",
     [](double x, double dy) {
       const double c = std::sqrt(2 / M_PI), a = 0.044715;
       double t = std::tanh(c * (x + a * x * x * x));
       return dy *
              (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x));
     },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.gelu_grad(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count, 1);
     }},
    {"relu_grad", [](double x, double dy) { return x > 0 ? dy : 0; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.relu_grad(c.ctx, "test", c.dtype, c.a, c.b, c.y, c.count);
     }},
    {"scale", [](double x, double) { return x * 0.125; },
     [](const tprt::Kernels &k, const ElementwiseCall &c) {
       k.scale(c.ctx, "test", c.dtype, c.a, c.y, c.count, 0.125);
     }},
};

} // namespace tprt_test

#endif // TPRT_UNITTESTS_RUNTIME_ELEMENTWISEOPS_H
