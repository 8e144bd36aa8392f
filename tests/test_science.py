"""What makes each pipeline that pipeline, checked on what a user sees (items trained on, losses, weights, callbacks),
the training augmentation, and learning above chance on the embedded model.

Every test here fails on a copy of the package with the behaviour removed (see each docstring). The models are timm's
`test_resnet` (a few thousand parameters) on 16 px images unless said otherwise; one epoch per stage.

Calibrated numbers live in BANDS below (one place): re-measure them with `python tools/calibrate_bands.py` when the
embedded model, the demo's presets or the backbone change.
"""
import random
import numpy as np
import pytest
import torch
from fastai.callback.core import Callback

# Every calibrated number of the test suite, in one place. Re-measure with `python tools/calibrate_bands.py` (it prints
# the per-seed values and the bands below) after changing the embedded generator, the demo presets or the backbone.
# Rule: band = mean ± 3 × max(std over seeds, 2 points); a floor = mean - 3 × max(std, 2 points).
# Measured 2026-12-04 on the 2-core CPU machine (torch 1 thread; the study ran beside it), embedded generator
# `mini-web` v8, after `FCReset` began to initialise the new head as a fresh model of the architecture does
# (`tools/calibrate_bands.py --seeds 0,1,2`):
BANDS = {
    # bridged++ on the embedded model (EMBEDDED below), top-1 on 200 `fashion-catalog` test images, seeds 0-2: 0.16,
    # 0.24, 0.30 (mean 0.233, std 0.057; before the head fix, seeds 0-7: 0.155, 0.170, 0.090, 0.155, 0.115, 0.105, 0.190,
    # 0.125). Above chance on average, single seeds near it: the test runs seed 0 (0.16) and asserts chance + 0.03 (6
    # test images below it). The quick-demo bands below carry the stronger claim (1,000 test images).
    # LEEP (50 real images per class) was NOT higher after stage 1 than for ImageNet at this scale (seeds 0-2:
    # ImageNet -1.63, -1.55, -1.61 vs stage 1 -2.04, -1.83, -1.75), so `leep_synthetic > leep_imagenet` (Table 1)
    # is not asserted.
    "embedded_bridged_pp": dict(margin=0.03),
    # CAS of the embedded model, 10 images per class, 10 DDPM steps, guidance 3.5, pinned silhouette classifier
    # (0.623 on 2,000 test images in fresh random looks): seeds 0/1/2 gave 0.61, 0.58, 0.57 (std 0.017; v4: 0.52,
    # 0.56, 0.47): floor 0.587 - 3 × 0.02 = 0.527 -> 0.52; the classifier's own floor sits below its pinned 0.623
    "cas_small": dict(cas_min=0.52, classifier_min=0.58),
    # the quick demo (`synthbridge demo --quick`, seed 0), test accuracy (%) on 1,000 `fashion-catalog` test images,
    # (low, high) = mean ± 3 × max(std, 2) over seeds 0/1/2: vanilla 30.0/24.0/17.9, mixed 31.6/38.2/36.1, bridged
    # 32.9/26.4/32.7, bridged++ 27.4/30.2/44.8 (`tools/calibrate_bands.py`, 514 s for the three seeds, CPU shared).
    # The last calibration (2026-12-03, another machine of this kind, the old head) gave seed 0 vanilla 23.1, mixed
    # 38.2, bridged 34.5: inside these bands too (4-shot runs of 10 steps amplify float-order differences).
    "quick_demo": {"vanilla": (9.1, 38.8), "mixed": (27.0, 43.6), "bridged": (21.6, 39.7), "bridged++": (11.2, 57.0)},
}

# The embedded-model run of `test_bridged_pp_on_the_embedded_model_beats_chance` (and of tools/calibrate_bands.py).
EMBEDDED = dict(n_per_class=10, steps=10, shots=4, stage1_epochs=3, epochs=6, size=48, test_per_class=20, lr=0.03,
                leep_per_class=50)

