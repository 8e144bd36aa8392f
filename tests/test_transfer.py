"""synthbridge.training.transfer beyond the notebook: an offline bridged++ run with the ImageNet EfficientNet-Lite0 weights on
Fashion-MNIST k-shot data (CPU, small images), and `synthbridge train` exit codes and outputs in a subprocess.

The synthetic set here is a stand-in: 16 images per class from Fashion-MNIST's `source` part (the images the embedded
mini generator is trained on), written in `synthbridge generate`'s folder format; the real k-shot pool is the
`pool` part, the test set 1,000 official test images.
"""
import json, os, time
from pathlib import Path
import numpy as np
import pytest
from conftest import INHERIT, offline_env, synthbridge_cmd, synthbridge_main

FM = Path("/usr/share/datasets/fashion-mnist")

def _synthetic_folder(out, ds, n_per_class=16):
    "Fashion-MNIST `source` images in `generate`'s layout: classes.json, manifest.jsonl, <slug>/<index>.png."
    from PIL import Image
    from synthbridge.prompts import class_slugs
    out = Path(out); slugs = class_slugs(ds.classes); rows = []
    counts = [0]*len(ds.classes)
    for img, label in ds.source:
        if counts[label] >= n_per_class: continue
        f = Path(slugs[label])/f"{counts[label]}.png"
        (out/f).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).convert("RGB").save(out/f)
        rows.append(dict(class_=ds.classes[label], label=label, index=counts[label], file=f.as_posix()))
        counts[label] += 1
        if min(counts) >= n_per_class: break
    (out/"classes.json").write_text(json.dumps(dict(classes=list(ds.classes), slugs=slugs)))
    (out/"manifest.jsonl").write_text("".join(json.dumps({("class" if k == "class_" else k): v for k, v in r.items()}) + "\n" for r in rows))
    return out

@pytest.mark.slow
@pytest.mark.skipif(not FM.exists(), reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_bridged_pp_efficientnet_lite0_fashion_mnist_kshot(tmp_path):
    import torch
    torch.set_num_threads(1)
    from synthbridge.data import get_dataset, RealDataset, SyntheticSet
    from synthbridge.training.learner import efficientnet_lite0_weights
    from synthbridge.training.transfer import bridged_pp, vanilla
    t0 = time.time()
    ds = get_dataset("fashion-mnist")
    pool = RealDataset(ds.name, ds.classes, ds.pool, ds.test[:500], ds.metric)
    real = pool.dls(shots=4, seed=0, bs=20, size=32, resize=36, num_workers=0)
    synth = SyntheticSet(_synthetic_folder(tmp_path/"synth", ds)).dls(bs=32, size=32, resize=36, valid_pct=0.1, num_workers=0)
    w = efficientnet_lite0_weights()
    r = bridged_pp(real, synth, arch="tf_efficientnet_lite0", weights=w, epochs=3, stage1_epochs=2, lr=0.01, shots=4,
                   seed=0, leep=True)
    print(f"\nFashion-MNIST 4-shot, 32 px, EfficientNet-Lite0 (CPU): bridged++ top-1 {r.metric:.3f} in {r.seconds:.1f}s "
          f"(total {time.time() - t0:.1f}s); LEEP ImageNet {r.leep_imagenet:.3f}, after stage 1 {r.leep_synthetic:.3f}; "
          f"train acc {[round(a, 2) for a in r.train_acc]}")
    assert r.pipeline == "bridged++" and r.config["mixup"] and r.config["fc_reinit"] and r.config["shots"] == 4
    assert [h["stage"] for h in r.history] == [1, 1, 2, 2, 2]
    assert len(r.train_acc) == 3 and r.metric == pytest.approx(r.history[-1]["accuracy"]) == r.valid_metric[-1]
    # LEEP of the ImageNet model is that of the 1000-way ImageNet classifier on the real training images (recomputed);
    # whether the stage-1 model beats it is checked on a larger sample in tests/test_science.py (4 shots: 40 images
    # against 1000 source classes make LEEP mostly small-sample bias)
    from synthbridge.training.leep import model_leep, leep_dl
    from synthbridge.training.learner import timm_model
    assert r.leep_imagenet == pytest.approx(model_leep(timm_model("tf_efficientnet_lite0", weights=w, num_classes=None),
                                                       leep_dl(real)), abs=1e-4)
    assert r.leep_synthetic != pytest.approx(r.leep_imagenet, abs=1e-3)
    m = r.learner.model
    assert m.classifier.out_features == 10
    from synthbridge.training.learner import read_weights
    imagenet, _ = read_weights(w)
    assert not torch.equal(m.conv_stem.weight.cpu(), imagenet["conv_stem.weight"])   # the backbone was fine-tuned
    r.save(tmp_path/"model.safetensors")
    sd, meta = read_weights(tmp_path/"model.safetensors")
    assert meta["arch"] == "tf_efficientnet_lite0" and sd["classifier.weight"].shape == (10, 1280)

def _train(*args, timeout=300):
    """`synthbridge train ARGS` in a subprocess (forked from a warm interpreter): OMP_NUM_THREADS as this process has
    it, or 1."""
    return synthbridge_cmd("train", *args, timeout=timeout, warm=True, env=offline_env(
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), MKL_NUM_THREADS=INHERIT))

@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def folders(tmp_path_factory):
    from synthbridge.testing import tiny_image_folder
    d = tmp_path_factory.mktemp("data")
    return tiny_image_folder(d/"real", n=8), tiny_image_folder(d/"synth", n=8, seed=1), \
        tiny_image_folder(d/"four", classes=("red", "green", "blue", "grey"), n=4)

