//===- State.cu - the cuda backend's per-rank state -----------------------===//
//
// This file implements the cuda state: choosing the GPU, the stream and the
// cuBLAS and cuBLASLt handles, the scratch and staging buffers, the error
// checks, the deferred index checks (with the one kernel they need), and the
// kernels and memory functions of the backend table.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

#include <climits>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <thread>

namespace tprt {
namespace cuda {

namespace {

__global__ void keepBadValueKernel(const int64_t *values,
                                   unsigned long long *slot) {
  if (slot[0] != ~0ull)
    slot[1] = static_cast<unsigned long long>(values[slot[0]]);
}

/// After a kernel that left a bad position in slot[0] (all ones for none):
/// slot[1] = values[slot[0]], the value for the message.
cudaError_t launchKeepBadValue(cudaStream_t stream, const int64_t *values,
                               unsigned long long *slot) {
  keepBadValueKernel<<<1, 1, 0, stream>>>(values, slot);
  return cudaGetLastError();
}

} // namespace

State::~State() {
  // Nothing may fail here (the job may be ending after an error): results
  // are ignored.
  for (cudaStream_t queue : {stream, commStream})
    if (queue)
      cudaStreamSynchronize(queue);
  for (auto &[mask, comm] : comms)
    if (comm)
      ncclCommDestroy(comm);
  if (blas)
    cublasDestroy(blas);
  for (auto &[key, plan] : biasLinearPlans) {
    if (plan.operation)
      cublasLtMatmulDescDestroy(plan.operation);
    for (cublasLtMatrixLayout_t layout : {plan.weight, plan.input, plan.output})
      if (layout)
        cublasLtMatrixLayoutDestroy(layout);
  }
  if (blasLtWorkspace)
    cudaFree(blasLtWorkspace);
  if (blasLt)
    cublasLtDestroy(blasLt);
  for (void *buffer : scratch)
    if (buffer)
      cudaFree(buffer);
  for (void *buffer : staging)
    if (buffer)
      cudaFreeHost(buffer);
  if (badIndices)
    cudaFree(badIndices);
  for (cudaEvent_t event : requestDone)
    if (event)
      cudaEventDestroy(event);
  for (cudaEvent_t event : {computeIssued, commIssued})
    if (event)
      cudaEventDestroy(event);
  if (commStream)
    cudaStreamDestroy(commStream);
  if (stream)
    cudaStreamDestroy(stream);
}

void check(const tprt_context *ctx, cudaError_t error, const char *call,
           const char *layer, const char *api) {
  if (error == cudaSuccess)
    return;
  fail(ctx, callName(call, layer) + ": " + api +
                " failed: " + cudaGetErrorName(error) + " (" +
                cudaGetErrorString(error) + ")");
}

void checkGrid(const tprt_context *ctx, const char *call, const char *layer,
               const char *what, int64_t blocks) {
  if (blocks < 0 || blocks > INT_MAX)
    fail(ctx, callName(call, layer) + ": " + what + " = " +
                  std::to_string(blocks) +
                  " is beyond the cuda kernel's grid of 2^31-1 blocks");
}

void waitForStream(const tprt_context *ctx, State &s, const char *call,
                   const char *layer, const char *api) {
  for (;;) {
    cudaError_t status = cudaStreamQuery(s.stream);
    if (status == cudaSuccess)
      return;
    if (status != cudaErrorNotReady)
      check(ctx, status, call, layer, api);
    for (auto &[mask, comm] : s.comms) {
      ncclResult_t async = ncclSuccess;
      if (!comm || ncclCommGetAsyncError(comm, &async) != ncclSuccess ||
          async == ncclSuccess)
        continue;
      ncclCommAbort(comm);
      comm = nullptr;
      fail(ctx, callName(call, layer) +
                    ": NCCL reported an asynchronous "
                    "error: " +
                    ncclGetErrorString(async));
    }
    std::this_thread::yield();
  }
}

void checkBlas(const tprt_context *ctx, cublasStatus_t status, const char *call,
               const char *layer, const char *api) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return;
  fail(ctx, callName(call, layer) + ": " + api +
                " failed: " + cublasGetStatusName(status) + " (" +
                cublasGetStatusString(status) + ")");
}

void checkNccl(const tprt_context *ctx, ncclResult_t result, ncclComm_t comm,
               const char *call, const char *layer, const char *api) {
  if (result == ncclSuccess)
    return;
  std::string message = callName(call, layer) + ": " + api +
                        " failed: " + ncclGetErrorString(result);
  const char *detail = ncclGetLastError(comm);
  if (detail && *detail)
    message += std::string(": ") + detail;
  fail(ctx, message + " (NCCL_DEBUG=WARN prints more)");
}

/// Whether some GPU serves several ranks of the job, which NCCL refuses.
/// Where the context has several ranks (MPI runs), by the UUIDs of every
/// rank's GPU, gathered over all ranks so that they all decide alike; this
/// also tells distinct GPUs apart where a launcher shows each rank only its
/// own. Otherwise by whether the ranks of the node outnumber its GPUs.
static bool gpuShared(tprt_context &ctx, const State &s, const char *call) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized || ctx.size == 1)
    return ctx.localSize > s.deviceCount;
  cudaDeviceProp properties;
  check(&ctx, cudaGetDeviceProperties(&properties, s.device), call, nullptr,
        "cudaGetDeviceProperties");
  const int uuidBytes = sizeof properties.uuid.bytes;
  std::vector<char> uuids(size_t(uuidBytes) * ctx.size);
  MPI_Allgather(properties.uuid.bytes, uuidBytes, MPI_BYTE, uuids.data(),
                uuidBytes, MPI_BYTE, MPI_COMM_WORLD);
  std::set<std::string> seen;
  for (int r = 0; r < ctx.size; ++r)
    if (!seen.insert(std::string(&uuids[size_t(r) * uuidBytes], uuidBytes))
             .second)
      return true;
  return false;
}

