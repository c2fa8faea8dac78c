//===- Context.cpp - the per-rank runtime state ---------------------------===//
//
// This file implements the context: mesh coordinates and axis groups, the
// communicator cache (one MPI_Comm_split per axis mask), and the error exit.
//
//===----------------------------------------------------------------------===//

#include "Context.h"
#include "Manifest.h"

#include <cstdio>
#include <cstdlib>

tprt_context::~tprt_context() {
  // Device communicators go first: they were built over the MPI ones.
  device.reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return;
  for (auto &[mask, comm] : groups)
    MPI_Comm_free(&comm);
}

namespace tprt {

std::string callName(const char *call, const char *layer) {
  return layer && *layer ? std::string(call) + " '" + layer + "'" : call;
}

void fail(const tprt_context *ctx, const std::string &message) {
  int initialized = 0, finalized = 0, rank = 0, size = 1;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  bool running = initialized && !finalized;
  if (ctx) {
    rank = ctx->rank;
    size = ctx->size;
  } else if (running) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  std::string prefix = size > 1 ? "rank " + std::to_string(rank) + ": " : "";
  std::fprintf(stderr, "%stprt: error: %s\n", prefix.c_str(), message.c_str());
  std::fflush(stderr);
  if (running)
    MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

std::string formatMesh(const std::vector<std::string> &axisNames,
                       const std::vector<int64_t> &axisSizes) {
  std::string text;
  for (size_t i = 0; i < axisNames.size(); ++i)
    text += (i ? "," : "") + axisNames[i] + ":" + std::to_string(axisSizes[i]);
  return text;
}

std::vector<int64_t> meshCoordinates(const tprt_context &ctx, int64_t rank) {
  return rankCoordinates(ctx.axisSizes, rank);
}

std::unique_ptr<tprt_context>
createContext(const std::vector<std::string> &axisNames,
              const std::vector<int64_t> &axisSizes) {
  auto ctx = std::make_unique<tprt_context>();
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx->size);
  ctx->axisNames = axisNames;
  ctx->axisSizes = axisSizes;
  int64_t meshRanks = 1;
  for (int64_t size : axisSizes)
    meshRanks *= size;
  if (meshRanks != ctx->size)
    fail(ctx.get(),
         "this executable was compiled for a mesh of " +
             std::to_string(meshRanks) + " ranks (" +
             formatMesh(axisNames, axisSizes) + ") but the job has " +
             std::to_string(ctx->size) + (ctx->size == 1 ? " rank" : " ranks") +
             "; run it with mpirun -np " + std::to_string(meshRanks));
  ctx->coordinates = meshCoordinates(*ctx, ctx->rank);

  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ctx->rank,
                      MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &ctx->localRank);
  MPI_Comm_size(node, &ctx->localSize);
  MPI_Comm_free(&node);
  return ctx;
}

std::unique_ptr<tprt_context>
createLocalContext(const tprt_context &world,
                   const std::vector<std::string> &axisNames) {
  auto ctx = std::make_unique<tprt_context>();
  // Rank 0 of a job of one (its messages carry no rank), on the GPU of its
  // local rank in the job.
  ctx->localRank = world.localRank;
  ctx->axisNames = axisNames;
  ctx->axisSizes.assign(axisNames.size(), 1);
  ctx->coordinates.assign(axisNames.size(), 0);
  return ctx;
}

void checkAxisMask(const tprt_context &ctx, const char *call, const char *layer,
                   int64_t axisMask) {
  int64_t axes = static_cast<int64_t>(ctx.axisSizes.size());
  if (axisMask < 0 || axisMask >> axes != 0)
    fail(&ctx, callName(call, layer) + ": axis mask " +
                   std::to_string(axisMask) + " names axes beyond the mesh's " +
                   std::to_string(axes) + " (" +
                   formatMesh(ctx.axisNames, ctx.axisSizes) + ")");
}

int64_t groupSize(const tprt_context &ctx, int64_t axisMask) {
  int64_t size = 1;
  for (size_t i = 0; i < ctx.axisSizes.size(); ++i)
    if (axisMask >> i & 1)
      size *= ctx.axisSizes[i];
  return size;
}

int64_t groupIndex(const tprt_context &ctx, int64_t axisMask) {
  int64_t index = 0;
  for (size_t i = 0; i < ctx.axisSizes.size(); ++i)
    if (axisMask >> i & 1)
      index = index * ctx.axisSizes[i] + ctx.coordinates[i];
  return index;
}

MPI_Comm groupComm(tprt_context &ctx, int64_t axisMask) {
  auto it = ctx.groups.find(axisMask);
  if (it != ctx.groups.end())
    return it->second;
  // Ranks with equal coordinates on the other axes form one group (their
  // index over those axes is the color); the key orders members as tprt.h
  // fixes.
  int64_t others = ~axisMask & ((int64_t(1) << ctx.axisSizes.size()) - 1);
  MPI_Comm comm;
  MPI_Comm_split(MPI_COMM_WORLD, static_cast<int>(groupIndex(ctx, others)),
                 static_cast<int>(groupIndex(ctx, axisMask)), &comm);
  ctx.groups[axisMask] = comm;
  return comm;
}

char *scratch(tprt_context &ctx, int slot, size_t bytes) {
  std::vector<char> &buffer = ctx.scratch[slot];
  if (buffer.size() < bytes)
    buffer.resize(bytes);
  return buffer.data();
}

} // namespace tprt
