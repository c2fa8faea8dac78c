//===- Backend.h - what the C API and main need from a backend --*- C++ -*-===//
//
// This file declares the interface between the backend-independent runtime
// (the C API of src/Api.cpp and `main` of Main.cpp) and the backend a model
// is linked with: the backends' kernels, one per entry of tprt_calls.def, and
// a table holding them with where the arena and the parameters live and how
// host data gets there and back. The cpu backend keeps them in host memory;
// the cuda backend in device memory, which main fills and reads through
// copies. A backend is chosen at link time: a model links tprt_main with
// tprt_cpu or with tprt_cuda, each of which defines `backend()`.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_BACKEND_H
#define TPRT_SRC_BACKEND_H

#include "Context.h"

#include <cstdint>

namespace tprt {

// Each backend's kernels, named as the entries of tprt_calls.def (cpu::linear,
// cuda::linear, ...), with the arguments of the C API's tprt_<name>. The cpu
// backend's are host code on host memory (cpu/); the cuda backend's take
// device memory (cuda/), and are defined only where it is built.
#define TPRT_ARG(type, name) , type name
#define TPRT_CALL(ret, name, args)                                             \
  ret name(tprt_context *ctx, const char *layer args);
namespace cpu {
#include "tprt/tprt_calls.def"
} // namespace cpu
namespace cuda {
#include "tprt/tprt_calls.def"
} // namespace cuda
#undef TPRT_CALL

/// A backend's kernels: a pointer per entry of tprt_calls.def, named as the
/// entry, which the C API's tprt_<name> forwards to.
struct Kernels {
#define TPRT_CALL(ret, name, args)                                             \
  ret (*name)(tprt_context * ctx, const char *layer args);
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
};
#undef TPRT_ARG

namespace cpu {
/// The cpu backend's kernels, in its table and the tests'.
extern const Kernels kernels;

/// Replaces the `count` values of `type` at `values`, in host memory, by
/// their `op` (MPI_MAX, MPI_SUM) across this rank's group of `axisMask`, over
/// MPI; nothing where the group has one member. The reductions of
/// tprt_cross_entropy and its backward where their classes are split, which
/// the cuda backend runs on host copies where ranks share a GPU
/// (cpu/Collectives.cpp, in both backends). `call` and `layer` name the call
/// in messages.
void allReduceInPlace(tprt_context *ctx, const char *call, const char *layer,
                      void *values, int64_t count, MPI_Datatype type, MPI_Op op,
                      int64_t axisMask);
} // namespace cpu
namespace cuda {
/// The cuda backend's kernels, in its table and the tests'.
extern const Kernels kernels;
} // namespace cuda

/// A table of the backend's kernels and memory functions. "Device memory" is
/// memory the kernels take: host memory on the cpu backend. Failures end the
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
  /// The kernels, on device memory.
  const Kernels &kernels;
};

/// The backend this executable was linked with.
const Backend &backend();

} // namespace tprt

#endif // TPRT_SRC_BACKEND_H
