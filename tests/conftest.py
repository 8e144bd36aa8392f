"""Shared fixtures of the science tests (tests/test_science.py, tests/test_determinism.py, tests/test_reports.py):
the repository root, an offline environment for subprocesses that does NOT pin PYTHONHASHSEED, a command runner, and
tiny image data. The older test files keep their own helpers."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def offline_env(**extra) -> dict:
    "os.environ for a subprocess: offline, one torch thread, this checkout first on the path, PYTHONHASHSEED removed."
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for k in ("PYTHONHASHSEED", "RANK", "WORLD_SIZE", "LOCAL_RANK"): env.pop(k, None)
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env

@pytest.fixture(scope="session")
def root() -> Path: return ROOT

@pytest.fixture
def run_cmd():
    "run_cmd(*argv, env=None, timeout=600) -> CompletedProcess: `python -m synthbridge.cli ARGV` (or `python -c` with '-c')."
    def run(*args, env=None, timeout=600):
        argv = [sys.executable, *map(str, args)] if args and args[0] == "-c" else \
               [sys.executable, "-m", "synthbridge.cli", *map(str, args)]
        return subprocess.run(argv, cwd=ROOT, env=env or offline_env(), capture_output=True, text=True, timeout=timeout)
    return run

def _pairs(root, classes, n, seed, size=16):
    from synthbridge.testing import tiny_image_folder
    d = tiny_image_folder(root, classes=classes, n=n, size=size, seed=seed)
    return [(p, i) for i, c in enumerate(classes) for p in sorted((d/c).glob("*.png"))]

@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    "(real, synth, test) lists of (png path, label) for three classes: 4 real, 6 synthetic and 3 test images per class."
    tmp, classes = tmp_path_factory.mktemp("tiny-data"), ["a", "b", "c"]
    return dict(classes=classes, real=_pairs(tmp/"r", classes, 4, 0), synth=_pairs(tmp/"s", classes, 6, 2),
                test=_pairs(tmp/"t", classes, 3, 1))

def assert_demo_sentences_match_table(out):
    """The demo's "X: d points above/below vanilla transfer" sentences in `out/report.md` say what its table says:
    d = |mean - vanilla mean| rounded to 0.1 and the direction of the difference, for every pipeline of the table."""
    import json, re
    from synthbridge.demo import PIPELINE_NAMES
    table = {r["pipeline"]: r for r in json.loads((Path(out)/"summary.json").read_text())["table"]}
    text = (Path(out)/"report.md").read_text()
    found = {m[1]: (float(m[2]), m[3]) for m in re.finditer(r"^- (.+?): (\d+\.\d) points (above|below) vanilla transfer",
                                                              text, re.M)}
    names = {PIPELINE_NAMES[p]: p for p in table if p != "vanilla"}
    assert set(found) == set(names), (sorted(found), sorted(names))
    v = table["vanilla"]["mean"]
    for name, (d, word) in found.items():
        diff = table[names[name]]["mean"] - v
        assert d == round(abs(diff), 1) and word == ("above" if diff > 0 else "below"), (name, d, word, diff)
    return found
