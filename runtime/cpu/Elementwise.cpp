//===- Elementwise.cpp - elementwise, layout and reduction kernels --------===//
//
// This file implements the elementwise kernels (add, mul, activations,
// scale, fill), the layout kernels (copy, transpose, broadcast) and the
// dim-mask sum. The elementwise ones are a function of one or two f32 values
// each, run by one loop the compiler vectorises (16-bit calls run it on f32
// copies); the layout kernels go through the strided copy shared with the
// loaders.
//
//===----------------------------------------------------------------------===//

#include "DType.h"
#include "Kernels.h"
#include "Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace tprt;

namespace {

/// y[i] = op(x[i]) on f32 views of a call's tensors.
template <typename Op>
void unary(tprt_context *ctx, const char *call, const char *layer,
           int32_t dtype, const void *x, void *y, int64_t count, Op op) {
  F32Scope f32(*ctx, call, layer, dtype);
  const float *in = f32.input(x, count);
  float *out = f32.output(y, count);
  for (int64_t i = 0; i < count; ++i)
    out[i] = op(in[i]);
}

/// y[i] = op(a[i], b[i]) on f32 views of a call's tensors.
template <typename Op>
void binary(tprt_context *ctx, const char *call, const char *layer,
            int32_t dtype, const void *a, const void *b, void *y, int64_t count,
            Op op) {
  F32Scope f32(*ctx, call, layer, dtype);
  const float *left = f32.input(a, count), *right = f32.input(b, count);
  float *out = f32.output(y, count);
  for (int64_t i = 0; i < count; ++i)
    out[i] = op(left[i], right[i]);
}

} // namespace

void cpu::add(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *a, const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_add", layer, dtype, a, b, y, count,
         [](float u, float v) { return u + v; });
}

void cpu::mul(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *a, const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_mul", layer, dtype, a, b, y, count,
         [](float u, float v) { return u * v; });
}

void cpu::silu(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, void *y, int64_t count) {
  unary(ctx, "tprt_silu", layer, dtype, x, y, count,
        [](float v) { return v / (1.0f + std::exp(-v)); });
}

void cpu::silu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *x, const void *dy, void *dx, int64_t count) {
  binary(ctx, "tprt_silu_grad", layer, dtype, x, dy, dx, count,
         [](float v, float g) {
           float s = 1.0f / (1.0f + std::exp(-v));
           return g * s * (1.0f + v * (1.0f - s));
         });
}

void cpu::silu_mul(tprt_context *ctx, const char *layer, int32_t dtype,
                   const void *gate, const void *up, void *y, int64_t count) {
  binary(ctx, "tprt_silu_mul", layer, dtype, gate, up, y, count,
         [](float g, float u) { return g / (1.0f + std::exp(-g)) * u; });
}

void cpu::relu(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, void *y, int64_t count) {
  unary(ctx, "tprt_relu", layer, dtype, x, y, count,
        [](float v) { return v > 0.0f ? v : 0.0f; });
}

void cpu::gelu(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, void *y, int64_t count, int32_t tanh_approx) {
  const char *call = "tprt_gelu";
  if (tanh_approx)
    return unary(ctx, call, layer, dtype, x, y, count, [](float v) {
      const float sqrt2OverPi = 0.7978845608028654f;
      return 0.5f * v *
             (1.0f + std::tanh(sqrt2OverPi * (v + 0.044715f * v * v * v)));
    });
  unary(ctx, call, layer, dtype, x, y, count, [](float v) {
    const float inverseSqrt2 = 0.7071067811865476f;
    return 0.5f * v * (1.0f + std::erf(v * inverseSqrt2));
  });
}

