//===- Backend.cpp - the cpu backend's table ------------------------------===//
//
// This file implements the backend table of the cpu backend: its kernels,
// one per entry of tprt_calls.def, and its memory functions, where device
// memory is zeroed, 64-byte aligned host memory, and copies are memcpy.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace tprt;

static void initialize(tprt_context &) {}

/// Zeroing touches every page up front, so steps do not page-fault and the
/// RSS reported by --bench includes the buffer.
static char *allocate(tprt_context &ctx, int64_t bytes, const char *what) {
  // aligned_alloc wants a multiple of the alignment, and never 0 here.
  size_t rounded = std::max<size_t>(64, (size_t(bytes) + 63) / 64 * 64);
  auto *data = static_cast<char *>(std::aligned_alloc(64, rounded));
  if (!data)
    fail(&ctx,
         "cannot allocate " + std::to_string(bytes) + " bytes for " + what);
  std::memset(data, 0, rounded);
  return data;
}

static void release(tprt_context &, char *memory) { std::free(memory); }

static char *allocateHost(tprt_context &ctx, int64_t bytes) {
  return allocate(ctx, bytes, "a staging buffer");
}

static void copyToDevice(tprt_context &, char *device, const void *host,
                         int64_t bytes) {
  std::memcpy(device, host, bytes);
}

static void copyToHost(tprt_context &, void *host, const char *device,
                       int64_t bytes) {
  std::memcpy(host, device, bytes);
}

static void synchronize(tprt_context &) {}

const Kernels tprt::cpu::kernels = {
#define TPRT_CALL(ret, name, args) cpu::name,
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
};

const Backend &tprt::backend() {
  static const Backend table = {
      "cpu",        // name
      true,         // hostMemory
      initialize,   // initialize
      allocate,     // allocate
      release,      // release
      allocateHost, // allocateHost
      release,      // releaseHost
      copyToDevice, // copyToDevice
      copyToHost,   // copyToHost
      synchronize,  // synchronize
      cpu::kernels, // kernels
  };
  return table;
}
