//===- Cuda.h - the cuda backend --------------------------------*- C++ -*-===//
//
// This file declares what the op families of the cuda backend share on the
// host: its per-rank state (the GPU, one stream, the cuBLAS and cuBLASLt
// handles and the cuBLASLt plans of biased linears, an NCCL communicator per
// axis mask, scratch and staging buffers), the checks that turn CUDA, cuBLAS
// and NCCL errors into messages naming the call and the layer, the deferred
// index checks, and the memory functions of the backend table (State.cu).
// The kernels, cuda::linear ... on device pointers, are declared with the cpu
// backend's from tprt_calls.def (Backend.h, included here) and defined by
// family, as the cpu ones: Linear.cu, Elementwise.cu, Normalization.cu,
// Attention.cu, Optimizer.cu, Collectives.cpp. Backend.cpp puts them in the
// table main and the C API use; the tests call them next to the cpu backend's
// in one binary, to compare them.
//
// Every call is issued on the rank's stream and returns without waiting,
// except where the host needs a result: the MPI fallback of the collectives
// and the copies of the backend table. Errors found by a kernel (ids or
// labels out of range) are read when the step is waited for.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CUDA_CUDA_H
#define TPRT_CUDA_CUDA_H

#include "Backend.h"
#include "Checks.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <array>
#include <cstddef>
#include <map>
#include <tuple>
#include <vector>

namespace tprt {
namespace cuda {

/// The workspace cuBLASLt may use: NVIDIA's recommendation for Hopper (more
/// than the 4 MiB it recommends for earlier GPUs).
constexpr size_t kBlasLtWorkspaceBytes = size_t(32) << 20;

/// What a cuBLASLt plan of tprt_linear with a bias depends on: the dtype,
/// the shape and the alignment of each pointer (x, w, bias, y: the largest
/// power of two up to 256 that divides the address), since the algorithm
/// cuBLASLt picks may need the alignment it was picked for.
struct BiasLinearKey {
  int32_t dtype;
  int m, n, k;
  std::array<uint32_t, 4> alignments;
  bool operator<(const BiasLinearKey &other) const {
    return std::tie(dtype, m, n, k, alignments) <
           std::tie(other.dtype, other.m, other.n, other.k, other.alignments);
  }
};

/// A linear with a bias as one cuBLASLt matmul whose epilogue adds the bias:
/// its descriptors and the algorithm of cuBLASLt's heuristic, built on the
/// first call of its key so that a step only sets the bias pointer.
struct BiasLinearPlan {
  cublasLtMatmulDesc_t operation = nullptr;
  cublasLtMatrixLayout_t weight = nullptr, input = nullptr, output = nullptr;
  /// False where cuBLASLt has no algorithm for the case: the linear then
  /// runs as a GEMM accumulating onto rows filled with the bias.
  bool found = false;
  cublasLtMatmulAlgo_t algorithm;
};

/// The state of one rank on its GPU.
struct State : DeviceState {
  State() = default;
  State(const State &) = delete;
  State &operator=(const State &) = delete;
  /// Waits for the stream, then frees everything below.
  ~State() override;

