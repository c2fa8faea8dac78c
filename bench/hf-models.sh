#!/usr/bin/env bash
# What each rank holds and moves for real Hugging Face models at full size.
#
#   bench/hf-models.sh [CONFIG.json ...]   (default: /work/shared/models/*.config.json)
#
# For each config: `tp-import CONFIG --batch B --seq S --dtype D --plan-out
# plan.json` (every layer, the config's torch_dtype), then for tp 1, 2, 4 and
# 8 `tp-opt --tp-parallelize="mesh=tp:N plan=plan.json report-json=r.json"`
# (the report of tp-report: bytes of parameters per rank, every collective
# with its bytes per rank). Prints a markdown table: model, tp, parameters per
# rank (count, and bytes in the dtype), the collectives of one forward step
# (count by kind, over groups of more than one rank; bytes sent per rank),
# or the error for a mesh the model
# does not divide.
#
# Environment: TP_BIN (default build/bin under the repository root), MODELS
# (default /work/shared/models), BATCH (default 1), SEQ (default 16),
# MESHES (default "1 2 4 8"), KEEP=1 keeps the temporary directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${TP_BIN:-$root/build/bin}
models=${MODELS:-/work/shared/models}
batch=${BATCH:-1}
seq=${SEQ:-16}
meshes=${MESHES:-1 2 4 8}

die() {
  echo "hf-models.sh: error: $*" >&2
  exit 1
}

for tool in tp-import tp-opt; do
  [ -x "$bin/$tool" ] || die "no $tool in $bin (build it with scripts/build.sh, or set TP_BIN)"
done
# python3 with numpy (Debian's python3-numpy, as scripts/install-deps.sh
# installs) reads the reports and counts Hugging Face's parameters.
python=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "${PYTHON:-}" ] && python=/usr/bin/python3
"$python" -c 'import numpy' 2>/dev/null || die "needs python3 with numpy (set PYTHON)"
[[ $batch =~ ^[1-9][0-9]*$ && $seq =~ ^[1-9][0-9]*$ ]] ||
  die "BATCH and SEQ must be positive whole numbers"

if [ $# -gt 0 ]; then
  configs=("$@")
else
  configs=("$models"/*.config.json)
  [ -e "${configs[0]}" ] || die "no *.config.json in $models (set MODELS)"
fi

tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi

# json_field FILE EXPR: a value of a JSON file (Python expression on `j`).
json_field() {
  "$python" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# first_error FILE: the first line of a tool's output that says what went
# wrong, shortened for a table cell.
first_error() {
  local line
  line=$(grep -m1 -i 'error' "$1" || head -n1 "$1")
  line=${line//|/\\|}
  echo "${line:0:160}"
}

# group_digits N: 1234567 -> 1,234,567.
group_digits() {
  echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'
}

# human BYTES: binary units, two decimals.
human() {
  awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1
    while (b >= 1024 && i < 5) { b /= 1024; i++ }
    printf "%.2f %s", b, u[i] }'
}

echo "tp-import, tp-opt: $bin; batch $batch, seq $seq; the config's dtype"
echo
echo "| model | dtype | tp | parameters per rank | bytes per rank | collectives per step | collective bytes per rank |"
echo "|---|---|---|---:|---:|---|---:|"
notes=()
for config in "${configs[@]}"; do
  name=$(basename "$config" .config.json)
  dtype=$(json_field "$config" '{"bfloat16": "bf16", "float16": "f16", "float32": "f32"}.get(j.get("torch_dtype"), "f32")')
  elem=$(case $dtype in f32) echo 4 ;; *) echo 2 ;; esac)
  model=$tmp/$name.mlir plan=$tmp/$name-plan.json
  hf_count=$("$python" "$root/test/e2e/hf_reference.py" --count "$config")
  notes+=("$name: $(group_digits "$hf_count") parameters in Hugging Face's model ($(human $((hf_count * elem))) in $dtype)")
  if ! "$bin/tp-import" "$config" -o "$model" --batch "$batch" --seq "$seq" \
    --dtype "$dtype" --plan-out "$plan" >"$tmp/import.txt" 2>&1; then
    echo "| $name | $dtype | all | tp-import failed: $(first_error "$tmp/import.txt") | | | |"
    continue
  fi
  for n in $meshes; do
    report=$tmp/$name-tp$n.json
    if ! "$bin/tp-opt" "$model" \
      --tp-parallelize="mesh=tp:$n plan=$plan report-json=$report" \
      -o /dev/null >"$tmp/opt.txt" 2>&1; then
      echo "| $name | $dtype | $n | error: $(first_error "$tmp/opt.txt") | | | |"
      continue
    fi
    bytes=$(json_field "$report" 'j["parameter_bytes"]')
    count=$(json_field "$report" "j['parameter_bytes'] // $elem")
    # Collectives over groups of one rank (tp:1) move nothing: not counted.
    kinds=$(json_field "$report" '", ".join(f"{n} {k}" for k, n in sorted(__import__("collections").Counter(c["op"] for c in j["collectives"] if c["group_size"] > 1).items())) or "none"')
    total=$(json_field "$report" 'sum(c["group_size"] > 1 for c in j["collectives"])')
    moved=$(json_field "$report" 'int(j["collective_bytes"])')
    printf '| %s | %s | %s | %s | %s | %s (%s) | %s |\n' "$name" "$dtype" "$n" \
      "$(group_digits "$count")" "$(human "$bytes")" "$total" "$kinds" "$(human "$moved")"
  done
done
echo
echo "For comparison, the models' own parameter counts (test/e2e/hf_reference.py --count):"
for note in "${notes[@]}"; do
  echo "- $note"
done
