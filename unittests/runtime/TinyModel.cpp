//===- TinyModel.cpp - a hand-written compiled model ----------------------===//
//
// This file stands in for the object tp-compile generates: it defines
// `tp_model_manifest` and `tp_model_forward` for y = x W^T on the mesh tp:TP
// (TP is 1 or 2, set by the build), with W split on dim 0 (column-wise
// parallel) and the sharded output all-gathered. Linked with tprt_main, it
// exercises everything the runtime's main does.
//
//===----------------------------------------------------------------------===//

#include "TinyModel.h"
#include "tprt/tprt.h"

// The per-rank numbers of the manifest for each mesh size.
#if TP == 1
#define TP_LOCAL_OUTPUTS 6
#define TP_PARAM_BYTES 120
#define TP_FLOPS 180
#elif TP == 2
#define TP_LOCAL_OUTPUTS 3
#define TP_PARAM_BYTES 60
#define TP_FLOPS 90
#else
#error "TP must be 1 or 2"
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

using namespace tiny;

// Arena: x [3, 5] at 0, this rank's y block [3, 6/TP] at 64, y [3, 6] at 192.
extern "C" const char tp_model_manifest[] =
    R"({"version": 2, "mesh": {"axes": ["tp"], "sizes": [)" STRINGIFY(TP) R"(]},
  "arena_bytes": 320, "param_bytes": )" STRINGIFY(TP_PARAM_BYTES) R"(,
  "flops": )" STRINGIFY(TP_FLOPS) R"(,
  "parameters": [{"name": "proj.weight", "dtype": "F32", "shape": [6, 5],
                  "local_shape": [)" STRINGIFY(TP_LOCAL_OUTPUTS) R"(, 5],
                  "split": [[0], []], "offset": 0}],
  "inputs": [{"name": "x", "dtype": "F32", "shape": [3, 5],
              "local_shape": [3, 5], "split": [[], []], "offset": 0}],
  "outputs": [{"name": "y", "dtype": "F32", "shape": [3, 6],
               "local_shape": [3, 6], "split": [[], []], "offset": 192}],
  "report": "tiny model: proj colwise over tp"})";

void tp_model_forward(tprt_context *ctx, char *arena, char *params) {
  const int64_t localOutputs = outputs / TP;
  auto *x = reinterpret_cast<float *>(arena);
  auto *yBlock = reinterpret_cast<float *>(arena + 64);
  auto *y = reinterpret_cast<float *>(arena + 192);
  tprt_linear(ctx, "proj", TPRT_F32, x, reinterpret_cast<float *>(params),
              nullptr, yBlock, rows, localOutputs, inputs);
  tprt_all_gather(ctx, "proj", yBlock, y, rows, localOutputs * sizeof(float),
                  1);
}
