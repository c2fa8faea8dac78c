//===- Elementwise.cpp - elementwise, layout and reduction kernels --------===//
//
// This file implements the elementwise kernels (add, mul, activations,
// scale), the layout kernels (copy, transpose) and the dim-mask sum. They are
// plain f32 loops the compiler vectorises (16-bit calls run them on f32
// copies); the layout kernels go through the strided copy shared with the
// loaders.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Tensor.h"

#include <cmath>
#include <cstring>

using namespace tprt;

namespace {

void add(const float *a, const float *b, float *y, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = a[i] + b[i];
}

void mul(const float *a, const float *b, float *y, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = a[i] * b[i];
}

void silu(const float *x, float *y, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void siluMul(const float *gate, const float *up, float *y, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void relu(const float *x, float *y, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void gelu(const float *x, float *y, int64_t count, bool tanhApprox) {
  if (tanhApprox) {
    const float sqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < count; ++i) {
      float v = x[i];
      y[i] = 0.5f * v *
             (1.0f + std::tanh(sqrt2OverPi * (v + 0.044715f * v * v * v)));
    }
    return;
  }
  const float inverseSqrt2 = 0.7071067811865476f;
  for (int64_t i = 0; i < count; ++i)
    y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * inverseSqrt2));
}

void scale(const float *x, float *y, int64_t count, float factor) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = x[i] * factor;
}

} // namespace

void tprt_add(tprt_context *ctx, int32_t dtype, const void *a, const void *b,
              void *y, int64_t count) {
  F32Scope f32(*ctx, "tprt_add", nullptr, dtype);
  add(f32.input(a, count), f32.input(b, count), f32.output(y, count), count);
}

void tprt_mul(tprt_context *ctx, int32_t dtype, const void *a, const void *b,
              void *y, int64_t count) {
  F32Scope f32(*ctx, "tprt_mul", nullptr, dtype);
  mul(f32.input(a, count), f32.input(b, count), f32.output(y, count), count);
}

void tprt_silu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count) {
  F32Scope f32(*ctx, "tprt_silu", nullptr, dtype);
  silu(f32.input(x, count), f32.output(y, count), count);
}

void tprt_silu_mul(tprt_context *ctx, int32_t dtype, const void *gate,
                   const void *up, void *y, int64_t count) {
  F32Scope f32(*ctx, "tprt_silu_mul", nullptr, dtype);
  siluMul(f32.input(gate, count), f32.input(up, count), f32.output(y, count),
          count);
}

void tprt_relu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count) {
  F32Scope f32(*ctx, "tprt_relu", nullptr, dtype);
  relu(f32.input(x, count), f32.output(y, count), count);
}

void tprt_gelu(tprt_context *ctx, int32_t dtype, const void *x, void *y,
               int64_t count, int32_t tanh_approx) {
  F32Scope f32(*ctx, "tprt_gelu", nullptr, dtype);
  gelu(f32.input(x, count), f32.output(y, count), count, tanh_approx != 0);
}

void tprt_scale(tprt_context *ctx, int32_t dtype, const void *x, void *y,
                int64_t count, double factor) {
  F32Scope f32(*ctx, "tprt_scale", nullptr, dtype);
  scale(f32.input(x, count), f32.output(y, count), count,
        static_cast<float>(factor));
}

void tprt_copy(tprt_context *, const void *x, void *y, int64_t bytes) {
  if (x != y)
    std::memcpy(y, x, bytes);
}

void tprt_transpose(tprt_context *ctx, const void *x, void *y,
                    int64_t element_bytes, int64_t rank, const int64_t *shape,
                    const int64_t *perm) {
  std::vector<int64_t> xShape(shape, shape + rank);
  std::vector<int64_t> xStrides = rowMajorStrides(xShape, element_bytes);
  std::vector<int64_t> yShape(rank), srcStrides(rank);
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      fail(ctx, "tprt_transpose: perm is not a permutation of the " +
                    std::to_string(rank) + " dims");
    seen[perm[i]] = true;
    yShape[i] = shape[perm[i]];
    srcStrides[i] = xStrides[perm[i]];
  }
  // Walking y in order reads x through the permuted strides.
  std::vector<int64_t> yStrides = rowMajorStrides(yShape, element_bytes);
  copyStrided(static_cast<const char *>(x), srcStrides.data(),
              static_cast<char *>(y), yStrides.data(), yShape.data(), rank,
              element_bytes);
}

void tprt_sum(tprt_context *ctx, int32_t dtype, const void *input,
              void *output, int64_t rank, const int64_t *shape,
              int64_t dim_mask) {
  if (dim_mask < 0 || dim_mask >> rank != 0)
    fail(ctx, "tprt_sum: dim mask " + std::to_string(dim_mask) +
                  " names dims beyond the " + std::to_string(rank) + " of x");
  // The y offset of each x dim: y's row-major stride for kept dims, 0 for
  // summed ones.
  std::vector<int64_t> yStride(rank, 0);
  int64_t yCount = 1, count = 1;
  for (int64_t d = rank; d-- > 0;) {
    count *= shape[d];
    if (dim_mask >> d & 1)
      continue;
    yStride[d] = yCount;
    yCount *= shape[d];
  }
  F32Scope f32(*ctx, "tprt_sum", nullptr, dtype);
  const float *x = f32.input(input, count);
  float *y = f32.output(output, yCount);
  std::vector<double> total(yCount, 0.0);
  if (count > 0) {
    int64_t row = rank ? shape[rank - 1] : 1;
    int64_t rowStride = rank ? yStride[rank - 1] : 0;
    std::vector<int64_t> index(rank, 0);
    int64_t yOffset = 0;
    for (const float *end = x + count; x != end; x += row) {
      double *out = total.data() + yOffset;
      if (rowStride == 0) {
        double sum = 0;
        for (int64_t j = 0; j < row; ++j)
          sum += x[j];
        *out += sum;
      } else {
        for (int64_t j = 0; j < row; ++j)
          out[j] += x[j];
      }
      for (int64_t d = rank - 2; d >= 0; --d) {
        yOffset += yStride[d];
        if (++index[d] < shape[d])
          break;
        yOffset -= yStride[d] * shape[d];
        index[d] = 0;
      }
    }
  }
  for (int64_t i = 0; i < yCount; ++i)
    y[i] = static_cast<float>(total[i]);
}
