#!/usr/bin/env bash
# Pools two `synthbridge demo --study` folders run on different seeds into a third, by hard links (no copy), so that
# the study can score all their seeds together. Nothing is trained: every run, stage-1 model, style token and synthetic
# set is already in one of the stores, and `style_gap.json` is merged. Then score it, e.g.:
#   bash tools/pool_studies.sh study-0-2 study-5-7 pooled
#   synthbridge demo --study --seeds 0,1,2,5,6,7 --out pooled
# The two folders must come from the same settings and code (same run ids for the same seed); the first one's copy
# wins where both hold the same file.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: bash tools/pool_studies.sh STUDY_A STUDY_B OUT"; exit 2; }
A=$1; B=$2; OUT=$3
for d in "$A" "$B"; do [ -d "$d/store" ] || { echo "$d: no store/ folder (not a study folder)"; exit 2; }; done
[ ! -e "$OUT" ] || { echo "$OUT exists: give a new folder"; exit 2; }
mkdir -p "$OUT/store"
for d in results runs stage1 styles synth done; do
  mkdir -p "$OUT/store/$d"
  for src in "$A/store/$d" "$B/store/$d"; do
    if [ -d "$src" ]; then cp -aln "$src/." "$OUT/store/$d/"; fi
  done
done
python3 - "$A" "$B" "$OUT" <<'PY'
import json, os, sys
a, b, out = sys.argv[1:]
gap = {}
for d in (b, a):                                    # the first folder's measurements win
    f = os.path.join(d, "style_gap.json")
    if os.path.exists(f): gap |= json.load(open(f))
tmp = os.path.join(out, "style_gap.json.tmp")
with open(tmp, "w") as fh: json.dump(gap, fh, indent=1)
os.replace(tmp, os.path.join(out, "style_gap.json"))
PY
echo "pooled $A and $B into $OUT"
