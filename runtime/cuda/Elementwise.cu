//===- Elementwise.cu - elementwise, layout and reduction kernels ---------===//
//
// This file implements the cuda backend's Elementwise family: the
// elementwise calls (add, mul, activations, scale), one kernel per arity
// whose op is a switch case, and fill, the layout calls (copy, transpose,
// broadcast) and the dim-mask sum. Elementwise kernels and copies are
// grid-stride loops over 64-bit indices; the sum is one block per element of
// y, reduced in double as the cpu backend does. The strided copy behind
// tprt_transpose and tprt_broadcast (which reads x with stride 0 along the
// repeated dims) also rearranges the pieces of the collectives
// (Collectives.cpp).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Launch.h"

#include <algorithm>
#include <cstdint>

namespace tprt {
namespace cuda {

namespace {

/// The ops of unaryKernel and binaryKernel: a switch case each.
enum class Unary { Silu, Relu, GeluErf, GeluTanh, Scale };
enum class Binary {
  Add,
  Mul,
  SiluMul,
  SiluGrad,
  GeluErfGrad,
  GeluTanhGrad,
  ReluGrad
};

template <typename T>
__global__ void unaryKernel(Unary op, const T *x, T *y, int64_t count,
                            float factor) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float v = toFloat(x[i]), r;
    switch (op) {
    case Unary::Silu:
      r = v / (1.0f + expf(-v));
      break;
    case Unary::Relu:
      r = v > 0.0f ? v : 0.0f;
      break;
    case Unary::GeluErf:
      r = 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
      break;
    case Unary::GeluTanh:
      r = 0.5f * v *
          (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      break;
    default:
      r = v * factor;
      break;
    }
    y[i] = fromFloat<T>(r);
  }
}

template <typename T>
__global__ void binaryKernel(Binary op, const T *a, const T *b, T *y,
                             int64_t count) {
  for (int64_t i = firstIndex(); i < count; i += gridStride()) {
    float left = toFloat(a[i]), right = toFloat(b[i]), r;
    switch (op) {
    case Binary::Add:
      r = left + right;
      break;
    case Binary::Mul:
      r = left * right;
      break;
    case Binary::SiluGrad: {
      float s = 1.0f / (1.0f + expf(-left));
      r = right * s * (1.0f + left * (1.0f - s));
      break;
    }
    case Binary::GeluErfGrad:
      r = right * (0.5f * (1.0f + erff(left * 0.7071067811865476f)) +
                   left * 0.3989422804014327f * expf(-0.5f * left * left));
      break;
    case Binary::GeluTanhGrad: {
      const float sqrt2OverPi = 0.7978845608028654f;
      float t = tanhf(sqrt2OverPi * (left + 0.044715f * left * left * left));
      float inner = sqrt2OverPi * (1.0f + 0.134145f * left * left);
      r = right * (0.5f * (1.0f + t) + 0.5f * left * (1.0f - t * t) * inner);
      break;
    }
    case Binary::ReluGrad:
      r = left > 0.0f ? right : 0.0f;
      break;
    default:
      r = left / (1.0f + expf(-left)) * right;
      break;
    }
    y[i] = fromFloat<T>(r);
  }
}

/// tprt_sum's dims split into kept ones (y's dims) and summed ones, with
/// x's element strides.
struct SumShape {
  int kept = 0, summed = 0;
  int64_t keptSizes[kMaxDims], keptStrides[kMaxDims];
  int64_t summedSizes[kMaxDims], summedStrides[kMaxDims];
  int64_t summedCount = 1;
};

/// One block per element of y.
template <typename T>
__global__ void sumKernel(const T *x, T *y, SumShape shape) {
  __shared__ double shared[33];
  int64_t rest = blockIdx.x, base = 0;
  for (int d = shape.kept - 1; d >= 0; --d) {
    base += rest % shape.keptSizes[d] * shape.keptStrides[d];
    rest /= shape.keptSizes[d];
  }
  double total = 0;
  for (int64_t s = threadIdx.x; s < shape.summedCount; s += blockDim.x) {
    int64_t index = s, offset = base;
    for (int d = shape.summed - 1; d >= 0; --d) {
      offset += index % shape.summedSizes[d] * shape.summedStrides[d];
      index /= shape.summedSizes[d];
    }
    total += toFloat(x[offset]);
  }
  total = blockReduce(total, 0.0, SumOp(), shared);
  // Through f32, as the cpu backend rounds its f32 result.
  if (threadIdx.x == 0)
    y[blockIdx.x] = fromFloat<T>(static_cast<float>(total));
}

template <typename T>
__global__ void fillKernel(T *y, int64_t count, float value) {
  T rounded = fromFloat<T>(value);
  for (int64_t i = firstIndex(); i < count; i += gridStride())
    y[i] = rounded;
}

/// The box of a strided copy, in units of the copied type.
struct CopyShape {
  int rank = 0;
  int64_t sizes[kMaxDims], srcStrides[kMaxDims];
  int64_t count = 1;
};

template <typename Unit>
__global__ void stridedCopyKernel(const Unit *src, Unit *dst, CopyShape shape) {
  for (int64_t i = firstIndex(); i < shape.count; i += gridStride()) {
    int64_t rest = i, offset = 0;
    for (int d = shape.rank - 1; d >= 0; --d) {
      offset += rest % shape.sizes[d] * shape.srcStrides[d];
      rest /= shape.sizes[d];
    }
    dst[i] = src[offset];
  }
}

template <typename Unit>
cudaError_t stridedCopy(cudaStream_t stream, const void *src, void *dst,
                        const CopyShape &shape) {
  stridedCopyKernel<Unit><<<gridFor(shape.count), kThreads, 0, stream>>>(
      static_cast<const Unit *>(src), static_cast<Unit *>(dst), shape);
  return cudaGetLastError();
}

/// y[i] = op(x[i]) (`factor` for Scale); y may equal x.
cudaError_t launchUnary(cudaStream_t stream, int32_t dtype, Unary op,
                        const void *x, void *y, int64_t count, float factor) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    unaryKernel<<<gridFor(count), kThreads, 0, stream>>>(
        op, static_cast<const T *>(x), static_cast<T *>(y), count, factor);
    return cudaGetLastError();
  });
}

