//===- Random.cpp - deterministic tensors from a seed ---------------------===//
//
// This file implements the counter-based generator of Random.h. A block is
// walked row by row: the global flat index of each row's first element is
// computed once, and the row's elements follow it contiguously, as a run of
// elements does.
//
//===----------------------------------------------------------------------===//

#include "Random.h"
#include "DType.h"
#include "Tensor.h"

#include <cmath>

namespace tprt {

static const uint64_t golden = 0x9E3779B97F4A7C15ull;

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(const void *data, size_t bytes) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < bytes; ++i)
    hash =
        (hash ^ static_cast<const unsigned char *>(data)[i]) * 0x100000001B3ull;
  return hash;
}

uint64_t tensorSeed(uint64_t seed, const std::string &name) {
  return mix64(seed ^ fnv1a64(name.data(), name.size()));
}

/// The random bits of element `index` of the flattened tensor of seed `seed`.
static uint64_t elementBits(uint64_t seed, uint64_t index) {
  return mix64(seed + (index + 1) * golden);
}

void fillRandomFloatElements(uint64_t seed, int64_t first, int64_t count,
                             float scale, int32_t dtype, void *out) {
  for (int64_t i = 0; i < count; ++i) {
    // 24 random bits are exact in a float.
    uint64_t bits = elementBits(seed, first + i);
    float value = scale * (float(bits >> 40) * 0x1p-23f - 1.0f);
    if (dtype == TPRT_F32)
      static_cast<float *>(out)[i] = value;
    else
      narrow(dtype, &value, static_cast<uint16_t *>(out) + i, 1);
  }
}

void fillRandomBlockFloats(uint64_t seed, const std::vector<int64_t> &shape,
                           const std::vector<int64_t> &start,
                           const std::vector<int64_t> &sizes, int64_t first,
                           int64_t count, float scale, int32_t dtype,
                           void *out) {
  int64_t elementBytes = floatDTypeBytes(dtype);
  forEachBlockRun(
      shape, start, sizes, first, count,
      [&](int64_t blockOffset, int64_t tensorOffset, int64_t length) {
        fillRandomFloatElements(seed, tensorOffset, length, scale, dtype,
                                static_cast<char *>(out) +
                                    (blockOffset - first) * elementBytes);
      });
}

void fillRandomFloats(uint64_t seed, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &start,
                      const std::vector<int64_t> &sizes, float scale,
                      int32_t dtype, void *block) {
  fillRandomBlockFloats(seed, shape, start, sizes, 0, elementCount(sizes),
                        scale, dtype, block);
}

void fillRandomIntegers(uint64_t seed, const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &start,
                        const std::vector<int64_t> &sizes, int64_t bound,
                        int64_t *block) {
  forEachBlockRun(
      shape, start, sizes, 0, elementCount(sizes),
      [&](int64_t blockOffset, int64_t tensorOffset, int64_t length) {
        for (int64_t j = 0; j < length; ++j)
          block[blockOffset + j] =
              static_cast<int64_t>(elementBits(seed, tensorOffset + j) % bound);
      });
}

float parameterScale(const std::vector<int64_t> &shape) {
  if (shape.size() < 2 || shape.back() == 0)
    return 1.0f;
  return 1.0f / std::sqrt(static_cast<float>(shape.back()));
}

} // namespace tprt
