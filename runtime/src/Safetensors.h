//===- Safetensors.h - safetensors reader and writer ------------*- C++ -*-===//
//
// This file declares the runtime's access to safetensors files, the format of
// Hugging Face and PyTorch checkpoints: 8 bytes of little-endian header
// length, a JSON header naming each tensor's dtype, shape and data_offsets
// (counted from the end of the header), an optional "__metadata__" map of
// strings, then the row-major little-endian data. The reader validates the
// whole header up front and then reads tensors with pread, a block at a
// time, so that a rank reads exactly its slice of a tensor into memory it
// owns: nothing of the file is mapped, whose touched pages would count
// towards the rank's memory. As the format requires, no key appears twice
// and the tensors tile the data section exactly, which ends the file. The
// writer pads the header with spaces to a multiple of 8 bytes, as the
// reference writer does, and writes through writeFileAtomically (File.h).
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

/// A tensor of a safetensors file, and where its bytes lie in the file.
struct StoredTensor : TensorDesc {
  /// The offset of its first byte from the start of the file.
  int64_t offset = 0;
};

/// A safetensors file open for reading, its header validated.
class SafetensorsFile {
public:
  /// Opens `path` and validates its header into `file`. Returns an empty
  /// string on success, else what is wrong with the file.
  [[nodiscard]] static std::string open(const std::string &path,
                                        std::unique_ptr<SafetensorsFile> &file);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::string &path() const { return filePath; }
  /// The size of the file in bytes, when it was opened.
  size_t size() const { return fileBytes; }
  /// The header (the JSON text): what identifies a checkpoint without
  /// reading its tensors.
  const std::string &header() const { return headerText; }
  /// Every tensor, ordered by name.
  const std::vector<StoredTensor> &tensors() const { return entries; }
  const std::map<std::string, std::string> &metadata() const { return meta; }

  /// The tensor called `name`, or null.
  const StoredTensor *find(const std::string &name) const;
  /// Like find, but a missing tensor is an error naming the file.
  [[nodiscard]] std::string lookup(const std::string &name,
                                   const StoredTensor *&tensor) const;

  /// Reads elements [first, first + count) of the row-major block at `start`
  /// of `sizes` of `tensor`, one of this file's, into `out` as `dtype`: one
  /// read per run of the block contiguous in the file (forEachBlockRun), and
  /// nothing else. A tensor of another float dtype (F32, F16, BF16) is
  /// converted through two buffers of at most 16 MiB, rounded to nearest
  /// even. Returns an empty string, or why the block does not fit the
  /// tensor, does not convert, or could not be read (an I/O error, or a file
  /// that shrank since it was opened), naming the file and the tensor.
  [[nodiscard]] std::string
  readBlock(const StoredTensor &tensor, const std::vector<int64_t> &start,
            const std::vector<int64_t> &sizes, int64_t first, int64_t count,
            const std::string &dtype, void *out) const;
  /// Reads the whole of `tensor` into `out`, in its own dtype.
  [[nodiscard]] std::string read(const StoredTensor &tensor, void *out) const;

private:
  SafetensorsFile() = default;
  std::string readHeader(size_t size);
  std::string parseHeader(int64_t dataStart, size_t dataBytes);
  std::string readRuns(const StoredTensor &tensor,
                       const std::vector<int64_t> &start,
                       const std::vector<int64_t> &sizes, int64_t first,
                       int64_t count, void *out) const;

  std::string filePath;
  int fd = -1;
  size_t fileBytes = 0;
  std::string headerText;
  std::vector<StoredTensor> entries;
  std::map<std::string, std::string> meta;
};

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
