"""One pytest test per notebook in nbs/, run by nbdev's own runner (`nbdev.test.test_nb`) in a process of its own,
forked from a warm interpreter that has imported torch, fastai and synthbridge once per pytest worker
(`python_cmd(..., warm=True)`, tests/warm.py; `SYNTHBRIDGE_WARM=0`: a fresh interpreter for each notebook).

Cells tagged with a flag from `tst_flags` in pyproject.toml (`slow`, `cuda`) are skipped unless
SYNTHBRIDGE_TEST_FLAGS names them (e.g. `SYNTHBRIDGE_TEST_FLAGS=slow`), as `nbdev-test --flags slow` does.
"""
import os
import pytest
from conftest import INHERIT, ROOT, offline_env, python_cmd

NBS = ROOT/"nbs"
NOTEBOOKS = sorted(p for p in NBS.rglob("*.ipynb")
                   if not any(part.startswith(("_", ".")) for part in p.relative_to(NBS).parts))

RUNNER = r"""
import sys
from nbdev.config import get_config
from nbdev.test import test_nb
cfg = get_config()
skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
force = sys.argv[2].split()
ok, secs = test_nb(sys.argv[1], skip_flags=skip, force_flags=force, basepath=str(cfg.config_path), showerr=True)
print(f"{sys.argv[1]}: {'passed' if ok else 'FAILED'} in {secs:.1f}s")
sys.exit(0 if ok else 1)
"""

# The notebooks that take more than about 12 s on a 2-core CPU (measured with `--durations`): the `slow` tier, left out
# of the day-to-day run `pytest -m "not slow"`.
SLOW = {
    '01_testing.ipynb', '02b_loaders.ipynb', '03_generate.ipynb', '03a_pipeline.ipynb', '04_learner.ipynb',
    '05_leep.ipynb', '06_transfer.ipynb', '07_dsi.ipynb', '07a_latents.ipynb', '07b_quality.ipynb', '08_mini.ipynb',
    '08a_mini_eval.ipynb', '09_demo.ipynb', '09a_study.ipynb', '09b_demo_runs.ipynb', '10a_grid.ipynb',
    '10c_runner.ipynb', 'tutorials/03_fewshot_volume.ipynb', 'tutorials/04_dsi.ipynb', 'tutorials/05_fastai.ipynb',
    '10d_report.ipynb', '10e_estimate.ipynb', '12_widgets.ipynb', 'index.ipynb', 'tutorials/06_cluster.ipynb',
}

# Tutorial 1 reuses the quick demo that tests/test_demo.py runs (synthbridge.miniature.demo.quick_demo_dir): under pytest-xdist
# `--dist loadgroup` both go to one worker, test_demo.py first (collection order), so the demo runs once and never
# concurrently with its reuse.
def _param(p):
    rel = str(p.relative_to(NBS))
    marks = [pytest.mark.xdist_group("quick-demo")] if rel.startswith("tutorials/01_") else []
    if rel in SLOW or rel.startswith("tutorials/01_"): marks.append(pytest.mark.slow)
    return pytest.param(p, id=rel, marks=marks)

def _env(): return offline_env(OMP_NUM_THREADS=INHERIT, MKL_NUM_THREADS=INHERIT)     # this process's threads

@pytest.mark.parametrize("nb", [_param(p) for p in NOTEBOOKS])
def test_notebook(nb):
    r = python_cmd(RUNNER, nb, os.environ.get("SYNTHBRIDGE_TEST_FLAGS", ""), env=_env(), timeout=1800, warm=True)
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stdout[-4000:]}\n{r.stderr[-8000:]}"
