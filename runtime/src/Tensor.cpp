//===- Tensor.cpp - dtypes, shapes and block copies -----------------------===//
//
// This file implements the dtype table, shape arithmetic and the strided copy
// every slice, gather and transpose of the runtime goes through.
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace tprt {

int64_t dtypeBytes(const std::string &dtype) {
  static const std::map<std::string, int64_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"U16", 2},  {"I16", 2}, {"F16", 2}, {"BF16", 2},    {"U32", 4},
      {"I32", 4},  {"F32", 4}, {"U64", 8}, {"I64", 8},     {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (dim < 0 || __builtin_mul_overflow(count, dim, &count))
      return -1;
  return count;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape,
                                     int64_t elementBytes) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = elementBytes;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/// Copies `count` elements of `sizeof(T)` bytes with the given byte strides;
/// memcpy keeps unaligned elements (safetensors data need not be aligned)
/// legal and compiles to plain loads and stores.
template <typename T>
static void copyElements(const char *src, int64_t srcStride, char *dst,
                         int64_t dstStride, int64_t count) {
  for (int64_t i = 0; i < count; ++i, src += srcStride, dst += dstStride)
    std::memcpy(dst, src, sizeof(T));
}

/// Copies one row of `count` runs of `runBytes` bytes each.
static void copyRow(const char *src, int64_t srcStride, char *dst,
                    int64_t dstStride, int64_t count, int64_t runBytes) {
  switch (runBytes) {
  case 4:
    return copyElements<uint32_t>(src, srcStride, dst, dstStride, count);
  case 8:
    return copyElements<uint64_t>(src, srcStride, dst, dstStride, count);
  default:
    for (int64_t i = 0; i < count; ++i, src += srcStride, dst += dstStride)
      std::memcpy(dst, src, runBytes);
  }
}

void copyStrided(const char *src, const int64_t *srcStrides, char *dst,
                 const int64_t *dstStrides, const int64_t *sizes, int64_t rank,
                 int64_t elementBytes) {
  // Drop dims of size 1 and merge neighbours that are contiguous in both
  // source and destination, so the inner loops run as long as possible.
  std::vector<int64_t> size, srcStride, dstStride;
  for (int64_t i = 0; i < rank; ++i) {
    if (sizes[i] == 0)
      return;
    if (sizes[i] == 1)
      continue;
    if (!size.empty() && srcStride.back() == sizes[i] * srcStrides[i] &&
        dstStride.back() == sizes[i] * dstStrides[i]) {
      size.back() *= sizes[i];
      srcStride.back() = srcStrides[i];
      dstStride.back() = dstStrides[i];
      continue;
    }
    size.push_back(sizes[i]);
    srcStride.push_back(srcStrides[i]);
    dstStride.push_back(dstStrides[i]);
  }
  int64_t runBytes = elementBytes;
  if (!size.empty() && srcStride.back() == elementBytes &&
      dstStride.back() == elementBytes) {
    runBytes *= size.back();
    size.pop_back();
    srcStride.pop_back();
    dstStride.pop_back();
  }
  if (size.empty()) {
    std::memcpy(dst, src, runBytes);
    return;
  }

  // The last dim is copied by rows. When it strides through the source while
  // another dim runs contiguously there (a transpose), both are copied in
  // square tiles instead, so that every source cache line fetched is used
  // up before it is evicted.
  int64_t last = static_cast<int64_t>(size.size()) - 1, tiled = -1;
  for (int64_t d = 0; d < last && runBytes == elementBytes; ++d)
    if (srcStride[d] == elementBytes)
      tiled = d;
  auto copyInner = [&](const char *from, char *to) {
    if (tiled < 0)
      return copyRow(from, srcStride[last], to, dstStride[last], size[last],
                     runBytes);
    const int64_t tile = 16;
    for (int64_t i = 0; i < size[tiled]; i += tile)
      for (int64_t j = 0; j < size[last]; j += tile)
        for (int64_t k = i; k < std::min(i + tile, size[tiled]); ++k)
          copyRow(from + k * srcStride[tiled] + j * srcStride[last],
                  srcStride[last],
                  to + k * dstStride[tiled] + j * dstStride[last],
                  dstStride[last], std::min(tile, size[last] - j), runBytes);
  };

  // The remaining dims advance an odometer.
  std::vector<int64_t> outer;
  for (int64_t d = 0; d < last; ++d)
    if (d != tiled)
      outer.push_back(d);
  std::vector<int64_t> index(outer.size(), 0);
  while (true) {
    copyInner(src, dst);
    int64_t i = static_cast<int64_t>(outer.size()) - 1;
    for (; i >= 0; --i) {
      int64_t d = outer[i];
      src += srcStride[d];
      dst += dstStride[d];
      if (++index[i] < size[d])
        break;
      src -= srcStride[d] * size[d];
      dst -= dstStride[d] * size[d];
      index[i] = 0;
    }
    if (i < 0)
      return;
  }
}

/// The byte offset of `start` in a tensor of byte `strides`.
static int64_t offsetOf(const std::vector<int64_t> &start,
                        const std::vector<int64_t> &strides) {
  int64_t offset = 0;
  for (size_t i = 0; i < start.size(); ++i)
    offset += start[i] * strides[i];
  return offset;
}

void extractBlock(const void *tensor, const std::vector<int64_t> &shape,
                  int64_t elementBytes, const std::vector<int64_t> &start,
                  const std::vector<int64_t> &sizes, void *block) {
  std::vector<int64_t> tensorStrides = rowMajorStrides(shape, elementBytes);
  std::vector<int64_t> blockStrides = rowMajorStrides(sizes, elementBytes);
  copyStrided(
      static_cast<const char *>(tensor) + offsetOf(start, tensorStrides),
      tensorStrides.data(), static_cast<char *>(block), blockStrides.data(),
      sizes.data(), static_cast<int64_t>(sizes.size()), elementBytes);
}

void forEachBlockRun(
    const std::vector<int64_t> &shape, const std::vector<int64_t> &start,
    const std::vector<int64_t> &sizes, int64_t first, int64_t count,
    const std::function<void(int64_t, int64_t, int64_t)> &run) {
  if (count <= 0)
    return;
  // Dims `inner` on form one run: those after it the block spans whole.
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t inner = rank ? rank - 1 : 0;
  while (inner > 0 && sizes[inner] == shape[inner])
    --inner;
  std::vector<int64_t> strides = rowMajorStrides(shape, 1);
  int64_t runLength = 1;
  for (int64_t d = inner; d < rank; ++d)
    runLength *= sizes[d];
  // The outer index of the run holding element `first`, then its offset.
  std::vector<int64_t> index(inner);
  for (int64_t d = inner - 1, runs = first / runLength; d >= 0; --d) {
    index[d] = runs % sizes[d];
    runs /= sizes[d];
  }
  int64_t within = first % runLength;
  for (int64_t done = 0; done < count;) {
    int64_t tensorOffset = rank ? start[inner] * strides[inner] : 0;
    for (int64_t d = 0; d < inner; ++d)
      tensorOffset += (start[d] + index[d]) * strides[d];
    int64_t length = std::min(runLength - within, count - done);
    run(first + done, tensorOffset + within, length);
    done += length;
    within = 0;
    for (int64_t d = inner - 1; d >= 0 && ++index[d] == sizes[d]; --d)
      index[d] = 0;
  }
}

void insertBlock(const void *block, const std::vector<int64_t> &shape,
                 int64_t elementBytes, const std::vector<int64_t> &start,
                 const std::vector<int64_t> &sizes, void *tensor) {
  std::vector<int64_t> tensorStrides = rowMajorStrides(shape, elementBytes);
  std::vector<int64_t> blockStrides = rowMajorStrides(sizes, elementBytes);
  copyStrided(static_cast<const char *>(block), blockStrides.data(),
              static_cast<char *>(tensor) + offsetOf(start, tensorStrides),
              tensorStrides.data(), sizes.data(),
              static_cast<int64_t>(sizes.size()), elementBytes);
}

} // namespace tprt