  /// The GPU of this rank (its local rank modulo the visible GPUs), and how
  /// many GPUs this process sees.
  int device = -1;
  int deviceCount = 0;
  /// Whether collectives go through NCCL. False where ranks share a GPU
  /// (NCCL refuses two ranks on one GPU): collectives then run on MPI over
  /// pinned host copies (Debian's OpenMPI is not CUDA-aware).
  bool nccl = true;
  cudaStream_t stream = nullptr;
  /// Where every NCCL call of the rank runs (Collectives.cpp), so that the
  /// calls on a communicator run in the order issued while an async sum
  /// overlaps the compute stream's work; the events that order the two
  /// streams; and the completion event of each async collective by its
  /// request number, created on first use.
  cudaStream_t commStream = nullptr;
  cudaEvent_t computeIssued = nullptr, commIssued = nullptr;
  std::vector<cudaEvent_t> requestDone;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t blasLt = nullptr;
  /// cuBLASLt's workspace (kBlasLtWorkspaceBytes), allocated with the first
  /// plan, and the plans.
  void *blasLtWorkspace = nullptr;
  std::map<BiasLinearKey, BiasLinearPlan> biasLinearPlans;
  /// The NCCL communicator of each axis mask used so far.
  std::map<int64_t, ncclComm_t> comms;
  /// Device scratch (packing for collectives, per-position losses) and
  /// pinned host buffers (the MPI fallback), grown on demand.
  void *scratch[2] = {nullptr, nullptr};
  size_t scratchBytes[2] = {0, 0};
  void *staging[2] = {nullptr, nullptr};
  size_t stagingBytes[2] = {0, 0};
  /// Where kernels that validate their input (embedding ids, labels) leave
  /// the first bad position and the value there, a slot of two words per
  /// kernel (all ones when there is none), and what each used slot checks.
  /// Reading a slot waits for the stream, so the slots are read when the
  /// step is waited for (checkIndices), not after each kernel; the value is
  /// kept because its buffer may be reused by then.
  unsigned long long *badIndices = nullptr;
  struct IndexCheck {
    const char *call, *layer, *what;
    int64_t bound;
  };
  std::vector<IndexCheck> indexChecks;
};

/// The slots of State::badIndices: index checks a step may hold before the
/// next one waits for the stream to read them.
constexpr size_t kIndexCheckSlots = 64;

/// Creates the cuda state of `ctx` unless it exists: picks GPU
/// ctx.localRank modulo the visible GPUs, decides between NCCL and the MPI
/// fallback (whether any two ranks of the job got the same GPU, by UUID; a
/// lone process compares ctx.localSize with the GPU count), creates the
/// stream and the cuBLAS and cuBLASLt handles. Collective over the context's
/// ranks when it has several. Fails with a message where no GPU is usable.
void initialize(tprt_context &ctx);

/// The cuda state of `ctx`, created on first use (a default context, as the
/// kernel tests use, gets GPU 0).
State &state(tprt_context *ctx);

/// Fail unless the result is a success, with "<call> '<layer>': <api>
/// failed: <error name> (<error text>)". `layer` may be null.
void check(const tprt_context *ctx, cudaError_t error, const char *call,
           const char *layer, const char *api);
void checkBlas(const tprt_context *ctx, cublasStatus_t status, const char *call,
               const char *layer, const char *api);
void checkNccl(const tprt_context *ctx, ncclResult_t result, ncclComm_t comm,
               const char *call, const char *layer, const char *api);

/// The slot where a kernel about to check that values lie in [0, bound)
/// leaves the first position of one that does not; `what` names a value
/// ("id") in the message of checkIndices. Where every slot is taken, waits
/// for the stream and checks them first.
unsigned long long *deferIndexCheck(tprt_context *ctx, State &s,
                                    const char *call, const char *layer,
                                    const char *what, int64_t bound);

/// After the kernel that filled `slot`: keeps the bad value, if any, in it.
void keepBadValue(tprt_context *ctx, State &s, const char *call,
                  const char *layer, const int64_t *values,
                  unsigned long long *slot);

/// After the stream is drained: fails on the first deferred index check that
/// found a bad value, naming its call, layer, value and position; else frees
/// the slots.
void checkIndices(tprt_context *ctx, State &s);

/// Waits for the rank's stream to finish. While it waits it polls every NCCL
/// communicator for an asynchronous error (a peer that died, a network
/// failure) and aborts the job on one, so that a failing rank never leaves
/// the others spinning.
void waitForStream(const tprt_context *ctx, State &s, const char *call,
                   const char *layer, const char *api);

/// Replaces the `count` values of `type` (ncclFloat32 or ncclFloat64) at
/// `values`, in device memory, by their `op` (ncclMax or ncclSum) across this
/// rank's group of `axisMask`, on the stream: over NCCL, or where ranks share
/// a GPU over MPI on a pinned host copy (cpu::allReduceInPlace); nothing where
/// the group has one member. The reductions of tprt_cross_entropy and its
/// backward where their classes are split (cuda/Collectives.cpp).
void allReduceInPlace(tprt_context *ctx, State &s, const char *call,
                      const char *layer, void *values, int64_t count,
                      ncclDataType_t type, ncclRedOp_t op, int64_t axisMask);

/// Device scratch buffer `slot` (0 or 1) of at least `bytes` bytes.
void *deviceScratch(tprt_context *ctx, int slot, size_t bytes);
/// Pinned host buffer `slot` (0 or 1) of at least `bytes` bytes.
void *hostStaging(tprt_context *ctx, int slot, size_t bytes);

/// Fails unless `blocks` (one per row, position...) is a valid CUDA grid.
void checkGrid(const tprt_context *ctx, const char *call, const char *layer,
               const char *what, int64_t blocks);

/// The cuBLAS type of the elements of `dtype`, a checked tprt_dtype.
inline cudaDataType blasType(int32_t dtype) {
  switch (dtype) {
  case TPRT_F16:
    return CUDA_R_16F;
  case TPRT_BF16:
    return CUDA_R_16BF;
  default:
    return CUDA_R_32F;
  }
}

/// The most dims of a strided copy (one more than tprt_transpose's rank, for
/// the bytes of an element) or of tprt_sum's input.
constexpr int kMaxDims = 12;

/// Copies a box of `sizes` elements of `elementBytes` bytes, dim i advancing
/// `src` by srcStrides[i] bytes, into the contiguous row-major `dst` (the
/// device twin of copyStrided with row-major destination strides), on
/// `stream`; rank < kMaxDims. tprt_transpose's kernel (Elementwise.cu), which
/// the collectives use to rearrange pieces too.
cudaError_t launchStridedCopy(cudaStream_t stream, const void *src,
                              const int64_t *srcStrides, void *dst,
                              const int64_t *sizes, int64_t rank,
                              int64_t elementBytes);

/// The backend table's functions (Backend.h) on the cuda state.
char *allocate(tprt_context &ctx, int64_t bytes, const char *what);
void release(tprt_context &ctx, char *memory);
char *allocateHost(tprt_context &ctx, int64_t bytes);
void releaseHost(tprt_context &ctx, char *memory);
void copyToDevice(tprt_context &ctx, char *device, const void *host,
                  int64_t bytes);
void copyToHost(tprt_context &ctx, void *host, const char *device,
                int64_t bytes);
void synchronize(tprt_context &ctx);

} // namespace cuda
} // namespace tprt

#endif // TPRT_CUDA_CUDA_H
