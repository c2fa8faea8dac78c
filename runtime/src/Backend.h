//===- Backend.h - what main needs from a backend ---------------*- C++ -*-===//
//
// This file declares the small interface between the runtime's `main`
// (Main.cpp) and the backend a model is linked with: where the arena and the
// parameters live, and how host data gets there and back. The cpu backend
// keeps them in host memory; the cuda backend in device memory, which main
// fills and reads through copies. A backend is chosen at link time: a model
// links tprt_main with tprt_cpu or with tprt_cuda, each of which defines
// `backend()`.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_BACKEND_H
#define TPRT_SRC_BACKEND_H

#include "Context.h"

#include <cstdint>

namespace tprt {

/// A table of the backend's memory functions. "Device memory" is memory the
/// kernels of tprt.h take: host memory on the cpu backend. Failures end the
/// job through `fail`, naming the call.
struct Backend {
  /// "cpu" or "cuda", for messages.
  const char *name;
  /// Whether device memory is host memory, which main then reads and writes
  /// in place instead of through copies.
  bool hostMemory;
  /// Binds this rank to its device (the cuda backend picks the GPU from
  /// ctx.localRank) and creates the backend's per-rank state. Called once,
  /// right after createContext.
  void (*initialize)(tprt_context &ctx);
  /// `bytes` of zeroed device memory, aligned to at least 64 bytes and never
  /// null (even for 0 bytes); `what` names the buffer in messages.
  char *(*allocate)(tprt_context &ctx, int64_t bytes, const char *what);
  /// Frees what `allocate` returned.
  void (*release)(tprt_context &ctx, char *memory);
  /// `bytes` of host memory that copies to and from the device are fastest
  /// from (pinned on cuda), never null; freed by releaseHost.
  char *(*allocateHost)(tprt_context &ctx, int64_t bytes);
  void (*releaseHost)(tprt_context &ctx, char *memory);
  /// Copies between host memory and device memory. Both return once the
  /// copy is done, after all work issued before it on this rank.
  void (*copyToDevice)(tprt_context &ctx, char *device, const void *host,
                       int64_t bytes);
  void (*copyToHost)(tprt_context &ctx, void *host, const char *device,
                     int64_t bytes);
  /// Waits until all work issued on this rank is done (a forward step runs
  /// asynchronously on the cuda backend).
  void (*synchronize)(tprt_context &ctx);
};

/// The backend this executable was linked with.
const Backend &backend();

} // namespace tprt

#endif // TPRT_SRC_BACKEND_H
