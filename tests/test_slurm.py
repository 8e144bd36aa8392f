"""Sweeps on a cluster through submitit: the worker jobs of `run_grid(..., executor=...)` / `synthbridge sweep
--executor`, run for real with submitit's LocalExecutor (separate processes, real training runs of a tiny grid, no
mocks): two workers share a store and one is SIGKILLed mid-task; a preempted worker (SIGUSR2, the signal SLURM sends)
gives its claim back, is requeued and resumes. The SLURM side is checked on the sbatch script that submitit writes
(a stand-in `sbatch` on PATH records it: there is no SLURM cluster here), and bad options fail before any work."""
import collections, functools, json, os, signal, stat, time
from pathlib import Path
import pytest
from conftest import offline_env, synthbridge_cmd

pytest.importorskip("submitit")
from synthbridge.experiment import (Run, execute_task, load_grid, load_results, run_grid, submit_grid, sweep_executor,
                                    SweepWorker)

TESTS = Path(__file__).resolve().parent

def logged_runner(task, ctx, log=None, delay=0.0, barrier=1):
    """The real task function (`execute_task`), after logging its start and pausing `delay` s (a window to interrupt).
    The first task of each worker waits until `barrier` workers are there (they start torch at different speeds)."""
    ready = Path(f"{log}.ready.{os.getpid()}")
    if not ready.exists():
        ready.touch(); t0 = time.time()
        while len(list(Path(log).parent.glob(Path(log).name + ".ready.*"))) < barrier and time.time() - t0 < 600:
            time.sleep(0.05)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, f"{task.id} {os.getpid()}\n".encode()); os.close(fd)
    time.sleep(delay)
    return execute_task(task, ctx)

def _grid(tmp_path, seeds):
    "A tiny grid of real runs: vanilla transfer of an untrained resnet10t, one epoch on a 2-class 32 px image folder."
    from synthbridge.testing import tiny_image_folder
    tiny_image_folder(tmp_path/"data"/"train", ("red", "green"), n=4, size=32)
    tiny_image_folder(tmp_path/"data"/"test", ("red", "green"), n=2, size=32, seed=1)
    f = tmp_path/"tiny.toml"
    f.write_text(f'name = "tiny"\ndatasets = ["{tmp_path/"data"}"]\npipelines = ["vanilla"]\nseeds = {list(seeds)}\n'
                 'archs = ["resnet10t"]\npretrained = false\nepochs = 1\nsize = 32\nbatch_size = 4\n')
    return load_grid(f)

@pytest.fixture
def worker_env(monkeypatch):
    "Worker processes import this module (the runner is pickled by reference) and use one torch thread each."
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.setenv("OMP_NUM_THREADS", "1"); monkeypatch.setenv("HF_HUB_OFFLINE", "1")

def _starts(log) -> list:
    return [tuple(l.split()) for l in Path(log).read_text().splitlines()] if Path(log).exists() else []

def _wait_for(cond, what, timeout=300):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout: raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)

def _results(store) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (Path(store)/"results").glob("*.json")}

@pytest.mark.slow
def test_local_workers_one_killed_every_run_once(tmp_path, worker_env):
    grid = _grid(tmp_path, seeds=range(6))
    runs = [r.id for r in grid.runs()]
    store, log = tmp_path/"store", tmp_path/"starts.log"
    ex = sweep_executor("local", folder=tmp_path/"jobs")
    r = submit_grid(grid, store, executor=ex, workers=2, wait=False, stale_after=3600,
                    runner=functools.partial(logged_runner, log=str(log), delay=1.5, barrier=2))
    jobs = r["jobs"]
    assert len(jobs) == 2 and all(j.state == "RUNNING" for j in jobs)
    # kill a worker while it is inside a task (the 1.5 s pause), once some runs are done and others are left
    _wait_for(lambda: len(_results(store)) >= 1 and len({p for _, p in _starts(log)}) == 2, "both workers at work")
    started = [(t, p) for t, p in _starts(log) if t not in _results(store)]
    task, victim = started[-1]
    os.kill(int(victim), signal.SIGKILL)
    for j in jobs: j.wait()
    outcome = {}
    for j in jobs:
        try: outcome[j.job_id] = j.result()
        except Exception as e: outcome[j.job_id] = e
    survivors = [s for s in outcome.values() if isinstance(s, dict)]
    assert len(survivors) == 1, outcome                             # the killed worker's job has no result
    res = _results(store)
    assert sorted(res) == sorted(runs)                               # every run is in the store ...
    starts = collections.Counter(t for t, _ in _starts(log))
    assert set(starts) == set(runs)
    assert {t: n for t, n in starts.items() if n > 1} == {task: 2}   # ... and only the killed one was started twice
    survivor_pid = next(p for t, p in _starts(log) if t == task and p != victim)
    assert str(res[task]["pid"]) == survivor_pid                     # the other worker took it over and finished it
    by_victim = sum(str(v["pid"]) == victim for v in res.values())
    assert survivors[0]["done"] + by_victim == len(runs) and survivors[0]["elsewhere"] == 0
    assert list((store/"claims").glob("*.claim")) == [] and list((store/"failures").glob("*.json")) == []
    df = load_results(store)
    assert len(df) == len(runs) and df["metric"].between(0, 1).all()

