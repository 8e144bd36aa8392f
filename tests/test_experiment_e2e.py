"""synthbridge.experiment end to end on the real pipeline: `synthbridge sweep` of a small grid (tiny random Stable
Diffusion saved as a pipeline folder, a two-class image folder as the real dataset, a tiny classifier for one epoch),
a rerun that has nothing left to do, and `synthbridge report` of the store."""
import os
from pathlib import Path
import pytest
from synthbridge.experiment import load_grid, load_results
from conftest import synthbridge_main as cli

os.environ.setdefault("HF_HUB_OFFLINE", "1")

@pytest.mark.slow   # measured above 5 s on a 2-core CPU (the day-to-day tier leaves it out)
def test_end_to_end_tiny(tmp_path, capsys, tiny_grid):
    f = tiny_grid("tiny", pipelines=["bridged++"], shots=["full"], volumes=[1, 2], seeds=[0], few_shot_epochs=1, leep=True)
    rc, out, err = cli(capsys, "sweep", f, "--store", tmp_path/"store", "--device", "cpu")
    assert rc == 0, out[-3000:] + err[-5000:]
    plan = load_grid(f).plan()
    assert (len(plan.runs), len(plan.synths), len(plan.stage1s)) == (2, 1, 2)
    synth = next(iter(plan.synths.values()))
    assert synth.id.endswith("-n2")                                                    # the set covers its volume
    from synthbridge.experiment.runner import _HOLDOUT
    # once, at the larger volume, plus the held-out images of stage 1's validation (2 classes)
    assert len(list((tmp_path/"store"/"synth"/synth.folder_id).rglob("*.png"))) == (2 + _HOLDOUT)*2
    df = load_results(tmp_path/"store")
    assert sorted(df["id"]) == sorted(r.id for r in plan.runs)
    assert df["metric"].between(0, 1).all()
    assert df["train_acc"].map(len).eq(1).all()                                       # per-epoch history (Fig. 3)
    assert df["leep_imagenet"].notna().all() and (df["leep_synthetic"] <= 0).all()    # LEEP (Table 1)
    for s1 in plan.stage1s.values(): assert (tmp_path/"store"/"stage1"/s1.id/"model.safetensors").is_file()
    rc, out, err = cli(capsys, "sweep", f, "--store", tmp_path/"store", "--device", "cpu")   # nothing left to do
    assert rc == 0 and "0 done now" in out, out
    rc, out, err = cli(capsys, "report", "--store", tmp_path/"store", "--out", tmp_path/"rep")
    assert rc == 0, err
    for name in ("table2.md", "table2.html", "table2.csv", "table1.md", "fig3.png", "fig5.png"):
        assert (tmp_path/"rep"/name).exists(), name