void initialize(tprt_context &ctx) {
  if (ctx.device)
    return;
  const char *call = "tprt (cuda backend)";
  int count = 0;
  cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess)
    fail(&ctx, std::string("no usable CUDA device: cudaGetDeviceCount "
                           "failed: ") +
                   cudaGetErrorName(error) + " (" + cudaGetErrorString(error) +
                   ")");
  if (count == 0)
    fail(&ctx, "no CUDA device is visible (check CUDA_VISIBLE_DEVICES)");

  auto state = std::make_unique<State>();
  State &s = *state;
  // The context owns the state from here, so a failure below still frees
  // what was created.
  ctx.device = std::move(state);
  s.deviceCount = count;
  s.device = ctx.localRank % count;
  check(&ctx, cudaSetDevice(s.device), call, nullptr, "cudaSetDevice");
  s.nccl = !gpuShared(ctx, s, call);
  check(&ctx, cudaStreamCreate(&s.stream), call, nullptr, "cudaStreamCreate");
  check(&ctx, cudaStreamCreate(&s.commStream), call, nullptr,
        "cudaStreamCreate");
  for (cudaEvent_t *event : {&s.computeIssued, &s.commIssued})
    check(&ctx, cudaEventCreateWithFlags(event, cudaEventDisableTiming), call,
          nullptr, "cudaEventCreateWithFlags");
  checkBlas(&ctx, cublasCreate(&s.blas), call, nullptr, "cublasCreate");
  checkBlas(&ctx, cublasSetStream(s.blas, s.stream), call, nullptr,
            "cublasSetStream");
  // GEMMs accumulate in f32 (tprt.h): a split-K reduction in the output
  // type would round the partial sums of f16 and bf16 GEMMs to 16 bits.
  checkBlas(&ctx,
            cublasSetMathMode(
                s.blas,
                cublasMath_t(CUBLAS_DEFAULT_MATH |
                             CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
            call, nullptr, "cublasSetMathMode");
  checkBlas(&ctx, cublasLtCreate(&s.blasLt), call, nullptr, "cublasLtCreate");
  size_t slotBytes = 2 * kIndexCheckSlots * sizeof *s.badIndices;
  check(&ctx, cudaMalloc(reinterpret_cast<void **>(&s.badIndices), slotBytes),
        call, nullptr, "cudaMalloc");
  check(&ctx, cudaMemsetAsync(s.badIndices, 0xff, slotBytes, s.stream), call,
        nullptr, "cudaMemsetAsync");
  if (!s.nccl && ctx.rank == 0 && ctx.size > 1) {
    std::fprintf(stderr,
                 "tprt: note: ranks share a GPU (%d ranks, %d GPU%s on a "
                 "node), which NCCL refuses: collectives go through MPI over "
                 "host memory\n",
                 ctx.localSize, count, count == 1 ? "" : "s");
    std::fflush(stderr);
  }
}

State &state(tprt_context *ctx) {
  if (!ctx->device)
    initialize(*ctx);
  return static_cast<State &>(*ctx->device);
}

/// Grows `buffer` to at least `bytes` bytes of device or pinned host memory.
static void *grow(tprt_context *ctx, State &s, void *&buffer, size_t &capacity,
                  size_t bytes, bool pinned) {
  if (bytes <= capacity && buffer)
    return buffer;
  const char *call = pinned ? "tprt (cuda backend) staging buffer"
                            : "tprt (cuda backend) scratch buffer";
  // Work queued earlier may still read the old buffer.
  waitForStream(ctx, s, call, nullptr, "cudaStreamQuery");
  if (buffer)
    check(ctx, pinned ? cudaFreeHost(buffer) : cudaFree(buffer), call, nullptr,
          pinned ? "cudaFreeHost" : "cudaFree");
  buffer = nullptr;
  capacity = 0;
  size_t size = bytes > 256 ? bytes : 256;
  cudaError_t error = pinned
                          ? cudaHostAlloc(&buffer, size, cudaHostAllocDefault)
                          : cudaMalloc(&buffer, size);
  if (error != cudaSuccess)
    fail(ctx, std::string(call) + ": cannot allocate " + std::to_string(size) +
                  " bytes" +
                  (pinned ? " of pinned host memory" : " on the GPU") + ": " +
                  cudaGetErrorName(error) + " (" + cudaGetErrorString(error) +
                  ")");
  capacity = size;
  return buffer;
}

void *deviceScratch(tprt_context *ctx, int slot, size_t bytes) {
  State &s = state(ctx);
  return grow(ctx, s, s.scratch[slot], s.scratchBytes[slot], bytes, false);
}

void *hostStaging(tprt_context *ctx, int slot, size_t bytes) {
  State &s = state(ctx);
  return grow(ctx, s, s.staging[slot], s.stagingBytes[slot], bytes, true);
}

//===--- The backend table ------------------------------------------------===//

const Kernels kernels = {
#define TPRT_CALL(ret, name, args) cuda::name,
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
};

char *allocate(tprt_context &ctx, int64_t bytes, const char *what) {
  State &s = state(&ctx);
  size_t size = bytes > 256 ? size_t(bytes) : 256;
  void *memory = nullptr;
  cudaError_t error = cudaMalloc(&memory, size);
  if (error != cudaSuccess)
    fail(&ctx, "cannot allocate " + std::to_string(bytes) + " bytes for " +
                   what + " on GPU " + std::to_string(s.device) +
                   ": cudaMalloc failed: " + cudaGetErrorName(error) + " (" +
                   cudaGetErrorString(error) + ")");
  const char *call = "tprt (cuda backend) allocate";
  check(&ctx, cudaMemsetAsync(memory, 0, size, s.stream), call, nullptr,
        "cudaMemsetAsync");
  waitForStream(&ctx, s, call, nullptr, "cudaStreamQuery");
  return static_cast<char *>(memory);
}

void release(tprt_context &ctx, char *memory) {
  check(&ctx, cudaFree(memory), "tprt (cuda backend) release", nullptr,
        "cudaFree");
}

char *allocateHost(tprt_context &ctx, int64_t bytes) {
  state(&ctx);
  void *memory = nullptr;
  size_t size = bytes > 64 ? size_t(bytes) : 64;
  cudaError_t error = cudaHostAlloc(&memory, size, cudaHostAllocDefault);
  if (error != cudaSuccess)
    fail(&ctx, "cannot allocate " + std::to_string(bytes) +
                   " bytes of pinned host memory: cudaHostAlloc failed: " +
                   cudaGetErrorName(error) + " (" + cudaGetErrorString(error) +
                   ")");
  return static_cast<char *>(memory);
}

void releaseHost(tprt_context &ctx, char *memory) {
  check(&ctx, cudaFreeHost(memory), "tprt (cuda backend) release", nullptr,
        "cudaFreeHost");
}

void copyToDevice(tprt_context &ctx, char *device, const void *host,
                  int64_t bytes) {
  State &s = state(&ctx);
  const char *call = "tprt (cuda backend) copy to the GPU";
  if (bytes == 0) {
    // Nothing to copy, but the promise to wait for earlier work holds.
    waitForStream(&ctx, s, call, nullptr, "cudaStreamQuery");
    return;
  }
  check(&ctx,
        cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, s.stream),
        call, nullptr, "cudaMemcpyAsync");
  waitForStream(&ctx, s, call, nullptr, "cudaStreamQuery");
}

