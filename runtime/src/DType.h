//===- DType.h - the floating-point element types ---------------*- C++ -*-===//
//
// This file declares the runtime's floating-point dtypes (tprt_dtype of
// tprt.h) by their safetensors names, and the conversions between f32 and
// the 16-bit types that the host code needs: loading and writing tensors,
// random weights, and the cpu backend, which computes in f32 on widened
// copies of f16 and bf16 tensors. Conversions round to nearest even and keep
// infinities and NaNs, as PyTorch's and CUDA's do.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_DTYPE_H
#define TPRT_SRC_DTYPE_H

#include "tprt/tprt.h"

#include <cstdint>
#include <string>

namespace tprt {

float bf16ToFloat(uint16_t bits);
uint16_t floatToBF16(float value);
float f16ToFloat(uint16_t bits);
uint16_t floatToF16(float value);

/// The tprt_dtype of a safetensors dtype name ("F32", "F16", "BF16"), or -1
/// when the name is not one of them.
int32_t floatDType(const std::string &name);

/// The safetensors name of `dtype`, or nullptr when it is not a tprt_dtype.
const char *floatDTypeName(int32_t dtype);

/// The byte size of one element of `dtype`, or 0 when it is not a tprt_dtype.
int64_t floatDTypeBytes(int32_t dtype);

/// Converts `count` elements of `dtype` at `src` to f32 at `dst`.
void widen(int32_t dtype, const void *src, float *dst, int64_t count);

/// Rounds `count` f32 values at `src` to `dtype` at `dst`; `dst` may equal
/// `src` (the 16-bit results are written in order, behind the reads).
void narrow(int32_t dtype, const float *src, void *dst, int64_t count);

} // namespace tprt

#endif // TPRT_SRC_DTYPE_H
