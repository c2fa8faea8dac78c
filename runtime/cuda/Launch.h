//===- Launch.h - what the cuda backend's kernels share ---------*- C++ -*-===//
//
// This file holds the device code that the CUDA kernels of every op family
// (Linear.cu, Elementwise.cu, Normalization.cu, Attention.cu, Optimizer.cu)
// share, and the launch helpers around it: the block size, the grid of a
// grid-stride loop, the storage types and the one place that maps a dtype to
// one, and the block reduction. Each float kernel is a template on the storage
// type T (float, __half or __nv_bfloat16): it widens what it loads to f32,
// computes in f32 (or double where the cpu kernels do) and rounds each result
// to T once, on its store. Only .cu files include this.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CUDA_LAUNCH_H
#define TPRT_CUDA_LAUNCH_H

#include "tprt/tprt.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace tprt {
namespace cuda {

/// Threads per block of every kernel (a multiple of the warp size).
constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over `count` items.
inline unsigned gridFor(int64_t count) {
  int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::min<int64_t>(blocks, int64_t(1) << 20));
}

__device__ inline int64_t firstIndex() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ inline int64_t gridStride() {
  return int64_t(gridDim.x) * blockDim.x;
}

__device__ inline int64_t smaller(int64_t a, int64_t b) {
  return a < b ? a : b;
}

//===--- Storage types ----------------------------------------------------===//

/// A stored element as f32 (exact for every storage type).
__device__ inline float toFloat(float value) { return value; }
__device__ inline float toFloat(__half value) { return __half2float(value); }
__device__ inline float toFloat(__nv_bfloat16 value) {
  return __bfloat162float(value);
}

/// An f32 result rounded to the storage type T, to nearest even.
template <typename T> __device__ T fromFloat(float value);
template <> __device__ inline float fromFloat<float>(float value) {
  return value;
}
template <> __device__ inline __half fromFloat<__half>(float value) {
  return __float2half_rn(value);
}
template <>
__device__ inline __nv_bfloat16 fromFloat<__nv_bfloat16>(float value) {
  return __float2bfloat16_rn(value);
}

/// Names a storage type for the launchers' generic lambdas.
template <typename T> struct Storage {
  using Type = T;
};

/// Returns launch(Storage<T>()) with T the storage type of `dtype`, the one
/// place that maps dtypes to types; cudaErrorInvalidValue for a dtype that
/// is none.
template <typename Launch>
cudaError_t withStorage(int32_t dtype, Launch launch) {
  switch (dtype) {
  case TPRT_F32:
    return launch(Storage<float>());
  case TPRT_F16:
    return launch(Storage<__half>());
  case TPRT_BF16:
    return launch(Storage<__nv_bfloat16>());
  default:
    return cudaErrorInvalidValue;
  }
}

//===--- Block reductions -------------------------------------------------===//

struct SumOp {
  template <typename T> __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

struct MaxOp {
  template <typename T> __device__ T operator()(T a, T b) const {
    return a < b ? b : a;
  }
};

/// `op` over `value` of every thread of the block, returned on every thread.
/// Every thread must call it; blockDim.x is a multiple of 32. `shared` holds
/// 33 values and may be reused by the next call.
template <typename T, typename Op>
__device__ T blockReduce(T value, T identity, Op op, T *shared) {
  const unsigned all = 0xffffffffu;
  for (int offset = 16; offset > 0; offset /= 2)
    value = op(value, __shfl_down_sync(all, value, offset));
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The previous call's readers of shared[32] are past this point.
  __syncthreads();
  if (lane == 0)
    shared[warp] = value;
  __syncthreads();
  if (warp == 0) {
    int warps = blockDim.x / 32;
    value = lane < warps ? shared[lane] : identity;
    for (int offset = 16; offset > 0; offset /= 2)
      value = op(value, __shfl_down_sync(all, value, offset));
    if (lane == 0)
      shared[32] = value;
  }
  __syncthreads();
  return shared[32];
}

} // namespace cuda
} // namespace tprt

#endif // TPRT_CUDA_LAUNCH_H