/// y[i] = a[i] op b[i]; y may equal a or b.
cudaError_t launchBinary(cudaStream_t stream, int32_t dtype, Binary op,
                         const void *a, const void *b, void *y, int64_t count) {
  if (count == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    binaryKernel<<<gridFor(count), kThreads, 0, stream>>>(
        op, static_cast<const T *>(a), static_cast<const T *>(b),
        static_cast<T *>(y), count);
    return cudaGetLastError();
  });
}

/// tprt_sum; rank <= kMaxDims.
cudaError_t launchSum(cudaStream_t stream, int32_t dtype, const void *x,
                      void *y, int64_t rank, const int64_t *shape,
                      int64_t dimMask) {
  SumShape sum;
  int64_t stride = 1, outputs = 1;
  // Innermost first, to accumulate x's element strides.
  for (int64_t d = rank - 1; d >= 0; --d) {
    bool summed = dimMask >> d & 1;
    int at = static_cast<int>(summed ? sum.summed++ : sum.kept++);
    (summed ? sum.summedSizes : sum.keptSizes)[at] = shape[d];
    (summed ? sum.summedStrides : sum.keptStrides)[at] = stride;
    (summed ? sum.summedCount : outputs) *= shape[d];
    stride *= shape[d];
  }
  // Outermost first, as the kernel reads them.
  std::reverse(sum.keptSizes, sum.keptSizes + sum.kept);
  std::reverse(sum.keptStrides, sum.keptStrides + sum.kept);
  std::reverse(sum.summedSizes, sum.summedSizes + sum.summed);
  std::reverse(sum.summedStrides, sum.summedStrides + sum.summed);
  if (outputs == 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    sumKernel<<<unsigned(outputs), kThreads, 0, stream>>>(
        static_cast<const T *>(x), static_cast<T *>(y), sum);
    return cudaGetLastError();
  });
}

/// y[i] = value rounded to the dtype, for i < count.
cudaError_t launchFill(cudaStream_t stream, int32_t dtype, void *y,
                       int64_t count, float value) {
  if (count <= 0)
    return cudaSuccess;
  return withStorage(dtype, [&](auto storage) {
    using T = typename decltype(storage)::Type;
    fillKernel<<<gridFor(count), kThreads, 0, stream>>>(static_cast<T *>(y),
                                                        count, value);
    return cudaGetLastError();
  });
}

