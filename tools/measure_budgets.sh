#!/usr/bin/env bash
# Measures what the README promises, as a new user meets it: from a fresh clone of this repository's HEAD, with an
# empty cache, alone on the machine: `bash .ci/setup`, `synthbridge demo` (the default: 3 seeds), then
# `synthbridge demo --study` in the same folder (it shares the demo's Table 2 runs), then `synthbridge demo --quick`.
# Writes nbs/results/budgets.json (minutes, the machine, the commit) and copies the study's scoreboard.csv and
# style_gap.json, the demo's summary.json and the study's timing.json next to it; the docs quote them through code.
# Usage: bash tools/measure_budgets.sh [WORK_FOLDER]     (about 45 minutes on a 2-core CPU)
set -euo pipefail
SRC=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
WORK=${1:-$(mktemp -d)}
rm -rf "$WORK/clone" "$WORK/cache" "$WORK/demo" "$WORK/quick"; mkdir -p "$WORK"
git clone -q "$SRC" "$WORK/clone"
cd "$WORK/clone"
export SYNTHBRIDGE_CACHE="$WORK/cache" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
now() { python3 -c 'import time; print(time.time())'; }
step() { # name, command...
  local name=$1; shift; local t0; t0=$(now)
  "$@" > "$WORK/$name.log" 2>&1 || { echo "$name failed: see $WORK/$name.log"; exit 1; }
  python3 -c "print(round(($(now) - $t0) / 60, 1))" > "$WORK/$name.min"
  echo "$name: $(cat "$WORK/$name.min") min"
}
step setup bash .ci/setup
step demo .venv/bin/synthbridge demo --out "$WORK/demo" --no-progress
step study .venv/bin/synthbridge demo --study --out "$WORK/demo" --no-progress
step quick .venv/bin/synthbridge demo --quick --out "$WORK/quick" --no-progress
OUT="$SRC/nbs/results"; mkdir -p "$OUT"
cp "$WORK/demo/scoreboard.csv" "$WORK/demo/summary.json" "$WORK/demo/style_gap.json" "$OUT/"
cp "$WORK/demo/timing.json" "$OUT/study_timing.json"
python3 - "$WORK" "$OUT" "$(git rev-parse --short HEAD)" <<'PY'
import json, os, platform, sys, time
work, out, commit = sys.argv[1:]
m = {k: float(open(f"{work}/{k}.min").read()) for k in ("setup", "demo", "study", "quick")}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
rec = dict(minutes=dict(setup=m["setup"], demo=m["demo"], study_after_demo=m["study"],
                        study_in_all=round(m["demo"] + m["study"], 1), quick=m["quick"]),
           cpus=os.cpu_count(), cpu=cpu, commit=commit, date=time.strftime("%Y-%m-%d"),
           how="fresh clone, empty cache, alone on the machine: bash tools/measure_budgets.sh")
tmp = f"{out}/budgets.json.tmp"; open(tmp, "w").write(json.dumps(rec, indent=1) + "\n"); os.replace(tmp, f"{out}/budgets.json")
print(json.dumps(rec["minutes"]))
PY
