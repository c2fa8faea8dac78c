#!/usr/bin/env bash
# Times compiling Llama-7B-shaped models of growing depth to an executable,
# beside sharding alone and beside upstream MLIR's shard pipeline.
#
#   bench/compile-depth.sh [N ...]        (default: 32 128 512 1024 layers)
#
# For each N, models of bench/gen-llama.sh --layers N --seq 2048 (dim 4096,
# 32 heads, 8 kv heads, ffn 11008) on tp:8 with the Llama 3 plan, and of
# bench/gen-llama-shard.sh --layers N (the same blocks in linalg with shard
# annotations), and the CPU seconds (user + system, the linker's included),
# milliseconds per layer and peak RSS of
#   tp-opt model.mlir --tp-parallelize="mesh=tp:8 plan=plan.json"
#   tp-compile model.mlir --plan plan.json -o model      (also: its size)
#   the same with --no-verify, without the unsharded program (its CPU
#   seconds and size)
#   mlir-opt shard.mlir --pass-pipeline=
#       'builtin.module(func.func(sharding-propagation,shard-partition))'
# The best of RUNS runs (CPU time) and the largest peak RSS.
#
# Environment: TP_BUILD_DIR (default build/ under the repository root),
# MLIR_OPT (default mlir-opt of llvm-config-22 --bindir), RUNS (default 1),
# KEEP=1 keeps the temporary directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TP_BUILD_DIR:-$root/build}
mlir_opt=${MLIR_OPT:-$(llvm-config-22 --bindir 2>/dev/null || echo /usr/lib/llvm-22/bin)/mlir-opt}
runs=${RUNS:-1}

die() {
  echo "compile-depth.sh: error: $*" >&2
  exit 1
}

for tool in "$build/bin/tp-opt" "$build/bin/tp-compile" "$mlir_opt"; do
  [ -x "$tool" ] || die "no $tool (build with scripts/build.sh; set TP_BUILD_DIR or MLIR_OPT)"
done
[ -x /usr/bin/time ] ||
  die "/usr/bin/time is missing: install GNU time (apt-get install time, or scripts/install-deps.sh)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive whole number, got '$runs'"
source "$root/bench/common.sh"
start_depth_bench "32 128 512 1024" "$@"

# measure <cmd...>: runs the command $runs times under /usr/bin/time; sets
# cpu_s (the least user + system seconds) and rss_mib (the largest peak
# RSS). On failure prints the command and its errors, exits 1.
measure() {
  local i user sys kib s
  cpu_s='' rss_mib=0
  for ((i = 0; i < runs; i++)); do
    if ! /usr/bin/time -f "%U %S %M" -o "$tmp/time.txt" "$@" 2>"$tmp/err.txt"; then
      printf 'compile-depth.sh: failed:' >&2
      printf ' %q' "$@" >&2
      echo >&2
      cat "$tmp/err.txt" "$tmp/time.txt" >&2
      exit 1
    fi
    read -r user sys kib < <(tail -n 1 "$tmp/time.txt")
    s=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    if [ -z "$cpu_s" ] || awk -v a="$s" -v b="$cpu_s" 'BEGIN { exit !(a < b) }'; then
      cpu_s=$s
    fi
    rss_mib=$(awk -v k="$kib" -v m="$rss_mib" 'BEGIN { v = k / 1024; printf "%.0f", (v > m ? v : m) }')
  done
}

# cells <layers>: CPU s, ms per layer and peak MiB of the last measure.
cells() {
  printf '%s %s %s' "$cpu_s" "$(awk -v t="$cpu_s" -v n="$1" 'BEGIN { printf "%.2f", 1000 * t / n }')" "$rss_mib"
}

echo "model: Llama-7B shape (dim 4096, heads 32, kv-heads 8, ffn 11008, seq 2048), tp:8;"
echo "CPU seconds (user + system), best of $runs; peak RSS in MiB"
echo
row() { printf "%6s | %6s %6s %5s | %6s %6s %5s %9s | %6s %9s | %6s %6s %5s\n" "$@"; }
row "" tp-opt "" "" tp-compile "" "" "" --no-verify "" mlir-opt "" ""
row layers "CPU s" ms/lay MiB "CPU s" ms/lay MiB "exe KiB" "CPU s" "exe KiB" "CPU s" ms/lay MiB
for n in "${layer_counts[@]}"; do
  "$root/bench/gen-llama.sh" --layers "$n" --seq 2048 >"$tmp/llama.mlir"
  "$root/bench/gen-llama-shard.sh" --layers "$n" >"$tmp/shard.mlir"

  measure "$build/bin/tp-opt" "$tmp/llama.mlir" \
    --tp-parallelize="mesh=tp:8 plan=$tmp/plan.json" -o /dev/null
  read -r -a opt <<<"$(cells "$n")"
  measure "$build/bin/tp-compile" "$tmp/llama.mlir" --plan "$tmp/plan.json" \
    -o "$tmp/llama"
  read -r -a compile <<<"$(cells "$n")"
  exe_kib=$(($(stat -c %s "$tmp/llama") / 1024))
  measure "$build/bin/tp-compile" "$tmp/llama.mlir" --plan "$tmp/plan.json" \
    --no-verify -o "$tmp/llama"
  no_verify=("$cpu_s" $(($(stat -c %s "$tmp/llama") / 1024)))
  measure "$mlir_opt" "$tmp/shard.mlir" -o /dev/null \
    --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))'
  read -r -a upstream <<<"$(cells "$n")"
  row "$n" "${opt[@]}" "${compile[@]}" "$exe_kib" "${no_verify[@]}" "${upstream[@]}"
done
echo
echo "tp-opt: sharding only (tp-parallelize). tp-compile: sharding, lowering to runtime"
echo "calls, LLVM code generation and the link, with the unsharded program that --verify"
echo "runs (--no-verify: without it). mlir-opt: upstream's sharding-propagation"
echo "and shard-partition on the same blocks in linalg (bench/gen-llama-shard.sh)."
