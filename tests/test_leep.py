"`synthbridge leep` on an image folder: the ImageNet EfficientNet-Lite0 (1000-way) and a saved stage-1 model."
import json
from pathlib import Path
import pytest
from conftest import synthbridge_main

def _main(capsys, *args):
    "`synthbridge leep ARGS` in this process: (exit code, stdout, stderr)."
    return synthbridge_main(capsys, "leep", *args)

def test_cli_leep_imagenet_and_saved_model(tmp_path, capsys):
    from fastai.vision.all import ImageDataLoaders, Resize
    from synthbridge.testing import tiny_image_folder
    from synthbridge.training.learner import efficientnet_lite0_weights
    from synthbridge.training.transfer import synthetic_stage
    real = tiny_image_folder(tmp_path/"real", n=6)
    rc, out, err = _main(capsys, "--real", real, "--arch", "tf_efficientnet_lite0", "--weights", efficientnet_lite0_weights(),
                         "--size", 32, "--json", tmp_path/"in1k.json")
    assert rc == 0, err
    res = json.loads((tmp_path/"in1k.json").read_text())
    assert res["leep"] < 0 and "1000 source classes" in out
    synth = ImageDataLoaders.from_folder(tiny_image_folder(tmp_path/"synth", n=8, seed=1), valid_pct=0.25, seed=0,
                                         item_tfms=Resize(32), bs=8, num_workers=0)
    s1 = synthetic_stage(synth, "test_resnet", pretrained=False, epochs=2, lr=0.05)
    s1.save(tmp_path/"stage1.safetensors")
    rc, out, err = _main(capsys, "--real", real, "--arch", "test_resnet", "--weights", tmp_path/"stage1.safetensors", "--size", 32)
    assert rc == 0 and "3 source classes" in out, err
    assert float(out.split()[1]) > res["leep"]          # a head trained on these very classes beats ImageNet's 1000

def test_cli_leep_bad_input(tmp_path, capsys):
    rc, out, err = _main(capsys, "--real", tmp_path/"nowhere", "--arch", "test_resnet")
    assert rc == 2 and "does not exist" in err
    rc, out, err = _main(capsys, "--arch", "test_resnet")
    assert rc == 2 and "--dataset NAME or --real FOLDER" in err