void cpu::gelu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *x, const void *dy, void *dx, int64_t count,
                    int32_t tanh_approx) {
  const char *call = "tprt_gelu_grad";
  // The derivatives of gelu's two forms, as cpu::gelu computes them.
  if (tanh_approx)
    return binary(
        ctx, call, layer, dtype, x, dy, dx, count, [](float v, float g) {
          const float sqrt2OverPi = 0.7978845608028654f;
          float t = std::tanh(sqrt2OverPi * (v + 0.044715f * v * v * v));
          float inner = sqrt2OverPi * (1.0f + 0.134145f * v * v);
          return g * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * inner);
        });
  binary(ctx, call, layer, dtype, x, dy, dx, count, [](float v, float g) {
    const float inverseSqrt2 = 0.7071067811865476f;
    const float inverseSqrt2Pi = 0.3989422804014327f;
    return g * (0.5f * (1.0f + std::erf(v * inverseSqrt2)) +
                v * inverseSqrt2Pi * std::exp(-0.5f * v * v));
  });
}

void cpu::relu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *x, const void *dy, void *dx, int64_t count) {
  binary(ctx, "tprt_relu_grad", layer, dtype, x, dy, dx, count,
         [](float v, float g) { return v > 0.0f ? g : 0.0f; });
}

void cpu::scale(tprt_context *ctx, const char *layer, int32_t dtype,
                const void *x, void *y, int64_t count, double factor) {
  float f = static_cast<float>(factor);
  unary(ctx, "tprt_scale", layer, dtype, x, y, count,
        [f](float v) { return v * f; });
}

void cpu::copy(tprt_context *, const char *, const void *x, void *y,
               int64_t bytes) {
  if (x != y)
    std::memcpy(y, x, bytes);
}

void cpu::transpose(tprt_context *ctx, const char *layer, const void *x,
                    void *y, int64_t element_bytes, int64_t rank,
                    const int64_t *shape, const int64_t *perm) {
  TransposeCopy view =
      checkTranspose(ctx, layer, element_bytes, rank, shape, perm);
  // Walking y in order reads x through the permuted strides.
  std::vector<int64_t> yStrides = rowMajorStrides(view.sizes, element_bytes);
  copyStrided(static_cast<const char *>(x), view.srcStrides.data(),
              static_cast<char *>(y), yStrides.data(), view.sizes.data(), rank,
              element_bytes);
}

void cpu::sum(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *input, void *output, int64_t rank,
              const int64_t *shape, int64_t dim_mask) {
  checkDimMask(ctx, "tprt_sum", layer, "x", rank, dim_mask);
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
  F32Scope f32(*ctx, "tprt_sum", layer, dtype);
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

void cpu::broadcast(tprt_context *ctx, const char *layer, int32_t dtype,
                    const void *x, void *y, int64_t rank, const int64_t *shape,
                    int64_t dim_mask) {
  const char *call = "tprt_broadcast";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkDimMask(ctx, call, layer, "y", rank, dim_mask);
  // A copy of elements, whatever the dtype: y walked in order reads x with
  // stride 0 along the repeated dims.
  std::vector<int64_t> sizes(shape, shape + rank), xStrides(rank, 0);
  int64_t stride = elementBytes;
  for (int64_t d = rank; d-- > 0;) {
    if (dim_mask >> d & 1)
      continue;
    xStrides[d] = stride;
    stride *= shape[d];
  }
  std::vector<int64_t> yStrides = rowMajorStrides(sizes, elementBytes);
  copyStrided(static_cast<const char *>(x), xStrides.data(),
              static_cast<char *>(y), yStrides.data(), sizes.data(), rank,
              elementBytes);
}

void cpu::fill(tprt_context *ctx, const char *layer, int32_t dtype, void *y,
               int64_t count, double value) {
  int64_t elementBytes = dtypeSize(ctx, "tprt_fill", layer, dtype);
  if (count <= 0)
    return;
  // The value rounded to f32 as every kernel's scalars are, then to the
  // dtype, and repeated.
  float rounded = static_cast<float>(value);
  if (elementBytes == sizeof(float)) {
    std::fill_n(static_cast<float *>(y), count, rounded);
    return;
  }
  uint16_t element;
  narrow(dtype, &rounded, &element, 1);
  std::fill_n(static_cast<uint16_t *>(y), count, element);
}
