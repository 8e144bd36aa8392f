"""synthbridge.data: official-layout parsers on replicas of all ten datasets, split rules, download errors,
corrupt files, multi-worker DataLoaders, in-memory vs file transforms. No network."""
import io, json, os, shutil, warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from synthbridge import data as D
from synthbridge.testing import replica, synthetic_folder   # the official layouts, replicated with tiny images
from synthbridge.data import (DATASETS, PAPER_DATASETS, RealDataset, SyntheticSet, check_images, class_names,
                              few_shot, get_dataset, load_image, make_dls, mixed_dls)

RAW = {k: class_names(k, "raw") for k in PAPER_DATASETS}


@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def replicas(tmp_path_factory):
    "All ten replicas, written once (Caltech-101 needs 31 images in each of 101 classes)."
    root = tmp_path_factory.mktemp("replicas")
    for k in PAPER_DATASETS: replica(k, root/k, n_train=2, n_test=1)
    return root


def _label_from_path(k, p: Path, n_per_class: int):
    "The class an item belongs to according to where the replica put it (independent of the parsers)."
    if k in ("caltech101", "dtd", "food", "dogs"): return RAW[k].index(p.parent.name)
    if k == "cub": return RAW[k].index(p.parent.name)
    if k == "sun397": return RAW[k].index("/" + "/".join(p.parts[p.parts.index("SUN397") + 1:-1]))
    if k == "pets": return RAW[k].index(p.stem.rsplit("_", 1)[0])
    if k == "aircraft": return (int(p.stem) - 1000000)//100
    if k == "flowers": return (int(p.stem.split("_")[1]) - 1)//n_per_class
    return None


@pytest.mark.parametrize("k", PAPER_DATASETS)
def test_parser_on_replica(replicas, k):
    ds = get_dataset(k, root=replicas/k, download=False)
    n = DATASETS[k].n_classes
    ntr = D.CALTECH_TRAIN_PER_CLASS if k == "caltech101" else 3 if k in ("dtd", "flowers") else 2
    assert (len(ds.train), len(ds.test)) == (n*ntr, n)
    assert np.bincount([l for _, l in ds.train], minlength=n).tolist() == [ntr]*n
    assert np.bincount([l for _, l in ds.test], minlength=n).tolist() == [1]*n
    assert ds.classes == class_names(k) and ds.metric == DATASETS[k].metric and ds.lr == DATASETS[k].lr
    assert not {p for p, _ in ds.train} & {p for p, _ in ds.test}
    per = {"flowers": 4}.get(k, 3)
    for p, l in ds.train + ds.test:
        assert p.exists()
        want = _label_from_path(k, p, per)
        if want is not None: assert want == l, (k, p, l, want)


def test_cars_labels_follow_annotations(replicas):
    ds = get_dataset("cars", root=replicas/"cars", download=False)
    # the replica numbers train files 00001.. in label order, 2 per class
    assert [l for _, l in ds.train][:6] == [0, 0, 1, 1, 2, 2]
    assert ds.train[3][0].name == "00004.jpg" and ds.test[195][1] == 195


def test_food_uses_sorted_order_not_classes_txt(replicas):
    ds = get_dataset("food", root=replicas/"food", download=False)
    lab = {p.parent.name: l for p, l in ds.train}
    assert (lab["cheese_plate"], lab["cheesecake"]) == (16, 17)     # meta/classes.txt has them the other way round


def test_caltech_split_is_30_per_class_deterministic(replicas):
    a = get_dataset("caltech101", root=replicas/"caltech101", download=False)
    b = get_dataset("caltech101", root=replicas/"caltech101", download=False)
    assert a.train == b.train and len(a.train) == 3030
    assert all("BACKGROUND_Google" not in str(p) for p, _ in a.train + a.test)
    # not simply the first 30 files of each folder
    names = {p.name for p, l in a.train if l == 0}
    assert names != {f"image_{j+1:04d}.jpg" for j in range(30)}


def test_release_with_other_names_is_refused(tmp_path):
    root = replica("aircraft", tmp_path/"a")
    f = root/"fgvc-aircraft-2013b"/"data"/"variants.txt"
    f.write_text(f.read_text().replace("A340-500", "A340-555"))
    with pytest.raises(ValueError, match="do not match the aircraft release"):
        get_dataset("aircraft", root=root, download=False)
    root = replica("sun397", tmp_path/"s")
    f = root/"SUN397"/"ClassName.txt"; lines = f.read_text().splitlines()
    f.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match="396 names vs 397"):
        get_dataset("sun397", root=root, download=False)


