// tp-weights' --help lists its commands and options, not those of the LLVM
// libraries it links; --version prints tp-mlir's version.
// RUN: tp-weights --help | FileCheck %s --check-prefix=HELP \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-weights init --help | FileCheck %s --check-prefix=INIT \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-weights check --help | FileCheck %s --check-prefix=CHECK-HELP \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-weights --version | FileCheck %s --check-prefix=VERSION

// HELP: A checkpoint is one safetensors file, a Hugging Face index (model.safetensors.index.json) of shard files, or the directory holding model.safetensors or the index.
// HELP: USAGE: tp-weights [subcommand] [options]
// HELP: SUBCOMMANDS:
// HELP-DAG: check
// HELP-DAG: init
// HELP-DAG: ls

// INIT: USAGE: tp-weights init [options] <model.mlir>
// INIT: --max-shard-size=<size>
// INIT: -o <string>
// INIT: --seed=<ulong>

// CHECK-HELP: USAGE: tp-weights check [options] <model.mlir> <checkpoint: file.safetensors, model.safetensors.index.json or directory>

// VERSION: tp-weights (tp-mlir) {{[0-9]+\.[0-9]+\.[0-9]+$}}
