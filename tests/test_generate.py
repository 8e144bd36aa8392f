"""`synthbridge generate` across OS processes: SIGKILL mid-run and resume, two processes sharing a run, CLI exit codes.

Every run here uses one torch thread (OMP_NUM_THREADS=1 in subprocesses, `torch.set_num_threads(1)` in this process):
byte-identical output assumes the same hardware, library versions and thread count.
"""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import ROOT, SYNTHBRIDGE, offline_env, python_cmd

CLASSES = ["tabby cat", "golden retriever", "F/A-18"]
N, BS = 8, 2
OPTS = ["--height", "32", "--width", "32", "--steps", "2", "--batch-size", str(BS), "--n-per-class", str(N), "--no-progress"]
# subprocesses run with offline_env(): one torch thread, no RANK or WORLD_SIZE, no PYTHONHASHSEED (no reliance on a
# fixed str hash)

def cli(*args):
    return [*SYNTHBRIDGE, "generate", *map(str, args)]

def images(d):
    d = Path(d)
    return {str(p.relative_to(d)): p.read_bytes() for p in d.rglob("*.png")}

def manifest(d):
    return [json.loads(l) for l in (Path(d)/"manifest.jsonl").read_text().splitlines()]

@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def setup(tmp_path_factory):
    "A tiny pipeline folder, a class file, and an uninterrupted single-process reference run (in this process)."
    import torch
    torch.set_num_threads(1)
    from synthbridge.testing import tiny_pipeline
    from synthbridge.generation.pipeline import load_pipeline
    from synthbridge.generation.generate import generate
    tmp = tmp_path_factory.mktemp("gen")
    tiny_pipeline().save_pretrained(tmp/"tiny")
    (tmp/"classes.txt").write_text("\n".join(CLASSES) + "\n")
    pipe = load_pipeline(tmp/"tiny")
    ref = generate(pipe, CLASSES, tmp/"ref", n_per_class=N, batch_size=BS, height=32, width=32,
                   num_inference_steps=2, progress=False)
    assert len(ref.manifest) == N * len(CLASSES)
    return tmp, images(tmp/"ref"), manifest(tmp/"ref")

def strip(rows): return [{k: v for k, v in r.items() if k != "model"} for r in rows]   # model: the folder path given

@pytest.mark.slow
def test_sigkill_then_resume_is_identical(setup):
    tmp, ref, ref_rows = setup
    out = tmp/"killed"
    p = subprocess.Popen(cli("--model", tmp/"tiny", "--classes", tmp/"classes.txt", "--out", out, *OPTS),
                         cwd=ROOT, env=offline_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None and len(list(out.rglob("*.png"))) < 5: time.sleep(0.005)
    assert p.poll() is None, f"the run ended before it could be killed:\n{p.stderr.read().decode()[-2000:]}"
    p.send_signal(signal.SIGKILL); p.wait()
    made = images(out)
    assert 5 <= len(made) < len(ref), len(made)                 # killed mid-run
    assert all(ref[k] == v for k, v in made.items())           # every file there is complete and right
    assert not (out/"manifest.jsonl").exists()                  # no manifest claims a complete set
    from synthbridge.core import _temp_prefix                   # a temporary file the killed writer may leave
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = next(out.glob("*/"))/f"{_temp_prefix('0.png').replace(str(os.getpid()), dead.stdout.strip())}x1.tmp"
    left.write_bytes(b"half a png")
    from synthbridge.generation.pipeline import load_pipeline
    from synthbridge.generation.generate import generate            # the rerun (in this process: same thread count)
    res = generate(load_pipeline(tmp/"tiny"), CLASSES, out, n_per_class=N, batch_size=BS, height=32, width=32,
                   num_inference_steps=2, progress=False)
    assert res.summary.skipped >= len(made) - 1 and res.summary.made + res.summary.skipped == len(ref)
    assert images(out) == ref
    assert strip(manifest(out)) == strip(ref_rows)
    assert sorted(r["file"] for r in manifest(out)) == sorted(images(out))   # rows == files
    assert not list(out.rglob(".*.tmp"))

@pytest.mark.slow
@pytest.mark.parametrize("hashseeds", [(None, None), ("1", "2")], ids=["hashseed-unset", "hashseeds-1-2"])
def test_two_processes_share_a_run(setup, hashseeds):
    """Two OS processes with torchrun/accelerate's RANK and WORLD_SIZE: disjoint shares, union = the single run made in
    this process, with PYTHONHASHSEED unset in both (random str hashes) or set to two different values."""
    tmp, ref, ref_rows = setup
    out = tmp/f"sharded-{hashseeds[0]}"
    procs = [subprocess.Popen(cli("--model", tmp/"tiny", "--classes", tmp/"classes.txt", "--out", out, *OPTS), cwd=ROOT,
                              env=offline_env(RANK=i, WORLD_SIZE=2, LOCAL_RANK=i, PYTHONHASHSEED=hashseeds[i]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-3000:] for _, e in outs]
    assert images(out) == ref
    parts = [[json.loads(l)["file"] for l in (out/f"manifest.{i}-of-2.jsonl").read_text().splitlines()] for i in range(2)]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])        # disjoint, both worked
    assert strip(manifest(out)) == strip(ref_rows)                           # merged by the last to finish
    assert "shard 0/2" in outs[0][0] and "shard 1/2" in outs[1][0]

@pytest.mark.slow
def test_cli_usage_errors_exit_2_and_help(setup):
    tmp, _, _ = setup
    base = ["--model", tmp/"tiny", "--out", tmp/"bad", *OPTS]
    cases = [(["--classes", tmp/"classes.txt", "--scheduler", "fancy"], "unknown scheduler 'fancy'"),
             (["--classes", tmp/"classes.txt", "--n-per-class", "0"], "--n-per-class 0"),
             (["--classes", tmp/"classes.txt", "--guidance", "-1"], "--guidance -1"),
             (["--classes", tmp/"classes.txt", "--shard", "2/2"], "shard index 2 out of range"),
             (["--classes", tmp/"classes.txt", "--style-token", "<nope>"], "style token '<nope>' is unknown"),
             (["--dataset", "nope"], "--dataset 'nope': allowed are"),
             (["--classes", tmp/"nope.txt"], "no such file")]
    # one process for all cases (imports are the slow part): each argv runs through synthbridge.interface.cli.main in turn
    code = ("import sys, json, contextlib, io; from synthbridge.interface.cli import main\n"
            "codes = [main(a) for a in json.loads(sys.argv[1])]\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit): main(['generate', '--help'])\n"
            "print(json.dumps([codes, buf.getvalue()]))")
    argvs = [["generate", *map(str, base + a)] for a, _ in cases]
    r = python_cmd(code, json.dumps(argvs), timeout=300, warm=True)
    assert r.returncode == 0, r.stderr[-3000:]
    codes, help = json.loads(r.stdout.strip().splitlines()[-1])
    assert codes == [2] * len(cases), codes
    for _, msg in cases: assert msg in r.stderr, (msg, r.stderr[-2000:])
    assert not (tmp/"bad").exists()
    for opt in ("--classes", "--dataset", "--n-per-class", "--guidance", "--steps", "--scheduler", "--shard", "--save-size",
                "--style-token", "--style-embeds", "--overwrite", "(default: 3.5)"):
        assert opt in help, opt
