// tp-opt's --help lists the passes, as mlir-opt's does; --version prints
// tp-mlir's version.
// RUN: tp-opt --help | FileCheck %s --check-prefix=HELP
// RUN: tp-opt --version | FileCheck %s --check-prefix=VERSION

// HELP: USAGE: tp-opt [options] <input file>
// HELP: --tp-apply-plan
// HELP: --tp-parallelize

// VERSION: tp-opt (tp-mlir) {{[0-9]+\.[0-9]+\.[0-9]+$}}
// VERSION-NEXT: built with LLVM {{[0-9]+\.}}