void copyToHost(tprt_context &ctx, void *host, const char *device,
                int64_t bytes) {
  State &s = state(&ctx);
  const char *call = "tprt (cuda backend) copy from the GPU";
  if (bytes == 0) {
    waitForStream(&ctx, s, call, nullptr, "cudaStreamQuery");
    return;
  }
  check(&ctx,
        cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, s.stream),
        call, nullptr, "cudaMemcpyAsync");
  // An error of any earlier kernel of the step surfaces here.
  waitForStream(&ctx, s, call, nullptr,
                "cudaStreamQuery (an earlier kernel may have failed; "
                "CUDA_LAUNCH_BLOCKING=1 finds which)");
  checkIndices(&ctx, s);
}

void synchronize(tprt_context &ctx) {
  State &s = state(&ctx);
  waitForStream(&ctx, s, "the forward step", nullptr,
                "cudaStreamQuery (an earlier kernel may have failed; "
                "CUDA_LAUNCH_BLOCKING=1 finds which)");
  checkIndices(&ctx, s);
}

unsigned long long *deferIndexCheck(tprt_context *ctx, State &s,
                                    const char *call, const char *layer,
                                    const char *what, int64_t bound) {
  if (s.indexChecks.size() == kIndexCheckSlots) {
    waitForStream(ctx, s, call, layer,
                  "cudaStreamQuery (an earlier kernel may have failed; "
                  "CUDA_LAUNCH_BLOCKING=1 finds which)");
    checkIndices(ctx, s);
  }
  s.indexChecks.push_back({call, layer, what, bound});
  return s.badIndices + 2 * (s.indexChecks.size() - 1);
}

