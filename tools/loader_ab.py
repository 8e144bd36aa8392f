"""Validation accuracy of bridged++ on a folder copy of fashion-catalog: the old folder loader (fastai's DataBlock with
a plain `Resize`: no random crop, no flip, no centre crop; `folder_dls` of commit 7614d9e, read from git) against the
new one (`read_folder`: the registry's random-resized crop + flip and 256/224 centre crop). Small and CPU-cheap.

The real folder: fashion-catalog's validation setting (`validation()`: train on `fit`, evaluate on `heldout`), SHOTS
images per class from `fit` as train/ and TEST images per class from `heldout` as test/, written as PNGs. Stage 1 (the
same for both loaders, trained once per seed): Fashion-MNIST's `source` images in the web corpus's looks
(`world.render_corpus`), SYNTH per class. The arch is EfficientNet-Lite0 with its offline ImageNet weights.

    python tools/loader_ab.py --seeds 0 1
"""
import argparse, json, subprocess, sys, tempfile, time, types, warnings
from pathlib import Path
import numpy as np
from PIL import Image

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[1]
OLD_REF = "7614d9e"  # the last commit with the old folder loader (plain Resize)
sys.path.insert(0, str(ROOT))
from synthbridge.data import get_dataset, read_folder, stratified_subset, FASHION_CLASSES
from synthbridge.prompts import slugify
from synthbridge.data.world import render_corpus
from synthbridge.training.learner import efficientnet_lite0_weights
from synthbridge.training.transfer import TransferConfig, synthetic_stage, bridged_pp


def old_folder_dls():
    "`folder_dls` as commit 7614d9e has it (plain Resize), loaded from git without touching the working tree."
    src = subprocess.run(["git", "show", f"{OLD_REF}:synthbridge/learner.py"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    mod = types.ModuleType("synthbridge._learner_main"); mod.__package__ = "synthbridge"
    exec(compile(src, f"{OLD_REF}:synthbridge/learner.py", "exec"), mod.__dict__)
    return mod.folder_dls


def write(items, d: Path):
    for i, (x, l) in enumerate(items):
        (d/slugify(FASHION_CLASSES[l])).mkdir(parents=True, exist_ok=True)
        Image.fromarray(x).save(d/slugify(FASHION_CLASSES[l])/f"{i}.png")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--shots", type=int, default=10)
    ap.add_argument("--test", type=int, default=30, help="held-out images per class")
    ap.add_argument("--synth", type=int, default=20, help="stage-1 images per class")
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--stage1-epochs", type=int, default=2)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    v = get_dataset("fashion-catalog").validation()
    test = [v.test[i] for i in stratified_subset([l for _, l in v.test], a.test, seed=0)]
    fm = get_dataset("fashion-mnist").subset("source")
    src = [fm.train[i] for i in stratified_subset([l for _, l in fm.train], a.synth, seed=0)]
    synth = list(zip(render_corpus(np.stack([x for x, _ in src]), size=64, cache=False), [l for _, l in src]))
    write(test, tmp/"real"/"test"); write(synth, tmp/"synth")
    old = old_folder_dls(); w = str(efficientnet_lite0_weights()); rows = []
    for seed in a.seeds:
        real = tmp/f"real-{seed}"
        if not real.exists():
            (real/"train").parent.mkdir(parents=True, exist_ok=True)
            write(v.shots(a.shots, seed), real/"train"); (real/"test").symlink_to(tmp/"real"/"test")
        cfg = TransferConfig(arch="tf_efficientnet_lite0", weights=w, epochs=a.epochs, lr=0.01, shots=a.shots,
                             seed=seed, device="cpu")
        s_dls = read_folder(tmp/"synth", seed=seed, valid_pct=0.1).dls(bs=32, size=a.size, num_workers=0,
                                                                        device="cpu")
        from dataclasses import replace
        s1 = synthetic_stage(s_dls, config=replace(cfg, epochs=a.stage1_epochs), mixup=True)
        for name, dls in (("old (Resize only)", old(real, size=a.size, bs=32, num_workers=0, device="cpu")),
                          ("new (registry recipe)", read_folder(real).dls(bs=32, size=a.size, num_workers=0,
                                                                          device="cpu"))):
            t0 = time.time()
            res = bridged_pp(dls, stage1=s1, config=cfg)
            rows.append(dict(loader=name, seed=seed, accuracy=round(float(res.metric), 4),
                             seconds=round(time.time() - t0, 1)))
            print(json.dumps(rows[-1]), flush=True)
    print("\n| loader | " + " | ".join(f"seed {s}" for s in a.seeds) + " | mean |\n|---|" + "---|"*(len(a.seeds) + 1))
    for name in dict.fromkeys(r["loader"] for r in rows):
        accs = [r["accuracy"] for r in rows if r["loader"] == name]
        print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in accs) + f" | {np.mean(accs):.3f} |")


if __name__ == "__main__": main()
