"""The GPU check: on a CUDA GPU, in one command and within about 8 minutes, measure what the published anchors of
`synthbridge.experiment.estimate.RATES` promise and print the figures beside them:

1. fp16 generation images/s at 512 px with Stable Diffusion 1.5's shapes (the real model with `--model ID` when it
   can be loaded, else random weights from the shipped SD-1.5 configs: the same speed, meaningless images);
2. style inversion at 512 px: step time and peak GPU memory, with and without gradient checkpointing (fp16 UNet/VAE);
3. a bridged++ stage-1 epoch at 224 px: ResNet-18 training images/s with MixUp (what `synthetic_stage` runs).

Without a CUDA GPU it prints one line and exits 0. `--out FILE` writes the figures as JSON.
`--device cpu --tiny` runs the same code on a tiny pipeline and tiny images (for the tests; the figures mean nothing).

    python bench/gpu_check.py [--model stable-diffusion-v1-5/stable-diffusion-v1-5] [--out gpu_check.json]
"""
import argparse, json, os, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
NO_GPU = "no CUDA GPU: the GPU check measures nothing on this machine"


def _sync(dev):
    import torch
    if dev.type == "cuda": torch.cuda.synchronize(dev)


def _pipeline(a, dev, dtype):
    "The real model when `--model` loads, else SD-1.5's shapes with random weights (tiny: the tiny test pipeline)."
    from synthbridge.testing import sd15_pipeline, tiny_pipeline
    if a.tiny: return tiny_pipeline().to(dev), "tiny random pipeline (tests)"
    if a.model:
        try:
            from synthbridge.generation.pipeline import load_pipeline
            return load_pipeline(a.model, device=dev, dtype=dtype), a.model
        except Exception as e: print(f"--model {a.model} cannot be loaded ({type(e).__name__}); random weights")
    return sd15_pipeline(dtype=dtype).to(dev), "SD-1.5 shapes, random weights"


def check_generation(a, dev) -> dict:
    import torch
    pipe, what = _pipeline(a, dev, torch.float16 if dev.type == "cuda" else torch.float32)
    side, steps, n = (64, 2, 2) if a.tiny else (512, a.steps, a.batch_size)
    call = lambda k: pipe(["a photo of an airliner"]*n, num_inference_steps=k, guidance_scale=3.5, height=side,
                          width=side, output_type="np")
    call(1); _sync(dev)
    t0 = time.perf_counter(); call(steps); _sync(dev); dt = time.perf_counter() - t0
    del pipe
    return dict(model=what, side=side, steps=steps, batch=n, seconds=dt, images_per_s=n/dt,
                images_per_s_at_50_steps=n/dt*steps/50)


def check_inversion(a, dev, work: Path) -> dict:
    import torch
    from synthbridge.generation.dsi import invert_style
    from synthbridge.testing import tiny_image_folder
    classes = ["airliner", "biplane"]
    side = 64 if a.tiny else 512
    real = tiny_image_folder(work/"real", classes=classes, n=2, size=side)
    files = sorted(real.rglob("*.png")); labels = [classes.index(p.parent.name) for p in files]
    out = {}
    for ckpt in (False, True):
        pipe, what = _pipeline(a, dev, torch.float32)
        if dev.type == "cuda": torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(dev)
        t0 = time.perf_counter()
        r = invert_style(pipe, files, labels, classes, work/f"dsi-{ckpt}", steps=a.inversion_steps, batch_size=1,
                         resolution=side, checkpoint_every=10**6, progress=False, gradient_checkpointing=ckpt,
                         mixed_precision="fp16" if dev.type == "cuda" else None)
        _sync(dev)
        out["checkpointing" if ckpt else "plain"] = dict(
            step_s=1/r.steps_per_s, wall_s=time.perf_counter() - t0,
            peak_gib=torch.cuda.max_memory_allocated(dev)/2**30 if dev.type == "cuda" else None)
        del pipe
    return dict(side=side, steps=a.inversion_steps, batch=1, **out)