def embedded_run(seed: int, tmp, synth_dir=None, leep: bool = False) -> dict:
    """bridged++ with the embedded generator's images (EMBEDDED settings), EfficientNet-Lite0 ImageNet weights, on a
    `fashion-catalog` k-shot subset picked by `seed`; returns top-1 on a fixed stratified test subset and both LEEP values."""
    from pathlib import Path
    from synthbridge.data import RealDataset, SyntheticSet, get_dataset
    from synthbridge.generation.generate import generate
    from synthbridge.training.learner import efficientnet_lite0_weights
    from synthbridge.miniature.mini import mini_pipeline
    from synthbridge.training.transfer import bridged_pp, synthetic_stage
    from synthbridge.training.learner import timm_model
    from synthbridge.training.leep import model_leep, leep_dl
    e, tmp = EMBEDDED, Path(tmp)
    ds = get_dataset("fashion-catalog")
    synth_dir = Path(synth_dir or tmp/"synth")
    if not (synth_dir/"manifest.jsonl").exists():
        generate(mini_pipeline(), list(ds.classes), synth_dir, n_per_class=e["n_per_class"], batch_size=50,
                 num_inference_steps=e["steps"], progress=False)
    per = {c: [it for it in ds.test if it[1] == c][:e["test_per_class"]] for c in range(len(ds.classes))}
    test = [it for c in per for it in per[c]]
    kw = dict(bs=20, size=e["size"], resize=round(e["size"]*8/7), num_workers=0, device="cpu")
    real = RealDataset(ds.name, ds.classes, ds.pool, test, "top1").dls(shots=e["shots"], seed=seed, **kw)
    synth = SyntheticSet(synth_dir).dls(valid=test[::10], **kw)       # stage 1's own validation: a token subset
    w = efficientnet_lite0_weights()
    s1 = synthetic_stage(synth, arch="tf_efficientnet_lite0", weights=w, epochs=e["stage1_epochs"], lr=e["lr"],
                         mixup=True, seed=seed)
    r = bridged_pp(real, stage1=s1, arch="tf_efficientnet_lite0", weights=w, epochs=e["epochs"], lr=e["lr"],
                   shots=e["shots"], seed=seed)
    # LEEP as in Table 1, on real training images: 50 per class (on the 4-shot set, 40 images for a 1000-class
    # source, LEEP is dominated by its small-sample bias: each image gets its own ImageNet class, P(y|z) ~ 1)
    leep_in = leep_syn = None
    if leep:
        pool = RealDataset(ds.name, ds.classes, ds.pool, test, "top1").dls(shots=e["leep_per_class"], seed=seed, **kw)
        imagenet = timm_model("tf_efficientnet_lite0", weights=w, num_classes=None)
        leep_in, leep_syn = model_leep(imagenet, leep_dl(pool)), model_leep(s1.learner, leep_dl(pool))
    return dict(seed=seed, top1=r.metric, leep_imagenet=leep_in, leep_synthetic=leep_syn, seconds=r.seconds + s1.seconds,
                chance=1/len(ds.classes))

ARCH = dict(arch="test_resnet", pretrained=False)

def _dls(tiny_data, which, bs=6):
    from synthbridge.data import make_dls
    return make_dls(tiny_data[which], tiny_data["test"], tiny_data["classes"], bs=bs, size=16, resize=16,
                    num_workers=0, device="cpu")

class Probe(Callback):
    "Counts what a user callback sees: fits, epochs, training items, and the model's tensors before/after each fit."
    order = 90
    def __init__(self): self.fits, self.epochs, self.items, self.before, self.after, self.train_n = 0, 0, 0, [], [], []
    def _sd(self): return {k: v.detach().clone() for k, v in self.learn.model.state_dict().items()}
    def before_fit(self):
        self.fits += 1; self.before.append(self._sd()); self.train_n.append(len(self.learn.dls.train_ds))
    def after_batch(self):
        if self.training: self.items += len(self.learn.yb[0])
    def after_epoch(self): self.epochs += 1
    def after_fit(self): self.after.append(self._sd())

def _head_keys(model):
    from synthbridge.training.learner import _head_names
    heads = _head_names(model)
    return heads, [k for k in model.state_dict() if any(k.startswith(h + ".") for h in heads)]

