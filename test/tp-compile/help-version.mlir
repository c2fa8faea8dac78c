// tp-compile's --help lists its own options, not those of the LLVM
// libraries it links (codegen flags of every backend, such as AMDGPU's);
// --version prints tp-mlir's version (CMake's project(VERSION)), and so does
// a compiled executable's, whose --help says what --weights takes.
// RUN: tp-compile --help | FileCheck %s --check-prefix=HELP \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-compile --version | FileCheck %s --check-prefix=VERSION
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 \
// RUN:   --plan %examples/feedforward/plan.json -o %t.ff
// RUN: %t.ff --version | FileCheck %s --check-prefix=EXE
// RUN: %t.ff --help | FileCheck %s --check-prefix=EXEHELP

// Categories in name order.
// HELP: USAGE: tp-compile [options] <model.mlir>
// HELP: Generic Options:
// HELP: --version
// HELP: Training (--train):
// HELP: --loss=<string>
// HELP: tp-compile options:
// HELP: --emit=<value>
// HELP: --mesh=<string>
// HELP: --no-verify
// HELP: --plan=<plan.json>
// HELP: --target=<value>

// VERSION: tp-compile (tp-mlir) {{[0-9]+\.[0-9]+\.[0-9]+$}}
// VERSION-NEXT: built with LLVM {{[0-9]+\.}}

// EXE: compiled by tp-mlir {{[0-9]+\.[0-9]+\.[0-9]+$}}
// EXEHELP: usage: mpirun -np 2 {{.*}} (--weights PATH | --random-weights SEED) [options]
// EXEHELP: --weights PATH safetensors checkpoint with every parameter in its
// EXEHELP-NEXT: global shape: one file, a Hugging Face index
// EXEHELP-NEXT: (model.safetensors.index.json) of shard files, or
// EXEHELP-NEXT: the directory holding model.safetensors or the
// EXEHELP: --verify               check the sharded run against the model run
// EXEHELP: --verify-rtol R        the tolerance of --verify for every output instead
// EXEHELP: --version              print the version of tp-mlir that compiled it
