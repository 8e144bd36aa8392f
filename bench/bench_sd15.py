"""Stable Diffusion 1.5's shapes on this machine: a random-weight pipeline built from SD 1.5's exact configs
(synthbridge.testing.sd15_pipeline: UNet 859.5M, text encoder 123.1M, VAE 83.7M parameters, real CLIP tokenizer)
runs `generate` (512 px, 2 DDPM steps), `invert_style` (512 px, 2 steps, then diffusers' own
`load_textual_inversion`) and bridged++ with timm's `resnet18` (random init) at 224 px.

Each step runs in a fresh subprocess, so its peak RSS (`ru_maxrss`) is its own; the pipeline build is timed apart.
Prints one line per step and, with `--json FILE`, writes the figures and what each step produced (the slow test
`tests/test_sd15.py` checks those). Needs about 9 GB of RAM in float32; `--dtype bf16` builds the frozen parts in
bfloat16 (generate: the whole pipeline; invert_style: UNet and VAE, the embedding trains in float32).

    python bench/bench_sd15.py [--threads 2] [--dtype fp32|bf16] [--steps generate,invert,bridged] [--json out.json]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
CLASSES = ["airliner", "biplane"]


def _peak_gb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20   # KiB -> GiB


def _build(dtype):
    import torch
    from synthbridge.testing import sd15_pipeline
    t0 = time.perf_counter()
    pipe = sd15_pipeline()
    if dtype == "bf16": pipe.to(dtype=torch.bfloat16)
    return pipe, time.perf_counter() - t0, _peak_gb()


def step_generate(work: Path, dtype: str) -> dict:
    from synthbridge.generation.generate import generate
    pipe, build_s, build_gb = _build(dtype)
    t0 = time.perf_counter()
    s = generate(pipe, CLASSES[:1], work/"synth", n_per_class=1, num_inference_steps=2, height=512, width=512,
                 batch_size=1, progress=False)
    files = [str(p) for p, _ in s.items]
    from PIL import Image
    return dict(build_s=build_s, build_rss_gb=build_gb, step_s=time.perf_counter() - t0, peak_rss_gb=_peak_gb(),
                files=files, sizes=[Image.open(f).size for f in files], dtype=str(pipe.unet.dtype))


def step_invert(work: Path, dtype: str) -> dict:
    import torch
    from synthbridge.generation.dsi import invert_style
    from synthbridge.testing import tiny_image_folder
    real = tiny_image_folder(work/"real-512", classes=CLASSES, n=1, size=512)
    files = sorted(real.rglob("*.png")); labels = [CLASSES.index(p.parent.name) for p in files]
    pipe, build_s, build_gb = _build("fp32")                # the text encoder trains in fp32; UNet/VAE cast below
    t0 = time.perf_counter()
    r = invert_style(pipe, files, labels, CLASSES, work/"dsi", steps=2, batch_size=1, resolution=512,
                     checkpoint_every=2, progress=False, mixed_precision=None if dtype == "fp32" else dtype)
    invert_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    pipe.load_textual_inversion(work/"dsi", token="<loaded>")     # diffusers' own loader, on the learned file
    tid = pipe.tokenizer.convert_tokens_to_ids("<loaded>")
    row = pipe.text_encoder.get_input_embeddings().weight[tid].detach().float()
    return dict(build_s=build_s, build_rss_gb=build_gb, step_s=invert_s, load_s=time.perf_counter() - t1,
                peak_rss_gb=_peak_gb(), losses=r.losses, embedding_shape=list(r.embedding.shape),
                loaded_equal=bool(torch.equal(row, r.embedding[0])), unet_dtype=str(pipe.unet.dtype),
                te_dtype=str(pipe.text_encoder.dtype))


def step_bridged(work: Path, dtype: str) -> dict:
    from synthbridge.data import SyntheticSet, make_dls
    from synthbridge.testing import synthetic_folder
    from synthbridge.testing import tiny_image_folder
    from synthbridge.training.transfer import bridged_pp
    real = tiny_image_folder(work/"real-256", classes=CLASSES, n=4, size=256)
    items = [(p, CLASSES.index(p.parent.name)) for p in sorted(real.rglob("*.png"))]
    rdls = make_dls(items, items, CLASSES, bs=4, size=224, num_workers=0, device="cpu")
    sdls = SyntheticSet(synthetic_folder(work/"synth-256", CLASSES, n=8, size=256)).dls(bs=4, size=224, valid_pct=0.25,
                                                                                       num_workers=0, device="cpu")
    t0 = time.perf_counter()
    r = bridged_pp(rdls, sdls, arch="resnet18", pretrained=False, epochs=1, stage1_epochs=1, lr=0.01, seed=0)
    return dict(step_s=time.perf_counter() - t0, peak_rss_gb=_peak_gb(), metric=r.metric, pipeline=r.pipeline,
                n_out=r.learner.model.get_classifier().out_features)


STEPS = dict(generate=step_generate, invert=step_invert, bridged=step_bridged)


def _child(name, work, dtype, threads):
    import torch
    torch.set_num_threads(threads)
    res = STEPS[name](Path(work), dtype)
    print("RESULT " + json.dumps(res), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--steps", default="generate,invert,bridged")
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument("--work", default=None, help="keep the outputs here (default: a temporary folder)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return _child(a.child, a.work, a.dtype, a.threads)
    names = [s for s in a.steps.split(",") if s]
    bad = [s for s in names if s not in STEPS]
    if bad: ap.error(f"--steps {bad}: allowed are {', '.join(STEPS)}")
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="sd15-bench-"))
    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    print(f"# SD-1.5-shaped random pipeline, CPU, {a.threads} torch threads, dtype {a.dtype}; work folder {work}")
    out = dict(threads=a.threads, dtype=a.dtype, steps={})
    for name in names:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, __file__, "--child", name, "--work", str(work), "--dtype", a.dtype,
                            "--threads", str(a.threads)], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-6000:], file=sys.stderr)
            raise SystemExit(f"{name} failed ({r.returncode})")
        res = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("RESULT "))[7:])
        res["wall_s"] = time.perf_counter() - t0; out["steps"][name] = res
        extra = f", build {res['build_s']:.0f} s ({res['build_rss_gb']:.2f} GiB)" if "build_s" in res else ""
        extra += f", load_textual_inversion {res['load_s']:.2f} s" if "load_s" in res else ""
        print(f"{name}: {res['step_s']:.1f} s, peak RSS {res['peak_rss_gb']:.2f} GiB{extra}", flush=True)
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
