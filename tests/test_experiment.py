"""synthbridge.experiment: shipped grids, bad grid files, crash-safe and shared results store (SIGKILL and two
processes, with a fast fake runner), reports from a store, the sweep/report command line. The end-to-end run on the
real pipeline is in test_experiment_e2e.py."""
import collections, json, multiprocessing, os, signal, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import synthbridge_main as cli

from synthbridge.experiment import (Grid, Run, load_grid, shipped_grids, run_grid, load_results, report, open_store,
                                    grid_fingerprint)

# ---- grids

EXPECTED = {  # runs, synthetic sets, stage-1 models, style tokens
    "paper-full-shot": (10*5*3, 10, 10*2*3, 0),   # vanilla has no volume; bridged and bridged+fc share a stage 1
    "paper-few-shot": (10*3*5*3, 10, 10*3, 0),     # one stage 1 per dataset and seed serves every k
    "paper-volume": (3*2*6*3, 3, 3*6*3, 0),        # one 3,000-image set per dataset serves every volume
    "paper-guidance": (3*5*3, 15, 15*3, 0),
    "paper-dsi": (5*2*3, 10, 10*3, 5),
}

def test_shipped_grids_parse_and_expand():
    assert sorted(shipped_grids()) == sorted(EXPECTED)
    for name, (runs, synths, stage1s, styles) in EXPECTED.items():
        p = load_grid(name).plan()
        assert (len(p.runs), len(p.synths), len(p.stage1s), len(p.styles)) == (runs, synths, stage1s, styles), name
        assert len({r.id for r in p.runs}) == runs
    vol = load_grid("paper-volume").plan()
    assert {s.volume for s in vol.synths.values()} == {3000}        # one set per dataset serves every volume
    full = load_grid("paper-full-shot")
    assert full.model == "stable-diffusion-v1-5/stable-diffusion-v1-5" and full.guidance == [3.5] and full.seeds == [0, 1, 2]
    assert {r.lr for r in full.runs() if r.dataset == "aircraft"} == {0.1}                 # Table 5
    assert {r.epochs for r in load_grid("paper-few-shot").runs()} == {100}

def test_bad_grid_files(tmp_path, capsys):
    f = tmp_path/"g.toml"
    f.write_text('name = "x"\ndatasets = ["aircraft"]\n# a comment\n  seed = [0]\n')
    with pytest.raises(ValueError, match=r"g.toml line 4: unknown key 'seed'; allowed keys: .*seeds"): load_grid(f)
    f.write_text('datasets = ["aircraft"]\nshots = ["full",\n   "five"]\n')
    with pytest.raises(ValueError, match=r"line 2: .*'five'.*'full' or a positive integer"): load_grid(f)
    f.write_text('pipelines = ["vanilla", "bridged+++"]\n')
    with pytest.raises(ValueError, match=r"line 1: pipelines: unknown value 'bridged\+\+\+'; allowed: vanilla"): load_grid(f)
    f.write_text('datasets = "aircraft"\nguidance = "high"\n')
    with pytest.raises(ValueError, match=r"line 2: guidance='high': must be a number >= 0 \(0 or 1: no"): load_grid(f)
    f.write_text('datasets = "aircraft"\nguidance = [3.5, nan]\n')           # the rule of every guidance setting
    with pytest.raises(ValueError, match=r"line 2: guidance=nan: must be a number >= 0"): load_grid(f)
    f.write_text('datasets = [\n')
    with pytest.raises(ValueError, match="not valid TOML"): load_grid(f)
    with pytest.raises(FileNotFoundError, match="nor a shipped grid"): load_grid(tmp_path/"missing.toml")
    rc, out, err = cli(capsys, "sweep", tmp_path/"g.toml", "--store", tmp_path/"s")
    assert rc == 2 and "not valid TOML" in err, err

# ---- store: SIGKILL and two processes (fake runner: the bookkeeping, not the training)

