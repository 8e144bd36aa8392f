"""`synthbridge demo` beyond its notebook: bad options exit with code 2 before any work; `--help`; the quick demo end to
end through the console script (what CI runs); a demo killed with SIGKILL resumes, keeps what it had finished
and ends with the results of an uninterrupted run; the paper's setting (a registry dataset, a hub-style model, ResNet-18)
runs offline on a replica of Aircraft with a tiny pipeline and uses the registry's learning rate and metric."""
import json, shutil, signal, time
from pathlib import Path
import pytest
from synthbridge.interface.cli import main
from conftest import (INHERIT, SYNTHBRIDGE_CODE, assert_demo_sentences_match_table, offline_env, synthbridge_cmd,
                      warm_pool)

def _env() -> dict:
    "The demo's subprocesses keep this process's thread settings (not one thread): its numbers and times follow them."
    return offline_env(OMP_NUM_THREADS=INHERIT, MKL_NUM_THREADS=INHERIT)

def _cli(*args, timeout=900):
    "`synthbridge demo ARGS` in a process of its own (forked from the worker's warm interpreter: tests/warm.py)."
    return synthbridge_cmd("demo", *args, env=_env(), timeout=timeout, warm=True)

def _start(*args):
    "`synthbridge demo ARGS` started, not waited for: a process the test can kill."
    return warm_pool().popen(SYNTHBRIDGE_CODE, "demo", *args, env=_env())

@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def tiny_model(tmp_path_factory):
    "A tiny random Stable Diffusion pipeline saved to a folder (what `--model DIR` loads), drawing 16-px images."
    from synthbridge.testing import tiny_pipeline
    p = tmp_path_factory.mktemp("model")/"tiny-sd"
    tiny_pipeline(seed=0, sample_size=8).save_pretrained(p)     # 8x8 latents: the demo's code paths at a fraction of the time
    return p

def test_help():
    r = _cli("--help", timeout=300)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    for opt in ("--quick", "--out", "--dataset", "--model", "--arch", "--shots", "--seeds", "--device", "--n-per-class",
                "--epochs", "--test-per-class", "(default: synthbridge-demo)", "(default: mini-web)", "--study", "--parts",
                "--workers", "--min-scale", "--split"):
        assert opt in text, opt

