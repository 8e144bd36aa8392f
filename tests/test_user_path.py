"""The README's user path and every Python code block of the index page, executed as written.

The code is read from README.md (generated from nbs/index.ipynb), never copied here. To run offline, on a CPU, in
seconds, a documented table of value substitutions (`OFFLINE`) is applied first; each entry must occur in the README,
so a README edit that drops one fails here rather than silently running something else:

- the hub model id -> `mini-web`, the embedded text-to-image model;
- `resnet18.tv_in1k` (hub weights) -> `tf_efficientnet_lite0` with the offline EfficientNet-Lite0 weights;
- Aircraft (a download) -> the offline `fashion-catalog` dataset: the ten garment classes `mini-web` draws, so the
  synthetic images mean something for the real ones (digits would pair garments with labels 0-9);
- 1,000 images per class, 150/100 epochs, 224 px -> 2 images per class (5 denoising steps), 1 epoch, 32 px.
"""
import os, re
import pytest

from conftest import ROOT

OFFLINE = [  # (as written in the README, offline stand-in)
    ("'stable-diffusion-v1-5/stable-diffusion-v1-5'", "'mini-web'"),
    ("'resnet18.tv_in1k'", "'tf_efficientnet_lite0', weights=efficientnet_lite0_weights()"),
    ("get_dataset('aircraft'", "get_dataset('fashion-catalog'"),
    ("n_per_class=1000", "n_per_class=2, num_inference_steps=5"),
    ("synth.dls()", "synth.dls(size=32)"),
    ("ds.dls(shots=4)", "ds.dls(shots=4, size=32)"),
    ("learn.fit_paper(150,", "learn.fit_paper(1,"),
    ("learn.fit_paper(100,", "learn.fit_paper(1,"),
]

def python_blocks(text: str) -> list[str]:
    "The ```python blocks of a markdown text, in order."
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)

def offline(code: str) -> str:
    for old, new in OFFLINE: code = code.replace(old, new)
    return code

def test_offline_substitutions_match_the_readme():
    text = "\n".join(python_blocks((ROOT/"README.md").read_text()))
    missing = [old for old, _ in OFFLINE if old not in text]
    assert not missing, f"the README no longer contains {missing}: update OFFLINE in this test"

def test_star_import_gives_the_readme_names():
    ns = {}
    exec("from synthbridge.all import *", ns)
    code = python_blocks((ROOT/"README.md").read_text())
    user = next(b for b in code if b.startswith("from synthbridge.all import *"))
    called = set(re.findall(r"\b([A-Za-z_]\w*)\(", user)) - {"dls", "fit_paper"}
    assert called <= set(ns), f"not given by `from synthbridge.all import *`: {sorted(called - set(ns))}"

@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_readme_code_blocks_run_as_written(tmp_path, monkeypatch):
    import torch
    torch.set_num_threads(1)
    monkeypatch.chdir(tmp_path)                                  # 'synth/aircraft' and the like land here
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    blocks = python_blocks((ROOT/"README.md").read_text())
    assert len(blocks) >= 2 and any("from synthbridge.all import *" in b for b in blocks)
    ns = {}
    for i, b in enumerate(blocks):
        exec(compile(offline(b), f"README.md python block {i}", "exec"), ns)
    learn, synth, ds = ns["learn"], ns["synth"], ns["ds"]
    assert len(synth) == 2*len(ds.classes) and (tmp_path/"synth"/"aircraft"/"manifest.jsonl").exists()
    assert learn.dls.c == len(ds.classes) and len(learn.recorder.values) == 1
    with learn.no_bar(): cls, _, probs = learn.predict(ds.test[0][0])   # the README's promise: fastai's tools work
    assert cls in ds.classes and abs(float(probs.sum()) - 1) < 1e-4
    assert ds.name == "fashion-catalog" and ns["lite"].arch == "tf_efficientnet_lite0"   # the Python spelling runs

def test_readme_spells_the_offline_weights_both_ways():
    text = (ROOT/"README.md").read_text()
    assert "--weights efficientnet-lite0" in text
    assert any("weights=efficientnet_lite0_weights()" in b for b in python_blocks(text))
