//===- gemm-bench.cpp - the GEMMs of a model, called directly -------------===//
//
// This file implements the yardstick of the executable benchmark: it calls
// the GEMM library directly on a list of linear-layer shapes, the way the
// runtime does (y[m, n] = x[m, k] * w[n, k]^T and the backward's two
// products, row-major, every weight its own buffer): cblas_sgemm for f32,
// oneDNN's matmul for bf16 (one primitive per shape, made before timing).
// It prints the time of one pass over all of them.
//
//   tp-bench-gemm --reps 20 [--dtype bf16] 8x8192x8192 dx:8x8192x8192
//
//===----------------------------------------------------------------------===//

#include "BenchShapes.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

using tp_bench::Shape;

int main(int argc, char **argv) {
  int reps = 20;
  std::string dtype;
  std::vector<Shape> shapes;
  if (!tp_bench::parseShapes(argc, argv, "tp-bench-gemm", reps, dtype, shapes))
    return 1;
  if (dtype != "f32" && dtype != "bf16") {
    std::fprintf(stderr,
                 "tp-bench-gemm: error: dtype '%s' is not f32 or bf16 "
                 "(the cpu target's f16 GEMMs run in f32)\n",
                 dtype.c_str());
    return 1;
  }
  bool bf16 = dtype == "bf16";

  // Separate buffers per GEMM, as the model's weights are: nothing stays in
  // cache between calls that would not in the model.
  // bf16 buffers hold 2 elements a float.
  std::vector<tp_bench::RowMajorGemm> gemms;
  std::vector<std::vector<float>> a, b, c;
  double flops = 0;
  for (const Shape &s : shapes) {
    const tp_bench::RowMajorGemm &g = gemms.emplace_back(tp_bench::toGemm(s));
    long half = bf16 ? 2 : 1;
    a.emplace_back((g.rows * g.inner + 1) / half, 0.5f);
    b.emplace_back((g.inner * g.cols + 1) / half, 0.25f);
    c.emplace_back((g.rows * g.cols + 1) / half, 0.0f);
    flops += g.flops();
  }
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<dnnl::matmul> matmuls;
  std::vector<std::unordered_map<int, dnnl::memory>> arguments;
  if (bf16) {
    using dnnl::memory;
    auto layout = [](bool transposed) {
      return transposed ? memory::format_tag::ba : memory::format_tag::ab;
    };
    for (size_t i = 0; i < gemms.size(); ++i) {
      const tp_bench::RowMajorGemm &g = gemms[i];
      memory::desc aDesc({g.rows, g.inner}, memory::data_type::bf16,
                         layout(g.transposeA));
      memory::desc bDesc({g.inner, g.cols}, memory::data_type::bf16,
                         layout(g.transposeB));
      memory::desc cDesc({g.rows, g.cols}, memory::data_type::bf16,
                         memory::format_tag::ab);
      matmuls.emplace_back(dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(aDesc, bDesc, cDesc), engine));
      arguments.push_back(
          {{DNNL_ARG_SRC, memory(aDesc, engine, a[i].data())},
           {DNNL_ARG_WEIGHTS, memory(bDesc, engine, b[i].data())},
           {DNNL_ARG_DST, memory(cDesc, engine, c[i].data())}});
    }
  }
  auto pass = [&] {
    for (size_t i = 0; i < gemms.size(); ++i) {
      if (bf16) {
        matmuls[i].execute(stream, arguments[i]);
        stream.wait();
        continue;
      }
      const tp_bench::RowMajorGemm &g = gemms[i];
      cblas_sgemm(CblasRowMajor, g.transposeA ? CblasTrans : CblasNoTrans,
                  g.transposeB ? CblasTrans : CblasNoTrans, g.rows, g.cols,
                  g.inner, 1.0f, a[i].data(), g.lda(), b[i].data(), g.ldb(),
                  0.0f, c[i].data(), g.cols);
    }
  };
  pass(); // warm-up
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    pass();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  double mean = 0;
  for (double t : times)
    mean += t / reps;
  double best = *std::min_element(times.begin(), times.end());
  std::printf("gemm: %zu %s GEMMs, mean %.3f ms, min %.3f ms, %.2f GFLOP/s\n",
              shapes.size(), dtype.c_str(), mean * 1e3, best * 1e3,
              flops / mean / 1e9);
  return 0;
}