# ---------------------------------------------------------------------------------------------------------------- mixed
def test_mixed_trains_on_real_plus_synthetic_items(tiny_data):
    "Mixed transfer sees every real and every synthetic training image once per epoch (breaks if the union is dropped)."
    from synthbridge.training.transfer import mixed
    real, synth = _dls(tiny_data, "real"), _dls(tiny_data, "synth")
    p = Probe()
    r = mixed(real, synth, epochs=2, lr=0.01, cbs=p, **ARCH)
    n = len(tiny_data["real"]) + len(tiny_data["synth"])
    assert p.train_n == [n] and p.items == 2*n, (p.train_n, p.items, n)
    assert (r.config["n_real"], r.config["n_synthetic"]) == (len(tiny_data["real"]), len(tiny_data["synth"]))

# --------------------------------------------------------------------------------------------------------- MixUp stage 1
def _stage1_losses(history): return [h["train_loss"] for h in history if h["stage"] == 1]

def test_bridged_pp_stage1_loss_is_the_mixup_loss(tiny_data):
    """bridged++'s stage 1 is the MixUp fit and bridged's is the plain one: their stage-1 training losses equal those of
    `synthetic_stage(mixup=True)` and `synthetic_stage(mixup=False)` (same seed), and those two differ. A probe in the
    MixUp stage sees a training loss that is not the plain cross-entropy of the batch's labels."""
    import torch.nn.functional as F
    from synthbridge.training.transfer import bridged, bridged_pp, synthetic_stage
    real = _dls(tiny_data, "real")
    kw = dict(epochs=1, lr=0.05, **ARCH)
    class LossProbe(Callback):
        order = 90
        def __init__(self): self.gaps = []
        def after_loss(self):
            if self.training:
                plain = F.cross_entropy(self.learn.pred.detach(), self.learn.yb[0])
                self.gaps.append(abs(float(self.learn.loss.detach()) - float(plain)))
    pm, pp = LossProbe(), LossProbe()
    fresh = lambda: _dls(tiny_data, "synth")      # new DataLoaders per run: a reused one gives other batches (see report)
    mix = synthetic_stage(fresh(), mixup=True, cbs=pm, **kw)
    plain = synthetic_stage(fresh(), mixup=False, cbs=pp, **kw)
    assert max(pm.gaps) > 1e-3 and max(pp.gaps) < 1e-5, (pm.gaps, pp.gaps)   # MixUp's loss mixes two label sets
    mix_l, plain_l = _stage1_losses(mix.history), _stage1_losses(plain.history)
    assert mix_l != plain_l
    assert _stage1_losses(bridged_pp(real, fresh(), **kw).history) == pytest.approx(mix_l, rel=1e-6)
    assert _stage1_losses(bridged(real, fresh(), **kw).history) == pytest.approx(plain_l, rel=1e-6)
    assert mix.config["mixup"] and not plain.config["mixup"]

# ------------------------------------------------------------------------------------------------------- fixed feature
@pytest.mark.parametrize("name", ["fixed-vanilla", "fixed-bridged", "fixed-bridged+fc"])
def test_fixed_feature_leaves_every_backbone_tensor_unchanged(tiny_data, name):
    "A linear probe trains the head only: every other parameter and buffer (BatchNorm statistics too) is unchanged."
    from synthbridge.training.transfer import PIPELINES
    real, synth = _dls(tiny_data, "real"), _dls(tiny_data, "synth")
    p = Probe()
    r = PIPELINES[name](real, synth, epochs=1, stage1_epochs=1, lr=0.1, cbs=p, **ARCH) if name != "fixed-vanilla" else \
        PIPELINES[name](real, synth, epochs=1, lr=0.1, cbs=p, **ARCH)
    heads, hk = _head_keys(r.learner.model)
    before, after = p.before[-1], p.after[-1]
    body = [k for k in after if k not in hk]
    assert body and hk
    changed = [k for k in body if not torch.equal(before[k], after[k])]
    assert not changed, f"{name}: backbone tensors changed: {changed[:5]}"
    assert any(not torch.equal(before[k], after[k]) for k in hk), "the head did not train"

def test_full_finetune_changes_the_backbone(tiny_data):
    "The counterpart of the fixed-feature check: vanilla (not fixed) does change backbone tensors with the same recipe."
    from synthbridge.training.transfer import vanilla
    p = Probe()
    r = vanilla(_dls(tiny_data, "real"), epochs=1, lr=0.1, cbs=p, **ARCH)
    _, hk = _head_keys(r.learner.model)
    assert any(not torch.equal(p.before[-1][k], p.after[-1][k]) for k in p.after[-1] if k not in hk)

