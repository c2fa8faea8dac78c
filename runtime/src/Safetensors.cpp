//===- Safetensors.cpp - safetensors reader and writer --------------------===//
//
// This file implements the safetensors reader (header validation, then
// pread of blocks) and writer. The header is checked completely before any
// tensor is handed out: no key appears twice, every tensor's dtype is known,
// its data_offsets hold exactly shape * dtype-size bytes, and the tensors
// tile the data section, so later reads need no checks beyond the block
// bounds. A file that shrinks while it is open is an error naming it: its
// reads come back short.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"
#include "DType.h"
#include "File.h"
#include "Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace tprt {

using nlohmann::json;

/// `[begin, end)`, a range of bytes in messages.
static std::string formatRange(int64_t begin, int64_t end) {
  std::string range = formatShape({begin, end});
  range.back() = ')';
  return range;
}

/// Reads a non-negative integer that fits int64_t out of `value`.
static bool getSize(const json &value, int64_t &out) {
  if (!value.is_number_unsigned() ||
      value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return false;
  out = static_cast<int64_t>(value.get<uint64_t>());
  return true;
}

/// Validates one tensor entry of the header and appends it to `tensors`.
static std::string parseTensor(const std::string &name, const json &entry,
                               int64_t dataStart, size_t dataBytes,
                               std::vector<StoredTensor> &tensors) {
  std::string what = "tensor '" + name + "': ";
  if (!entry.is_object())
    return what + "expected an object with dtype, shape and data_offsets";
  auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string())
    return what + "missing string field 'dtype'";
  int64_t elementBytes = dtypeBytes(dtype->get<std::string>());
  if (elementBytes == 0)
    return what + "unknown dtype '" + dtype->get<std::string>() + "'";
  auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array())
    return what + "missing array field 'shape'";
  StoredTensor tensor;
  tensor.name = name;
  tensor.dtype = dtype->get<std::string>();
  for (const json &dim : *shape) {
    int64_t size;
    if (!getSize(dim, size))
      return what + "shape " + shape->dump() +
             " must hold non-negative integers";
    tensor.shape.push_back(size);
  }
  auto offsets = entry.find("data_offsets");
  int64_t begin, end;
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !getSize((*offsets)[0], begin) || !getSize((*offsets)[1], end) ||
      begin > end)
    return what + "data_offsets must be [begin, end] with 0 <= begin <= end";
  std::string range = formatRange(begin, end);
  if (static_cast<uint64_t>(end) > dataBytes)
    return what + "data_offsets " + range + " lie outside the " +
           std::to_string(dataBytes) +
           " data bytes of the file (is it truncated?)";
  int64_t count = elementCount(tensor.shape), bytes;
  if (count < 0 || __builtin_mul_overflow(count, elementBytes, &bytes) ||
      bytes != end - begin)
    return what + "data_offsets " + range + " hold " +
           std::to_string(end - begin) + " bytes but shape " +
           formatShape(tensor.shape) + " of " + tensor.dtype + " needs " +
           (count < 0 ? std::string("more than 2^63")
                      : std::to_string(count * elementBytes));
  tensor.offset = dataStart + begin;
  tensors.push_back(std::move(tensor));
  return {};
}

/// Checks that `tensors` tile the `dataBytes` bytes of the data section at
/// file offset `dataStart` exactly, as the format requires: in offset order
/// each tensor starts where the one before it ended, the first at 0, and the
/// last ends the file. A hole or a spare byte is what a header edited without
/// its offsets or its length looks like; read on, every tensor would be off.
static std::string checkTiling(const std::vector<StoredTensor> &tensors,
                               int64_t dataStart, size_t dataBytes) {
  struct Span {
    int64_t begin, end;
    const std::string *name;
  };
  std::vector<Span> spans;
  for (const StoredTensor &tensor : tensors) {
    int64_t begin = tensor.offset - dataStart;
    spans.push_back(
        {begin, begin + elementCount(tensor.shape) * dtypeBytes(tensor.dtype),
         &tensor.name});
  }
  std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Span *previous = nullptr;
  int64_t end = 0;
  for (const Span &span : spans) {
    if (span.begin > end)
      return "bytes " + formatRange(end, span.begin) +
             " of the data section belong to no tensor (before tensor '" +
             *span.name + "')";
    if (span.begin < end)
      return "tensor '" + *span.name + "' at " +
             formatRange(span.begin, span.end) + " overlaps tensor '" +
             *previous->name + "' at " +
             formatRange(previous->begin, previous->end);
    end = span.end;
    previous = &span;
  }
  if (static_cast<size_t>(end) != dataBytes)
    return "the tensors end at byte " + std::to_string(end) +
           " of the data section but it holds " + std::to_string(dataBytes) +
           " bytes (is the header longer than its length says?)";
  return {};
}