# Runner processes are forked from this one (separate processes with their own pid, killed with SIGKILL), so they
# start at once instead of importing torch again; the fake runner logs every task it starts.
def _work(grid_file, store, log, delay):
    def runner(task, ctx):
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{task.id} {os.getpid()}\n".encode()); os.close(fd)
        time.sleep(delay)
        return {"metric": 0.5, "metric_name": "top1"} if isinstance(task, Run) else {}
    run_grid(load_grid(grid_file), store, runner=runner, poll=0.05, log=None)

def _grid_file(tmp_path, seeds=8):
    f = tmp_path/"grid.toml"
    f.write_text(f'name = "bookkeeping"\ndatasets = ["aircraft", "cars"]\npipelines = ["vanilla", "bridged++"]\n'
                 f'seeds = {list(range(seeds))}\n')
    return f, load_grid(f).plan()

def _worker(grid, store, log, delay):
    p = multiprocessing.get_context("fork").Process(target=_work, args=(grid, store, log, delay)); p.start()
    return p

def _starts(log):
    return collections.Counter(l.split()[0] for l in Path(log).read_text().splitlines())

@pytest.mark.slow   # measured above 5 s on a 2-core CPU (the day-to-day tier leaves it out)
def test_sigkill_then_rerun_does_every_run_once(tmp_path):
    f, plan = _grid_file(tmp_path)
    store, log = tmp_path/"store", tmp_path/"log"
    p = _worker(f, store, log, 0.4)
    t0 = time.time()
    def busy(): return len(list((store/"results").glob("*.json"))) >= 5 and any((store/"claims").glob("*.claim"))
    while not busy() and time.time() - t0 < 120: time.sleep(0.05)    # kill mid-run: 5 done, the next one claimed
    os.kill(p.pid, signal.SIGKILL); p.join()
    assert p.exitcode == -signal.SIGKILL
    n_before = len(list((store/"results").glob("*.json")))
    assert 5 <= n_before < len(plan.runs)
    assert len(list((store/"claims").glob("*.claim"))) == 1          # the run in flight, held by a dead process
    p = _worker(f, store, log, 0.0); p.join(120); assert p.exitcode == 0
    df = load_results(store)
    assert sorted(df["id"]) == sorted(r.id for r in plan.runs)      # every run, once
    starts = _starts(log)
    assert set(starts) == {t.id for t in plan.tasks}
    assert sum(n - 1 for n in starts.values()) <= 1                  # only the run in flight was started twice
    assert list((store/"claims").glob("*.claim")) == []

def test_a_run_recorded_by_a_process_killed_before_it_gave_back_its_claim_leaves_no_claim(tmp_path):
    "SIGKILL between recording a run and releasing its claim: the next runner removes the dead process's claim."
    import subprocess, sys
    f, plan = _grid_file(tmp_path, seeds=1)
    store, log = tmp_path/"store", tmp_path/"log"
    st = open_store(store, load_grid(f))
    run = plan.runs[0]
    assert st.commit(run, {"metric": 0.5, "metric_name": "top1"})
    dead = subprocess.Popen([sys.executable, "-c", "pass"]); dead.wait()
    claim = dict(token="x", host=st.host, boot_id=st.boot, pid=dead.pid, pid_start=None, heartbeat=time.time(),
                 task=run.id)
    (store/"claims"/f"{run.id}.claim").write_text(json.dumps(claim))
    _work(f, store, log, 0.0)
    assert run.id not in _starts(log)                                # the recorded run is not run again
    assert list((store/"claims").glob("*.claim")) == []