# ------------------------------------------------------------------------------------------------------------- FCReset
def test_fc_reset_gives_fresh_weights_at_the_same_shape():
    "With lr=0 nothing trains, so a changed head can only come from FCReset: a new head of the same shape, new values."
    from fastai.data.core import DataLoaders
    from synthbridge.training.learner import FCReset, synth_learner
    from synthbridge.data import make_dls
    rng = np.random.default_rng(0)
    items = [(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8), i % 3) for i in range(12)]
    dls = make_dls(items, items[:6], ["a", "b", "c"], bs=6, size=16, resize=16, device="cpu")
    learn = synth_learner(dls, "test_resnet", pretrained=False)
    heads, hk = _head_keys(learn.model)
    old = {k: v.clone() for k, v in learn.model.state_dict().items()}
    with learn.no_bar(), learn.no_logging(): learn.fit_paper(1, lr=0., cbs=FCReset())
    new = learn.model.state_dict()
    assert all(new[k].shape == old[k].shape for k in hk)
    assert all(not torch.equal(new[k], old[k]) for k in hk if k.endswith("weight")), "the head kept its old weights"
    assert all(torch.equal(new[k], old[k]) for k in old if k not in hk and not k.endswith("num_batches_tracked")
               and "running" not in k)                                                   # lr=0: nothing else moved

def test_bridged_fc_reinit_head_differs_from_stage1_head_at_lr0(tiny_data):
    "bridged+fc with lr=0 in stage 2: the final head is not the stage-1 head although the class count is the same."
    from synthbridge.training.transfer import bridged_fc, synthetic_stage
    real, synth = _dls(tiny_data, "real"), _dls(tiny_data, "synth")
    s1 = synthetic_stage(synth, epochs=1, lr=0.05, **ARCH)
    s1_sd = {k: v.clone() for k, v in s1.learner.model.state_dict().items()}
    r = bridged_fc(real, stage1=s1, epochs=1, lr=0., **ARCH)
    _, hk = _head_keys(r.learner.model)
    sd = r.learner.model.state_dict()
    assert all(sd[k].shape == s1_sd[k].shape for k in hk)
    assert not torch.equal(sd[hk[0]], s1_sd[hk[0]]), "FC reinit kept the stage-1 head"

# ----------------------------------------------------------------------------------------------- user callbacks, stage 2
@pytest.mark.parametrize("name", ["bridged", "bridged++", "fixed-bridged+fc"])
def test_user_callbacks_run_in_stage2_only_once_per_epoch(tiny_data, name):
    "`cbs=` reach the real-image fit only: one fit, one `after_epoch` per stage-2 epoch, on the real training items."
    from synthbridge.training.transfer import PIPELINES
    real, synth = _dls(tiny_data, "real"), _dls(tiny_data, "synth")
    p = Probe()
    r = PIPELINES[name](real, synth, epochs=3, stage1_epochs=2, lr=0.01, cbs=p, **ARCH)
    assert (p.fits, p.epochs) == (1, 3), (p.fits, p.epochs)
    assert p.train_n == [len(tiny_data["real"])] and p.items == 3*len(tiny_data["real"])
    assert [h["stage"] for h in r.history] == [1, 1, 2, 2, 2]

# -------------------------------------------------------------------------------------------------------- augmentation
def _aug_items(tmp_path, files):
    "12 random 32 px RGB images (3 classes), in memory or as PNG files (the two loading paths of `make_dls`)."
    from PIL import Image
    rng = np.random.default_rng(0)
    items = [(rng.integers(0, 255, (32, 40, 3), dtype=np.uint8), i % 3) for i in range(12)]
    if files:
        for i, (a, l) in enumerate(items): Image.fromarray(a).save(tmp_path/f"{i}.png")
        items = [(tmp_path/f"{i}.png", l) for i, (_, l) in enumerate(items)]
    return items

