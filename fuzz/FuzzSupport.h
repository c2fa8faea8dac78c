//===- FuzzSupport.h - what the fuzz targets share --------------*- C++ -*-===//
//
// This file declares the helpers of the fuzz targets: an input as a file
// (the readers under test take paths, as users give them) and a model
// pipeline run that swallows diagnostics, since every error is an expected
// outcome of a malformed input; only crashes, hangs, leaks and sanitizer
// reports are findings.
//
//===----------------------------------------------------------------------===//

#ifndef TP_FUZZ_FUZZSUPPORT_H
#define TP_FUZZ_FUZZSUPPORT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace tp_fuzz {

/// The bytes of one input as an anonymous in-memory file (memfd), named by
/// a /proc path while the object lives.
class MemoryFile {
public:
  MemoryFile(const uint8_t *data, size_t size);
  ~MemoryFile();
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;

  const std::string &path() const { return filePath; }

private:
  int fd;
  std::string filePath;
};

} // namespace tp_fuzz

#endif // TP_FUZZ_FUZZSUPPORT_H
