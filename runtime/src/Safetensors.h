//===- Safetensors.h - safetensors reader and writer ------------*- C++ -*-===//
//
// This file declares the runtime's access to safetensors files, the format of
// Hugging Face and PyTorch checkpoints: 8 bytes of little-endian header
// length, a JSON header naming each tensor's dtype, shape and data_offsets
// (counted from the end of the header), an optional "__metadata__" map of
// strings, then the row-major little-endian data. The reader maps the file
// and validates the whole header up front, so that a rank can copy out just
// its slice of a tensor without reading the rest: as the format requires, no
// key appears twice and the tensors tile the data section exactly, which
// ends the file. The writer pads the header with spaces to a multiple of 8
// bytes, as the reference writer does, and writes through
// writeFileAtomically (File.h).
//
// Every failure is returned as a message naming the file (and the tensor),
// never by aborting: the same code serves the executables and the tools.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_SAFETENSORS_H
#define TPRT_SRC_SAFETENSORS_H

#include "Tensor.h"

#include <functional>
#include <map>
#include <memory>

namespace tprt {

/// A safetensors file mapped read-only; its tensors point into the mapping
/// and stay valid as long as the file object lives.
class SafetensorsFile {
public:
  /// Maps `path` and validates its header into `file`. Returns an empty
  /// string on success, else what is wrong with the file.
  [[nodiscard]] static std::string open(const std::string &path,
                                        std::unique_ptr<SafetensorsFile> &file);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::string &path() const { return filePath; }
  /// The size of the file in bytes.
  size_t size() const { return mappingBytes; }
  /// The header (the JSON text): what identifies a checkpoint without
  /// reading its tensors.
  const std::string &header() const { return headerText; }
  /// Every tensor, ordered by name.
  const std::vector<TensorRef> &tensors() const { return entries; }
  const std::map<std::string, std::string> &metadata() const { return meta; }

  /// The tensor called `name`, or null.
  const TensorRef *find(const std::string &name) const;
  /// Like find, but a missing tensor is an error naming the file.
  [[nodiscard]] std::string lookup(const std::string &name,
                                   const TensorRef *&tensor) const;

private:
  SafetensorsFile() = default;
  std::string readHeaderAndMap(int fd, size_t size);
  std::string parseHeader(const char *data, size_t dataBytes);

  std::string filePath;
  void *mapping = nullptr;
  size_t mappingBytes = 0;
  std::string headerText;
  std::vector<TensorRef> entries;
  std::map<std::string, std::string> meta;
};

/// Copies the block of `tensor` at `start` with `sizes` elements per dim into
/// the contiguous row-major `block`, touching no other part of the tensor.
/// Returns an empty string, or why the block does not fit the tensor or
/// could not be read (the mapped file shrank).
[[nodiscard]] std::string copyBlock(const TensorRef &tensor,
                                    const std::vector<int64_t> &start,
                                    const std::vector<int64_t> &sizes,
                                    void *block);

/// Writes `tensors` (with their bytes) to `path`, in the given order.
[[nodiscard]] std::string
writeSafetensors(const std::string &path, const std::vector<TensorRef> &tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// Asks for `count` elements of tensor `tensor`, from its (row-major) element
/// `first` on, into `bytes`.
using TensorFill = std::function<void(size_t tensor, int64_t first,
                                      int64_t count, char *bytes)>;

/// Writes the tensors described by `tensors`, asking `fill` for their bytes
/// a bounded chunk at a time, so that a tensor larger than memory can be
/// generated.
[[nodiscard]] std::string
writeSafetensors(const std::string &path,
                 const std::vector<TensorDesc> &tensors, const TensorFill &fill,
                 const std::map<std::string, std::string> &metadata = {});

} // namespace tprt

#endif // TPRT_SRC_SAFETENSORS_H
