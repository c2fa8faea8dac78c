//===- TinyTrainModel.cpp - a hand-written training step ------------------===//
//
// This file stands in for the object `tp-compile --train` generates: it
// defines `tp_model_manifest` and `tp_model_forward` for the training step
// of TinyTrainModel.h on the mesh tp:TP (TP is 1 or 2, set by the build),
// with proj column-wise parallel (W and b split on dim 0, their gradients
// local) and shift replicated (its gradient all-reduced), and AdamW state
// for each parameter; the bf16 gain (split as b) has an f32 master copy
// besides. Linked with tprt_main, it exercises the training mode of the
// runtime's main: --steps, --save, --resume, and the master copy's start.
//
//===----------------------------------------------------------------------===//

#include "TinyTrainModel.h"
#include "tprt/tprt.h"

#if TP == 1
#define TP_LOCAL_OUTPUTS 6
#elif TP == 2
#define TP_LOCAL_OUTPUTS 3
#else
#error "TP must be 1 or 2"
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define N STRINGIFY(TP_LOCAL_OUTPUTS)

using namespace tiny;

// Parameters: W at 0, b at 128, shift at 160; the AdamW state of W at 192
// and 320, of b at 448 and 480, of shift at 512 and 544; gain (bf16) at
// 576, its master copy at 608 and the master's AdamW state at 640 and 672.
#define SPLIT_PARAMETER(name, offset)                                          \
  "{\"name\": \"" name "\", \"dtype\": \"F32\", \"shape\": [6, 5], "           \
  "\"local_shape\": [" N ", 5], \"split\": [[0], []], \"offset\": " #offset
#define SPLIT_VECTOR(name, offset)                                             \
  "{\"name\": \"" name "\", \"dtype\": \"F32\", \"shape\": [6], "              \
  "\"local_shape\": [" N "], \"split\": [[0]], \"offset\": " #offset
#define REPLICATED_VECTOR(name, offset)                                        \
  "{\"name\": \"" name "\", \"dtype\": \"F32\", \"shape\": [5], "              \
  "\"local_shape\": [5], \"split\": [[]], \"offset\": " #offset

// The arena: x at 0 (the input), the loss at 448 (the output), the
// intermediates between and after (see tp_model_forward).
extern "C" const char tp_model_manifest[] =
    R"({"version": 2, "mesh": {"axes": ["tp"], "sizes": [)" STRINGIFY(TP) R"(]},
  "arena_bytes": 1152, "param_bytes": 704, "flops": 360,
  "parameters": [)" SPLIT_PARAMETER("proj.weight", 0) R"(},
    )" SPLIT_VECTOR("proj.bias", 128) R"(},
    )" REPLICATED_VECTOR("shift", 160) R"(},
    )" SPLIT_PARAMETER("optimizer.proj.weight.exp_avg",
                       192) R"(, "state": true},
    )" SPLIT_PARAMETER("optimizer.proj.weight.exp_avg_sq",
                       320) R"(, "state": true},
    )" SPLIT_VECTOR("optimizer.proj.bias.exp_avg", 448) R"(, "state": true},
    )" SPLIT_VECTOR("optimizer.proj.bias.exp_avg_sq", 480) R"(, "state": true},
    )" REPLICATED_VECTOR("optimizer.shift.exp_avg", 512) R"(, "state": true},
    )" REPLICATED_VECTOR("optimizer.shift.exp_avg_sq", 544) R"(, "state": true},
    {"name": "gain", "dtype": "BF16", "shape": [6], "local_shape": [)" N R"(],
     "split": [[0]], "offset": 576},
    )" SPLIT_VECTOR("optimizer.gain.master",
                    608) R"(, "state": true, "master_of": "gain"},
    )" SPLIT_VECTOR("optimizer.gain.exp_avg", 640) R"(, "state": true},
    )" SPLIT_VECTOR("optimizer.gain.exp_avg_sq", 672) R"(, "state": true}],
  "inputs": [{"name": "x", "dtype": "F32", "shape": [3, 5],
              "local_shape": [3, 5], "split": [[], []], "offset": 0}],
  "outputs": [{"name": "loss", "dtype": "F32", "shape": [],
               "local_shape": [], "split": [], "offset": 448}],
  "training": {"loss": "sum", "optimizer": "adamw", "lr": 0.01,
               "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
               "weight_decay": 0.1},
  "report": "tiny training step: proj colwise over tp"})";

