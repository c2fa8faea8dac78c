#!/usr/bin/env bash
# Fuzzes every parser users feed (fuzz/: safetensors, safetensors-index,
# npy, manifest, plan, ir) with libFuzzer under UBSan (and ASan on the runtime's readers), for [seconds] per target (60 by
# default), one target after another. Builds build-fuzz/ with clang 22 (and
# installs clang-22 and libclang-rt-22-dev where missing). Each target starts
# from its checked-in corpus test/fuzz/<target>/ and grows a working corpus
# in build-fuzz/corpus/<target>/; crashes, leaks and timeouts are written to
# build-fuzz/findings/<target>/ and fail the script. Ends with one line per
# target: executions, corpus size, findings.
#   TP_FUZZ_TARGETS="npy plan" scripts/fuzz.sh 1800   # two targets, 30 min
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
targets=${TP_FUZZ_TARGETS:-safetensors safetensors-index npy manifest plan ir}

"$root/scripts/install-deps.sh"
missing=()
for p in clang-22 libclang-rt-22-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_CUDA_COMPILER=OFF -DTP_FUZZ=ON
fi
# shellcheck disable=SC2086 # targets is a list.
ninja -C "$build" -j "${TP_JOBS:-2}" $(printf 'tp-fuzz-%s ' $targets)

export ASAN_OPTIONS=abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()
for target in $targets; do
  corpus=$build/corpus/$target findings=$build/findings/$target
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz-$target.log
  "$build/fuzz/tp-fuzz-$target" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$root/test/fuzz/$target" >"$log" 2>&1 || status=1
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  # libFuzzer reports a unit over 10 s as slow; on a loaded machine (other
  # fuzzers, a build) that is often load. A slow unit that runs alone in
  # under 10 s is set aside in slow-under-load/, not counted as a finding.
  fast=0
  for unit in "$findings"/slow-unit-*; do
    [ -e "$unit" ] || continue
    if timeout 10 "$build/fuzz/tp-fuzz-$target" "$unit" >/dev/null 2>&1; then
      mkdir -p "$build/slow-under-load/$target"
      mv "$unit" "$build/slow-under-load/$target/"
      fast=$((fast + 1))
    fi
  done
  found=$(find "$findings" -type f | wc -l)
  [ "$found" -eq 0 ] || status=1
  summary+=("$target: ${runs:-?} executions in ${seconds} s, corpus $(find "$corpus" -type f | wc -l) files, $found findings ($fast slow only under load)")
done
printf '%s\n' "${summary[@]}"
exit "$status"