/// Checks `dtype`, then enqueues the elementwise kernel of `call`.
void binary(tprt_context *ctx, const char *call, const char *layer,
            int32_t dtype, Binary op, const void *a, const void *b, void *y,
            int64_t count) {
  dtypeSize(ctx, call, layer, dtype);
  check(ctx, launchBinary(state(ctx).stream, dtype, op, a, b, y, count), call,
        layer, "the kernel launch");
}

void unary(tprt_context *ctx, const char *call, const char *layer,
           int32_t dtype, Unary op, const void *x, void *y, int64_t count,
           float factor) {
  dtypeSize(ctx, call, layer, dtype);
  check(ctx, launchUnary(state(ctx).stream, dtype, op, x, y, count, factor),
        call, layer, "the kernel launch");
}

} // namespace

/// Copies a box of `sizes` elements of `elementBytes` bytes, dim i advancing
/// `src` by srcStrides[i] bytes, into the contiguous row-major `dst` (the
/// device twin of copyStrided with row-major destination strides);
/// rank < kMaxDims.
cudaError_t launchStridedCopy(cudaStream_t stream, const void *src,
                              const int64_t *srcStrides, void *dst,
                              const int64_t *sizes, int64_t rank,
                              int64_t elementBytes) {
  // Copy in the widest unit (up to 16 bytes) that divides the element, every
  // stride and both addresses.
  int64_t unit = 16;
  auto divides = [&](int64_t value) { return value % unit == 0; };
  while (unit > 1) {
    bool fits = divides(elementBytes) &&
                divides(reinterpret_cast<uintptr_t>(src)) &&
                divides(reinterpret_cast<uintptr_t>(dst));
    for (int64_t d = 0; d < rank; ++d)
      fits = fits && divides(srcStrides[d]);
    if (fits)
      break;
    unit /= 2;
  }
  CopyShape shape;
  shape.rank = static_cast<int>(rank) + 1;
  for (int64_t d = 0; d < rank; ++d) {
    shape.sizes[d] = sizes[d];
    shape.srcStrides[d] = srcStrides[d] / unit;
    shape.count *= sizes[d];
  }
  // The units of one element are the innermost dim.
  shape.sizes[rank] = elementBytes / unit;
  shape.srcStrides[rank] = 1;
  shape.count *= elementBytes / unit;
  if (shape.count == 0)
    return cudaSuccess;
  switch (unit) {
  case 16:
    return stridedCopy<uint4>(stream, src, dst, shape);
  case 8:
    return stridedCopy<uint2>(stream, src, dst, shape);
  case 4:
    return stridedCopy<uint32_t>(stream, src, dst, shape);
  case 2:
    return stridedCopy<uint16_t>(stream, src, dst, shape);
  default:
    return stridedCopy<uint8_t>(stream, src, dst, shape);
  }
}

void add(tprt_context *ctx, const char *layer, int32_t dtype, const void *a,
         const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_add", layer, dtype, Binary::Add, a, b, y, count);
}

void mul(tprt_context *ctx, const char *layer, int32_t dtype, const void *a,
         const void *b, void *y, int64_t count) {
  binary(ctx, "tprt_mul", layer, dtype, Binary::Mul, a, b, y, count);
}

void silu_mul(tprt_context *ctx, const char *layer, int32_t dtype,
              const void *gate, const void *up, void *y, int64_t count) {
  binary(ctx, "tprt_silu_mul", layer, dtype, Binary::SiluMul, gate, up, y,
         count);
}

void silu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, const void *dy, void *dx, int64_t count) {
  binary(ctx, "tprt_silu_grad", layer, dtype, Binary::SiluGrad, x, dy, dx,
         count);
}

void gelu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, const void *dy, void *dx, int64_t count,
               int32_t tanh_approx) {
  binary(ctx, "tprt_gelu_grad", layer, dtype,
         tanh_approx ? Binary::GeluTanhGrad : Binary::GeluErfGrad, x, dy, dx,
         count);
}

void relu_grad(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, const void *dy, void *dx, int64_t count) {
  binary(ctx, "tprt_relu_grad", layer, dtype, Binary::ReluGrad, x, dy, dx,
         count);
}