void tp_model_forward(tprt_context *ctx, char *arena, char *params) {
  const int64_t local = outputs / TP;
  auto at = [&](int64_t offset) {
    return reinterpret_cast<float *>(arena + offset);
  };
  auto param = [&](int64_t offset) {
    return reinterpret_cast<float *>(params + offset);
  };
  float *x = at(0), *h = at(64), *y = at(128), *squares = at(256),
        *partialLoss = at(384), *loss = at(448), *seed = at(512),
        *dSquares = at(576), *dy = at(704), *dh = at(832), *dw = at(896),
        *db = at(1024), *dShift = at(1088);
  // gain's gradient, bf16.
  char *dGain = arena + 1120;
  float *w = param(0), *b = param(128), *shift = param(160);
  const int64_t xShape[] = {rows, inputs}, yShape[] = {rows, local};

  // Forward.
  tprt_broadcast(ctx, "shift", TPRT_F32, shift, h, 2, xShape, 1);
  tprt_add(ctx, "shift", TPRT_F32, x, h, h, rows * inputs);
  tprt_linear(ctx, "proj", TPRT_F32, h, w, b, y, rows, local, inputs);
  tprt_mul(ctx, "loss", TPRT_F32, y, y, squares, rows * local);
  tprt_sum(ctx, "loss", TPRT_F32, squares, partialLoss, 2, yShape, 3);
  tprt_all_reduce(ctx, "loss", TPRT_F32, partialLoss, loss, 1, 1);

  // Backward, from d loss = 1.
  tprt_fill(ctx, "loss", TPRT_F32, seed, 1, 1.0);
  tprt_broadcast(ctx, "loss", TPRT_F32, seed, dSquares, 2, yShape, 3);
  tprt_mul(ctx, "loss", TPRT_F32, dSquares, y, dy, rows * local);
  tprt_scale(ctx, "loss", TPRT_F32, dy, dy, rows * local, 2.0);
  tprt_linear_weight_grad(ctx, "proj", TPRT_F32, dy, h, dw, rows, local,
                          inputs);
  tprt_sum(ctx, "proj", TPRT_F32, dy, db, 2, yShape, 1);
  tprt_linear_input_grad(ctx, "proj", TPRT_F32, dy, w, dh, rows, local, inputs);
  tprt_all_reduce(ctx, "proj", TPRT_F32, dh, dh, rows * inputs, 1);
  tprt_sum(ctx, "shift", TPRT_F32, dh, dShift, 2, xShape, 1);

  // AdamW.
  int64_t step = tprt_step_number(ctx, "optimizer");
  tprt_adamw(ctx, "proj.weight", TPRT_F32, w, dw, param(192), param(320),
             local * inputs, step, lr, beta1, beta2, eps, weightDecay);
  tprt_adamw(ctx, "proj.bias", TPRT_F32, b, db, param(448), param(480), local,
             step, lr, beta1, beta2, eps, weightDecay);
  tprt_adamw(ctx, "shift", TPRT_F32, shift, dShift, param(512), param(544),
             inputs, step, lr, beta1, beta2, eps, weightDecay);
  // gain, outside the loss, through its master copy.
  tprt_fill(ctx, "gain", TPRT_BF16, dGain, local, gainGrad);
  tprt_adamw_master(ctx, "gain", TPRT_BF16, params + 576, dGain, param(608),
                    param(640), param(672), local, step, lr, beta1, beta2, eps,
                    weightDecay);
}
