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

/// One linear layer: y[m, n] = x[m, k] * w[n, k]^T.
struct Shape {
  long m, n, k;
};

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
    if (std::sscanf(arg.c_str(), "%ldx%ldx%ld", &shape.m, &shape.n, &shape.k) !=
        3) {
      std::fprintf(stderr, "%s: error: '%s' is not MxNxK\n", tool, arg.c_str());
      return false;
    }
    shapes.push_back(shape);
  }
  if (shapes.empty() || reps < 1) {
    std::fprintf(
        stderr, "usage: %s [--reps N] [--dtype f32|f16|bf16] MxNxK...\n", tool);
    return false;
  }
  return true;
}

} // namespace tp_bench

#endif // TP_BENCH_BENCHSHAPES_H
