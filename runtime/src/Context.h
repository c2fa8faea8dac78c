//===- Context.h - the per-rank runtime state -------------------*- C++ -*-===//
//
// This file defines `tprt_context`, the state behind every call of the C API
// on one rank: the MPI rank, the device mesh and this rank's coordinates on
// it, the communicators of the axis groups collectives run over, and scratch
// memory for packing, and the state of the backend's device (the cuda
// backend's stream, library handles and NCCL communicators). It also declares
// the runtime's error exit.
//
// Ranks map to mesh coordinates row-major (the last axis varies fastest), and
// within the group of an axis mask members are ordered row-major by their
// coordinates on the masked axes, the first axis outermost (tprt.h).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_CONTEXT_H
#define TPRT_SRC_CONTEXT_H

#include "tprt/tprt.h"

// OMPI_SKIP_MPICXX (set for every user of tprt_cpu by CMake) keeps OpenMPI's
// C++ bindings, which a model's link line does not carry, out of this.
#include <mpi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tprt {
/// What a backend keeps per rank beside the context (the cuda backend's
/// device state, the cpu backend's oneDNN state derive from this).
struct DeviceState {
  virtual ~DeviceState() = default;
};
} // namespace tprt

struct tprt_context {
  tprt_context() = default;
  tprt_context(const tprt_context &) = delete;
  tprt_context &operator=(const tprt_context &) = delete;
  /// Destroys the device state, then frees the communicators.
  ~tprt_context();

  /// This process in MPI_COMM_WORLD, and its index among the ranks of its
  /// node (which picks the GPU on the cuda backend), and the number of ranks
  /// on its node.
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
  /// The mesh, and this rank's coordinates on it. A default context is the
  /// single rank of a mesh without axes: every group has one member, so its
  /// kernels and collectives run without MPI (the kernel tests use that).
  std::vector<std::string> axisNames;
  std::vector<int64_t> axisSizes;
  std::vector<int64_t> coordinates;
  /// The communicator of each axis mask used so far.
  std::map<int64_t, MPI_Comm> groups;
  /// Packing buffers of the collectives, kept between calls so that each
  /// step does not page-fault fresh memory in.
  std::vector<char> scratch[2];
  /// The MPI requests of each async collective the cpu backend has started
  /// and not yet waited for, by request number (tprt_all_reduce_start).
  std::vector<std::vector<MPI_Request>> requests;
  /// The f32 copies the cpu backend computes f16 and bf16 calls on
  /// (cpu/Kernels.h), kept between calls for the same reason.
  std::vector<std::vector<float>> f32Copies;
  /// The number of the optimizer step the program runs now, counted from 1
  /// (tprt_step_number): set by main before each step of a training
  /// executable, continuing from a checkpoint's count under --resume.
  int64_t step = 1;
  /// The backend's device state, created by the backend on first use; null
  /// on the cpu backend.
  std::unique_ptr<tprt::DeviceState> device;
  /// The cpu backend's library state (oneDNN's engine and primitives),
  /// created on first use; apart from `device`, since the tests run both
  /// backends on one context.
  std::unique_ptr<tprt::DeviceState> cpuLibraries;
};

namespace tprt {

/// Creates the context of this rank on the mesh `axisNames` x `axisSizes`.
/// MPI must be initialised; a world size other than the mesh's rank count is
/// an error naming both.
std::unique_ptr<tprt_context>
createContext(const std::vector<std::string> &axisNames,
              const std::vector<int64_t> &axisSizes);

/// Creates the context of this process alone, on a mesh of the axes
/// `axisNames`, each of size 1, on the device `world` (this process's
/// context in the job) uses: every group has one member, so its collectives
/// involve no other rank, and the cuda backend's state made for it asks
/// nothing of the others. --verify runs the unsharded program on it.
std::unique_ptr<tprt_context>
createLocalContext(const tprt_context &world,
                   const std::vector<std::string> &axisNames);

/// Prints "tprt: error: <message>" (prefixed by the rank when there are
/// several) and ends the whole job with exit code 1, through MPI_Abort when
/// MPI is running so that no other rank waits forever. `ctx` may be null.
[[noreturn]] void fail(const tprt_context *ctx, const std::string &message);

/// How messages name a call: "tprt_linear 'layers.0.attention.wq'", or the
/// call alone without a layer.
std::string callName(const char *call, const char *layer);

/// A mesh as users write it: "dp:2,tp:4".
std::string formatMesh(const std::vector<std::string> &axisNames,
                       const std::vector<int64_t> &axisSizes);

/// The mesh coordinates of `rank`.
std::vector<int64_t> meshCoordinates(const tprt_context &ctx, int64_t rank);

/// Fails unless every bit of `axisMask` names a mesh axis; `call` and `layer`
/// name the call for the message.
void checkAxisMask(const tprt_context &ctx, const char *call, const char *layer,
                   int64_t axisMask);

/// The number of members of the groups of `axisMask`.
int64_t groupSize(const tprt_context &ctx, int64_t axisMask);

/// This rank's index within its group of `axisMask`.
int64_t groupIndex(const tprt_context &ctx, int64_t axisMask);

/// The communicator of this rank's group of `axisMask`, created on first use.
/// Creation is collective over all ranks: every rank must ask for masks in
/// the same order, which SPMD code does.
MPI_Comm groupComm(tprt_context &ctx, int64_t axisMask);

/// Scratch buffer `slot` (0 or 1) of at least `bytes` bytes.
char *scratch(tprt_context &ctx, int slot, size_t bytes);

} // namespace tprt

#endif // TPRT_SRC_CONTEXT_H
