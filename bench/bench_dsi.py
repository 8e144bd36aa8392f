"""Style-inversion step time: `invert_style` (cached latents, and cache_latents=False) against a plain
textual-inversion step that loads and VAE-encodes its images every step (the diffusers example's way), on the same
pipeline, batch and images, measured in this run. Prints `name: ratio` lines (step time / plain step time: < 1 is faster).

Tiny random pipeline (synthbridge.testing), CPU, one torch thread (the machine is shared); at 64 px (its native size)
and 128 px, where the VAE encoder's share of a step is larger.
"""
import os, sys, tempfile, time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from synthbridge.generation.dsi import invert_style, _preprocess
from synthbridge.prompts import DSI_TEMPLATE
from synthbridge.testing import tiny_image_folder, tiny_pipeline

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", 1)))
CLASSES = ["red", "green", "blue", "cyan"]


def plain_ti(pipe, files, labels, steps, bs, res, lr=5e-3, seed=0):
    "Seconds per step of a textual-inversion loop as in diffusers' example: open, resize, flip, VAE-encode every step."
    from diffusers import DDPMScheduler
    tok, te, unet, vae = pipe.tokenizer, pipe.text_encoder, pipe.unet, pipe.vae
    tok.add_tokens("<ti>"); te.resize_token_embeddings(len(tok), mean_resizing=False)
    tid, init = tok.convert_tokens_to_ids("<ti>"), tok.encode("photo", add_special_tokens=False)[0]
    for m in (te, unet, vae): m.requires_grad_(False)
    w = te.get_input_embeddings().weight
    with torch.no_grad(): w[tid] = w[init]
    w.requires_grad_(True); orig = w.detach().clone()
    keep = torch.ones(len(w), dtype=torch.bool); keep[tid] = False
    opt = torch.optim.AdamW([w], lr=lr, weight_decay=1e-2)
    ns = DDPMScheduler.from_config(pipe.scheduler.config)
    g, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
    times = []
    for s in range(steps):
        t0 = time.perf_counter()
        idx = rng.integers(len(files), size=bs)
        xs = []
        for i in idx:
            x = _preprocess(Image.open(files[i]).convert("RGB"), res)
            xs.append(x.flip(-1) if rng.random() < 0.5 else x)
        x = torch.stack(xs)
        z = vae.encode(x).latent_dist.sample(generator=g)*vae.config.scaling_factor
        noise = torch.randn(z.shape, generator=g); t = torch.randint(1000, (bs,), generator=g)
        ids = tok([DSI_TEMPLATE.format(CLASSES[labels[i]], "<ti>") for i in idx], padding="max_length",
                  truncation=True, max_length=tok.model_max_length, return_tensors="pt").input_ids
        pred = unet(ns.add_noise(z, noise, t), t, encoder_hidden_states=te(ids)[0]).sample
        F.mse_loss(pred.float(), noise.float()).backward()
        opt.step(); opt.zero_grad(set_to_none=True)
        with torch.no_grad(): w[keep] = orig[keep]
        times.append(time.perf_counter() - t0)
    return float(np.median(times[2:]))


def dsi(files, labels, steps, bs, res, **kw):
    "Seconds per step (median) of invert_style and its one-off encoding time."
    times, last = [], [time.perf_counter()]
    def cb(step, loss):
        now = time.perf_counter(); times.append(now - last[0]); last[0] = now
    with tempfile.TemporaryDirectory() as d:
        invert_style(tiny_pipeline(), files, labels, CLASSES, d, steps=steps, batch_size=bs, resolution=res,
                     checkpoint_every=10**6, progress=False, callback=cb, **kw)
    med = float(np.median(times[2:]))
    return med, times[0] - med          # the first step also holds the checks and the one-off latent encoding


def main():
    with tempfile.TemporaryDirectory() as d:
        print(f"# CPU, torch threads {torch.get_num_threads()}, tiny random SD pipeline, batch 4; median step time")
        for res, steps in ((64, 12), (128, 8)):
            root = tiny_image_folder(Path(d)/f"r{res}", classes=CLASSES, n=6, size=res)
            files = sorted(root.rglob("*.png")); labels = [CLASSES.index(p.parent.name) for p in files]
            plain = plain_ti(tiny_pipeline(), files, labels, steps, 4, res)
            cached, setup = dsi(files, labels, steps, 4, res)
            nocache, _ = dsi(files, labels, steps, 4, res, cache_latents=False)
            print(f"# {res}px: plain TI {plain*1e3:.0f} ms/step, invert_style cached {cached*1e3:.0f} ms/step "
                  f"(+{setup:.1f} s once: checks and encoding {len(files)} images x 2), uncached {nocache*1e3:.0f} ms/step")
            print(f"dsi_cached_step_vs_plain_ti@{res}px: {cached/plain:.2f}")
            print(f"dsi_uncached_step_vs_plain_ti@{res}px: {nocache/plain:.2f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
