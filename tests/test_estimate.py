"""`--estimate` on the command line: what a command or a grid will cost, printed before any work, writing nothing;
and the GPU check's one line on a machine without a GPU."""
import os, sys
from pathlib import Path
import pytest
from conftest import ROOT, offline_env, run, synthbridge_cmd


def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): p.stat().st_size for p in sorted(d.rglob("*"))}


@pytest.mark.slow
def test_sweep_estimate_paper_grid_writes_nothing(tmp_path):
    before = _tree(tmp_path)
    r = synthbridge_cmd("sweep", "paper-full-shot", "--estimate", cwd=tmp_path, timeout=120, warm=True)
    assert r.returncode == 0, r.stderr
    assert _tree(tmp_path) == before                       # no store, no claims, nothing
    out = r.stdout
    assert "150 to do" in out and "images to generate    1,401,000" in out and "GPU-hours" in out
    for gpu in ("T4", "A100", "H100"):
        row = next(l for l in out.splitlines() if l.strip().startswith(gpu + " "))
        assert row.rstrip().endswith(" h"), row            # a total in GPU-hours
    assert "diffusers docs" in out and "ONNX Runtime" in out and "L4: no published rate" in out
    assert "disk" in out and " GB" in out


def test_sweep_estimate_refuses_an_empty_grid(tmp_path):
    (tmp_path/"empty.toml").write_text("# nothing\n")
    r = synthbridge_cmd("sweep", str(tmp_path/"empty.toml"), "--estimate", cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "the grid file is empty" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml"]


@pytest.mark.slow
def test_generate_estimate_subtracts_existing_images(tmp_path):
    args = ["generate", "--model", "mini-web", "--dataset", "digits", "--steps", "1", "--out", str(tmp_path/"g"),
            "--no-progress"]
    r = synthbridge_cmd(*args, "--n-per-class", "2", timeout=300, warm=True)
    assert r.returncode == 0, r.stderr
    before = _tree(tmp_path)
    r = synthbridge_cmd(*args, "--n-per-class", "5", "--estimate", timeout=120, warm=True)
    assert r.returncode == 0, r.stderr
    assert "images to generate    30 (20 already there)" in r.stdout, r.stdout
    assert _tree(tmp_path) == before
    r = synthbridge_cmd(*args[:-3], "--out", str(tmp_path/"new"), "--n-per-class", "5", "--estimate", timeout=120,
                        warm=True)
    assert "images to generate    50 (0 already there)" in r.stdout and not (tmp_path/"new").exists()


def test_gpu_check_without_gpu_says_so_in_one_line(tmp_path):
    r = run([sys.executable, ROOT/"bench"/"gpu_check.py", "--out", tmp_path/"f.json"],
            env=offline_env(CUDA_VISIBLE_DEVICES=""), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "no CUDA GPU: the GPU check measures nothing on this machine"
    assert not (tmp_path/"f.json").exists()


@pytest.mark.slow
def test_gpu_check_measuring_path_runs_on_cpu_tiny(tmp_path):
    "The measuring code itself, on a tiny pipeline and tiny images on the CPU (the figures mean nothing)."
    r = run([sys.executable, ROOT/"bench"/"gpu_check.py", "--device", "cpu", "--tiny", "--inversion-steps", "1",
             "--out", tmp_path/"f.json"], timeout=600)
    assert r.returncode == 0, r.stderr
    import json
    f = json.loads((tmp_path/"f.json").read_text())
    assert f["generation"]["images_per_s"] > 0 and f["bridged"]["images_per_s"] > 0
    assert f["inversion"]["plain"]["step_s"] > 0 and f["inversion"]["checkpointing"]["step_s"] > 0
    assert "style inversion checkpointing" in r.stdout
