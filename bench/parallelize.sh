#!/usr/bin/env bash
# Times `tp-opt --tp-parallelize` on Llama-7B-shaped models of growing depth.
#
#   bench/parallelize.sh [N ...]        (default: 1 8 32 128 layers)
#
# For each N: bench/gen-llama.sh --layers N (dim 4096, 32 heads, 8 kv heads,
# ffn 11008, vocab 32000, batch 1, seq 16) into a temporary directory, then
#   tp-opt model.mlir -o /dev/null                                    (baseline)
#   tp-opt model.mlir --tp-parallelize="mesh=tp:8 plan=plan.json" -o /dev/null
# each run 3 times; the table shows the best wall time and the largest peak
# RSS, plus the collectives the report counts (expected 4 per layer + 3).
# The plan is the Llama 3 tensor-parallel example's plan with sequence
# parallelism (as python-free-examples/llama-tiny/plan.json) on tp 8.
#
# Environment: TP_OPT (default build/bin/tp-opt under the repository root),
# RUNS (default 3), KEEP=1 keeps the temporary directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tp_opt=${TP_OPT:-$root/build/bin/tp-opt}
gen=$root/bench/gen-llama.sh
runs=${RUNS:-3}

die() {
  echo "parallelize.sh: error: $*" >&2
  exit 1
}

[ -x "$tp_opt" ] || die "no tp-opt at $tp_opt (build it with scripts/build.sh, or set TP_OPT)"
[ -x /usr/bin/time ] ||
  die "/usr/bin/time is missing: install GNU time (apt-get install time, or scripts/install-deps.sh)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive whole number, got '$runs'"
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 or later (for \$EPOCHREALTIME)"

source "$root/bench/common.sh"
start_depth_bench "1 8 32 128" "$@"

# measure <label> <cmd...>: runs the command $runs times under /usr/bin/time;
# sets best_s (best wall seconds, from bash's microsecond clock) and rss_mib
# (largest peak RSS). On failure prints the command and its errors, exits 1.
measure() {
  local label=$1
  shift
  local i t0 t1 s kib
  best_s='' rss_mib=0
  for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$@" 2>"$tmp/err.txt"; then
      echo "parallelize.sh: $label failed:" >&2
      printf ' %q' "$@" >&2
      echo >&2
      cat "$tmp/err.txt" "$tmp/time.txt" >&2
      exit 1
    fi
    t1=$EPOCHREALTIME
    # GNU time's %e has only 10 ms resolution; the wall time comes from
    # $EPOCHREALTIME around it, the peak RSS (KiB) from its %M.
    read -r _ kib < <(tail -n 1 "$tmp/time.txt")
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$s
    fi
    rss_mib=$(awk -v k="$kib" -v m="$rss_mib" 'BEGIN { v = k / 1024; printf "%.1f", (v > m ? v : m) }')
  done
}

echo "tp-opt: $tp_opt"
echo "model: Llama-7B shape (dim 4096, heads 32, kv-heads 8, ffn 11008, vocab 32000, batch 1, seq 16)"
echo "plan: Llama 3 tensor + sequence parallel plan, mesh tp:8; best of $runs runs"
echo
row() { printf "%7s %8s %10s %9s %13s %9s %11s %11s %12s\n" "$@"; }
row layers lines "parse s" "parse MiB" "parallelize s" "peak MiB" "s/layer" "pass s/lay" "collectives"
row ------ ----- ------- --------- ------------- -------- ------- ---------- -----------
for n in "${layer_counts[@]}"; do
  model=$tmp/llama-$n.mlir
  "$gen" --layers "$n" >"$model"
  lines=$(wc -l <"$model")

  measure "parse+print of $n layers" "$tp_opt" "$model" -o /dev/null
  parse_s=$best_s parse_mib=$rss_mib

  measure "tp-parallelize of $n layers" "$tp_opt" "$model" \
    --tp-parallelize="mesh=tp:8 plan=$tmp/plan.json" -o /dev/null
  par_s=$best_s par_mib=$rss_mib

  # One more, untimed run with the report, to count the collectives.
  if ! "$tp_opt" "$model" --tp-parallelize="mesh=tp:8 plan=$tmp/plan.json report=true" \
      -o /dev/null >"$tmp/report.txt" 2>"$tmp/err.txt"; then
    echo "parallelize.sh: report of $n layers failed:" >&2
    cat "$tmp/err.txt" >&2
    exit 1
  fi
  ncoll=$(awk '/^collectives: / { print $2; exit }' "$tmp/report.txt")
  expected=$((4 * n + 3))
  [ "${ncoll:-?}" = "$expected" ] || ncoll="${ncoll:-?} (want $expected)"

  per_layer=$(awk -v t="$par_s" -v n="$n" 'BEGIN { printf "%.4f", t / n }')
  pass_per_layer=$(awk -v t="$par_s" -v p="$parse_s" -v n="$n" 'BEGIN { printf "%.4f", (t - p) / n }')
  row "$n" "$lines" "$parse_s" "$parse_mib" "$par_s" "$par_mib" "$per_layer" "$pass_per_layer" "$ncoll"
done
echo
echo "parse s / parse MiB: tp-opt reading and printing the model, no passes (baseline)."
echo "s/layer: parallelize s / layers; pass s/lay: (parallelize s - parse s) / layers."
