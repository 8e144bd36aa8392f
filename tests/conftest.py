"""What the test files share, in one place: they import it (`from conftest import ROOT, offline_env, ...`; pytest puts
tests/ on sys.path) and keep no copies of their own.
- `ROOT`, the checkout; `offline_env(**extra)`, the environment of the tests' subprocesses (offline, one torch thread,
  this checkout on PYTHONPATH, no PYTHONHASHSEED), where keywords state how a test's differs: `PYTHONHASHSEED="0"`,
  `OMP_NUM_THREADS=INHERIT` (as this process has it).
- runners: `synthbridge_cmd(*args)` (what the console script runs, in a subprocess), `python_cmd(code, *args)` and
  `run(argv)` in a subprocess; `synthbridge_main(capsys, *args)` in this process. The installed entry point itself
  (`bin/synthbridge`) runs only in the tests about it, through `run`.
- fixtures and helpers: `tiny_data`, `tiny_grid` (a grid of real runs at a tiny scale), the tiny style inversion of
  the DSI tests, the demo report's check."""
import json, os, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

class _Inherit:
    "The value of `INHERIT`: the variable as this process has it (set or not)."
    def __repr__(self): return "INHERIT"
INHERIT = _Inherit()

def package_modules(pkg=None) -> dict:
    """{dotted module name: path} of the package's modules, subpackages included (`data` for `data/__init__.py`;
    nbdev's generated `_modidx` left out)."""
    pkg = Path(pkg or ROOT/"synthbridge")
    out = {}
    for p in sorted(pkg.rglob("*.py")):
        parts = p.relative_to(pkg).with_suffix("").parts
        if parts[-1] == "__init__": parts = parts[:-1]
        if not parts or parts[-1] == "_modidx" or "__pycache__" in parts: continue
        out[".".join(parts)] = p
    return out

def offline_env(**extra) -> dict:
    """os.environ for a subprocess: offline, one torch thread, this checkout first on the path, PYTHONHASHSEED removed
    (and torchrun's RANK, WORLD_SIZE, LOCAL_RANK). Each keyword sets one variable more (`PYTHONHASHSEED="0"`); None
    leaves the default as it is; INHERIT takes the variable back as this process has it, set or not (e.g.
    `OMP_NUM_THREADS=INHERIT, MKL_NUM_THREADS=INHERIT`: this process's thread settings, not one thread)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for k in ("PYTHONHASHSEED", "RANK", "WORLD_SIZE", "LOCAL_RANK"): env.pop(k, None)
    for k, v in extra.items():
        if v is INHERIT:
            if k in os.environ: env[k] = os.environ[k]
            else: env.pop(k, None)
        elif v is not None: env[k] = str(v)
    return env

@pytest.fixture(scope="session")
def root() -> Path: return ROOT

@pytest.fixture(autouse=True)
def _tempfiles_cleaned(monkeypatch, tmp_path_factory):
    """What a test writes through `tempfile` (here, in a notebook it runs, or in its subprocesses: they inherit TMPDIR)
    lands in a folder of its own, removed when the test ends. Without it, each full run left about 3 GB of tiny
    pipelines and stores behind in /tmp. The folder sits directly in the system's temporary folder, not in `tmp_path`:
    tests list their `tmp_path`, and multiprocessing's AF_UNIX sockets under a deep path exceed the 108-byte limit."""
    tmp_path_factory.getbasetemp()          # pytest's own folder first, where it belongs (it is made on first use)
    d = tempfile.mkdtemp(prefix="sb-test-")
    monkeypatch.setenv("TMPDIR", d)
    monkeypatch.setattr(tempfile, "tempdir", d)
    yield
    shutil.rmtree(d, ignore_errors=True)

# ---- command runners

# what the `synthbridge` console script does, with this interpreter (and, from ROOT, this checkout's package)
SYNTHBRIDGE = [sys.executable, "-c", "import sys; from synthbridge.interface.cli import main; sys.exit(main())"]

