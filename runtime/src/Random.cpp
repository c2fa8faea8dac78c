//===- Random.cpp - deterministic tensors from a seed ---------------------===//
//
// This file implements the counter-based generator of Random.h. A block is
// walked row by row: the global flat index of each row's first element is
// computed once, and the row's elements follow it contiguously.
//
//===----------------------------------------------------------------------===//

#include "Random.h"
#include "DType.h"

#include <cmath>

namespace tprt {

static const uint64_t golden = 0x9E3779B97F4A7C15ull;

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t tensorSeed(uint64_t seed, const std::string &name) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char c : name)
    hash = (hash ^ c) * 0x100000001B3ull;
  return mix64(seed ^ hash);
}

/// Calls `write(localIndex, randomBits)` for every element of the block at
/// `start` of `sizes` of a tensor of `shape`, in row-major block order.
template <typename Write>
static void
forEachBlockElement(uint64_t seed, const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &start,
                    const std::vector<int64_t> &sizes, Write write) {
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t count = 1;
  for (int64_t size : sizes)
    count *= size;
  if (count == 0)
    return;
  int64_t rowLength = rank ? sizes[rank - 1] : 1;
  std::vector<int64_t> index(rank, 0);
  for (int64_t row = 0; row < count / rowLength; ++row) {
    // Global flat index of the row's first element.
    uint64_t first = 0;
    for (int64_t d = 0; d < rank; ++d)
      first = first * shape[d] + start[d] + index[d];
    for (int64_t j = 0; j < rowLength; ++j)
      write(row * rowLength + j, mix64(seed + (first + j + 1) * golden));
    for (int64_t d = rank - 2; d >= 0 && ++index[d] == sizes[d]; --d)
      index[d] = 0;
  }
}

void fillRandomFloats(uint64_t seed, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &start,
                      const std::vector<int64_t> &sizes, float scale,
                      int32_t dtype, void *block) {
  forEachBlockElement(seed, shape, start, sizes, [&](int64_t i, uint64_t bits) {
    // 24 random bits are exact in a float.
    float value = scale * (float(bits >> 40) * 0x1p-23f - 1.0f);
    if (dtype == TPRT_F32)
      static_cast<float *>(block)[i] = value;
    else
      narrow(dtype, &value, static_cast<uint16_t *>(block) + i, 1);
  });
}

void fillRandomIntegers(uint64_t seed, const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &start,
                        const std::vector<int64_t> &sizes, int64_t bound,
                        int64_t *block) {
  forEachBlockElement(seed, shape, start, sizes, [&](int64_t i, uint64_t bits) {
    block[i] = static_cast<int64_t>(bits % bound);
  });
}

float parameterScale(const std::vector<int64_t> &shape) {
  if (shape.size() < 2 || shape.back() == 0)
    return 1.0f;
  return 1.0f / std::sqrt(static_cast<float>(shape.back()));
}

} // namespace tprt
