//===- BenchShapes.h - the command line of the GEMM yardsticks --*- C++ -*-===//
//
// This file parses what tp-bench-gemm and tp-bench-cublas share:
// `[--reps N] [--dtype T] MxNxK...`, the linear-layer shapes of a rank's
// program and their element type.
//
//===----------------------------------------------------------------------===//

#ifndef TP_BENCH_BENCHSHAPES_H
#define TP_BENCH_BENCHSHAPES_H

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace tp_bench {

/// One linear layer: y[m, n] = x[m, k] * w[n, k]^T, and which of its
/// three products a benchmark runs: the forward, the backward's input
/// gradient dx[m, k] = dy[m, n] w[n, k], or its weight gradient
/// dw[n, k] = dy[m, n]^T x[m, k]. Written MxNxK, dx:MxNxK and dw:MxNxK.
struct Shape {
  enum class Product { Forward, InputGrad, WeightGrad };
  long m, n, k;
  Product product = Product::Forward;
};

/// A product as a row-major GEMM c[rows, cols] = op(a)[rows, inner] *
/// op(b)[inner, cols], each operand transposed where it is stored so.
struct RowMajorGemm {
  long rows, cols, inner;
  bool transposeA, transposeB;

  /// The leading dimensions of a and b as they are stored.
  long lda() const { return transposeA ? rows : inner; }
  long ldb() const { return transposeB ? inner : cols; }
  double flops() const { return 2.0 * rows * cols * inner; }
};

inline RowMajorGemm toGemm(const Shape &s) {
  switch (s.product) {
  case Shape::Product::Forward:
    return {s.m, s.n, s.k, false, true};
  case Shape::Product::InputGrad:
    return {s.m, s.k, s.n, false, false};
  case Shape::Product::WeightGrad:
    return {s.n, s.k, s.m, true, false};
  }
  return {};
}

/// Reads `[--reps N] [--dtype T] MxNxK...` into `reps`, `dtype` (f32 unless
/// given) and `shapes`; on a bad argument prints usage for `tool` and returns
/// false.
inline bool parseShapes(int argc, char **argv, const char *tool, int &reps,
                        std::string &dtype, std::vector<Shape> &shapes) {
  dtype = "f32";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
      continue;
    }
    if (arg == "--dtype" && i + 1 < argc) {
      dtype = argv[++i];
      continue;
    }
    Shape shape;
    std::string sizes = arg;
    for (auto [prefix, product] :
         {std::pair("dx:", Shape::Product::InputGrad),
          std::pair("dw:", Shape::Product::WeightGrad)})
      if (arg.rfind(prefix, 0) == 0) {
        shape.product = product;
        sizes = arg.substr(3);
      }
    char rest;
    if (std::sscanf(sizes.c_str(), "%ldx%ldx%ld%c", &shape.m, &shape.n,
                    &shape.k, &rest) != 3 ||
        shape.m <= 0 || shape.n <= 0 || shape.k <= 0) {
      std::fprintf(stderr,
                   "%s: error: '%s' is not MxNxK, dx:MxNxK or dw:MxNxK with "
                   "positive sizes\n",
                   tool, arg.c_str());
      return false;
    }
    shapes.push_back(shape);
  }
  if (shapes.empty() || reps < 1) {
    std::fprintf(
        stderr,
        "usage: %s [--reps N] [--dtype f32|f16|bf16] [dx:|dw:]MxNxK...\n",
        tool);
    return false;
  }
  return true;
}

} // namespace tp_bench

#endif // TP_BENCH_BENCHSHAPES_H
