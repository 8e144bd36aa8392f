#!/usr/bin/env bash
# What a user gets: `synthbridge demo --quick` from scratch with the code of BASE (a commit) and of this checkout,
# one after the other in the same script run, on the validation split (so no choice ever sees the test set).
# Prints the wall time of each and their ratio, then each pipeline's accuracy difference (this - base) paired by seed
# (bench/ab_accuracy.py), and writes both demo folders and OUT/accuracy.csv under OUT.
# Usage: bash bench/demo_ab.sh BASE [OUT] [SEEDS]    e.g. bash bench/demo_ab.sh 7ee1d80 /tmp/ab 0,1,2
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?give a base commit}; OUT=${2:-$(mktemp -d)}; SEEDS=${3:-0,1,2}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONHASHSEED=0
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo "$PWD/.venv/bin/python" || echo python3 )}
mkdir -p "$OUT"; rm -rf "$OUT/base-src"
git worktree add -q --detach "$OUT/base-src" "$BASE"
trap 'git worktree remove --force "$OUT/base-src"' EXIT
declare -A T
for v in base this; do
  src=$PWD; [ $v = base ] && src=$OUT/base-src
  rm -rf "$OUT/$v"
  t0=$(date +%s.%N)
  (cd "$src" && PYTHONPATH="$src" "$PY" -c "from synthbridge.interface.cli import main; main()" demo --quick \
     --seeds "$SEEDS" --split val --out "$OUT/$v" --no-progress) > "$OUT/$v.log" 2>&1
  T[$v]=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
  echo "$v: ${T[$v]} s (demo --quick --seeds $SEEDS --split val; log $OUT/$v.log)"
done
python3 -c "print('quick_demo_wall_time base/this: %.2f' % (${T[base]} / ${T[this]}))"
"$PY" bench/ab_accuracy.py --base "$OUT/base" --this "$OUT/this" --csv "$OUT/accuracy.csv"
