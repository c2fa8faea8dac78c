//===- Tensor.h - dtypes, shapes and block copies ---------------*- C++ -*-===//
//
// This file declares what the runtime's readers, writers and kernels share
// about dense row-major tensors: the element types by their safetensors names
// ("F32", "I64", ...), shape arithmetic, and strided copies of rectangular
// blocks, the operation behind loading one rank's slice of a global tensor
// and assembling a global tensor from every rank's block.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_TENSOR_H
#define TPRT_SRC_TENSOR_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tprt {

/// A tensor's name, element type (a safetensors dtype name) and shape.
struct TensorDesc {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

/// A tensor whose bytes are in memory: row-major, little-endian.
struct TensorRef : TensorDesc {
  const char *data = nullptr;
};

/// The byte size of one element of `dtype` (safetensors names: F32, F16,
/// BF16, F64, I8...I64, U8...U64, BOOL, F8_E4M3, F8_E5M2), or 0 when the name
/// is unknown.
int64_t dtypeBytes(const std::string &dtype);

/// The number of elements of `shape`, or -1 when a dim is negative or the
/// product overflows int64_t.
int64_t elementCount(const std::vector<int64_t> &shape);

/// `shape` as users read it in messages: "[8192, 4096]".
std::string formatShape(const std::vector<int64_t> &shape);

/// The byte strides of a row-major tensor of `shape`.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape,
                                     int64_t elementBytes);

/// Copies a box of `sizes` elements of `elementBytes` bytes each, dim i
/// advancing `src` by srcStrides[i] bytes and `dst` by dstStrides[i] bytes.
void copyStrided(const char *src, const int64_t *srcStrides, char *dst,
                 const int64_t *dstStrides, const int64_t *sizes, int64_t rank,
                 int64_t elementBytes);

/// Copies the block at `start` of `sizes` out of a row-major tensor of
/// `shape` into the contiguous row-major `block`. Bounds are the caller's to
/// check.
void extractBlock(const void *tensor, const std::vector<int64_t> &shape,
                  int64_t elementBytes, const std::vector<int64_t> &start,
                  const std::vector<int64_t> &sizes, void *block);

/// Calls `run(blockOffset, tensorOffset, length)`, in order, for each run of
/// elements [first, first + count) of the row-major block at `start` of
/// `sizes` of a row-major tensor of `shape` that is contiguous in the tensor:
/// its `length` elements are those from `blockOffset` on of the block and
/// from `tensorOffset` on of the flattened tensor. Runs adjacent in the
/// tensor are merged: a block of whole rows is one run, a column slice of an
/// [N, K] matrix N runs. Bounds are the caller's to check.
void forEachBlockRun(
    const std::vector<int64_t> &shape, const std::vector<int64_t> &start,
    const std::vector<int64_t> &sizes, int64_t first, int64_t count,
    const std::function<void(int64_t blockOffset, int64_t tensorOffset,
                             int64_t length)> &run);

/// The inverse of extractBlock: writes the contiguous `block` into `tensor`
/// at `start`, leaving the rest of `tensor` untouched.
void insertBlock(const void *block, const std::vector<int64_t> &shape,
                 int64_t elementBytes, const std::vector<int64_t> &start,
                 const std::vector<int64_t> &sizes, void *tensor);

} // namespace tprt

#endif // TPRT_SRC_TENSOR_H
