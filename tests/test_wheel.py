"""The wheel as PyPI would serve it: built with `pip wheel . --no-deps`, its contents checked (the embedded model, the
class names, the shipped grids, the metadata PyPI shows), then installed into a clean virtual environment outside the
repository, where the package is imported, the embedded model is loaded, and `synthbridge demo --quick` runs (one
epoch per stage).

The install is the slow part, so one test uses the venv: it imports the package (its star import too), loads the
embedded model and runs the demo. uv installs the wheel and every dependency from its metadata, from pip's own sources
(`tools/uv_args.py`), as `.ci/setup` does: its cache already holds torch's 5 GB, so the install takes seconds where
pip took most of a minute; pip is the fallback where this environment has no uv. `pip check` then checks every
requirement. The time of each step is printed (`pytest -s`, or the captured output on failure) and written to
`wheel-smoke-times.json` in the venv's folder. `SYNTHBRIDGE_WHEEL_SMOKE=0` skips the clean-venv test (not in CI)."""
import email, json, os, re, shutil, subprocess, sys, time, zipfile
from pathlib import Path
import pytest

from conftest import ROOT
pytestmark = [pytest.mark.xdist_group("wheel"), pytest.mark.slow]   # builds a wheel and a clean venv: minutes
USER_NAMES = ("get_dataset", "load_pipeline", "generate", "synth_learner")   # the README's path
_smoke = pytest.mark.skipif(os.environ.get("SYNTHBRIDGE_WHEEL_SMOKE") == "0", reason="SYNTHBRIDGE_WHEEL_SMOKE=0")

def _run(cmd, what, times, **kw):
    t0 = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    times[what] = round(time.perf_counter() - t0, 1)
    print(f"wheel smoke: {what}: {times[what]} s", flush=True)
    assert r.returncode == 0, f"{what} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-6000:]}"
    return r

@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    out, src, times = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("src"), {}
    # build from a copy of the files git knows (as a release builds from a fresh checkout): no stale build/ or
    # egg-info of the working tree goes into the wheel, and none is left behind
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for f in filter(None, files):
        if (ROOT/f).is_file(): (src/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, src/f)
    _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", out], "pip wheel", times, cwd=src)
    (w,) = out.glob("synthbridge-*.whl")
    return w

def _names(w) -> list[str]:
    with zipfile.ZipFile(w) as z: return z.namelist()

