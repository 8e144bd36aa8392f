"""Every check of a real or synthetic image folder happens before the first training step (`synthbridge train`
exits 2 with one line naming the problem, and writes nothing), and classes are matched by name across real and
synthetic data: another label order is mapped, not refused.

`synthbridge train` runs in this process (`synthbridge.interface.cli.main`), on tiny image folders, timm's `test_resnet`.
"""
import json, shutil
from pathlib import Path
import pytest
from conftest import synthbridge_main

pytestmark = pytest.mark.filterwarnings("ignore")
FAST = ["--arch", "test_resnet", "--no-pretrained", "--size", "32", "--batch-size", "8", "--epochs", "1",
        "--stage1-epochs", "1", "--lr", "0.05"]

def _train(capsys, *args):
    "`synthbridge train ARGS` in this process: (exit code, stderr)."
    rc, _, err = synthbridge_main(capsys, "train", *args)
    return rc, err

def _real(tmp_path, classes=("red", "green", "blue"), n=4):
    from synthbridge.testing import tiny_image_folder
    tiny_image_folder(tmp_path/"real"/"train", classes, n=n)
    tiny_image_folder(tmp_path/"real"/"test", classes, n=2, seed=1)
    return tmp_path/"real"

def _bad(capsys, tmp_path, real, *extra):
    rc, err = _train(capsys, "--real", real, "--pipeline", "vanilla", *FAST, *extra, "--out", tmp_path/"out")
    assert rc == 2, err[-2000:]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path/"out").exists()                                   # nothing made before the check
    return err

def test_corrupt_real_image_is_named_before_training(tmp_path, capsys):
    real = _real(tmp_path)
    bad = real/"train"/"red"/"1.png"
    bad.write_bytes(bad.read_bytes()[:200])                                  # a truncated PNG
    assert str(bad) in _bad(capsys, tmp_path, real)
    from synthbridge.testing import synthetic_folder                            # a corrupt synthetic one too
    (real/"train"/"red"/"1.png").unlink()
    synth = synthetic_folder(tmp_path/"synth", ["red", "green", "blue"], n=4)
    bad = synth/"green"/"2.png"; bad.write_bytes(bad.read_bytes()[:100])
    rc, err = _train(capsys, "--real", real, "--synthetic", synth, "--pipeline", "bridged++", *FAST, "--out", tmp_path/"out")
    assert rc == 2 and str(bad) in err and not (tmp_path/"out").exists(), err[-2000:]

def test_empty_class_folder_is_an_error(tmp_path, capsys):
    real = _real(tmp_path)
    shutil.rmtree(real/"train"/"red"); (real/"train"/"red").mkdir()
    err = _bad(capsys, tmp_path, real)
    assert "'red'" in err and "no images" in err

def test_nested_class_folder_is_an_error(tmp_path, capsys):
    real = _real(tmp_path)
    (real/"train"/"red"/"extra").mkdir()
    shutil.copy(real/"train"/"red"/"0.png", real/"train"/"red"/"extra"/"9.png")
    assert str(real/"train"/"red"/"extra") in _bad(capsys, tmp_path, real)

def test_missing_test_split_is_named(tmp_path, capsys):
    real = _real(tmp_path)
    shutil.rmtree(real/"test")
    err = _bad(capsys, tmp_path, real)
    assert "no test split" in err and str(real/"train") in err

def test_train_and_test_class_names_must_match(tmp_path, capsys):
    real = _real(tmp_path)
    (real/"test"/"red").rename(real/"test"/"rouge")
    err = _bad(capsys, tmp_path, real)
    assert "'rouge'" in err and "'red'" in err

def test_real_and_synthetic_class_names_mismatch_named(tmp_path, capsys):
    from synthbridge.testing import synthetic_folder
    real = _real(tmp_path)
    synth = synthetic_folder(tmp_path/"synth", ["red", "green", "purple"], n=4)
    rc, err = _train(capsys, "--real", real, "--synthetic", synth, "--pipeline", "mixed", *FAST, "--out", tmp_path/"out")
    assert rc == 2 and "'purple'" in err and "'blue'" in err, err[-2000:]
    assert not (tmp_path/"out").exists()

@pytest.mark.parametrize("pipeline", ["bridged++", "bridged", "mixed"])
def test_other_label_order_is_mapped_by_name(tmp_path, capsys, pipeline):
    "`generate` writes the registry's order; a real folder sorts alphabetically: same classes, mapped by name."
    from synthbridge.testing import synthetic_folder
    real = _real(tmp_path, n=4)                                              # labels: blue, green, red
    synth = synthetic_folder(tmp_path/"synth", ["red", "green", "blue"], n=4)   # labels: red, green, blue
    rc, err = _train(capsys, "--real", real, "--synthetic", synth, "--pipeline", pipeline, *FAST, "--out", tmp_path/"out")
    assert rc == 0, err[-2000:]
    assert json.loads((tmp_path/"out"/"result.json").read_text())["pipeline"] == pipeline

def test_label_order_mapping_relabels_the_synthetic_items(tmp_path):
    from synthbridge.data import SyntheticSet
    from synthbridge.testing import synthetic_folder
    from synthbridge.training.learner import folder_dls
    from synthbridge.training.transfer import _align
    real = folder_dls(_real(tmp_path), size=32, bs=4)
    sdls = SyntheticSet(synthetic_folder(tmp_path/"synth", ["red", "green", "blue"], n=4)).dls(bs=4, size=32)
    al = _align(real, sdls)
    assert list(al.vocab) == list(real.vocab) == ["blue", "green", "red"]
    for f, l in al.train_ds.items: assert al.vocab[l] == Path(f).parent.name

def test_tiny_synthetic_set_two_stage_cli(tmp_path, capsys):
    "4 synthetic images per class: the 10 % hold-out would round to none; stage 1 and its weights are kept."
    from synthbridge.testing import synthetic_folder
    real = _real(tmp_path)
    synth = synthetic_folder(tmp_path/"synth", ["blue", "green", "red"], n=4)
    rc, err = _train(capsys, "--real", real, "--synthetic", synth, "--pipeline", "bridged++", *FAST, "--out", tmp_path/"out")
    assert rc == 0, err[-2000:]
    assert (tmp_path/"out"/"stage1.safetensors").exists() and (tmp_path/"out"/"result.json").exists()
