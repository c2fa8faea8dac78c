#!/usr/bin/env bash
# Installs the Debian packages tp-mlir needs to build and test: LLVM/MLIR 22,
# the build tools and clang-format 22 (the format check), OpenBLAS, oneDNN
# (bf16 GEMMs), OpenMPI, nlohmann-json and GoogleTest for the runtime, and
# numpy for the reference checks.
# Idempotent: packages already present are skipped quickly by apt.
set -euo pipefail

packages=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  cmake ninja-build ccache g++ clang-format-22
  libopenblas-dev libdnnl-dev openmpi-bin libopenmpi-dev
  nlohmann-json3-dev libgtest-dev
  python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