@pytest.mark.parametrize("args, msg", [
    (["--shots", "0"], "shots=0: give 'full' or an integer >= 1"),
    (["--shots", "many"], "shots='many'"),
    (["--seeds", "0,x"], "--seeds '0,x': give comma-separated integers"),
    (["--seeds", "1,1"], "distinct integers"),
    (["--dataset", "imagenet"], "not a dataset name"),
    (["--arch", "resnet-18"], "is not a timm architecture"),
    (["--epochs", "0"], "--epochs 0: must be >= 1"),
    (["--guidance", "-2"], "--guidance -2.0: must be a number >= 0 (0 or 1: no classifier-free guidance)"),
    (["--model", "./no/such/model"], "no such folder"),
    (["--dataset", "aircraft"], "only knows Fashion-MNIST's ten classes"),
    (["--weights", "/no/such.safetensors"], "weights='/no/such.safetensors': no such file"),
    (["--device", "gpu0"], "gpu0"),
    (["--study", "--quick"], "--study and --quick do not go together"),
    (["--study", "--parts", "table2,fig9"], "--parts 'table2,fig9': allowed are table2, fig4, fig5, fig6, table3"),
    (["--parts", "table2"], "--parts needs --study"),
    (["--workers", "0"], "--workers 0: must be >= 1"),
    (["--min-scale", "0"], "min_scale=0.0: must be a number in (0, 1]"),
    (["--min-scale", "1.5"], "min_scale=1.5: must be a number in (0, 1]"),
])
def test_bad_input_exits_2_before_any_work(tmp_path, args, msg, capsys):
    out = tmp_path/"out"
    assert main(["demo", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthbridge demo: error:") and msg in err, err
    assert not out.exists()                                 # nothing was started

from test_science import BANDS
QUICK_DEMO_BANDS = BANDS["quick_demo"]

def _quick_dir() -> Path:
    from synthbridge.miniature.demo import quick_demo_dir
    return quick_demo_dir()

@pytest.mark.slow
@pytest.mark.xdist_group("quick-demo")  # same worker as tutorial 1, which reuses this run (tests/test_notebooks.py)
def test_quick_demo_end_to_end(tmp_path):
    "`synthbridge demo --quick` on the shipped mini model: every output, each saying what it is (CI's demo run)."
    from synthbridge.miniature.mini import mini_web_path
    if not (mini_web_path()/"model_index.json").exists(): pytest.skip("the mini-web model is not shipped yet")
    out = tmp_path/"quick"
    t = time.time()
    r = _cli("--quick", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr[-3000:]
    print(f"synthbridge demo --quick: {time.time() - t:.0f} s")
    for f in ("table.md", "table.csv", "accuracy.png", "curves.png", "samples.png", "report.md", "summary.json"):
        assert (out/f).stat().st_size > 0, f
    for f in ("table.md", "report.md", "table.csv"): assert "CPU miniature" in (out/f).read_text(), f
    assert "not the paper's numbers" in r.stdout
    s = json.loads((out/"summary.json").read_text())
    assert [r["pipeline"] for r in s["table"]] == ["vanilla", "mixed", "bridged", "bridged++"]
    assert s["settings"]["preset"] == "quick"
    results = _results(out)
    assert len(results) == 4
    by_pipe = {r["config"]["pipeline"]: r["metric"]*100 for r in results.values()}
    for row in s["table"]:                          # the table is the store's accuracy, within the measured band
        assert row["mean"] == pytest.approx(by_pipe[row["pipeline"]], abs=1e-3), row
        lo, hi = QUICK_DEMO_BANDS[row["pipeline"]]
        assert lo <= row["mean"] <= hi, (row["pipeline"], row["mean"], (lo, hi))
    assert_demo_sentences_match_table(out)
    # share the finished run with the tutorial (nbs/tutorials/01_paper_on_a_laptop.ipynb), which reuses it
    shutil.copytree(out, _quick_dir(), dirs_exist_ok=True)

SMALL = ["--shots", "2", "--n-per-class", "2", "--seeds", "0", "--epochs", "1", "--stage1-epochs", "1", "--steps", "2",
         "--test-per-class", "3", "--no-progress"]

def _results(out: Path) -> dict:
    return {p.name: json.loads(p.read_text()) for p in (out/"store"/"results").glob("*.json")}

@pytest.mark.slow
def test_killed_demo_resumes(tmp_path, tiny_model):
    "SIGKILL after the first finished run: the rerun keeps it, does the rest, and matches an uninterrupted demo."
    ref = tmp_path/"ref"
    assert _cli("--out", ref, "--model", tiny_model, *SMALL).returncode == 0
    out = tmp_path/"run"
    p = _start("--out", out, "--model", tiny_model, *SMALL)
    t0 = time.time()
    while time.time() - t0 < 600 and p.poll() is None and not list((out/"store"/"results").glob("*.json")): time.sleep(0.2)
    assert p.poll() is None, "the demo ended before it could be killed"
    p.send_signal(signal.SIGKILL); p.wait()
    first = _results(out)
    assert 1 <= len(first) < 4 and not (out/"report.md").exists()
    r = _cli("--out", out, "--model", tiny_model, *SMALL)
    assert r.returncode == 0, r.stderr[-3000:]
    done = _results(out)
    assert len(done) == 4 and all(done[k] == v for k, v in first.items())     # finished runs are kept, not redone
    a, b = _results(ref), done
    assert {k: a[k]["metric"] for k in a} == {k: b[k]["metric"] for k in b}   # same as the uninterrupted demo
    assert (out/"table.md").read_text() == (ref/"table.md").read_text()
    assert_demo_sentences_match_table(out)
    assert list((out/"store"/"claims").glob("*.claim")) == []

def _children(pid: int) -> list[int]:
    "The pids whose parent is `pid` (Linux /proc)."
    kids = []
    for d in Path("/proc").glob("[0-9]*"):
        try: fields = (d/"stat").read_text().rsplit(")", 1)[1].split()
        except OSError: continue
        if int(fields[1]) == pid: kids.append(int(d.name))
    return kids

def _running(pid: int) -> bool:
    try: return (Path("/proc")/str(pid)/"stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError: return False

@pytest.mark.slow
def test_killed_two_process_demo_leaves_no_helper(tmp_path, tiny_model):
    "SIGKILL a `--workers 2` demo once a run is finished: its helper process dies with it; the rerun finishes the rest."
    out = tmp_path/"run"
    p = _start("--out", out, "--model", tiny_model, *SMALL, "--workers", "2")
    t0 = time.time()
    while time.time() - t0 < 600 and p.poll() is None and not list((out/"store"/"results").glob("*.json")): time.sleep(0.2)
    assert p.poll() is None, "the demo ended before it could be killed"
    kids = _children(p.pid)
    assert kids, "no helper process was started"
    p.send_signal(signal.SIGKILL); p.wait(); killed = time.time()
    time.sleep(5)
    assert not any(_running(k) for k in kids), "a helper outlived the killed demo"
    late = [f.name for d in ("results", "done") for f in (out/"store"/d).glob("*.json") if f.stat().st_mtime > killed + 1]
    assert not late, f"written after the kill: {late}"
    first = _results(out)
    r = _cli("--out", out, "--model", tiny_model, *SMALL, "--workers", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    done = _results(out)
    assert len(done) == 4 and all(done[k] == v for k, v in first.items())
    assert "2 process(es)" in (out/"report.md").read_text()
    assert list((out/"store"/"claims").glob("*.claim")) == []

@pytest.mark.slow
def test_paper_setting_offline(tmp_path, tiny_model):
    "dataset=aircraft, a pipeline folder for Stable Diffusion, resnet18.tv_in1k: Table 5's LR and the mean per-class metric."
    import torch, timm
    from safetensors.torch import save_file
    from synthbridge.testing import replica
    from synthbridge.miniature.demo import demo
    root = replica("aircraft", tmp_path/"data", n_train=2, n_test=1)
    w = tmp_path/"resnet18.safetensors"                     # stands in for timm's download of the ImageNet weights
    save_file(timm.create_model("resnet18", num_classes=1000).state_dict(), str(w))
    res = demo(out=tmp_path/"paper", dataset="aircraft", model=str(tiny_model), arch="resnet18.tv_in1k",
               weights=str(w), root=root, shots=1, n_per_class=1, seeds=(0,), epochs=1, stage1_epochs=1, size=32, steps=2,
               progress=False)
    s = res.settings
    assert (s.preset, res.metric, s.miniature) == ("paper", "mean_per_class", False)
    runs = _results(tmp_path/"paper")
    assert len(runs) == 4 and {r["config"]["lr"] for r in runs.values()} == {0.1}          # Table 5: Aircraft
    assert {r["metric_name"] for r in runs.values()} == {"mean_per_class"}
    assert {r["test_images"] for r in runs.values()} == {100}                                # the whole (replica) test set
    text = (tmp_path/"paper"/"report.md").read_text()
    assert "paper setting: aircraft" in text and "CPU miniature" not in text
