"""Style inversion's on-disk latent cache: SIGKILL mid-run and resume encodes nothing twice and ends bit-identical;
the cache outlives a run; v-prediction trains on the velocity; bf16 on the CPU; non-deprecated checkpointing."""
import json, warnings

import numpy as np
import pytest
import torch
from conftest import DSI_CLASSES as CLASSES, tiny_invert, tiny_invert_killed


@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def data(tmp_path_factory):
    from synthbridge.testing import tiny_image_folder
    return tiny_image_folder(tmp_path_factory.mktemp("real"), classes=CLASSES, n=10, size=32)


def _files(data):
    files = sorted(data.rglob("*.png"))
    return files, [CLASSES.index(p.parent.name) for p in files]


def _cache_dir(out):
    (d,) = [p for p in (out/"latents").iterdir() if p.is_dir()]
    return d


def _chunks(out):
    "{chunk index: (inode, mtime_ns)} of the published chunk files."
    return {int(p.stem): (p.stat().st_ino, p.stat().st_mtime_ns) for p in _cache_dir(out).glob("*.bin")}


@pytest.mark.slow
def test_sigkill_mid_run_resume_encodes_nothing_twice_and_is_bit_identical(data, tmp_path):
    from safetensors.torch import load_file
    steps = 40
    r = tiny_invert(data, tmp_path/"full", steps, timeout=300, cache_chunk=2)
    assert r.returncode == 0, r.stderr
    killed_at = tiny_invert_killed(data, tmp_path/"killed", steps, wait=200, poll=0.01, cache_chunk=2)
    before = _chunks(tmp_path/"killed")                       # 30 images in 15 chunks of 2
    assert 5 <= killed_at < steps and 0 < len(before) < 15, (killed_at, sorted(before))
    r = tiny_invert(data, tmp_path/"killed", steps, timeout=300, cache_chunk=2)
    assert r.returncode == 0, r.stderr
    after = _chunks(tmp_path/"killed")
    assert all(after[k] == before[k] for k in before)          # not one chunk encoded before the kill was rewritten
    index = json.loads((_cache_dir(tmp_path/"killed")/"index.json").read_text())
    assert all(index["encodes"][k] == 1 for k in after) and sum(index["encodes"]) == len(after)
    info = json.loads((tmp_path/"killed"/"dsi.json").read_text())
    assert info["latents"]["encoded_by_this_process"] == 2*(len(after) - len(before))
    assert not list(_cache_dir(tmp_path/"killed").glob(".*.tmp"))
    ea = load_file(str(tmp_path/"full"/"learned_embeds.safetensors"))["<dataset-style>"]
    eb = load_file(str(tmp_path/"killed"/"learned_embeds.safetensors"))["<dataset-style>"]
    assert (ea == eb).all()                                    # bit-identical to the uninterrupted run
    assert json.loads((tmp_path/"full"/"dsi.json").read_text())["loss"] == info["loss"]


def test_cache_outlives_the_run_and_is_keyed(data, tmp_path):
    "Another run in the same `out` (overwrite, other LR) reuses every latent; another resolution gets its own cache."
    import torch
    from synthbridge.generation.dsi import invert_style
    from synthbridge.testing import tiny_pipeline
    torch.set_num_threads(1)
    files, labels = _files(data)
    kw = dict(steps=6, batch_size=2, resolution=16, cache_chunk=8, progress=False)
    a = invert_style(tiny_pipeline(), files, labels, CLASSES, tmp_path/"o", lr=0.05, **kw)
    first = json.loads((tmp_path/"o"/"dsi.json").read_text())["latents"]
    assert first["encoded_by_this_process"] > 0
    b = invert_style(tiny_pipeline(), files, labels, CLASSES, tmp_path/"o", lr=0.01, overwrite=True, **kw)
    second = json.loads((tmp_path/"o"/"dsi.json").read_text())["latents"]
    assert second["folder"] == first["folder"] and second["encoded_by_this_process"] <= 8*(4 - first["encoded_chunks"])
    assert all(e <= 1 for e in second["encodes"]) and not torch.equal(a.embedding, b.embedding)
    invert_style(tiny_pipeline(), files, labels, CLASSES, tmp_path/"o", lr=0.01, overwrite=True,
                 **{**kw, "resolution": 32})
    assert len([p for p in (tmp_path/"o"/"latents").iterdir() if p.is_dir()]) == 2
    with pytest.raises(ValueError, match="cache_dtype=torch.bfloat16: allowed are torch.float16, torch.float32"):
        invert_style(tiny_pipeline(), files, labels, CLASSES, tmp_path/"bad", cache_dtype=torch.bfloat16, **kw)
    assert not (tmp_path/"bad").exists()


