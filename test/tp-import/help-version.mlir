// tp-import's --help lists its own options, not those of the LLVM libraries
// it links; --version prints tp-mlir's version.
// RUN: tp-import --help | FileCheck %s --check-prefix=HELP \
// RUN:   --implicit-check-not=amdgpu --implicit-check-not=x86-
// RUN: tp-import --version | FileCheck %s --check-prefix=VERSION

// HELP: OVERVIEW: tp-import: a Hugging Face config.json as a tp model
// HELP: USAGE: tp-import [options] <config.json>
// HELP: tp-import options:
// HELP: --batch=<long>
// HELP: --dtype=<string>
// HELP: --layers=<long>
// HELP: -o <string>
// HELP: --plan-out=<string>
// HELP: --seq=<long>

// VERSION: tp-import (tp-mlir) {{[0-9]+\.[0-9]+\.[0-9]+}}
// VERSION-NEXT: built with LLVM 22