@pytest.mark.parametrize("files", [False, True], ids=["in-memory", "files"])
def test_training_batches_are_augmented(tmp_path, files):
    """Two passes over the same items in the same order give different training batches (random resized crop + flip);
    the train crop differs from the eval crop of the same items; the eval batches are identical on every pass."""
    from synthbridge.data import make_dls
    items = _aug_items(tmp_path, files)
    dls = make_dls(items, items, ["a", "b", "c"], bs=12, size=24, resize=24, num_workers=0, device="cpu")
    train = dls.train.new(shuffle=False)
    (x1, y1), (x2, y2) = train.one_batch(), train.one_batch()
    assert torch.equal(y1, y2) and y1.tolist() == [l for _, l in items]        # same items, same order
    assert not torch.equal(x1, x2), "two passes over the same items gave the same training images: no augmentation"
    assert (x1 - x2).abs().flatten(1).amax(1).gt(0.05).float().mean() > 0.5     # most images differ, not one pixel
    (v1, _), (v2, _) = dls.valid.one_batch(), dls.valid.one_batch()
    assert torch.equal(v1, v2)                                                  # eval is deterministic
    assert (x1 - v1).abs().flatten(1).amax(1).gt(0.05).float().mean() > 0.5     # train crop != eval crop

def test_same_seed_same_crop(tmp_path):
    "The crop and flip come from the given random source: the same seed gives the same crop, other seeds others."
    from fastai.torch_core import set_seed
    from synthbridge.data import load_image, make_dls
    it = _aug_items(tmp_path, False)[0][0]
    crops = {s: load_image(it, 24, train=True, rng=random.Random(s)) for s in range(6)}
    assert torch.equal(crops[0], load_image(it, 24, train=True, rng=random.Random(0)))
    assert len({c.numpy().tobytes() for c in crops.values()}) >= 5
    items = _aug_items(tmp_path, False)
    train = make_dls(items, items, ["a", "b", "c"], bs=12, size=24, resize=24, device="cpu").train.new(shuffle=False)
    set_seed(3); a = train.one_batch()[0]
    set_seed(3); b = train.one_batch()[0]
    assert torch.equal(a, b)

# ---------------------------------------------------------------------------------------------- style inversion target
@pytest.mark.parametrize("pred_type", ["epsilon", "v_prediction"])
def test_style_inversion_regresses_on_the_scheduler_target(monkeypatch, pred_type):
    """Eq. (2)'s loss is the MSE between the UNet output and the scheduler's target: the noise for an epsilon model,
    v = sqrt(ᾱ_t)·ε - sqrt(1-ᾱ_t)·z for a v-prediction model (computed here by hand from the recorded z, ε and t)."""
    import torch.nn.functional as F
    from diffusers import DDPMScheduler
    from synthbridge.generation.dsi import dsi_loss
    from synthbridge.testing import tiny_pipeline, _sd_scheduler_config
    pipe = tiny_pipeline()
    pipe.scheduler = DDPMScheduler(**(_sd_scheduler_config() | dict(prediction_type=pred_type)))
    seen = {}
    orig_add = DDPMScheduler.add_noise
    def add_noise(self, z, noise, t):
        seen.update(z=z.clone(), noise=noise.clone(), t=t.clone(), acp=self.alphas_cumprod.clone())
        return orig_add(self, z, noise, t)
    monkeypatch.setattr(DDPMScheduler, "add_noise", add_noise)
    pipe.unet.register_forward_hook(lambda m, i, o: seen.update(pred=o.sample.detach().clone()))
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    loss = dsi_loss(pipe, images, [0, 1, 0, 1], ["cat", "dog"], token="painting", steps=1, batch_size=4, resolution=64)
    a = seen["acp"][seen["t"]].view(-1, 1, 1, 1)
    target = seen["noise"] if pred_type == "epsilon" else a.sqrt()*seen["noise"] - (1 - a).sqrt()*seen["z"]
    other = seen["noise"] if pred_type != "epsilon" else a.sqrt()*seen["noise"] - (1 - a).sqrt()*seen["z"]
    assert loss == pytest.approx(F.mse_loss(seen["pred"], target).item(), rel=1e-5)
    assert abs(loss - F.mse_loss(seen["pred"], other).item()) > 1e-3     # the two targets are told apart

