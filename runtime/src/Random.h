//===- Random.h - deterministic tensors from a seed -------------*- C++ -*-===//
//
// This file declares the generator behind `--seed` inputs and
// `--random-weights`: a counter-based splitmix64, so that element i of a
// tensor is a pure function of (seed, tensor name, i). Every rank can then
// produce exactly its own block of the GLOBAL tensor without materialising
// the rest, and 1-rank and N-rank runs see the same numbers. The formulas are
// simple enough to reproduce in NumPy with uint64 arithmetic:
//
//   tensor seed  s = mix64(seed ^ fnv1a64(name))
//   element i    x = mix64(s + (i + 1) * 0x9E3779B97F4A7C15)
//   float        (x >> 40) * 2^-23 - 1            (uniform in [-1, 1))
//   integer      x % bound                        (uniform in [0, bound))
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_RANDOM_H
#define TPRT_SRC_RANDOM_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tprt {

/// splitmix64's output function.
uint64_t mix64(uint64_t x);

/// The 64-bit FNV-1a hash of `bytes` bytes at `data`: what tensorSeed makes
/// of a name, and what the ranks compare their files by.
uint64_t fnv1a64(const void *data, size_t bytes);

/// The seed of the tensor called `name`: independent of the order in which
/// tensors are generated.
uint64_t tensorSeed(uint64_t seed, const std::string &name);

/// Writes `scale` times the floats of elements [first, first + count) of the
/// (flattened, row-major) random tensor of seed `seed` to `out`, rounded to
/// `dtype` (a tprt_dtype): the f16 and bf16 tensors of a seed are its f32
/// tensor rounded. A tensor written a chunk at a time holds exactly what it
/// holds written at once.
void fillRandomFloatElements(uint64_t seed, int64_t first, int64_t count,
                             float scale, int32_t dtype, void *out);

/// Like fillRandomFloatElements, for the block at `start` of `sizes` of the
/// random tensor of global `shape`, into the row-major `block`.
void fillRandomFloats(uint64_t seed, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &start,
                      const std::vector<int64_t> &sizes, float scale,
                      int32_t dtype, void *block);

/// Like fillRandomFloats, for elements [first, first + count) of the block
/// only, into `out`: what a bounded staging buffer holds at a time.
void fillRandomBlockFloats(uint64_t seed, const std::vector<int64_t> &shape,
                           const std::vector<int64_t> &start,
                           const std::vector<int64_t> &sizes, int64_t first,
                           int64_t count, float scale, int32_t dtype,
                           void *out);

/// Like fillRandomFloats, for integers in [0, bound).
void fillRandomIntegers(uint64_t seed, const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &start,
                        const std::vector<int64_t> &sizes, int64_t bound,
                        int64_t *block);

/// The scale of random parameters: 1/sqrt(last dim) for matrices, like the
/// bound of nn.Linear's default initialisation, so activations stay O(1)
/// through deep models; 1 for vectors (norm weights, biases).
float parameterScale(const std::vector<int64_t> &shape);

} // namespace tprt

#endif // TPRT_SRC_RANDOM_H
