"""Dataset style inversion in subprocesses: SIGKILL + resume equals an uninterrupted run; `synthbridge invert`."""
import json

import pytest
from conftest import DSI_CLASSES as CLASSES, dsi_env, python_cmd, synthbridge_cmd, tiny_invert, tiny_invert_killed


@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def data(tmp_path_factory):
    from synthbridge.testing import tiny_image_folder
    return tiny_image_folder(tmp_path_factory.mktemp("real"), classes=CLASSES, n=3, size=32)


def _state(out):
    from safetensors.torch import load_file
    return load_file(str(out/"learned_embeds.safetensors")), json.loads((out/"dsi.json").read_text())


@pytest.mark.slow
def test_sigkill_and_resume_equals_uninterrupted(data, tmp_path):
    steps = 80
    r = tiny_invert(data, tmp_path/"full", steps); assert r.returncode == 0, r.stderr
    killed_at = tiny_invert_killed(data, tmp_path/"killed", steps, wait=100, poll=0.02)
    assert 5 <= killed_at < steps
    r = tiny_invert(data, tmp_path/"killed", steps); assert r.returncode == 0, r.stderr
    (ea, ja), (eb, jb) = _state(tmp_path/"full"), _state(tmp_path/"killed")
    assert list(ea) == list(eb) == ["<dataset-style>"]
    assert (ea["<dataset-style>"] == eb["<dataset-style>"]).all()      # bit-identical embedding
    assert ja["loss"] == jb["loss"] and jb["step"] == steps and jb["status"] == "done"


def _cli(*args, timeout=120):
    return synthbridge_cmd("invert", *args, env=dsi_env(), timeout=timeout, warm=True)


def test_cli_help():
    r = _cli("--help")
    assert r.returncode == 0 and "--real" in r.stdout and "--initializer" in r.stdout and "20000" in r.stdout


@pytest.mark.slow
def test_cli_bad_input_exit_2(data, tmp_path):
    r = _cli("--out", tmp_path/"o", "--steps", "3")
    assert r.returncode == 2 and "exactly one of --dataset NAME or --real FOLDER" in r.stderr
    r = _cli("--out", tmp_path/"o", "--real", data, "--steps", "0")
    assert r.returncode == 2 and "--steps 0" in r.stderr
    r = _cli("--out", tmp_path/"o", "--real", tmp_path/"missing")
    assert r.returncode == 2 and "no such folder" in r.stderr
    assert not (tmp_path/"o").exists()


@pytest.mark.slow
def test_cli_runs_and_rerun_resumes(data, tmp_path):
    from synthbridge.testing import tiny_pipeline
    model = tmp_path/"tiny"; tiny_pipeline().save_pretrained(model)
    args = ["--model", model, "--real", data, "--out", tmp_path/"out", "--steps", "6", "--batch-size", "2",
            "--resolution", "16", "--lr", "0.05", "--checkpoint-every", "3", "--no-progress", "--quality-images", "0"]
    r = _cli(*args, "--token", "photo")
    assert r.returncode == 2 and "already in the tokenizer vocabulary" in r.stderr
    r = _cli(*args); assert r.returncode == 0, r.stderr
    assert "<dataset-style>" in r.stdout and "steps/s" in r.stdout
    e1, j1 = _state(tmp_path/"out")
    assert j1["step"] == 6 and j1["data"]["classes"] == sorted(CLASSES)
    r = _cli(*args); assert r.returncode == 0, r.stderr          # finished: returns the same result
    e2, j2 = _state(tmp_path/"out")
    assert (e1["<dataset-style>"] == e2["<dataset-style>"]).all() and j1["loss"] == j2["loss"]
    r = _cli(*args, "--lr", "0.1")
    assert r.returncode == 2 and "other settings" in r.stderr


@pytest.mark.slow
def test_cli_reports_the_tokens_quality_and_checks_it_again(data, tmp_path):
    "After training, `invert` prints the style gap with and without the token and writes quality.json; --check redoes it."
    args = ["--model", "mini-web", "--real", data, "--out", tmp_path/"q", "--steps", "2", "--batch-size", "2",
            "--resolution", "32", "--no-progress", "--quality-images", "3", "--quality-steps", "2"]
    r = _cli(*args, timeout=300); assert r.returncode == 0, r.stderr
    assert "style gap" in r.stdout and "with <dataset-style>" in r.stdout and "single template" in r.stdout
    assert "the token helped" in r.stdout or "did not measurably help" in r.stdout
    assert "look-word probe of the model: lift" in r.stdout
    q = json.loads((tmp_path/"q"/"quality.json").read_text())
    assert 0 <= q["gap_token"] <= 100 and 0 <= q["gap_single"] <= 100 and q["real_images"] == 9
    (tmp_path/"q"/"quality.json").unlink()
    r = _cli(*args, "--check", timeout=300); assert r.returncode == 0, r.stderr
    assert "style gap" in r.stdout and (tmp_path/"q"/"quality.json").exists()
    r = _cli("--model", "mini-web", "--real", data, "--out", tmp_path/"none", "--check")
    assert r.returncode == 2 and "holds no learned_embeds.safetensors" in r.stderr


LEARN = """
import json, sys, numpy as np
from pathlib import Path
from synthbridge.testing import tiny_pipeline
from synthbridge.generation.dsi import invert_style, dsi_loss
data, out = Path(sys.argv[1]), Path(sys.argv[2])
classes = ["red", "green", "blue"]
files = sorted(data.rglob("*.png")); labels = [classes.index(p.parent.name) for p in files]
pipe = tiny_pipeline()
ev = dict(steps=40, batch_size=4, resolution=16)
before = [dsi_loss(pipe, files, labels, classes, "photo", seed=s, **ev) for s in (0, 1)]   # the initial row = "photo"
r = invert_style(pipe, files, labels, classes, out, steps=150, lr=0.05, batch_size=4, resolution=16, progress=False)
after = [dsi_loss(pipe, files, labels, classes, r.token, seed=s, **ev) for s in (0, 1)]
L = np.array(r.losses)
print(json.dumps(dict(before=before, after=after, first50=L[:50].mean(), last50=L[-50:].mean(), finite=bool(np.isfinite(L).all()))))
"""


@pytest.mark.slow
def test_loss_goes_down(data, tmp_path):
    "On fixed draws (seed 0: those training began with; seed 1: held out) the learned token beats its initializer."
    r = python_cmd(LEARN, data, tmp_path/"o", env=dsi_env(), timeout=180, warm=True)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout.strip().splitlines()[-1]); print(m)
    assert m["finite"]
    assert m["after"][0] < m["before"][0] and m["after"][1] < m["before"][1], m