# ------------------------------------------------------------------------------------------- learning above chance
@pytest.mark.slow
def test_bridged_pp_on_the_embedded_model_beats_chance(tmp_path):
    """bridged++ with the embedded generator's images (made here by `generate`) and EfficientNet-Lite0 on 4-shot
    Fashion-MNIST is above chance (10 %) by the measured margin."""
    torch.set_num_threads(1)
    r = embedded_run(0, tmp_path)
    print(f"\nembedded bridged++ seed 0: {r}")
    assert r["top1"] >= r["chance"] + BANDS["embedded_bridged_pp"]["margin"], r

# ------------------------------------------------------------------------------------------------- CAS, small scale
def silhouette(images) -> torch.Tensor:
    """(N, H, W, 3) or (N, 3, H, W) uint8 colour images -> (N, H*W) float: each pixel's distance in grey level from the
    image's border (its background), scaled to a maximum of 1: the garment's silhouette, whatever its colours."""
    x = torch.as_tensor(np.asarray(images))
    if x.shape[-1] == 3: x = x.permute(0, 3, 1, 2)
    g = x.float().mean(1)/255
    border = torch.cat([g[:, 0], g[:, -1], g[:, :, 0], g[:, :, -1]], 1).median(1).values
    d = (g - border[:, None, None]).abs()
    return (d/d.amax((1, 2), keepdim=True).clamp(min=.05)).flatten(1)

class _Silhouette(torch.nn.Module):
    "A linear classifier on `silhouette` features, with the `in_ch` that `synthbridge.miniature.mini`'s CAS expects."
    in_ch = 3
    def __init__(self, side=32):
        super().__init__(); self.lin = torch.nn.Linear(side*side, 10)
    def forward(self, x): return self.lin(silhouette((x.clamp(0, 1)*255).round().to(torch.uint8)))

def pinned_classifier(seed: int = 0, steps: int = 400):
    """A classifier pinned by its recipe: a linear model on the silhouettes of 10,000 images of the generator's corpus
    (the miniature web: Fashion-MNIST training images 40,000-49,999 in random looks, `synthbridge.data.world`), fitted for
    `steps` Adam steps with batches from a seeded generator (seconds on one core). Returns (model taking (B, 3, 32, 32)
    in [0, 1], its top-1 on 2,000 test images rendered in fresh random looks)."""
    import torch.nn.functional as F
    from synthbridge.data import world
    from synthbridge.miniature.mini import load_fashion_mnist
    x, y = load_fashion_mnist("train")
    X, Y = silhouette(world.render_corpus(x[:50000], 0, 32)[40000:]), torch.from_numpy(y[40000:50000])
    g = torch.Generator().manual_seed(seed); torch.manual_seed(seed)
    model = _Silhouette()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        idx = torch.randint(len(X), (256,), generator=g)
        loss = F.cross_entropy(model.lin(X[idx]), Y[idx]); opt.zero_grad(); loss.backward(); opt.step()
    xt, yt = load_fashion_mnist("test")
    looks = [world.sample_look(np.random.default_rng([1, 10**6 + i])) for i in range(2000)]
    with torch.no_grad():
        acc = (model.lin(silhouette(world.render(xt[:2000], looks, 32))).argmax(1) == torch.from_numpy(yt[:2000])).float().mean().item()
    return model.eval(), acc

CAS_SETTINGS = dict(n_per_class=10, num_inference_steps=10, guidance=3.5, batch_size=100, seed=0)

@pytest.mark.slow   # measured above 5 s on a 2-core CPU (the day-to-day tier leaves it out)
def test_cas_of_the_embedded_model_small_scale():
    """The embedded generator's images are recognised as their prompted class by a classifier that never saw a
    generated image (trained on the generator's corpus; classification accuracy score, 10 images per class): a
    measured floor well above chance."""
    from synthbridge.miniature.mini import mini_pipeline
    from synthbridge.miniature.mini_eval import classification_accuracy_score
    torch.set_num_threads(1)
    clf, acc = pinned_classifier()
    r = classification_accuracy_score(mini_pipeline(), classifier=clf, progress=False, **CAS_SETTINGS)
    print(f"\npinned classifier {acc:.3f}; CAS {r['cas']:.3f} {r['per_class']}")
    b = BANDS["cas_small"]
    assert acc >= b["classifier_min"], acc
    assert r["cas"] >= b["cas_min"], (r["cas"], b)