void keepBadValue(tprt_context *ctx, State &s, const char *call,
                  const char *layer, const int64_t *values,
                  unsigned long long *slot) {
  check(ctx, launchKeepBadValue(s.stream, values, slot), call, layer,
        "the index check kernel");
}

void checkIndices(tprt_context *ctx, State &s) {
  size_t used = s.indexChecks.size();
  if (used == 0)
    return;
  const char *call = "tprt (cuda backend) index check";
  // Each slot: the first bad position, then the value there.
  unsigned long long slots[2 * kIndexCheckSlots];
  check(ctx,
        cudaMemcpy(slots, s.badIndices, 2 * used * sizeof *slots,
                   cudaMemcpyDeviceToHost),
        call, nullptr, "cudaMemcpy");
  for (size_t i = 0; i < used; ++i) {
    if (slots[2 * i] == ~0ull)
      continue;
    const State::IndexCheck &c = s.indexChecks[i];
    auto position = static_cast<int64_t>(slots[2 * i]);
    auto value = static_cast<int64_t>(slots[2 * i + 1]);
    failIndex(ctx, c.call, c.layer, c.what, value, position, c.bound);
  }
  check(ctx,
        cudaMemsetAsync(s.badIndices, 0xff, 2 * used * sizeof *slots, s.stream),
        call, nullptr, "cudaMemsetAsync");
  s.indexChecks.clear();
}

} // namespace cuda
} // namespace tprt