@pytest.mark.slow
def test_cli_train_bridged_pp_then_reuse_stage1(folders, tmp_path):
    real, synth, _ = folders
    base = ["--real", real, "--arch", "test_resnet", "--no-pretrained", "--size", 32, "--batch-size", 8, "--epochs", 1, "--lr", 0.05]
    r = _train(*base, "--synthetic", synth, "--pipeline", "bridged++", "--out", tmp_path/"pp")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path/"pp"/"result.json").read_text())
    assert res["pipeline"] == "bridged++" and len(res["history"]) == 2
    assert [h["stage"] for h in res["history"]] == [1, 2]
    assert res["metric"] == pytest.approx(res["history"][-1]["accuracy"])          # the stage-2 test accuracy
    from synthbridge.training.learner import read_weights
    sd, meta = read_weights(tmp_path/"pp"/"model.safetensors")
    assert meta["arch"] == "test_resnet" and json.loads(meta["vocab"]) == ["blue", "green", "red"]
    r = _train(*base, "--pipeline", "bridged++", "--stage1", tmp_path/"pp"/"stage1.safetensors", "--out", tmp_path/"pp2")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path/"pp2"/"result.json").read_text())["pipeline"] == "bridged++"

def _main(capsys, *args):
    "`synthbridge train ARGS` in this process (bad input is rejected before any import-heavy work repeats)."
    rc, _, err = synthbridge_main(capsys, "train", *args)
    return rc, err

@pytest.mark.parametrize("extra,message", [
    (["--arch", "resnet18x"], "close names: resnet18"),
    (["--shots", "99"], "larger than the smallest class"),
    (["--pipeline", "mixed", "--synthetic", "FOUR"], "3 classes but the synthetic ones have 4"),
    (["--pipeline", "bridged"], "needs --synthetic"),
    (["--weights", "/no/such.safetensors"], "does not exist"),
    (["--shots", "two"], "must be 'full' or a positive integer"),
])
def test_cli_train_bad_input_exit_2(folders, tmp_path, capsys, extra, message):
    real, synth, four = folders
    extra = [str(four) if e == "FOUR" else e for e in extra]
    args = ["--real", real, "--arch", "test_resnet", "--no-pretrained", "--size", 32, "--epochs", 1, "--pipeline", "vanilla"]
    rc, err = _main(capsys, *args, *extra, "--out", tmp_path/"x")
    assert rc == 2 and message in err, (rc, err[-2000:])
    assert not (tmp_path/"x"/"result.json").exists()

def test_cli_weights_that_do_not_fit_exit_2(folders, tmp_path, capsys):
    import timm
    from safetensors.torch import save_file
    sd = timm.create_model("test_resnet", num_classes=3).state_dict()
    sd.pop("conv1.0.weight")
    save_file(sd, tmp_path/"w.safetensors")
    rc, err = _main(capsys, "--real", folders[0], "--arch", "test_resnet", "--weights", tmp_path/"w.safetensors",
                    "--size", 32, "--epochs", 1, "--pipeline", "vanilla", "--out", tmp_path/"x")
    assert rc == 2 and "missing keys: conv1.0.weight" in err, err[-2000:]

@pytest.mark.slow
def test_cli_train_sigint_after_stage1_then_rerun_reuses_it(folders, tmp_path):
    "SIGINT in stage 2: the rerun loads stage 1 (same bytes, same mtime, not retrained) and resumes stage 2."
    import signal, subprocess
    from conftest import SYNTHBRIDGE
    real, synth, _ = folders
    out = tmp_path/"pp"
    args = ["train", "--real", real, "--synthetic", synth, "--arch", "test_resnet", "--no-pretrained", "--size", 32,
            "--batch-size", 8, "--stage1-epochs", 1, "--epochs", 60, "--lr", 0.05, "--out", out, "--no-progress",
            "--num-workers", 0]   # no worker forks: a SIGINT during a fork is swallowed by Python's at-fork hooks
    env = offline_env(OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), MKL_NUM_THREADS=INHERIT)
    # SIGINT's default action restored in the child: a shell without job control starts background jobs with SIGINT
    # ignored, and Python then never raises KeyboardInterrupt
    p = subprocess.Popen([*SYNTHBRIDGE, *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.time()
    while not (out/"train.ckpt").exists() and p.poll() is None and time.time() - t0 < 240: time.sleep(0.05)
    p.send_signal(signal.SIGINT); _, err = p.communicate(timeout=120)
    assert p.returncode == 1 and "interrupted; rerun the same command to resume" in err, err[-2000:]
    s1, meta = out/"stage1.safetensors", json.loads((out/"stage1.json").read_text())
    before, st = s1.read_bytes(), s1.stat()
    import hashlib
    assert meta["sha256"] == hashlib.sha256(before).hexdigest() and not (out/"stage1.ckpt").exists()
    import torch
    done = torch.load(out/"train.ckpt", map_location="cpu", weights_only=False)["epoch"] + 1
    r = _train(*args[1:], timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "stage1.safetensors reused" in r.stdout and f"resumed after epoch {done} of 60" in r.stdout, r.stdout
    assert s1.read_bytes() == before and s1.stat().st_mtime_ns == st.st_mtime_ns
    res = json.loads((out/"result.json").read_text())
    assert [h["stage"] for h in res["history"]] == [1] + [2]*60 and 1 <= done < 60
    assert not (out/"train.ckpt").exists()
