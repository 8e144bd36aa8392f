"Widget checks beyond the notebook: hostile manifests and class names, MixUp and two-stage fits, other modules' output."
import io, json, os
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from synthbridge.prompts import class_slugs
from synthbridge.interface.widgets import LiveCurves, PromptExplorer, SynthBrowser

def write_set(out, classes, n=3, prompt=lambda c, i: f"a photo of a {c}.", extra=None):
    out = Path(out); rows = []
    for label, (c, slug) in enumerate(zip(classes, class_slugs(classes))):
        (out/slug).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((20, 30, 3), 10*label + i, np.uint8)).save(out/slug/f"{i}.png")
            rows.append({"class": c, "label": label, "index": i, "prompt": prompt(c, i), "seed": 7*label + i,
                         "guidance": 3.5, "steps": 2, "model": "t", "file": f"{slug}/{i}.png", **(extra or {})})
    (out/"classes.json").write_text(json.dumps({"classes": list(classes), "slugs": class_slugs(classes)}))
    (out/"manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out

def test_prompts_are_escaped_and_unicode_classes_match_real_folders(tmp_path):
    classes = ["Crème brûlée", "F/A-18", "a<b>"]
    synth = write_set(tmp_path/"s", classes, prompt=lambda c, i: f"<script>alert({i})</script> {c}")
    real = tmp_path/"r"
    for c in ["Crème_brûlée", "F_A-18"]:                     # real folders named by slug
        (real/c).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(real/c/"x.jpg")
    b = SynthBrowser(synth, real=real, n=2, size=32)
    cap = b.synth_grid.children[0].children[1].value
    assert "<script>" not in cap and "&lt;script&gt;" in cap
    assert [len(b.real[i]) for i in range(3)] == [1, 1, 0]
    b.show("F/A-18"); assert b.cls.value == 1 and len(b.real_grid.children) == 1
    b.show(2); assert "a&lt;b&gt;" in b.info.value
    assert Image.open(io.BytesIO(b.synth_grid.children[0].children[0].value)).size == (32, 21)   # aspect kept

def test_synthetic_set_object_and_missing_classes_json(tmp_path):
    synth = write_set(tmp_path/"s", ["x", "y"])
    b = SynthBrowser(SimpleNamespace(path=synth))                 # anything with .path (e.g. data.SyntheticSet)
    assert b.classes == ["x", "y"] and len(b.synth_grid.children) == 3
    (synth/"classes.json").unlink()
    assert SynthBrowser(synth).classes == ["x", "y"]             # classes in order of first appearance

@pytest.mark.parametrize("line,err", [("{not json", "line 2 is not JSON"), ('{"label": 0}', "needs keys"),
                                      ('{"label": 9, "file": "x/0.png"}', "outside 0..1")])
def test_bad_manifest_rows_name_the_line(tmp_path, line, err):
    synth = write_set(tmp_path/"s", ["x", "y"], n=1)
    rows = (synth/"manifest.jsonl").read_text().splitlines()
    (synth/"manifest.jsonl").write_text(rows[0] + "\n" + line + "\n")
    with pytest.raises(ValueError, match=err): SynthBrowser(synth)

def test_real_pairs_and_tensors(tmp_path):
    import torch
    synth = write_set(tmp_path/"s", ["x", "y"])
    pairs = [(torch.rand(3, 10, 10), 1), (torch.rand(1, 10, 10), 1), (np.random.rand(10, 10, 3), 0)]
    b = SynthBrowser(synth, real=pairs, n=4, size=20)
    assert [len(b.real[i]) for i in (0, 1)] == [1, 2]
    b.show(1)
    assert [Image.open(io.BytesIO(t.children[0].value)).mode for t in b.real_grid.children] == ["RGB", "RGB"]

def test_prompt_explorer_passes_settings_to_the_pipeline():
    calls = []
    class FakePipe:
        device = SimpleNamespace(type="cuda")
        def __call__(self, prompt, **kw):
            calls.append((prompt, kw)); return SimpleNamespace(images=[Image.new("RGB", (512, 512), "red")])
    pe = PromptExplorer(FakePipe(), steps=30, height=512, width=512)
    pe.prompt.value, pe.guidance.value, pe.steps.value, pe.seed.value = "a cat", 2.5, 7, 3
    pe.button.click()
    prompt, kw = calls[-1]
    assert prompt == "a cat" and kw["guidance_scale"] == 2.5 and kw["num_inference_steps"] == 7
    assert kw["height"] == kw["width"] == 512 and kw["generator"].initial_seed() == 3
    assert "on CUDA" in pe.status.value and Image.open(io.BytesIO(pe.output.value)).size == (512, 512)
    with pytest.raises(TypeError, match="callable"): PromptExplorer(object())

def _learner(tmp_path, n_classes=3):
    from fastai.vision.all import ImageDataLoaders, Learner, CrossEntropyLossFlat, Resize
    import torch.nn as nn
    from synthbridge.testing import tiny_image_folder
    d = tiny_image_folder(tmp_path/"img", classes=[f"c{i}" for i in range(n_classes)], n=8, size=16)
    dls = ImageDataLoaders.from_folder(d, valid_pct=.25, seed=0, bs=6, item_tfms=Resize(16), num_workers=0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, n_classes))
    return Learner(dls, net, loss_func=CrossEntropyLossFlat())

