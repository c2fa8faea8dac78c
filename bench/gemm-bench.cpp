//===- gemm-bench.cpp - the GEMMs of a model, called directly -------------===//
//
// This file implements the yardstick of the executable benchmark: it calls
// cblas_sgemm directly on a list of linear-layer shapes, the way the runtime
// does (y[m, n] = x[m, k] * w[n, k]^T, row-major, every weight its own
// buffer), and prints the time of one pass over all of them.
//
//   tp-bench-gemm --reps 20 8x8192x8192 8x8192x8192 8x8192x8192
//
//===----------------------------------------------------------------------===//

#include "BenchShapes.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using tp_bench::Shape;

int main(int argc, char **argv) {
  int reps = 20;
  std::string dtype;
  std::vector<Shape> shapes;
  if (!tp_bench::parseShapes(argc, argv, "tp-bench-gemm", reps, dtype, shapes))
    return 1;
  if (dtype != "f32") {
    std::fprintf(stderr, "tp-bench-gemm: error: OpenBLAS runs f32 GEMMs only "
                         "(the cpu target computes f16 and bf16 in f32)\n");
    return 1;
  }

  // Separate buffers per GEMM, as the model's weights are: nothing stays in
  // cache between calls that would not in the model.
  std::vector<std::vector<float>> x, w, y;
  double flops = 0;
  for (const Shape &s : shapes) {
    x.emplace_back(s.m * s.k, 0.5f);
    w.emplace_back(s.n * s.k, 0.25f);
    y.emplace_back(s.m * s.n, 0.0f);
    flops += 2.0 * s.m * s.n * s.k;
  }
  auto pass = [&] {
    for (size_t i = 0; i < shapes.size(); ++i)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, shapes[i].m,
                  shapes[i].n, shapes[i].k, 1.0f, x[i].data(), shapes[i].k,
                  w[i].data(), shapes[i].k, 0.0f, y[i].data(), shapes[i].n);
  };
  pass(); // warm-up
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    pass();
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  double mean = 0;
  for (double t : times)
    mean += t / reps;
  double best = *std::min_element(times.begin(), times.end());
  std::printf("gemm: %zu GEMMs, mean %.3f ms, min %.3f ms, %.2f GFLOP/s\n",
              shapes.size(), mean * 1e3, best * 1e3, flops / mean / 1e9);
  return 0;
}
