"""Benchmark of `synthbridge.generation.generate` against baselines measured in the same run (prints `name: ratio` lines).

- generate_overhead: wall time of `generate` / a bare loop of `pipe(prompt_batch, generator=[...]).images` + `img.save`
  over the same tiny pipeline, prompts, seeds and batches (both write the same bytes, checked). Target <= 1.05.
- peak_rss_500_vs_10: peak RSS of a process generating 500 images / one generating 10 (separate processes,
  tiny pipeline, 1 step, 32 px). Target <= 1.10: images stream to disk.
- batch8_vs_batch1_images_per_s: images/s of `generate` at batch_size=8 / at batch_size=1.

Tiny random pipeline (synthbridge.testing.tiny_pipeline), CPU unless CUDA is available; one torch thread unless
SYNTHBRIDGE_BENCH_THREADS says otherwise (the tiny model is fastest on one thread and shared machines thrash with more).
Usage: python bench/bench_generate.py [--quick]   (or `bash bench/run generate`)
"""
import argparse, json, os, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
THREADS = os.environ.get("SYNTHBRIDGE_BENCH_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", THREADS)

def rss_child(n: int, folder: str) -> None:
    "Generate n images (tiny pipeline, 1 step, 32 px) and print the peak RSS in MiB."
    import torch
    torch.set_num_threads(int(THREADS))
    from synthbridge.testing import tiny_pipeline
    from synthbridge.generation.generate import generate
    pipe = tiny_pipeline()
    classes = [f"class {i}" for i in range(10)]
    generate(pipe, classes, folder, n_per_class=n // 10, num_inference_steps=1, height=32, width=32, batch_size=8, progress=False)
    print(json.dumps(dict(rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))

def main(quick: bool = False):
    import numpy as np, torch
    torch.set_num_threads(int(THREADS))
    from PIL import Image
    from synthbridge.testing import tiny_pipeline
    from synthbridge.generation.generate import generate, image_seed
    from synthbridge.prompts import make_prompt, class_slugs
    device = "cuda" if torch.cuda.is_available() else "cpu"
    pipe = tiny_pipeline().to(device)
    classes = ["tabby cat", "golden retriever", "F/A-18", "orchid"]
    n, bs, steps, hw = (8, 8, 2, 64) if quick else (16, 8, 3, 64)
    call = dict(num_inference_steps=steps, guidance_scale=3.5, height=hw, width=hw)
    tmp = Path(tempfile.mkdtemp(prefix="bench_generate_"))
    print(f"# device: {device} ({torch.get_num_threads()} torch thread(s)); tiny pipeline, {hw} px, {steps} DDPM steps, "
          f"{len(classes)} classes x {n} images, batch {bs}")

    def bare(out: Path):
        "The loop a user would write: prompts and per-image generators for each batch, pipe(...), save."
        t = time.perf_counter()
        for c, (name, slug) in enumerate(zip(classes, class_slugs(classes))):
            (out/slug).mkdir(parents=True, exist_ok=True)
            for a in range(0, n, bs):
                idx = range(a, min(a + bs, n))
                ims = pipe([make_prompt(name, c, i, 0) for i in idx], generator=[torch.Generator().manual_seed(image_seed(0, c, i)) for i in idx], **call).images
                for i, im in zip(idx, ims): im.save(out/slug/f"{i}.png")
        return time.perf_counter() - t

    def ours(out: Path, batch_size=bs):
        t = time.perf_counter()
        generate(pipe, classes, out, n_per_class=n, batch_size=batch_size, progress=False, **call)
        return time.perf_counter() - t

    ours(tmp/"warm"); bare(tmp/"warm-bare")                       # warm-up (allocator, kernels)
    tb, to = [], []
    for r in range(3):                                            # interleaved, best of 3
        tb.append(bare(tmp/f"bare{r}")); to.append(ours(tmp/f"ours{r}"))
    same = all((tmp/"bare0"/p.relative_to(tmp/"ours0")).read_bytes() == p.read_bytes() for p in (tmp/"ours0").rglob("*.png"))
    print(f"# bare loop {min(tb):.2f} s, generate {min(to):.2f} s for {n*len(classes)} images; same bytes: {same}")
    print(f"generate_overhead: {min(to)/min(tb):.3f}")

    rss = {}
    for k in (10, 500):
        r = subprocess.run([sys.executable, __file__, "--rss-child", str(k), str(tmp/f"rss{k}")], capture_output=True, text=True,
                           env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
        if r.returncode: raise SystemExit(r.stderr[-3000:])
        rss[k] = json.loads(r.stdout.strip().splitlines()[-1])["rss_mib"]
        assert len(list((tmp/f"rss{k}").rglob("*.png"))) == k
    print(f"# peak RSS: 10 images {rss[10]:.0f} MiB, 500 images {rss[500]:.0f} MiB (CPU, 1 step, 32 px)")
    print(f"peak_rss_500_vs_10: {rss[500]/rss[10]:.3f}")

    t1, t8 = ours(tmp/"b1", batch_size=1), ours(tmp/"b8", batch_size=8)
    print(f"# images/s: batch 1 {n*len(classes)/t1:.2f}, batch 8 {n*len(classes)/t8:.2f} ({device}, tiny pipeline)")
    print(f"batch8_vs_batch1_images_per_s: {t1/t8:.3f}")
    shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer images and steps (noisier ratios)")
    ap.add_argument("--rss-child", nargs=2)
    a = ap.parse_args()
    if a.rss_child: rss_child(int(a.rss_child[0]), a.rss_child[1])
    else: main(a.quick)