void silu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count) {
  unary(ctx, "tprt_silu", layer, dtype, Unary::Silu, x, y, count, 0.0f);
}

void relu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count) {
  unary(ctx, "tprt_relu", layer, dtype, Unary::Relu, x, y, count, 0.0f);
}

void gelu(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
          void *y, int64_t count, int32_t tanh_approx) {
  unary(ctx, "tprt_gelu", layer, dtype,
        tanh_approx ? Unary::GeluTanh : Unary::GeluErf, x, y, count, 0.0f);
}

void scale(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
           void *y, int64_t count, double factor) {
  unary(ctx, "tprt_scale", layer, dtype, Unary::Scale, x, y, count,
        static_cast<float>(factor));
}

void transpose(tprt_context *ctx, const char *layer, const void *x, void *y,
               int64_t element_bytes, int64_t rank, const int64_t *shape,
               const int64_t *perm) {
  const char *call = "tprt_transpose";
  if (rank < 0 || rank >= kMaxDims)
    fail(ctx, callName(call, layer) + ": the cuda backend transposes at most " +
                  std::to_string(kMaxDims - 1) + " dims, not " +
                  std::to_string(rank));
  TransposeCopy view =
      checkTranspose(ctx, layer, element_bytes, rank, shape, perm);
  check(ctx,
        launchStridedCopy(state(ctx).stream, x, view.srcStrides.data(), y,
                          view.sizes.data(), rank, element_bytes),
        call, layer, "the kernel launch");
}

void copy(tprt_context *ctx, const char *layer, const void *x, void *y,
          int64_t bytes) {
  if (x == y || bytes == 0)
    return;
  check(
      ctx,
      cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, state(ctx).stream),
      "tprt_copy", layer, "cudaMemcpyAsync");
}

void sum(tprt_context *ctx, const char *layer, int32_t dtype, const void *x,
         void *y, int64_t rank, const int64_t *shape, int64_t dim_mask) {
  const char *call = "tprt_sum";
  dtypeSize(ctx, call, layer, dtype);
  checkDimMask(ctx, "tprt_sum", layer, "x", rank, dim_mask);
  if (rank > kMaxDims)
    fail(ctx,
         callName(call, layer) + ": the cuda backend sums tensors of at most " +
             std::to_string(kMaxDims) + " dims, not " + std::to_string(rank));
  int64_t outputs = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!(dim_mask >> d & 1))
      outputs *= shape[d];
  checkGrid(ctx, call, layer, "the element count of y", outputs);
  check(ctx, launchSum(state(ctx).stream, dtype, x, y, rank, shape, dim_mask),
        call, layer, "the kernel launch");
}

void broadcast(tprt_context *ctx, const char *layer, int32_t dtype,
               const void *x, void *y, int64_t rank, const int64_t *shape,
               int64_t dim_mask) {
  const char *call = "tprt_broadcast";
  int64_t elementBytes = dtypeSize(ctx, call, layer, dtype);
  checkDimMask(ctx, call, layer, "y", rank, dim_mask);
  if (rank >= kMaxDims)
    fail(ctx, callName(call, layer) +
                  ": the cuda backend broadcasts to at most " +
                  std::to_string(kMaxDims - 1) + " dims, not " +
                  std::to_string(rank));
  // y walked in order reads x with stride 0 along the repeated dims.
  int64_t xStrides[kMaxDims], stride = elementBytes;
  for (int64_t d = rank - 1; d >= 0; --d) {
    bool repeated = dim_mask >> d & 1;
    xStrides[d] = repeated ? 0 : stride;
    if (!repeated)
      stride *= shape[d];
  }
  check(ctx,
        launchStridedCopy(state(ctx).stream, x, xStrides, y, shape, rank,
                          elementBytes),
        call, layer, "the kernel launch");
}

void fill(tprt_context *ctx, const char *layer, int32_t dtype, void *y,
          int64_t count, double value) {
  const char *call = "tprt_fill";
  dtypeSize(ctx, call, layer, dtype);
  check(
      ctx,
      launchFill(state(ctx).stream, dtype, y, count, static_cast<float>(value)),
      call, layer, "the kernel launch");
}

} // namespace cuda
} // namespace tprt
