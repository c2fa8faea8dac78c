// tp-weights check compares a checkpoint with a model as the executable's
// --weights does: every parameter present, in its shape and in its dtype
// or another float dtype (converted on load). Tensors the model does not
// declare are not loaded: the rotary inverse frequencies older Hugging Face
// checkpoints hold and a training step's optimizer state silently, any
// other with a warning (the checkpoint of another model?). Every error is
// listed and the exit code is 1.
// RUN: rm -rf %t && mkdir %t
// RUN: (cat %s; echo 'tp.parameter @"layers.0.attention.rotary_emb.inv_freq" : tensor<4xf32>'; echo 'tp.parameter @"optimizer.w.weight.exp_avg" : tensor<8x4xf32>') > %t/buffers.mlir
// RUN: tp-weights init %t/buffers.mlir -o %t/buffers.safetensors
// RUN: tp-weights check %s %t/buffers.safetensors | FileCheck %s --check-prefix=IGNORED
// RUN: sed 's/xf32>/xf16>/' %s > %t/f16.mlir
// RUN: tp-weights init %t/f16.mlir -o %t/f16.safetensors
// RUN: tp-weights check %s %t/f16.safetensors | FileCheck %s --check-prefix=F16
// RUN: tp-weights ls %t/f16.safetensors --model %s | FileCheck %s --check-prefix=LS-F16
// RUN: (cat %s; echo 'tp.parameter @"layers.1.w.weight" : tensor<4xf32>'; echo 'tp.parameter @"layers.2.w.weight" : tensor<4xf32>') > %t/more.mlir
// RUN: tp-weights init %t/more.mlir -o %t/more.safetensors
// RUN: tp-weights check %s %t/more.safetensors 2>&1 | FileCheck %s --check-prefix=MORE -DFILE=%t/more.safetensors
// RUN: grep -v '"b.weight"' %s | sed 's/tensor<8x4xf32>/tensor<4x8xf32>/' > %t/wrong.mlir
// RUN: tp-weights init %t/wrong.mlir -o %t/wrong.safetensors
// RUN: not tp-weights check %s %t/wrong.safetensors 2>&1 | FileCheck %s --check-prefix=WRONG -DFILE=%t/wrong.safetensors
// RUN: not tp-weights check %s %t/none.safetensors 2>&1 | FileCheck %s --check-prefix=NONE

// IGNORED:      w.weight F32 [8, 4]
// IGNORED-NEXT: b.weight F32 [4]
// IGNORED-NEXT: layers.0.attention.rotary_emb.inv_freq ignored: not a parameter
// IGNORED-NEXT: optimizer.w.weight.exp_avg ignored: not a parameter
// IGNORED-NEXT: ok: the checkpoint holds every parameter of the model; converted on load: none; ignored: 2; unused: 0

// tp-weights ls --model says the same per tensor.
// LS-F16-DAG: w.weight F16 [8, 4] 64 bytes F16 -> F32 on load
// LS-F16-DAG: b.weight F16 [4] 8 bytes F16 -> F32 on load
// LS-F16: 2 tensors, 72 bytes
// LS-F16-NEXT: 2 of them convert to the dtype of '{{.*}}check.mlir' on load

// F16:      w.weight F16 -> F32 on load [8, 4]
// F16-NEXT: b.weight F16 -> F32 on load [4]
// F16-NEXT: ok: the checkpoint holds every parameter of the model; converted on load: 2 F16 -> F32; ignored: 0; unused: 0

// MORE:      tp-weights: warning: [[FILE]]: tensor 'layers.1.w.weight' and 1 more of the checkpoint's tensors are not parameters of the model and are not loaded; is the checkpoint another model's?
// MORE:      layers.1.w.weight unused: not in the model
// MORE-NEXT: layers.2.w.weight unused: not in the model
// MORE-NEXT: ok: the checkpoint holds every parameter of the model; converted on load: none; ignored: 0; unused: 2

// WRONG-DAG: tp-weights: error: [[FILE]]: tensor 'w.weight' has shape [4, 8] but the model expects [8, 4]
// WRONG-DAG: tp-weights: error: [[FILE]]: no tensor named 'b.weight' (the file holds 1 tensors), but the model needs it
// WRONG: 2 errors: the checkpoint does not load into the model

// NONE: tp-weights: error: {{.*}}none.safetensors: cannot open: No such file or directory

tp.mesh @mesh(tp = 1)
tp.parameter @"w.weight" : tensor<8x4xf32>
tp.parameter @"b.weight" : tensor<4xf32>
