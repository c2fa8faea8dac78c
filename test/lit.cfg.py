# -*- Python -*-
# The lit configuration of the tp-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TP"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tp_obj_root, "test")
# fuzz/ holds the fuzz targets' corpora, which ctest replays (fuzz-replay-*).
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "fuzz", "models"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# The examples live outside test/; tests reach them through %examples.
config.substitutions.append(
    ("%examples", os.path.join(config.tp_src_root, "python-free-examples")))

# The cuda target compiles and links wherever the CUDA toolkit was found;
# running it needs a GPU, which the e2e tests (ctest label gpu) look for.
if config.tp_have_cuda_runtime:
    config.available_features.add("cuda-runtime")

llvm_config.use_default_substitutions()
llvm_config.with_environment("FILECHECK_OPTS", "-enable-var-scope")

tool_dirs = [config.tp_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["tp-opt", "tp-compile", "tp-weights", "tp-import"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