def run(argv, *, env=None, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    "Run `argv` (each item str()-ed) in `cwd` (ROOT) with `env` (offline_env()); stdout and stderr captured as text."
    return subprocess.run([str(a) for a in argv], cwd=ROOT if cwd is None else cwd,
                          env=offline_env() if env is None else env, capture_output=True, text=True, timeout=timeout)

def python_cmd(code, *args, env=None, cwd=None, timeout=600, warm=False) -> subprocess.CompletedProcess:
    """`python -c CODE ARGS` in a fresh interpreter (this one's executable), as `run` runs it; `warm`: in a process
    forked from this worker's warm interpreter for `env` (tests/warm.py), for code that does not test imports."""
    if warm: return warm_pool().run(code, *args, env=offline_env() if env is None else env, cwd=cwd, timeout=timeout)
    return run([sys.executable, "-c", code, *args], env=env, cwd=cwd, timeout=timeout)

SYNTHBRIDGE_CODE = SYNTHBRIDGE[2]

def synthbridge_cmd(*args, env=None, cwd=None, timeout=600, warm=False) -> subprocess.CompletedProcess:
    "`synthbridge ARGS` in a subprocess (SYNTHBRIDGE: what the console script runs), as `python_cmd` runs it."
    return python_cmd(SYNTHBRIDGE_CODE, *args, env=env, cwd=cwd, timeout=timeout, warm=warm)

_POOL = []

def warm_pool():
    """This pytest worker's warm interpreters (tests/warm.py), one per environment: `.run(code, *args, env=, cwd=,
    timeout=)` (what `python_cmd(..., warm=True)` calls) and `.popen(...)`, as `subprocess.run` and `subprocess.Popen`
    would run `python -c CODE ARGS`, forked from an interpreter that has imported torch, fastai and synthbridge already.
    Closed when this process exits."""
    if not _POOL:
        import atexit
        from warm import WarmPool
        _POOL.append(WarmPool(ROOT))
        owner = os.getpid()           # not in a child forked from this process: the warm interpreters are not its own
        atexit.register(lambda: os.getpid() == owner and _POOL[0].close())
    return _POOL[0]

def synthbridge_main(capsys, *args) -> tuple[int, str, str]:
    "`synthbridge ARGS` in this process, as the console script runs it: (exit code, stdout, stderr) of this call alone."
    from synthbridge.interface.cli import main
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err

# ---- data

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

@pytest.fixture
def tiny_grid(tmp_path):
    """tiny_grid(name, **keys) -> the grid file tmp_path/NAME.toml of real runs on a tiny scale: the two-class 32 px
    image folder tmp_path/data (train: 4, test: 2 images a class), a tiny random Stable Diffusion pipeline folder
    tmp_path/pipe (2 steps, 64 px, batches of 4), resnet10t from scratch for one epoch a stage at 32 px, batches of 4.
    `keys` are more grid keys (pipelines, seeds, shots, ...), written as TOML."""
    from synthbridge.testing import tiny_pipeline, tiny_image_folder
    classes = ("red", "green")
    tiny_image_folder(tmp_path/"data"/"train", classes, n=4, size=32)
    tiny_image_folder(tmp_path/"data"/"test", classes, n=2, size=32, seed=1)
    tiny_pipeline().save_pretrained(tmp_path/"pipe")
    def write(name, **keys) -> Path:
        grid = dict(name=name, datasets=[str(tmp_path/"data")], model=str(tmp_path/"pipe"), steps=2, image_size=64,
                    gen_batch_size=4, archs=["resnet10t"], pretrained=False, epochs=1, stage1_epochs=1, size=32,
                    batch_size=4, **keys)
        f = tmp_path/f"{name}.toml"
        f.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in grid.items()))
        return f
    return write

# ---- the tiny style inversion of tests/test_dsi.py and tests/test_dsi_cache.py

DSI_CLASSES = ["red", "green", "blue"]
_INVERT = """
import json, sys, torch
from pathlib import Path
from synthbridge.testing import tiny_pipeline
from synthbridge.generation.dsi import invert_style
torch.set_num_threads(1)
data, out, steps, kw = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
classes = ["red", "green", "blue"]
files = sorted(data.rglob("*.png")); labels = [classes.index(p.parent.name) for p in files]
invert_style(tiny_pipeline(), files, labels, classes, out, steps=steps, lr=0.05, batch_size=2, resolution=16,
             checkpoint_every=5, progress=False, **kw)
"""

def dsi_env() -> dict:
    "The environment of the style-inversion subprocesses: offline_env() with PYTHONHASHSEED=0."
    return offline_env(PYTHONHASHSEED="0")

def tiny_invert(data, out, steps, timeout=600, **kw) -> subprocess.CompletedProcess:
    """`invert_style` in a subprocess (dsi_env()): the image folder `data` (classes DSI_CLASSES) into `out` with the tiny
    random pipeline, `steps` steps of batches of 2 at 16 px, lr 0.05, a checkpoint every 5 steps; `kw` go to
    invert_style."""
    return python_cmd(_INVERT, data, out, steps, json.dumps(kw), env=dsi_env(), timeout=timeout, warm=True)

def tiny_invert_killed(data, out, steps, wait=100, poll=0.02, **kw) -> int:
    """tiny_invert, SIGKILLed as soon as it has written its first checkpoint (or after `wait` s); asserts that the
    signal ended it and returns the step its out/dsi.json records."""
    p = warm_pool().popen(_INVERT, data, out, steps, json.dumps(kw), env=dsi_env())
    ck, t0 = Path(out)/"checkpoint"/"state.safetensors", time.time()
    while not ck.exists() and p.poll() is None and time.time() - t0 < wait: time.sleep(poll)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL, p.output()[1]
    return json.loads((Path(out)/"dsi.json").read_text())["step"]

# ---- the demo

def assert_demo_sentences_match_table(out):
    """The demo's "X: d points above/below vanilla transfer" sentences in `out/report.md` say what its table says:
    d = |mean - vanilla mean| rounded to 0.1 and the direction of the difference, for every pipeline of the table."""
    import re
    from synthbridge.miniature.demo import PIPELINE_NAMES
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

DURATIONS = ROOT/"tests"/"durations.json"
"Seconds each test took in a full run on a 2-core CPU (`python tools/test_durations.py LOG` writes it)."

def longest_first(items: list, seconds: dict) -> list:
    "`items` (pytest's) sorted by their `seconds` (by test id), longest first; unknown tests count as one second."
    return sorted(items, key=lambda item: -seconds.get(item.nodeid.split("@")[0], 1.0))

def pytest_collection_modifyitems(config, items):
    """Longest tests first. pytest-xdist hands the tests out in this order as workers free up, so the short ones fill
    the gaps at the end and both workers finish together; in file order a long test that started late left one
    worker running alone for minutes. Tests not in `DURATIONS` (new ones) count as one second."""
    items[:] = longest_first(items, json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {})