def test_missing_images_and_empty_class(tmp_path):
    root = replica("pets", tmp_path/"p")
    (root/"oxford-iiit-pet"/"images"/"Abyssinian_1.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="1 of 74 train images .* missing, e.g. .*Abyssinian_1.jpg"):
        get_dataset("pets", root=root, download=False)
    root = replica("pets", tmp_path/"q")
    t = root/"oxford-iiit-pet"/"annotations"/"test.txt"
    t.write_text("".join(l + "\n" for l in t.read_text().splitlines() if not l.startswith("Bengal")))
    with pytest.raises(ValueError, match="1 classes have no test images, e.g. 'Bengal'"):
        get_dataset("pets", root=root, download=False)


def test_alternative_layouts(tmp_path):
    # Kaggle's Stanford Cars copy nests cars_train/cars_train
    root = replica("cars", tmp_path/"c")
    for s in ("train", "test"):
        d = root/"stanford_cars"/f"cars_{s}"; tmp = d.with_name("x"); d.rename(tmp); d.mkdir(); tmp.rename(d/f"cars_{s}")
    ds = get_dataset("cars", root=root, download=False)
    assert ds.train[0][0] == root/"stanford_cars"/"cars_train"/"cars_train"/"00001.jpg"
    # Stanford Dogs lists in lists/, SUN397 partitions in Partitions/
    root = replica("dogs", tmp_path/"d"); (root/"stanford_dogs"/"lists").mkdir()
    for s in ("train", "test"): (root/"stanford_dogs"/f"{s}_list.mat").rename(root/"stanford_dogs"/"lists"/f"{s}_list.mat")
    assert len(get_dataset("dogs", root=root, download=False).train) == 240
    root = replica("sun397", tmp_path/"s"); (root/"SUN397"/"Partitions").mkdir()
    for f in ("Training_01.txt", "Testing_01.txt"): (root/"SUN397"/f).rename(root/"SUN397"/"Partitions"/f)
    assert len(get_dataset("sun397", root=root, download=False).test) == 397


def test_failed_download_says_what_to_get(tmp_path, monkeypatch):
    import torchvision.datasets as tvd, torchvision.datasets.utils as tvu
    def boom(*a, **k): raise OSError("no network in tests")
    monkeypatch.setattr(tvu, "download_and_extract_archive", boom)
    monkeypatch.setattr(tvd, "OxfordIIITPet", boom)
    with pytest.raises(FileNotFoundError, match=r"CUB_200_2011.tgz from https://data.caltech.edu/records/65de6-vp158.*download failed: OSError"):
        get_dataset("cub", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"images.tar.gz and annotations.tar.gz from https://www.robots.ox.ac.uk/~vgg/data/pets/"):
        get_dataset("pets", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="official URL is dead"):
        get_dataset("cars", root=tmp_path)


def test_fashion_mnist_offline_and_split():
    fm = get_dataset("fashion-mnist")
    assert len(fm.source) == 50000 and len(fm.pool) == 10000
    assert np.array_equal(fm.source[-1][0], fm.train[49999][0]) and np.array_equal(fm.pool[0][0], fm.train[50000][0])
    assert fm.root == Path("/usr/share/datasets/fashion-mnist")


def _jpeg(path, size=(120, 90), seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (size[1]//10, size[0]//10, 3), dtype=np.uint8)).resize(size).save(path, quality=90)
    return path


def test_check_images_catches_truncation_and_non_images(tmp_path):
    good = _jpeg(tmp_path/"good.jpg")
    trunc = tmp_path/"trunc.jpg"; trunc.write_bytes(good.read_bytes()[:len(good.read_bytes())//2])
    png = tmp_path/"p.png"; Image.new("RGB", (40, 40), (1, 2, 3)).save(png)
    tpng = tmp_path/"t.png"; tpng.write_bytes(png.read_bytes()[:-20])
    txt = tmp_path/"n.jpg"; txt.write_text("hello")
    empty = tmp_path/"e.jpg"; empty.write_bytes(b"")
    assert check_images([(good, 0), (png, 1)]) == [(good, 0), (png, 1)]
    for bad in (trunc, tpng, txt, empty, tmp_path/"gone.jpg"):
        with pytest.raises(ValueError, match=f"{bad.name}: not a readable image"):
            check_images([(good, 0), (bad, 0)])
    with pytest.warns(UserWarning, match="skipped 5 unreadable"):
        assert check_images([(good, 0), (trunc, 0), (tpng, 0), (txt, 0), (empty, 0), (tmp_path/"gone.jpg", 0)], skip_bad=True) == [(good, 0)]


def test_file_dataloaders_with_workers(tmp_path):
    items = [(_jpeg(tmp_path/f"{i}.jpg", (160 + 8*i, 120), seed=i), i % 3) for i in range(12)]
    rd = RealDataset("t", ["a", "b", "c"], items, items[:6])
    dls = rd.dls(bs=4, size=48, resize=56, num_workers=2)
    ys = []
    for xb, yb in dls.train:
        assert xb.shape == (4, 3, 48, 48) and xb.dtype == torch.float32 and 0 <= xb.min() and xb.max() <= 1
        ys += yb.tolist()
    assert sorted(ys) == sorted(l for _, l in items)
    v = torch.cat([xb for xb, _ in dls.valid])
    ref = torch.stack([load_image(p, 48, 56) for p, _ in items[:6]]).float()/255
    assert torch.allclose(v, ref)                                  # workers give the same eval images


def test_decode_error_in_worker_names_the_file(tmp_path):
    items = [(_jpeg(tmp_path/f"{i}.jpg"), 0) for i in range(4)]
    dls = RealDataset("t", ["a"], items, items).dls(bs=2, size=32, resize=32, num_workers=0)
    items[1][0].write_bytes(b"garbage after the check")            # broken after the header check
    with pytest.raises(Exception, match=r"1.jpg"):
        list(dls.valid)


def test_in_memory_batches_match_per_item_path():
    fm = get_dataset("fashion-mnist")
    dls = make_dls(fm.pool[:64], fm.test[:64], fm.classes, bs=64, size=56, resize=64, device="cpu")
    from synthbridge.data.loaders import _ArrayDL
    assert isinstance(dls.valid, _ArrayDL)
    xb, yb = dls.valid.one_batch()
    ref = torch.stack([load_image(it, 56, 64) for it, _ in fm.test[:64]]).float()/255
    assert xb.shape == ref.shape == (64, 3, 56, 56)
    assert (xb - ref).abs().mean() < 0.003, (xb - ref).abs().mean()   # roi_align batch crop == PIL per-item crop
    assert yb.tolist() == [l for _, l in fm.test[:64]]
    unshuffled = dls.train.new(shuffle=False)
    a, b = (unshuffled.one_batch()[0] for _ in range(2))
    assert not torch.equal(a, b)                                  # the same items, cropped and flipped anew


def test_mixed_from_dls_and_class_checks(tmp_path):
    fm = get_dataset("fashion-mnist").subset("pool")
    syn = SyntheticSet(synthetic_folder(tmp_path/"s", [c.lower() for c in D.FASHION_CLASSES], n=2))
    real = fm.dls(shots=2, size=32, resize=36)
    dls = mixed_dls(real, syn, size=32, resize=36, num_workers=0)
    assert len(dls.train_ds) == 20 + 20 and len(dls.valid_ds) == 10000
    with pytest.raises(ValueError, match="shots= applies to a RealDataset"):
        mixed_dls(real, syn, shots=2)
    other = SyntheticSet(synthetic_folder(tmp_path/"o", [f"c{i}" for i in range(10)], n=1))
    with pytest.raises(ValueError, match="class mismatch .*only in fashion-mnist: 'T-shirt/top'.*only in the synthetic set: 'c0'"):
        mixed_dls(fm, other)


def test_synthetic_manifest_resume_rows_and_partial_line(tmp_path):
    out = synthetic_folder(tmp_path/"s", ["a", "b"], n=3)
    m = out/"manifest.jsonl"; rows = m.read_text().splitlines()
    m.write_text("\n".join(rows + rows[:2]) + "\n" + rows[2][:10])        # duplicated rows + a torn last line
    with pytest.warns(UserWarning, match="incomplete last line"):
        syn = SyntheticSet(out)
    assert len(syn) == 6 and syn.counts() == [3, 3]
    with pytest.raises(ValueError, match="valid_pct=1"):
        syn.dls(valid_pct=1)


def test_few_shot_independent_of_other_classes():
    a = few_shot([0]*10 + [1]*10, 3, seed=5)
    b = few_shot([0]*10 + [1]*10 + [2]*4, 3, seed=5)
    assert a == b[:6]


# ---- one reading of a dataset: every entry point, the same classes, splits and recipe

NAMES = ["T-shirt/top", "Ankle boot", "Bag"]


_DATA = dict(batch_size=4, size=32, device="cpu", num_workers=0)   # small and quick


def test_generated_folders_keep_the_real_class_names(tmp_path):
    from synthbridge.testing import synthetic_folder
    s = synthetic_folder(tmp_path/"s", NAMES, n=3)
    assert sorted(p.name for p in s.iterdir() if p.is_dir()) == ["Ankle boot", "Bag", "T-shirt%2Ftop"]


def test_same_vocab_through_every_entry_point(tmp_path, capsys):
    from conftest import synthbridge_main
    from synthbridge.testing import synthetic_folder, tiny_image_folder
    from synthbridge.training.learner import folder_dls, real_dls, synthetic_dls
    gen = synthetic_folder(tmp_path/"gen", NAMES, n=5)
    vocabs = [list(folder_dls(gen, size=32, num_workers=0).vocab), list(D.read_folder(gen).dls(size=32).vocab),
              list(real_dls(real=gen, **_DATA)[0].vocab), list(SyntheticSet(gen).dls(size=32).vocab),
              list(synthetic_dls(gen, **_DATA).vocab)]
    assert all(v == NAMES for v in vocabs), vocabs                    # real names, classes.json's order, no slugs
    # a user's own root with the same classes (folders escaped as generate escapes them): the same names
    for split, n in (("train", 4), ("test", 2)): tiny_image_folder(tmp_path/"own"/split, NAMES, n=n, size=32)
    own = D.read_folder(tmp_path/"own")
    assert sorted(own.classes) == sorted(NAMES) and own.classes == sorted(NAMES, key=lambda c: c.replace("/", "%2F"))
    vocabs = [list(folder_dls(tmp_path/"own", size=32, num_workers=0).vocab), list(own.dls(size=32).vocab),
              list(real_dls(real=tmp_path/"own", **_DATA)[0].vocab)]
    assert all(v == own.classes for v in vocabs), vocabs
    rc, out, err = synthbridge_main(capsys, "train", "--real", tmp_path/"own", "--arch", "test_resnet",
                                    "--no-pretrained", "--size", 32, "--batch-size", 4, "--epochs", 1, "--pipeline", "vanilla",
                                    "--out", tmp_path/"run", "--device", "cpu", "--no-progress")
    assert rc == 0, err
    from synthbridge.training.learner import read_weights
    assert json.loads(read_weights(tmp_path/"run"/"model.safetensors")[1]["vocab"]) == own.classes
    given = ["Bag", "T-shirt/top", "Ankle boot"]                     # the user's order is kept, never sorted
    assert list(folder_dls(tmp_path/"own", size=32, classes=given).vocab) == given
    assert D.read_folder(gen, classes=given).classes == given


def test_folder_recipe_is_the_registry_recipe(tmp_path):
    from synthbridge.testing import tiny_image_folder
    from synthbridge.training.learner import folder_dls
    d = tiny_image_folder(tmp_path/"f", ("red", "green", "blue"), n=10, size=40)
    ds = D.read_folder(d)
    assert ds.layout["kind"] == "split" and (len(ds.train), len(ds.test)) == (24, 6)
    dls = folder_dls(d, size=32, bs=8, num_workers=0, device="cpu")
    assert not torch.equal(dls.train.one_batch()[0], dls.train.one_batch()[0])   # random-resized crop + flip
    assert torch.equal(dls.valid.one_batch()[0], dls.valid.one_batch()[0])       # resize 256/224 + centre crop
    assert dls.valid_ds.resize == 37 and dls.train_ds.train and not dls.valid_ds.train
    k, ds5 = folder_dls(d, size=32, shots=3, seed=5), D.read_folder(d, seed=5)     # the registry's k-shot rule
    assert k.train_ds.items == [ds5.train[i] for i in few_shot([l for _, l in ds5.train], 3, 5)] == ds5.shots(3, 5)


def test_invert_learns_only_on_the_training_split_of_a_root(tmp_path, capsys):
    from conftest import synthbridge_main
    from synthbridge.testing import tiny_image_folder, tiny_pipeline
    classes = ("red", "green", "blue")
    tiny_image_folder(tmp_path/"root"/"train", classes, n=3, size=32)
    tiny_image_folder(tmp_path/"root"/"test", classes, n=2, size=32, seed=1)
    tiny_pipeline().save_pretrained(tmp_path/"pipe")
    rc, out, err = synthbridge_main(capsys, "invert", "--model", tmp_path/"pipe", "--real", tmp_path/"root", "--out",
                                    tmp_path/"out", "--steps", 2, "--batch-size", 2, "--resolution", 32,
                                    "--no-progress", "--device", "cpu", "--quality-images", 0)
    assert rc == 0, err
    assert (f"learning the style on 9 training images of {tmp_path/'root'/'train'}; {tmp_path/'root'/'test'} is not "
            "used") in out
    data = json.loads((tmp_path/"out"/"dsi.json").read_text())["data"]
    assert data["n_images"] == 9 and data["classes"] == ["blue", "green", "red"]     # not 'train' and 'test'


def _learner(dls):
    from synthbridge.training.learner import synth_learner
    return synth_learner(dls, "test_resnet", pretrained=False)


@pytest.mark.parametrize("kind", ["grey arrays", "rgb arrays", "files", "synthetic", "mixed"])
def test_interpretation_dispatches_for_every_kind(kind, tmp_path):
    import matplotlib; matplotlib.use("Agg")
    from fastai.interpret import ClassificationInterpretation
    from synthbridge.testing import synthetic_folder
    rng = np.random.default_rng(0)
    shape = (28, 28) if kind == "grey arrays" else (28, 28, 3)
    arrays = [(rng.integers(0, 255, shape, dtype=np.uint8), i % 3) for i in range(18)]
    syn = synthetic_folder(tmp_path/"s", ["a", "b", "c"], n=4)
    if kind.endswith("arrays"): dls = make_dls(arrays[:12], arrays[12:], ["a", "b", "c"], bs=4, size=32, device="cpu")
    elif kind == "files": dls = D.read_folder(syn, valid_pct=0.25).dls(bs=4, size=32, num_workers=0, device="cpu")
    elif kind == "synthetic": dls = SyntheticSet(syn).dls(bs=4, size=32, valid_pct=0.25, num_workers=0, device="cpu")
    else: dls = mixed_dls(RealDataset("r", ["a", "b", "c"], arrays[:12], arrays[12:]), syn, bs=4, size=32,
                          num_workers=0, device="cpu")
    learn = _learner(dls)
    ClassificationInterpretation.from_learner(learn).plot_top_losses(2)
    learn.show_results(max_n=2); dls.show_batch(max_n=2)
    import matplotlib.pyplot as plt; plt.close("all")


def test_fastai_parity_loss_tta_test_dl_export(tmp_path):
    from fastai.vision.learner import vision_learner
    from fastai.learner import load_learner
    from fastai.losses import CrossEntropyLossFlat
    from torchvision.models import resnet18
    from synthbridge.testing import tiny_image_folder
    for split, n, seed in (("train", 4, 0), ("test", 2, 1)):
        tiny_image_folder(tmp_path/"r"/split, ("red", "green", "blue"), n=n, size=32, seed=seed)
    dls = D.read_folder(tmp_path/"r").dls(bs=4, size=32, num_workers=0, device="cpu")
    assert isinstance(vision_learner(dls, resnet18, pretrained=False).loss_func, CrossEntropyLossFlat)
    learn = _learner(dls)
    preds, targs = learn.tta(n=2)
    assert preds.shape == (6, 3) and targs.tolist() == [l for _, l in dls.valid_ds.items]
    arr = make_dls([(np.zeros((20, 20), np.uint8), i % 3) for i in range(6)], [(np.zeros((20, 20), np.uint8), 1)],
                   ["a", "b", "c"], bs=2, size=16, device="cpu")
    assert _learner(arr).tta(n=2)[0].shape == (1, 3)                        # in-memory batches too
    files = sorted((tmp_path/"r"/"test").rglob("*.png"))
    labelled = dls.test_dl(files, with_labels=True)                          # fastai's meaning: the folder's class
    assert [int(y) for y in labelled.one_batch()[1]] == [dls.vocab.o2i[f.parent.name] for f in files[:4]]
    assert [int(y) for y in dls.test_dl([(f, 2) for f in files], with_labels=True).one_batch()[1]] == [2]*4
    assert [int(y) for y in dls.test_dl([(f, "red") for f in files], with_labels=True).one_batch()[1]] == [2]*4
    assert len(dls.test_dl(files).one_batch()) == 2 and len(dls.test_dl(files)) == 2
    with pytest.raises(ValueError, match="'purple' is not one of"):
        dls.test_dl([(files[0], "purple")], with_labels=True)
    learn.export(tmp_path/"m.pkl")
    assert load_learner(tmp_path/"m.pkl").predict(files[0])[0] in dls.vocab