def test_wheel_contents(wheel):
    names = set(_names(wheel))
    assert not [n for n in names if n.startswith(("tests/", "nbs/", "bench/", "tools/", ".ci/"))]
    # the embedded text-to-image model(s): a diffusers pipeline folder with every component's config and weights
    models = sorted({m.group(1) for n in names              # an embedded model has weights (sd15-configs: configs only)
                     if (m := re.match(r"synthbridge/assets/([^/]+)/unet/diffusion_pytorch_model\.safetensors$", n))})
    assert models, "no embedded model (synthbridge/assets/<name>/model_index.json) in the wheel"
    for m in models:
        base = f"synthbridge/assets/{m}/"
        for f in ("scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model.safetensors",
                  "tokenizer/vocab.json", "tokenizer/merges.txt", "unet/config.json",
                  "unet/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors"):
            assert base + f in names, base + f
    with zipfile.ZipFile(wheel) as z:
        for m in models:
            assert z.getinfo(f"synthbridge/assets/{m}/unet/diffusion_pytorch_model.safetensors").file_size > 100_000
        meta = email.message_from_bytes(z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
        entry = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    # class names of every dataset of the paper, and the shipped grids, as the package finds them
    for ds in ("aircraft", "caltech101", "cars", "cub", "dtd", "flowers", "food", "pets", "dogs", "sun397"):
        assert f"synthbridge/classnames/{ds}.txt" in names, ds
    from synthbridge.experiment import shipped_grids
    assert shipped_grids() and {f"synthbridge/grids/{n}.toml" for n in shipped_grids()} <= names
    # what PyPI shows
    assert meta["Name"] == "synthbridge" and meta["Version"]
    assert meta["Summary"] and meta["Description-Content-Type"] == "text/markdown" and "synthbridge" in meta.get_payload()
    assert meta["License-Expression"] == "Apache-2.0" and meta["Keywords"]
    classifiers = meta.get_all("Classifier")
    for c in ("Development Status :: ", "Intended Audience :: Science/Research", "Programming Language :: Python :: 3.11",
              "Topic :: Scientific/Engineering :: Artificial Intelligence", "Framework :: Jupyter"):
        assert any(x.startswith(c) for x in classifiers), c
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Repository", "Issues"} <= set(urls), urls
    assert meta["Requires-Python"] and any(r.startswith("torch") for r in meta.get_all("Requires-Dist"))
    assert any("extra == \"hf\"" in r for r in meta.get_all("Requires-Dist"))
    assert re.search(r"^synthbridge = synthbridge\.interface\.cli:main$", entry, re.M)

@pytest.fixture(scope="session")
def venv(wheel, tmp_path_factory):
    "A clean venv outside the repository (no system site-packages) with the wheel and its dependencies installed."
    d = tmp_path_factory.mktemp("clean-venv")
    assert ROOT not in d.parents
    times = {}
    base = getattr(sys, "_base_executable", sys.executable)       # the interpreter, not this venv's python
    _run([base, "-m", "venv", d/"venv"], "python -m venv", times, cwd=d)
    py = d/"venv"/"bin"/"python"
    env = _env(py)          # no PYTHONPATH: the source tree (and the egg-info a build leaves there) stays invisible
    _run([*_installer(py), wheel], "install the wheel and its dependencies", times, cwd=d, env=env)
    _run([py, "-m", "pip", "check"], "pip check", times, cwd=d, env=env)       # every requirement met, torch's too
    r = subprocess.run([py, "-m", "pip", "show", "-f", "synthbridge"], capture_output=True, text=True, cwd=d, env=env)
    assert r.returncode == 0 and "synthbridge/assets/" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    (d/"wheel-smoke-times.json").write_text(json.dumps(times, indent=1))
    return py, times

def _installer(py) -> list:
    "The command that installs into the venv of `py`: uv with pip's sources where this environment has uv, else pip."
    uv = Path(sys.executable).parent/"uv"
    if not uv.exists(): return [py, "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check"]
    sources = subprocess.run([sys.executable, ROOT/"tools"/"uv_args.py"], capture_output=True, text=True, check=True)
    return [uv, "pip", "install", "-q", "--python", py, *sources.stdout.splitlines()]

def _env(py):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return dict(env, PATH=f"{py.parent}{os.pathsep}{env.get('PATH', '')}", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                HF_DATASETS_OFFLINE="1", MPLBACKEND="Agg", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))

SMOKE = r"""
import sys, synthbridge
from pathlib import Path
assert Path(sys.prefix) in Path(synthbridge.__file__).parents, synthbridge.__file__     # the installed copy
from synthbridge.all import get_dataset, load_pipeline, generate, synth_learner
models = sorted(p.parent.parent.name for p in
                (Path(synthbridge.__file__).parent/"assets").glob("*/unet/diffusion_pytorch_model.safetensors"))
for m in models:
    pipe = load_pipeline(m, device="cpu")
    pipe.set_progress_bar_config(disable=True)
    im = pipe(["a photo of a t-shirt"], num_inference_steps=2, output_type="np").images
    assert im.shape[0] == 1 and im.min() >= 0 and im.max() <= 1, im.shape
star = {}
exec("from synthbridge.all import *", star)                  # the README's star import
missing = [n for n in USER_NAMES if n not in star]
assert not missing, f"not exported by `from synthbridge.all import *`: {missing}"
print("SMOKE OK", synthbridge.__version__, models)
""".replace("USER_NAMES", repr(USER_NAMES))

@pytest.mark.slow
@_smoke
def test_wheel_in_clean_venv(venv, tmp_path):
    py, times = venv
    env = _env(py)
    r = _run([py, "-c", SMOKE], "import, load_pipeline(<embedded>) and 2 denoising steps", times, cwd=tmp_path, env=env,
             timeout=600)
    assert "SMOKE OK" in r.stdout
    # the console script end to end on the embedded model (generation, the four pipelines, the report), shortened: the
    # quick demo's numbers are checked in the repository (tests/test_demo.py), packaging is what is tested here
    r = _run([py.parent/"synthbridge", "demo", "--quick", "--epochs", "1", "--stage1-epochs", "1", "--n-per-class", "10",
              "--steps", "2", "--test-per-class", "10", "--no-progress", "--out", tmp_path/"demo"],
             "synthbridge demo --quick (2 denoising steps, 1 epoch per stage)", times, cwd=tmp_path, env=env, timeout=1200)
    tables = [p.read_text() for p in (tmp_path/"demo").rglob("*.md")]
    assert any("vanilla" in t for t in tables), r.stdout[-2000:]                 # its results table
    print("wheel smoke times (s):", json.dumps(times), flush=True)