@pytest.mark.slow
def test_preempted_worker_gives_back_its_claim_is_requeued_and_resumes(tmp_path, worker_env):
    grid = _grid(tmp_path, seeds=range(3))
    runs = [r.id for r in grid.runs()]
    store, log = tmp_path/"store", tmp_path/"starts.log"
    ex = sweep_executor("local", folder=tmp_path/"jobs", max_requeues=2)
    r = submit_grid(grid, store, executor=ex, workers=1, wait=False, stale_after=3600,
                    runner=functools.partial(logged_runner, log=str(log), delay=2.0))
    (job,) = r["jobs"]
    _wait_for(lambda: len(_starts(log)) >= 2, "the worker's second task")
    task, pid = _starts(log)[-1]
    os.kill(int(pid), signal.SIGUSR2)          # what SLURM sends before a preemption or the time limit
    stats = job.result()                       # the requeued worker finishes the grid
    out = job.stdout()
    assert "this job is preempted" in out and f"gave back the claim of task {task}" in out, out[-3000:]
    assert "(start 2)" in out                  # the same worker object, started again by submitit
    starts = _starts(log)
    assert [p for t, p in starts if t == task][0] == pid and len({p for _, p in starts}) == 2
    assert collections.Counter(t for t, _ in starts) == collections.Counter({**{t: 1 for t in runs}, task: 2})
    assert sorted(_results(store)) == sorted(runs) and stats["remaining"] == 0 and stats["failed"] == []
    assert list((store/"claims").glob("*.claim")) == []

def _fake_slurm(tmp_path) -> Path:
    "A stand-in for SLURM's client commands: `sbatch` keeps the script it is given and answers with a job id."
    bin_ = tmp_path/"bin"; bin_.mkdir()
    (bin_/"sbatch").write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/sbatch.sh\necho "Submitted batch job 4242"\n')
    (bin_/"srun").write_text("#!/bin/sh\nexit 1\n")
    for f in bin_.iterdir(): f.chmod(f.stat().st_mode | stat.S_IEXEC)
    return bin_

@pytest.mark.slow
def test_slurm_job_array_script(tmp_path):
    f = tmp_path/"g.toml"
    f.write_text('name = "g"\ndatasets = ["aircraft"]\npipelines = ["vanilla"]\nseeds = [0, 1, 2]\n')
    env = offline_env(PATH=f"{_fake_slurm(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    r = synthbridge_cmd("sweep", f, "--store", tmp_path/"store", "--executor", "slurm", "--workers", 4, "--max-running", 2,
                        "--partition", "gpu", "--gpus", 1, "--cpus", 8, "--mem", 32, "--time", "12:00:00",
                        "--slurm", "account=mylab", "--slurm", "qos=high", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4242_0, 4242_1, 4242_2, 4242_3" in r.stdout and "squeue" in r.stdout
    script = (tmp_path/"sbatch.sh").read_text()
    for flag in ("--array=0-3%2", "--partition=gpu", "--gpus-per-node=1", "--cpus-per-task=8", "--mem=32GB",
                 "--time=720", "--signal=USR2@90", "--account=mylab", "--qos=high", "--job-name=synthbridge"):
        assert f"#SBATCH {flag}\n" in script, (flag, script)
    assert str((tmp_path/"store"/"submitit").resolve()) in script          # logs and job files in the shared store
    import cloudpickle
    pickles = sorted((tmp_path/"store"/"submitit").glob("4242_*_submitted.pkl"))
    workers = [cloudpickle.loads(p.read_bytes()).function for p in pickles]
    assert sorted(w.index for w in workers) == [0, 1, 2, 3] and all(isinstance(w, SweepWorker) for w in workers)
    assert {w.store for w in workers} == {str((tmp_path/"store").resolve())} and workers[0].grid.seeds == [0, 1, 2]

@pytest.mark.parametrize("args,msg", [
    (["--executor", "slurm", "--time", "soon"], "--time 'soon': give minutes"),
    (["--executor", "local", "--gpus", "-1"], "--gpus -1: give 0 or more"),
    (["--executor", "local", "--slurm", "account"], "--slurm 'account': give KEY=VALUE"),
    (["--partition", "gpu"], "--partition: only with --executor slurm or local"),
    (["--executor", "slurm"], "no SLURM on this machine"),
])
def test_bad_cluster_options(tmp_path, capsys, args, msg):
    if args == ["--executor", "slurm"] and __import__("shutil").which("srun"): pytest.skip("SLURM is installed here")
    from synthbridge.interface.cli import main
    f = tmp_path/"g.toml"
    f.write_text('name = "g"\ndatasets = ["aircraft"]\npipelines = ["vanilla"]\n')
    capsys.readouterr()
    rc = main(["sweep", str(f), "--store", str(tmp_path/"store"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path/"store"/"submitit").exists()
