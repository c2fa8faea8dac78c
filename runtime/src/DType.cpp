//===- DType.cpp - the floating-point element types -----------------------===//
//
// This file implements the dtype table and the f32 <-> f16/bf16 conversions
// with bit arithmetic, so that they are exact and the same on every host.
//
//===----------------------------------------------------------------------===//

#include "DType.h"

#include <cstring>

namespace tprt {

static uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

static float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

float bf16ToFloat(uint16_t bits) { return floatOf(uint32_t(bits) << 16); }

uint16_t floatToBF16(float value) {
  uint32_t bits = bitsOf(value);
  // A NaN keeps its sign and stays a NaN (quiet) after truncation.
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  // Round to nearest even on the 16 dropped bits; overflow gives infinity.
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

float f16ToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) // infinity or NaN
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) { // zero or subnormal: mantissa * 2^-24, exact in f32
    float magnitude = static_cast<float>(mantissa) * floatOf(0x33800000u);
    return sign ? -magnitude : magnitude;
  }
  return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t floatToF16(float value) {
  // F. Giesen's round-to-nearest-even conversion ("float_to_half_fast3_rtne").
  const uint32_t f32Infinity = 255u << 23;
  const uint32_t f16Overflow = (127u + 16u) << 23; // 2^16: rounds to infinity
  const uint32_t denormalMagic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
  uint32_t bits = bitsOf(value);
  uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  uint16_t result;
  if (bits >= f16Overflow) {
    result = bits > f32Infinity ? 0x7e00 : 0x7c00;
  } else if (bits < (113u << 23)) {
    // Below f16's smallest normal: adding the magic number makes the FPU
    // round the value to a multiple of 2^-24, left in the low mantissa bits.
    result = static_cast<uint16_t>(
        bitsOf(floatOf(bits) + floatOf(denormalMagic)) - denormalMagic);
  } else {
    uint32_t mantissaOdd = (bits >> 13) & 1u;
    bits += (uint32_t(15 - 127) << 23) + 0xfffu + mantissaOdd;
    result = static_cast<uint16_t>(bits >> 13);
  }
  return static_cast<uint16_t>(result | (sign >> 16));
}

int32_t floatDType(const std::string &name) {
  if (name == "F32")
    return TPRT_F32;
  if (name == "F16")
    return TPRT_F16;
  if (name == "BF16")
    return TPRT_BF16;
  return -1;
}

const char *floatDTypeName(int32_t dtype) {
  switch (dtype) {
  case TPRT_F32:
    return "F32";
  case TPRT_F16:
    return "F16";
  case TPRT_BF16:
    return "BF16";
  default:
    return nullptr;
  }
}

int64_t floatDTypeBytes(int32_t dtype) {
  switch (dtype) {
  case TPRT_F32:
    return 4;
  case TPRT_F16:
  case TPRT_BF16:
    return 2;
  default:
    return 0;
  }
}

/// dst[i] = convert(src[i]) for i < count; f32 to f32 is a copy.
template <typename From, typename To, typename Convert>
static void convertEach(const void *src, void *dst, int64_t count,
                        Convert convert) {
  const auto *in = static_cast<const From *>(src);
  auto *out = static_cast<To *>(dst);
  for (int64_t i = 0; i < count; ++i)
    out[i] = convert(in[i]);
}

void widen(int32_t dtype, const void *src, float *dst, int64_t count) {
  if (dtype == TPRT_F32 && src != dst)
    std::memmove(dst, src, count * sizeof(float));
  else if (dtype == TPRT_F16)
    convertEach<uint16_t, float>(src, dst, count, f16ToFloat);
  else if (dtype == TPRT_BF16)
    convertEach<uint16_t, float>(src, dst, count, bf16ToFloat);
}

void narrow(int32_t dtype, const float *src, void *dst, int64_t count) {
  if (dtype == TPRT_F32 && src != dst)
    std::memmove(dst, src, count * sizeof(float));
  else if (dtype == TPRT_F16)
    convertEach<float, uint16_t>(src, dst, count, floatToF16);
  else if (dtype == TPRT_BF16)
    convertEach<float, uint16_t>(src, dst, count, floatToBF16);
}

} // namespace tprt
