#!/usr/bin/env bash
# Formats every C, C++ and CUDA source git tracks with .clang-format (LLVM
# style) and LLVM 22's clang-format. With --check it changes nothing and
# fails, listing them, when any file is not formatted (the ctest `format`
# test); it exits 77 (skipped) where clang-format 22 is not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
clang_format=$(command -v clang-format-22 || echo /usr/lib/llvm-22/bin/clang-format)
if [ ! -x "$clang_format" ]; then
  echo "SKIPPED: clang-format-22 is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
cd "$root"
mapfile -t files < <(git ls-files '*.c' '*.cpp' '*.h' '*.cu')
if [ "${1:-}" = --check ]; then
  unformatted=()
  for file in "${files[@]}"; do
    "$clang_format" --dry-run -Werror "$file" 2>/dev/null || unformatted+=("$file")
  done
  if [ ${#unformatted[@]} -ne 0 ]; then
    echo "not formatted (run scripts/format.sh): ${unformatted[*]}"
    exit 1
  fi
  echo "${#files[@]} files formatted"
  exit 0
fi
"$clang_format" -i "${files[@]}"
