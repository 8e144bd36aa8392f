"""The effect of a change on what the demo measures: paired by seed, each pipeline's accuracy with this checkout's code
minus with a baseline's, over demo folders run on the same seeds and split (as `bench/demo_ab.sh` writes them).

Prints one line per pipeline: the mean paired difference in points with its 95 % t-interval over seeds, each seed's
difference, and both means; with `--csv`, writes the same as a table (one row per pipeline).
Usage: python bench/ab_accuracy.py --base DIR [DIR ...] --this DIR [DIR ...] [--csv FILE]
"""
import argparse, json
from pathlib import Path
import numpy as np
from synthbridge.miniature.study import _ci     # the study's paired 95 % t-interval, so both read the same way

def results(dirs) -> dict:
    "{(pipeline, seed, split): accuracy in %} from the stores of demo folders."
    out = {}
    for d in dirs:
        for p in (Path(d)/"store"/"results").glob("*.json"):
            r = json.loads(p.read_text())
            c = r["config"]
            out[(c["pipeline"], c["seed"], (c.get("extra") or {}).get("split", "test"))] = r["metric"]*100
    return out

def paired(base: dict, this: dict) -> list:
    rows = []
    for pipe in sorted({k[0] for k in base} & {k[0] for k in this}):
        keys = sorted(k for k in base if k[0] == pipe and k in this)
        d = np.array([this[k] - base[k] for k in keys])
        mean, lo, hi, _ = _ci(d)
        rows.append(dict(pipeline=pipe, seeds=" ".join(str(k[1]) for k in keys), split=keys[0][2], n=len(d),
                         base_mean=round(float(np.mean([base[k] for k in keys])), 2),
                         this_mean=round(float(np.mean([this[k] for k in keys])), 2),
                         diff=round(mean, 2), ci_low=round(lo, 2), ci_high=round(hi, 2),
                         per_seed=" ".join(f"{v:+.1f}" for v in d)))
    return rows

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", nargs="+", required=True, help="demo folders run with the baseline's code")
    ap.add_argument("--this", nargs="+", required=True, help="demo folders run with this checkout's code")
    ap.add_argument("--csv", help="write the table here")
    a = ap.parse_args()
    rows = paired(results(a.base), results(a.this))
    if not rows: raise SystemExit("no run is in both the base and this folders (same pipeline, seed and split)")
    for r in rows:
        print(f"{r['pipeline']}: this - base {r['diff']:+.1f} [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}] points over "
              f"{r['n']} seeds ({r['split']} split; base {r['base_mean']:.1f}, this {r['this_mean']:.1f}; "
              f"per seed {r['per_seed']})")
    if a.csv:
        import pandas as pd
        pd.DataFrame(rows).to_csv(a.csv, index=False)

if __name__ == "__main__":
    main()
