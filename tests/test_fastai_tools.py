"""fastai's own tools on synthbridge's DataLoaders (real, synthetic, mixed): export/load_learner, predict, test_dl,
show_batch, show_results, ClassificationInterpretation, get_preds(with_input=True); inputs are not normalised in
place; FCReset resets once per fine_tune; tiny synthetic hold-outs.

Small and offline: sklearn's 8x8 digits (2 per class) as the real data, 5 tiny images per class as the synthetic set,
timm's `test_resnet` with random weights, 32 px.
"""
import warnings
from pathlib import Path
import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

def _data(tmp_path, n_synth=5):
    from synthbridge.data import get_dataset, RealDataset, SyntheticSet
    from synthbridge.testing import synthetic_folder
    ds = get_dataset("digits")
    ds = RealDataset("digits", ds.classes, ds.shots(2), ds.test[:20])
    synth = SyntheticSet(synthetic_folder(tmp_path/"synth", ds.classes, n=n_synth, size=16))
    return ds, synth

def _dls(kind, ds, synth):
    from synthbridge.data import mixed_dls
    if kind == "real": return ds.dls(bs=8, size=32, num_workers=0)
    if kind == "synthetic": return synth.dls(bs=8, size=32, num_workers=0)
    return mixed_dls(ds, synth, bs=8, size=32, num_workers=0)

def _learner(dls):
    import torch
    from synthbridge.training.learner import synth_learner
    torch.manual_seed(0)
    learn = synth_learner(dls, "test_resnet", pretrained=False)
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 0.01)
    return learn

@pytest.mark.parametrize("kind", ["real", "synthetic", "mixed"])
def test_export_load_learner_predict(tmp_path, kind):
    from fastai.vision.all import load_learner, PILImage
    ds, synth = _data(tmp_path)
    dls = _dls(kind, ds, synth)
    learn = _learner(dls)
    item, label = dls.valid_ds.items[0]
    with learn.no_bar(): cls, idx, probs = learn.predict(item)
    assert cls in dls.valid_ds.vocab and probs.shape == (10,) and int(idx) == int(probs.argmax())
    learn.export(tmp_path/"export.pkl")
    learn2 = load_learner(tmp_path/"export.pkl")
    with learn2.no_bar():
        cls2, idx2, probs2 = learn2.predict(item)
        assert cls2 == cls and np.allclose(probs2.numpy(), probs.numpy(), atol=1e-5)
        pil = PILImage.create(np.full((20, 20, 3), 128, np.uint8))                      # a PIL image, any size
        assert learn2.predict(pil)[0] in dls.valid_ds.vocab

@pytest.mark.parametrize("kind", ["real", "synthetic", "mixed"])
def test_test_dl_show_and_interpretation(tmp_path, kind):
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from fastai.vision.all import ClassificationInterpretation
    ds, synth = _data(tmp_path)
    dls = _dls(kind, ds, synth)
    learn = _learner(dls)
    items = [it for it, _ in dls.valid_ds.items[:3]]
    with learn.no_bar():
        preds, _ = learn.get_preds(dl=dls.test_dl(items))
        assert preds.shape == (3, 10)
        dls.show_batch(max_n=4); learn.show_results(max_n=4)
        interp = ClassificationInterpretation.from_learner(learn)
        cm = interp.confusion_matrix()
        assert cm.shape == (10, 10) and cm.sum() == len(dls.valid_ds)
        interp.plot_top_losses(4)
    plt.close("all")

@pytest.mark.parametrize("kind", ["real", "synthetic", "mixed"])
def test_get_preds_with_input_is_not_normalised(tmp_path, kind):
    "The inputs come back as the DataLoader made them (floats in [0, 1]), so they decode to images."
    import torch
    ds, synth = _data(tmp_path)
    dls = _dls(kind, ds, synth)
    learn = _learner(dls)
    raw = torch.cat([b[0].cpu() for b in dls.valid])
    with learn.no_bar(): inp, preds, targs = learn.get_preds(with_input=True)
    assert torch.allclose(inp, raw) and inp.min() >= 0 and inp.max() <= 1
    dec = dls.decode_batch((inp[:2], targs[:2]))
    assert dec[0][0].dtype == torch.long and dec[0][0].max() > 1 and dec[0][1] in dls.vocab

def test_fcreset_resets_once_per_fine_tune(tmp_path):
    "fine_tune passes cbs to its frozen and its unfrozen fit: the head trained in the first one must survive."
    import torch
    from fastai.learner import Callback
    from synthbridge.training.learner import FCReset
    ds, synth = _data(tmp_path)
    learn = _learner(ds.dls(bs=8, size=32, num_workers=0))
    class Heads(Callback):                                   # runs after FCReset (order -8) in before_fit
        def before_fit(self): self.start = getattr(self, "start", []) + [self.learn.model.get_classifier()]
        def after_fit(self): self.end = getattr(self, "end", []) + [self.learn.model.get_classifier()]
    rec = Heads()
    old = learn.model.get_classifier()
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(1, 0.01, freeze_epochs=1, cbs=[FCReset(seed=0), rec])
    assert len(rec.start) == 2 and rec.start[0] is not old             # reset before the frozen fit
    assert rec.start[1] is rec.end[0]                                  # the second fit keeps the head the first trained

@pytest.mark.parametrize("valid_pct", [0, 0.1])
def test_tiny_synthetic_hold_out_bridged_pp(tmp_path, valid_pct):
    "4 images per class: 10 % rounds to 0; a hold-out of none, or of one image per class, both train to the end."
    from synthbridge.training.transfer import bridged_pp
    ds, synth = _data(tmp_path, n_synth=4)
    sdls = synth.dls(bs=8, size=32, valid_pct=valid_pct, num_workers=0)
    assert len(sdls.valid_ds) == (0 if valid_pct == 0 else 10)
    r = bridged_pp(ds.dls(bs=8, size=32, num_workers=0), sdls, arch="test_resnet", pretrained=False, epochs=1,
                   stage1_epochs=1)
    assert 0 <= r.metric <= 1 and [h["stage"] for h in r.history] == [1, 2]
