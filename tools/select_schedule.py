"""Choose the CPU miniature's training schedule on the validation split, never on the test set (how the default
preset's epochs and learning rate were chosen; the record is in nbs/09b_demo_runs.ipynb). Runs the demo's Table 2
grid once per variant with `split='val'`: 10-shot subsets of `fashion-catalog`'s `fit` part (the pool's first 8,000
images), evaluated on its `heldout` part (the last 2,000). Prints each pipeline's validation accuracy per variant and
the choice.

    python tools/select_schedule.py --variant '{"lr": 0.01, "epochs": 12}' --variant '{"lr": 0.01, "epochs": 24}' \
        [--seeds 0,1,2] [--out /tmp/select-schedule] [--workers 2]

A variant is a JSON object of `DemoSettings` fields (epochs, lr, stage1_epochs, batch_size, ...). The criterion, fixed
before any result was seen: the highest mean validation accuracy over the four pipelines (one recipe for every
pipeline, as the paper's Table 5 gives one learning rate per dataset, chosen 'for maximum performance'). Each variant
is a plain `demo(split='val')` in its own folder under --out (report included), so a rerun resumes. Run it with the
environment of CI (OMP_NUM_THREADS=1, HF_HUB_OFFLINE=1) on the 2-core CPU machine."""
import argparse, hashlib, json, time
from pathlib import Path

PIPES = ("vanilla", "mixed", "bridged", "bridged++")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", required=True, help="a JSON object of demo settings")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", default="/tmp/select-schedule")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    from synthbridge.miniature.demo import demo
    rows = []
    for v in a.variant:
        over = json.loads(v)
        out = Path(a.out)/hashlib.sha1(json.dumps(over, sort_keys=True).encode()).hexdigest()[:10]
        t = time.time()
        res = demo(out=out, split="val", seeds=[int(x) for x in a.seeds.split(",")], workers=a.workers, progress=False,
                   **over)
        acc = dict(zip(res.table["pipeline"], res.table["mean"]))
        row = dict(variant=over, **{p: round(acc[p], 1) for p in PIPES if p in acc},
                   mean=round(sum(acc.values())/len(acc), 2), wall_s=round(time.time() - t))
        print(json.dumps(row), flush=True); rows.append(row)
    print("validation accuracy (%), mean over seeds", a.seeds)
    for r in rows: print(json.dumps(r["variant"]), " ".join(f"{p} {r.get(p, float('nan')):.1f}" for p in PIPES),
                         f"mean {r['mean']:.1f}")
    print("chosen:", json.dumps(max(rows, key=lambda r: r["mean"])["variant"]))

if __name__ == "__main__": main()