class _VelocityOracle(torch.nn.Module):
    "Stands in for the UNet: knows the clean latent z of the single training image and returns its true velocity."
    def __init__(self, unet, z, alphas_cumprod):
        super().__init__(); self.inner, self.z, self.ac = unet, z, alphas_cumprod
        self.conv_in, self.config = unet.conv_in, unet.config
    device = property(lambda self: self.inner.device)
    dtype = property(lambda self: self.inner.dtype)
    def forward(self, noisy, t, encoder_hidden_states):
        from types import SimpleNamespace
        a = self.ac[t].sqrt().view(-1, 1, 1, 1); s = (1 - self.ac[t]).sqrt().view(-1, 1, 1, 1)
        eps = (noisy.float() - a*self.z)/s
        return SimpleNamespace(sample=a*eps - s*self.z + 0*encoder_hidden_states.sum())


@pytest.mark.parametrize("prediction_type", ["v_prediction", "epsilon"])
def test_v_prediction_trains_on_the_velocity(data, tmp_path, prediction_type):
    "A model that outputs the true velocity has zero loss under v_prediction (and a large one under epsilon)."
    import torch
    from diffusers import DDPMScheduler
    from synthbridge.generation import dsi
    from synthbridge.testing import tiny_pipeline
    torch.set_num_threads(1)
    files, _ = _files(data)
    pipe = tiny_pipeline()
    pipe.scheduler = DDPMScheduler.from_config(pipe.scheduler.config, prediction_type=prediction_type)
    ns = DDPMScheduler.from_config(pipe.scheduler.config)
    x = dsi._preprocess(dsi._open_image(files[0]), 16)[None]
    z = (dsi._encode(pipe.vae, x)[0] - dsi._latent_scale(pipe.vae)[1])*dsi._latent_scale(pipe.vae)[0]
    pipe.unet = _VelocityOracle(pipe.unet, z, ns.alphas_cumprod)
    r = dsi.invert_style(pipe, files[:1], [0], ["red"], tmp_path/"o", steps=4, batch_size=2, resolution=16,
                         sample_latents=False, flip_p=0.0, cache_dtype=torch.float32, progress=False)
    if prediction_type == "v_prediction": assert max(r.losses) < 1e-8, r.losses
    else: assert min(r.losses) > 0.05, r.losses


def test_bf16_mixed_precision_on_cpu_dtypes(data, tmp_path):
    "bf16 on the CPU: frozen UNet and VAE in bfloat16, text encoder and the trained rows in float32, as fp16 on CUDA."
    import torch
    from synthbridge.generation.dsi import invert_style
    from synthbridge.testing import tiny_pipeline
    torch.set_num_threads(1)
    files, labels = _files(data)
    kw = dict(steps=4, lr=0.05, batch_size=2, resolution=16, progress=False)
    ref = invert_style(tiny_pipeline(), files, labels, CLASSES, tmp_path/"fp32", **kw)
    pipe, seen = tiny_pipeline(), []
    def cb(step, loss):
        w = pipe.text_encoder.get_input_embeddings().weight
        seen.append((pipe.unet.dtype, pipe.vae.dtype, pipe.text_encoder.dtype, w.dtype, w.requires_grad))
    r = invert_style(pipe, files, labels, CLASSES, tmp_path/"bf16", mixed_precision="bf16", callback=cb, **kw)
    assert seen == [(torch.bfloat16, torch.bfloat16, torch.float32, torch.float32, True)]*4
    assert r.embedding.dtype == torch.float32 and np.isfinite(r.losses).all()
    assert not torch.equal(r.embedding, ref.embedding)                          # it did run in another precision
    np.testing.assert_allclose(r.losses, ref.losses, rtol=0.05)                # ... of the same computation
    key = json.loads((_cache_dir(tmp_path/"bf16")/"index.json").read_text())["key"]
    assert key["vae_dtype"] == "torch.bfloat16" and key["dtype"] == "float16"


def test_gradient_checkpointing_uses_the_non_deprecated_api(data, tmp_path):
    import torch
    from synthbridge.generation.dsi import invert_style
    from synthbridge.testing import tiny_pipeline
    torch.set_num_threads(1)
    files, labels = _files(data)
    pipe = tiny_pipeline()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = invert_style(pipe, files, labels, CLASSES, tmp_path/"o", steps=2, batch_size=2, resolution=16,
                         gradient_checkpointing=True, progress=False)
    assert not [x for x in w if "checkpointing" in str(x.message)], [str(x.message) for x in w]
    assert np.isfinite(r.losses).all()
    te = pipe.text_encoder
    on = te.is_activation_checkpointing if hasattr(te, "is_activation_checkpointing") else te.is_gradient_checkpointing
    assert not on                                                   # switched off again afterwards
