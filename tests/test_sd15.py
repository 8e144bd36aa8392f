"""Stable Diffusion 1.5's shapes (slow: SYNTHBRIDGE_TEST_FLAGS=slow) and the bf16 path of `generate` on the CPU."""
import json, os, subprocess, sys

import numpy as np
import pytest

from conftest import ROOT
SLOW = "slow" in os.environ.get("SYNTHBRIDGE_TEST_FLAGS", "").replace(",", " ").split()


@pytest.mark.slow   # measured above 5 s on a 2-core CPU (the day-to-day tier leaves it out)
def test_generate_bf16_on_cpu(tmp_path):
    "load_pipeline(dtype='bf16') on the CPU: every component in bfloat16 (as fp16 on CUDA); images like fp32's."
    import torch
    from PIL import Image
    from synthbridge.generation.generate import generate
    from synthbridge.generation.pipeline import load_pipeline
    from synthbridge.testing import tiny_pipeline
    torch.set_num_threads(1)
    tiny_pipeline().save_pretrained(tmp_path/"tiny")
    ims = {}
    for dt in ("fp32", "bf16"):
        pipe = load_pipeline(str(tmp_path/"tiny"), dtype=dt, device="cpu")
        want = torch.bfloat16 if dt == "bf16" else torch.float32
        assert (pipe.unet.dtype, pipe.vae.dtype, pipe.text_encoder.dtype) == (want,)*3
        s = generate(pipe, ["red", "blue"], tmp_path/dt, n_per_class=1, num_inference_steps=2, batch_size=2,
                     progress=False)
        ims[dt] = np.stack([np.asarray(Image.open(p), dtype=np.float32) for p, _ in s.items])
        assert json.loads((tmp_path/dt/"classes.json").read_text())["classes"] == ["red", "blue"]
    assert ims["bf16"].shape == ims["fp32"].shape == (2, 64, 64, 3)
    diff = np.abs(ims["bf16"] - ims["fp32"])
    assert 0 < diff.mean() < 8, diff.mean()           # another precision, the same images up to rounding


@pytest.mark.skipif(not SLOW, reason="Stable Diffusion 1.5's shapes (~9 GB RAM, minutes): SYNTHBRIDGE_TEST_FLAGS=slow")
def test_sd15_generate_invert_load_bridged(tmp_path):
    "generate (512 px, 2 steps), invert_style (512 px, 2 steps) + diffusers' load_textual_inversion, bridged++."
    r = subprocess.run([sys.executable, str(ROOT/"bench"/"bench_sd15.py"), "--json", str(tmp_path/"sd15.json"),
                        "--work", str(tmp_path/"w"), "--threads", os.environ.get("BENCH_THREADS", "2")],
                       cwd=ROOT, capture_output=True, text=True, timeout=3600)
    print(r.stdout)
    assert r.returncode == 0, r.stderr[-4000:]
    s = json.loads((tmp_path/"sd15.json").read_text())["steps"]
    g, i, b = s["generate"], s["invert"], s["bridged"]
    assert g["sizes"] == [[512, 512]] and g["dtype"] == "torch.float32"
    assert i["embedding_shape"] == [1, 768] and len(i["losses"]) == 2 and np.isfinite(i["losses"]).all()
    assert i["loaded_equal"]                          # diffusers' own loader reads the learned row back exactly
    assert b["pipeline"] == "bridged++" and 0 <= b["metric"] <= 1 and b["n_out"] == 2
