"""Measure the numbers behind the calibrated bands of tests/test_science.py (BANDS): the embedded-model bridged++ run
over several seeds, and the quick demo over several seeds. Prints the values and the bands they suggest; copy them into
BANDS by hand (with the date and machine) after changing the embedded model, the demo presets or the backbone.

    python tools/calibrate_bands.py [--seeds 0,1,2] [--no-demo]

Run it with the environment of CI (OMP_NUM_THREADS=1, HF_HUB_OFFLINE=1) on the 2-core CPU machine."""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT/"tests")]

def band(values, chance=None):
    "Margin/band rule used by the tests: mean - 3 × max(std, 0.02) ... mean + 3 × max(std, 0.02) (accuracy units)."
    m, sd = statistics.mean(values), statistics.pstdev(values) if len(values) > 1 else 0.0
    w = 3*max(sd, 0.02)
    return dict(mean=round(m, 4), std=round(sd, 4), low=round(m - w, 3), high=round(m + w, 3),
                **({"margin_over_chance": round(m - w - chance, 3)} if chance is not None else {}))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--no-demo", action="store_true", help="skip the quick demo (about 3 min per seed)")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    import torch; torch.set_num_threads(1)
    from test_science import embedded_run, EMBEDDED
    tmp = Path(tempfile.mkdtemp(prefix="calibrate-"))
    runs = [embedded_run(s, tmp, synth_dir=tmp/"synth", leep=True) for s in seeds]
    for r in runs: print(json.dumps(r))
    top1 = [r["top1"] for r in runs]
    b = band(top1)
    print("embedded bridged++", EMBEDDED, "top-1:", b, "; floor = lowest seed - std:",
          round(min(top1) - b["std"], 3), "= chance +", round(min(top1) - b["std"] - runs[0]["chance"], 3))
    print("LEEP synthetic - ImageNet:", [round(r["leep_synthetic"] - r["leep_imagenet"], 3) for r in runs])
    from test_science import pinned_classifier, CAS_SETTINGS
    from synthbridge.miniature.mini import mini_pipeline
    from synthbridge.miniature.mini_eval import classification_accuracy_score
    clf, acc = pinned_classifier()
    cas = [classification_accuracy_score(mini_pipeline(), classifier=clf, progress=False, **(CAS_SETTINGS | dict(seed=s)))["cas"]
           for s in seeds]
    print(f"CAS (small): pinned classifier {acc:.3f}; per seed {[round(c, 3) for c in cas]} -> floor", band(cas)["low"])
    if a.no_demo: return
    from synthbridge.miniature.demo import demo
    t = time.time()
    res = demo(out=tmp/"demo", quick=True, seeds=tuple(seeds), progress=False)
    summary = json.loads((tmp/"demo"/"summary.json").read_text())
    print(f"quick demo over seeds {seeds} ({time.time() - t:.0f} s):")
    for row in summary["table"]: print(" ", json.dumps(row))
    from synthbridge.experiment import load_results
    d = load_results(tmp/"demo"/"store")
    d = d[d["metric"].notna() & d["pipeline"].notna()]
    for p, g in d.groupby("pipeline"):
        print(f"  {p}: per seed {[round(v*100, 1) for v in g.sort_values('seed')['metric']]} -> band (%)",
              {k: round(v*100, 1) if isinstance(v, float) else v for k, v in band(list(g["metric"])).items()})

if __name__ == "__main__": main()
