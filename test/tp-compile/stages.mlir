// tp-compile stops at each stage with --emit, and refuses what it cannot do.
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --emit=tp | FileCheck %s --check-prefix=TP
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --emit=mlir | FileCheck %s --check-prefix=MLIR
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --emit=llvm | FileCheck %s --check-prefix=LLVM
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --emit=obj -o %t.o
// RUN: nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: tp-compile %examples/llama-tiny/model.mlir --mesh tp:2 --plan %examples/llama-tiny/plan.json --emit=obj -o %t.blocks.o
// RUN: nm %t.blocks.o | FileCheck %s --check-prefix=BLOCKS
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --no-verify --emit=obj -o %t.noverify.o
// RUN: nm %t.noverify.o | FileCheck %s --check-prefix=NOVERIFY --implicit-check-not=tp_unsharded
// RUN: tp-compile %examples/llama-layer/model.mlir --mesh tp:1 --plan %examples/llama-layer/plan.json --emit=obj -o %t.one.o
// RUN: nm %t.one.o | FileCheck %s --check-prefix=NOVERIFY --implicit-check-not=tp_unsharded
// RUN: not tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json 2>&1 | FileCheck %s --check-prefix=NOOUT
// RUN: not tp-compile %examples/llama-layer/model.mlir --mesh tp:3 --plan %examples/llama-layer/plan.json --emit=tp 2>&1 | FileCheck %s --check-prefix=UNEVEN
// RUN: not tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %examples/llama-layer/plan.json --plan %examples/feedforward/plan.json -o %t.x 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not tp-compile %examples/llama-layer/model.mlir --mesh tp:2 --plan %t.missing.json --emit=tp 2>&1 | FileCheck %s --check-prefix=NOPLAN

// TP: func.func @forward(%{{.*}}: tensor<2x16x256xf32> {tp.layout = #tp.layout<@mesh, [R]>})
// TP-COUNT-2: tp.all_reduce

// MLIR: llvm.func @tp_model_forward(
// MLIR: llvm.call @tprt_rms_norm(
// MLIR: llvm.call @tprt_rope(
// MLIR: llvm.call @tprt_attention(
// MLIR: llvm.call @tprt_all_reduce(
// MLIR: @tp_model_manifest({{.*}}planned memory per rank: activation arena {{[0-9]+}} B, parameters 1574912 B

// LLVM: @tp_model_manifest = constant
// LLVM: @tp_unsharded_manifest = constant {{.*}}\22mesh\22:{\22axes\22:[\22tp\22],\22sizes\22:[1]}
// LLVM: define void @tp_model_forward(ptr %0, ptr %1, ptr %2)
// LLVM: call void @tprt_linear(
// LLVM: call void @tprt_all_reduce(
// The unsharded program of --verify: the whole model on one rank.
// LLVM-LABEL: define void @tp_unsharded_forward(ptr %0, ptr %1, ptr %2)
// LLVM-NOT: call void @tprt_all_reduce(
// LLVM: call void @tprt_attention(
// LLVM-NOT: call void @tprt_all_reduce(

// OBJ-DAG: T tp_model_forward
// OBJ-DAG: R tp_model_manifest
// OBJ-DAG: T tp_unsharded_forward
// OBJ-DAG: R tp_unsharded_manifest
// OBJ-DAG: U tprt_attention

// --no-verify leaves the unsharded program out; a one-rank mesh needs none.
// NOVERIFY: T tp_model_forward

// Each layer of a deep model is a function of its own, local to the object.
// BLOCKS-DAG: T tp_model_forward
// BLOCKS-DAG: t tp_model_forward.layers.0
// BLOCKS-DAG: t tp_model_forward.layers.1

// NOOUT: tp-compile: error: an object file or executable needs -o <path>
// NOPLAN: {{^}}tp-compile: error: cannot read plan file '{{.*}}.missing.json': No such file or directory
// UNEVEN: error: {{.*}}layer 'attention.wq' is colwise over mesh axis 'tp' (3 ranks) but its 256 output features do not divide evenly
// TWICE: tp-compile: error: --plan is given 2 times; give it once
// UNEVEN-NOT: see current operation