std::string SafetensorsFile::parseHeader(int64_t dataStart, size_t dataBytes) {
  json header;
  std::string error = parseJson(headerText.data(), headerText.size(), header);
  if (!error.empty())
    return "malformed header: " + error;
  if (!header.is_object())
    return std::string("malformed header: expected a JSON object, got ") +
           header.type_name();
  // json objects iterate in key order, so the tensors end up sorted by name.
  for (const auto &[name, entry] : header.items()) {
    if (name != "__metadata__") {
      std::string error =
          parseTensor(name, entry, dataStart, dataBytes, entries);
      if (!error.empty())
        return error;
      continue;
    }
    if (!entry.is_object())
      return "malformed header: __metadata__ must map strings to strings";
    for (const auto &[key, value] : entry.items()) {
      if (!value.is_string())
        return "malformed header: __metadata__ value of '" + key +
               "' is not a string";
      meta[key] = value.get<std::string>();
    }
  }
  return checkTiling(entries, dataStart, dataBytes);
}

/// The largest header length the reference implementation reads: a larger
/// one is a damaged file, not a header worth reading.
static const uint64_t maxHeaderBytes = 100'000'000;

/// Reads and validates the header of the open file of `size` bytes.
std::string SafetensorsFile::readHeader(size_t size) {
  if (size < 8)
    return "truncated: " + std::to_string(size) +
           " bytes, fewer than the 8-byte header length";
  unsigned char length[8];
  if (readAt(fd, 0, length, 8) != 8)
    return "the file shrank while it was read";
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i)
    headerBytes = headerBytes << 8 | length[i];
  if (headerBytes > size - 8)
    return "truncated: the header length says " + std::to_string(headerBytes) +
           " bytes but only " + std::to_string(size - 8) + " follow it";
  if (headerBytes > maxHeaderBytes)
    return "the header length says " + std::to_string(headerBytes) +
           " bytes, more than the " + std::to_string(maxHeaderBytes) +
           " a safetensors header may have";
  headerText.resize(headerBytes);
  ssize_t got = readAt(fd, 8, headerText.data(), headerBytes);
  if (got < 0)
    return std::string("cannot read: ") + std::strerror(errno);
  if (static_cast<uint64_t>(got) != headerBytes)
    return "the file shrank while it was read";
  return parseHeader(static_cast<int64_t>(8 + headerBytes),
                     size - 8 - headerBytes);
}

std::string SafetensorsFile::open(const std::string &path,
                                  std::unique_ptr<SafetensorsFile> &file) {
  int fd;
  size_t size;
  std::string error = openRegularFile(path, fd, size);
  if (!error.empty())
    return error;
  std::unique_ptr<SafetensorsFile> result(new SafetensorsFile);
  result->filePath = path;
  result->fd = fd;
  result->fileBytes = size;
  error = result->readHeader(size);
  if (!error.empty())
    return path + ": " + error;
  file = std::move(result);
  return {};
}

SafetensorsFile::~SafetensorsFile() { ::close(fd); }