def check_bridged(a, dev, work: Path) -> dict:
    from synthbridge.data.loaders import make_dls
    from synthbridge.testing import tiny_image_folder
    from synthbridge.training.transfer import synthetic_stage
    classes = [f"c{i}" for i in range(10)]
    n, size, bs = (2, 32, 4) if a.tiny else (a.train_images//10, 224, 64)
    d = tiny_image_folder(work/"synth", classes=classes, n=n, size=size*8//7)
    items = [(p, classes.index(p.parent.name)) for p in sorted(d.rglob("*.png"))]
    dls = make_dls(items, items[:10], classes, bs=bs, size=size, device=str(dev))
    t0 = time.perf_counter()
    synthetic_stage(dls, arch="resnet18", pretrained=False, epochs=1, lr=0.01, mixup=True, seed=0, device=str(dev))
    _sync(dev); dt = time.perf_counter() - t0
    return dict(images=len(items), size=size, batch=bs, epoch_s=dt, images_per_s=len(items)/dt)


def anchors(name: str) -> dict:
    from synthbridge.experiment.estimate import RATES
    gpu = next((g for g in RATES if g in name.upper()), None)
    if gpu is None: return dict(gpu=None)
    r = RATES[gpu]
    return dict(gpu=gpu, **{k: (None if v is None else dict(value=v.value, kind=v.kind, source=v.source))
                            for k, v in r.items()})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="a text-to-image model to time (default: SD-1.5 shapes, random "
                    "weights)")
    ap.add_argument("--out", default=None, help="write the figures here as JSON")
    ap.add_argument("--steps", type=int, default=50, help="denoising steps of the timed generation")
    ap.add_argument("--batch-size", type=int, default=4, help="images of the timed generation batch")
    ap.add_argument("--inversion-steps", type=int, default=8, help="style-inversion steps per setting")
    ap.add_argument("--train-images", type=int, default=2560, help="images of the timed bridged++ stage-1 epoch")
    ap.add_argument("--device", default="cuda", help=argparse.SUPPRESS)
    ap.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    import torch
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(NO_GPU); return 0
    dev = torch.device(a.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figs = dict(device=name, torch=torch.__version__, tiny=a.tiny, anchors=anchors(name),
                    generation=check_generation(a, dev), inversion=check_inversion(a, dev, work),
                    bridged=check_bridged(a, dev, work))
    figs["seconds"] = time.perf_counter() - t0
    g, inv, b, anc = figs["generation"], figs["inversion"], figs["bridged"], figs["anchors"]
    pub = lambda k: "no published rate" if anc.get(k) is None else f"{anc[k]['value']:,.3g} ({anc[k]['kind']})"
    print(f"GPU check on {name} ({g['model']}), {figs['seconds']:.0f} s")
    print(f"  generation: {g['images_per_s']:.3f} images/s at {g['side']} px, {g['steps']} steps, batch {g['batch']}"
          f" = {g['images_per_s_at_50_steps']:.3f} at 50 steps; published for {anc['gpu'] or 'this GPU'}: "
          f"{pub('generate') if anc['gpu'] else 'none'}")
    for k in ("plain", "checkpointing"):
        m = inv[k]["peak_gib"]
        print(f"  style inversion {k}: {inv[k]['step_s']:.3f} s/step at {inv['side']} px, batch 1"
              + (f", peak {m:.2f} GiB" if m is not None else ""))
    print(f"  bridged++ stage-1 epoch: {b['images_per_s']:.0f} images/s at {b['size']} px (ResNet-18, MixUp, "
          f"batch {b['batch']}); assumed for {anc['gpu'] or 'this GPU'}: {pub('train') if anc['gpu'] else 'none'}")
    if a.out:
        from synthbridge.core import atomic_write_json
        atomic_write_json(Path(a.out), figs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
