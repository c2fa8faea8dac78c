//===- FuzzSupport.cpp - what the fuzz targets share ----------------------===//
//
// This file implements the in-memory input files of the fuzz targets.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

using namespace tp_fuzz;

MemoryFile::MemoryFile(const uint8_t *data, size_t size)
    : fd(memfd_create("tp-fuzz-input", MFD_CLOEXEC)) {
  // A harness that cannot make its input is broken, not the code under test.
  if (fd < 0)
    std::abort();
  for (size_t written = 0; written < size;) {
    ssize_t n = write(fd, data + written, size - written);
    if (n <= 0)
      std::abort();
    written += static_cast<size_t>(n);
  }
  filePath = "/proc/self/fd/" + std::to_string(fd);
}

MemoryFile::~MemoryFile() { close(fd); }