const StoredTensor *SafetensorsFile::find(const std::string &name) const {
  auto it =
      std::lower_bound(entries.begin(), entries.end(), name,
                       [](const StoredTensor &tensor, const std::string &key) {
                         return tensor.name < key;
                       });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

std::string SafetensorsFile::lookup(const std::string &name,
                                    const StoredTensor *&tensor) const {
  tensor = find(name);
  if (tensor)
    return {};
  return filePath + ": no tensor named '" + name + "' (the file holds " +
         std::to_string(entries.size()) + " tensors)";
}

/// Reads elements [first, first + count) of a block that fits `tensor` into
/// `out`, in the tensor's dtype.
std::string SafetensorsFile::readRuns(const StoredTensor &tensor,
                                      const std::vector<int64_t> &start,
                                      const std::vector<int64_t> &sizes,
                                      int64_t first, int64_t count,
                                      void *out) const {
  int64_t elementBytes = dtypeBytes(tensor.dtype);
  std::string error;
  forEachBlockRun(
      tensor.shape, start, sizes, first, count,
      [&](int64_t blockOffset, int64_t tensorOffset, int64_t length) {
        if (!error.empty())
          return;
        size_t bytes = static_cast<size_t>(length * elementBytes);
        ssize_t got = readAt(fd, tensor.offset + tensorOffset * elementBytes,
                             static_cast<char *>(out) +
                                 (blockOffset - first) * elementBytes,
                             bytes);
        if (got < 0)
          error = std::string("cannot read: ") + std::strerror(errno);
        else if (static_cast<size_t>(got) != bytes)
          error = "the file shrank while it was read";
      });
  return error;
}

/// The most elements readBlock converts at a time: 16 MiB of f32.
static const int64_t kConvertElements = int64_t(4) << 20;

std::string SafetensorsFile::readBlock(const StoredTensor &tensor,
                                       const std::vector<int64_t> &start,
                                       const std::vector<int64_t> &sizes,
                                       int64_t first, int64_t count,
                                       const std::string &dtype,
                                       void *out) const {
  std::string what = filePath + ": tensor '" + tensor.name + "'";
  bool fits = start.size() == tensor.shape.size() &&
              sizes.size() == tensor.shape.size();
  for (size_t i = 0; fits && i < sizes.size(); ++i)
    fits = start[i] >= 0 && sizes[i] >= 0 &&
           start[i] <= tensor.shape[i] - sizes[i];
  if (!fits)
    return what + " of shape " + formatShape(tensor.shape) +
           " has no block of sizes " + formatShape(sizes) + " at " +
           formatShape(start);
  if (first < 0 || count < 0 || first > elementCount(sizes) - count)
    return what + ": its block of sizes " + formatShape(sizes) +
           " has no elements " + formatRange(first, first + count);
  int32_t from = floatDType(tensor.dtype), to = floatDType(dtype);
  if (dtype != tensor.dtype && (from < 0 || to < 0))
    return what + " has dtype " + tensor.dtype +
           ", which does not convert to " + dtype;
  std::string error;
  if (dtype == tensor.dtype) {
    error = readRuns(tensor, start, sizes, first, count, out);
  } else {
    std::vector<char> stored;
    std::vector<float> values;
    for (int64_t done = 0; error.empty() && done < count;
         done += kConvertElements) {
      int64_t n = std::min(kConvertElements, count - done);
      stored.resize(n * floatDTypeBytes(from));
      values.resize(n);
      error = readRuns(tensor, start, sizes, first + done, n, stored.data());
      widen(from, stored.data(), values.data(), n);
      narrow(to, values.data(),
             static_cast<char *>(out) + done * floatDTypeBytes(to), n);
    }
  }
  return error.empty() ? error : what + ": " + error;
}

std::string SafetensorsFile::read(const StoredTensor &tensor, void *out) const {
  return readBlock(tensor, std::vector<int64_t>(tensor.shape.size(), 0),
                   tensor.shape, 0, elementCount(tensor.shape), tensor.dtype,
                   out);
}

/// Writes the header for `tensors` and then each tensor's bytes through
/// `writeData(i, out)`, which returns false when writing failed.
static std::string
writeFile(const std::string &path, const std::vector<TensorDesc> &tensors,
          const std::map<std::string, std::string> &metadata,
          const std::function<bool(size_t, FILE *, int64_t)> &writeData) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  std::vector<int64_t> sizes;
  int64_t offset = 0;
  for (const TensorDesc &tensor : tensors) {
    std::string what = path + ": tensor '" + tensor.name + "': ";
    if (tensor.name == "__metadata__" || header.contains(tensor.name))
      return what + "name is reserved or used twice";
    int64_t count = elementCount(tensor.shape);
    int64_t elementBytes = dtypeBytes(tensor.dtype), bytes;
    if (elementBytes == 0)
      return what + "unknown dtype '" + tensor.dtype + "'";
    if (count < 0 || __builtin_mul_overflow(count, elementBytes, &bytes))
      return what + "invalid shape " + formatShape(tensor.shape);
    header[tensor.name] = {{"dtype", tensor.dtype},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>(uint64_t(text.size()) >> (8 * i));
  return writeFileAtomically(path, [&](FILE *out) {
    bool ok = std::fwrite(length, 1, 8, out) == 8 &&
              std::fwrite(text.data(), 1, text.size(), out) == text.size();
    for (size_t i = 0; ok && i < tensors.size(); ++i)
      ok = writeData(i, out, sizes[i]);
    return ok;
  });
}

std::string
writeSafetensors(const std::string &path, const std::vector<TensorRef> &tensors,
                 const std::map<std::string, std::string> &metadata) {
  std::vector<TensorDesc> descs(tensors.begin(), tensors.end());
  return writeFile(path, descs, metadata,
                   [&](size_t i, FILE *out, int64_t bytes) {
                     return std::fwrite(tensors[i].data, 1, bytes, out) ==
                            static_cast<size_t>(bytes);
                   });
}

/// The most bytes of a tensor the streaming writer holds at once: enough
/// that each fwrite is large, small beside any tensor worth streaming.
static const int64_t fillChunkBytes = int64_t(32) << 20;

std::string
writeSafetensors(const std::string &path,
                 const std::vector<TensorDesc> &tensors, const TensorFill &fill,
                 const std::map<std::string, std::string> &metadata) {
  std::vector<char> chunk;
  return writeFile(
      path, tensors, metadata, [&](size_t i, FILE *out, int64_t bytes) {
        int64_t elementBytes = dtypeBytes(tensors[i].dtype);
        int64_t count = bytes / elementBytes;
        int64_t chunkCount = fillChunkBytes / elementBytes;
        for (int64_t first = 0; first < count; first += chunkCount) {
          chunk.resize(std::min(chunkCount, count - first) * elementBytes);
          fill(i, first, chunk.size() / elementBytes, chunk.data());
          if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size())
            return false;
        }
        return true;
      });
}

} // namespace tprt
