// tp-weights' --help lists its commands and options, not those of the LLVM
// libraries it links; --version prints tp-mlir's version.
// RUN: tp-weights --help | FileCheck %s --check-prefix=HELP \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-weights init --help | FileCheck %s --check-prefix=INIT \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-weights --version | FileCheck %s --check-prefix=VERSION

// HELP: USAGE: tp-weights [subcommand] [options]
// HELP: SUBCOMMANDS:
// HELP-DAG: init
// HELP-DAG: ls

// INIT: USAGE: tp-weights init [options] <model.mlir>
// INIT: -o <string>
// INIT: --seed=<ulong>

// VERSION: tp-weights (tp-mlir) {{[0-9]+\.[0-9]+\.[0-9]+$}}