def test_live_curves_under_mixup_and_without_validation(tmp_path):
    from fastai.callback.mixup import MixUp
    learn = _learner(tmp_path)
    c = LiveCurves(show=False)
    with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-2, cbs=[MixUp(), c])
    assert len(c.history) == 2 and all(0 <= r["train_acc"] <= 1 and r["valid_acc"] is not None for r in c.history)
    from fastai.data.core import DataLoaders
    learn.dls = DataLoaders(learn.dls.train, [])                     # no validation set: train curves only
    c2 = LiveCurves(show=False)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-2, cbs=c2)
    assert c2.history[0]["valid_acc"] is None and c2.history[0]["train_loss"] > 0
    assert len(c2.out.outputs) == 1

def test_live_curves_with_transfer_pipelines(tmp_path):
    "The `cbs=` of synthbridge.training.transfer reach the real-image fit: one history row per stage-2 epoch."
    from synthbridge.training.transfer import bridged_pp, vanilla
    from synthbridge.data import make_dls
    from synthbridge.testing import tiny_image_folder
    classes = ["a", "b", "c"]
    def pairs(root, n, seed):
        d = tiny_image_folder(root, classes=classes, n=n, size=16, seed=seed)
        return [(p, i) for i, c in enumerate(classes) for p in sorted((d/c).glob("*.png"))]
    real = make_dls(pairs(tmp_path/"r", 4, 0), pairs(tmp_path/"t", 3, 1), classes, bs=6, size=16, resize=16, num_workers=0)
    synth = make_dls(pairs(tmp_path/"s", 4, 2), pairs(tmp_path/"t", 3, 1), classes, bs=6, size=16, resize=16, num_workers=0)
    kw = dict(arch="resnet18", pretrained=False, epochs=2, lr=0.01)
    c = LiveCurves(show=False)
    vanilla(real, cbs=c, **kw)
    assert [r["epoch"] for r in c.history] == [1, 2] and c.history[-1]["valid_acc"] is not None
    c2 = LiveCurves(show=False)
    res = bridged_pp(real, synth, stage1_epochs=1, cbs=c2, **kw)
    assert [r["epoch"] for r in c2.history] == [1, 2] and c2.history[-1]["valid_acc"] is not None   # stage 2 only
    assert [r["train_acc"] for r in c2.history] == pytest.approx(res.train_acc)
    assert len(c2.out.outputs) == 1

def test_prompt_explorer_remakes_an_image_of_a_generated_set(tmp_path):
    "The prompt, seed, guidance and steps of a manifest row are all it takes to make that image again."
    from synthbridge.generation.generate import generate
    from synthbridge.testing import tiny_pipeline
    pipe = tiny_pipeline()
    s = generate(pipe, ["cat", "dog"], tmp_path/"s", n_per_class=2, num_inference_steps=2, batch_size=4, progress=False)
    row = s.manifest[3]
    pe = PromptExplorer(pipe).use(row)
    pe.button.click()
    made = np.asarray(pe.image).astype(int); saved = np.asarray(Image.open(s.path/row["file"]).convert("RGB")).astype(int)
    assert made.shape == saved.shape and np.abs(made - saved).max() <= 2, np.abs(made - saved).max()