def test_two_runners_share_a_store(tmp_path):
    f, plan = _grid_file(tmp_path)
    store, log = tmp_path/"store", tmp_path/"log"
    ps = [_worker(f, store, log, 0.15) for _ in range(2)]
    for p in ps: p.join(180)
    assert [p.exitcode for p in ps] == [0, 0]
    starts = _starts(log)
    assert starts == collections.Counter({t.id: 1 for t in plan.tasks})   # each task done exactly once between them
    pids = {l.split()[1] for l in log.read_text().splitlines()}
    assert len(pids) == 2                                                  # both did work
    assert len(load_results(store)) == len(plan.runs)

def test_store_of_another_grid_is_refused(tmp_path, capsys):
    f, plan = _grid_file(tmp_path, seeds=2)
    st = open_store(tmp_path/"s", load_grid(f))
    assert json.loads((st.path/"grid.json").read_text())["fingerprint"] == grid_fingerprint(plan)
    g2 = tmp_path/"other.toml"; g2.write_text('datasets = ["dtd"]\npipelines = ["vanilla"]\n')
    rc, out, err = cli(capsys, "sweep", g2, "--store", tmp_path/"s", "--dry-run")
    assert rc == 2 and "written by another grid" in err, err
    rc, out, err = cli(capsys, "sweep", g2, "--store", tmp_path/"s", "--dry-run", "--adopt")
    assert rc == 0 and "3 runs" in out, out + err

# ---- reports

def _fake_store(tmp_path):
    import random
    g = Grid(name="r", datasets=["aircraft", "cars"], pipelines=["vanilla", "mixed", "bridged++"], shots=["full", 1, 4],
             seeds=[0, 1, 2])
    def runner(task, ctx):
        if not isinstance(task, Run): return {}
        rng = random.Random(task.id)
        return dict(metric=rng.uniform(0.3, 0.9), metric_name="top1", train_acc=[rng.random() for _ in range(4)])
    run_grid(g, tmp_path/"store", runner=runner, log=None)
    return tmp_path/"store"

def test_report_matches_store_and_writes_plots(tmp_path, capsys):
    store = _fake_store(tmp_path)
    rc, out, err = cli(capsys, "report", "--store", store, "--out", tmp_path/"rep", "--format", "md,csv")
    assert rc == 0, err
    assert "skipped fig5:" in out and "skipped table3:" in out
    df = load_results(store)
    full = df[df.shots == "full"]
    want = full.groupby(["pipeline", "dataset"])["metric"].agg(["mean", lambda s: s.std(ddof=0), "count"])
    got = pd.read_csv(tmp_path/"rep"/"table2.csv").set_index(["pipeline", "dataset_name"])
    assert len(got) == 6
    for (p, d), row in want.iterrows():
        assert abs(got.loc[(p, d), "mean"] - 100*row["mean"]) < 1e-6
        assert abs(got.loc[(p, d), "std"] - 100*row.iloc[1]) < 1e-6 and got.loc[(p, d), "n"] == 3
    md = (tmp_path/"rep"/"table2.md").read_text()
    best = want["mean"].xs("cars", level="dataset").idxmax()
    assert f"**{100*want.loc[(best, 'cars'), 'mean']:.1f} ±" in md
    assert not (tmp_path/"rep"/"table2.html").exists()
    for png in ("fig4.png", "fig3.png"):
        assert (tmp_path/"rep"/png).read_bytes()[:4] == b"\x89PNG"

def test_report_bad_input(tmp_path, capsys):
    open_store(tmp_path/"empty", Grid(datasets="aircraft", pipelines="vanilla", seeds=0))
    rc, out, err = cli(capsys, "report", "--store", tmp_path/"empty", "--out", tmp_path/"rep")
    assert rc == 2 and "has no results yet" in err, err
    rc, out, err = cli(capsys, "report", "--store", tmp_path/"nowhere", "--out", tmp_path/"rep")
    assert rc == 2 and "no results store" in err, err
    store = _fake_store(tmp_path)
    rc, out, err = cli(capsys, "report", "--store", store, "--out", tmp_path/"rep", "--format", "pdf")
    assert rc == 2 and "allowed are md, html, csv" in err, err
