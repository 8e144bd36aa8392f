"""Reports equal pandas computations on the store: Table 1 (LEEP), Table 3 (synthesis methods) and the numbers drawn
in Figs. 4-6 (captured from matplotlib's `errorbar` calls); the demo's sentences match its own table; and
`synthbridge sweep --workers 2` runs a small real grid with two worker processes."""
import json, os, random
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from synthbridge.experiment import Grid, Run, load_results, report, run_grid

def _store(tmp_path, name, **grid):
    "A store of `grid` whose runs return seeded random metrics (and LEEP values) instantly."
    g = Grid(name=name, **grid)
    def runner(task, ctx):
        if not isinstance(task, Run): return {}
        rng = random.Random(task.id)
        two_stage = task.pipeline not in ("vanilla", "mixed")         # LEEP after stage 1 exists for these only
        return dict(metric=rng.uniform(0.3, 0.9), metric_name="top1", leep_imagenet=-rng.uniform(2, 4),
                    leep_synthetic=-rng.uniform(0.5, 2) if two_stage else None, train_acc=[rng.random() for _ in range(3)])
    run_grid(g, tmp_path/name, runner=runner, log=None, poll=0.01)
    return tmp_path/name, load_results(tmp_path/name)

def _agg(s: pd.Series, scale=1.0):
    return pd.Series(dict(mean=s.mean()*scale, std=s.std(ddof=0)*scale, n=s.count()))

def test_table1_is_the_mean_leep_per_dataset(tmp_path):
    "ImageNet row: LEEP of the vanilla runs; ImageNet→Synthetic row: LEEP after stage 1 of the plain bridged runs."
    store, df = _store(tmp_path, "t1", datasets=["aircraft", "cars"], pipelines=["vanilla", "bridged", "bridged++"],
                       seeds=[0, 1, 2], leep=True)
    report(store, tmp_path/"rep", formats=("csv", "md"), only=["table1"])
    got = pd.read_csv(tmp_path/"rep"/"table1.csv").set_index(["model", "dataset_name"])
    want = {("ImageNet", d): _agg(df[(df.pipeline == "vanilla") & (df.dataset == d)]["leep_imagenet"]) for d in ("aircraft", "cars")}
    want |= {("ImageNet→Synthetic", d): _agg(df[(df.pipeline == "bridged") & (df.dataset == d)]["leep_synthetic"])
             for d in ("aircraft", "cars")}
    assert len(got) == len(want) == 4
    for k, w in want.items():
        assert got.loc[k, "mean"] == pytest.approx(w["mean"]) and got.loc[k, "std"] == pytest.approx(w["std"]), k
        assert got.loc[k, "n"] == w["n"] == 3
    md = (tmp_path/"rep"/"table1.md").read_text()
    assert f"{want[('ImageNet', 'cars')]['mean']:.2f} ± {want[('ImageNet', 'cars')]['std']:.2f}" in md

def test_table3_is_the_mean_accuracy_per_method(tmp_path):
    store, df = _store(tmp_path, "t3", datasets=["dtd", "pets"], pipelines=["bridged++"], methods=["single", "templates", "dsi"],
                       seeds=[0, 1])
    report(store, tmp_path/"rep", formats=("csv", "md"), only=["table3"])
    got = pd.read_csv(tmp_path/"rep"/"table3.csv").set_index(["method", "dataset_name"])
    want = df.groupby(["method", "dataset"])["metric"].apply(lambda s: _agg(s, 100)).unstack()
    assert len(got) == len(want) == 6
    for k, w in want.iterrows():
        assert got.loc[k, "mean"] == pytest.approx(w["mean"]) and got.loc[k, "std"] == pytest.approx(w["std"]), k
    rows = (tmp_path/"rep"/"table3.md").read_text().splitlines()
    single = next(l for l in rows if l.startswith("| single"))
    assert f"{want.loc[('single', 'dtd'), 'mean']:.1f} ± {want.loc[('single', 'dtd'), 'std']:.1f}" in single

@pytest.fixture
def drawn(monkeypatch):
    "Every `Axes.errorbar` call of a report: (axes, label, x, y, yerr); the axes' title is read afterwards."
    from matplotlib.axes import Axes
    calls, orig = [], Axes.errorbar
    def spy(self, x, y, yerr=None, **kw):
        calls.append((self, kw.get("label"), np.asarray(x, float), np.asarray(y, float), np.asarray(yerr, float)))
        return orig(self, x, y, yerr=yerr, **kw)
    monkeypatch.setattr(Axes, "errorbar", spy)
    return calls

def _lines(calls):
    return {(ax.get_title(), label): (x.tolist(), y, e) for ax, label, x, y, e in calls}

@pytest.mark.parametrize("fig, axis, grid", [
    ("fig4", "shots", dict(shots=[1, 2, 4], pipelines=["vanilla", "bridged++"])),
    ("fig5", "volume", dict(volumes=[10, 50, 100], pipelines=["mixed", "bridged++"])),
    ("fig6", "guidance", dict(guidance=[1.5, 3.5, 7.5], pipelines=["bridged", "bridged++"])),
])
def test_figure_numbers_are_means_over_seeds(tmp_path, drawn, fig, axis, grid):
    "Each line of Figs. 4-6: x = the grid axis, y = 100 × mean metric over seeds, error bar = 100 × std (ddof=0)."
    store, df = _store(tmp_path, fig, datasets=["aircraft", "cars"], seeds=[0, 1, 2], **grid)
    report(store, tmp_path/"rep", only=[fig])
    got = _lines(drawn)
    d = df.assign(shots=df["shots"].map(lambda s: s if s == "full" else int(s)))
    want = {}
    for (ds, p), s in d.groupby(["dataset", "pipeline"]):
        t = s.groupby(axis)["metric"].agg(["mean", lambda v: v.std(ddof=0)]).sort_index()
        label = p if fig != "fig5" else f"{p}, full"
        want[(ds, label)] = (t.index.astype(float).tolist(), 100*t["mean"].to_numpy(), 100*t.iloc[:, 1].to_numpy())
    assert set(got) == set(want), (sorted(got), sorted(want))
    for k, (x, y, e) in want.items():
        gx, gy, ge = got[k]
        assert gx == x and np.allclose(gy, y) and np.allclose(ge, e), k
    assert (tmp_path/"rep"/f"{fig}.png").read_bytes()[:4] == b"\x89PNG"

@pytest.mark.slow
def test_sweep_with_two_workers(tmp_path, capsys, tiny_grid):
    """`synthbridge sweep GRID --workers 2` starts two runner processes on one store: every task of the plan ends in
    the store exactly once, made by the worker processes (not this one), with no claim or failure left behind."""
    from synthbridge.interface.cli import main
    from synthbridge.experiment import load_grid
    f = tiny_grid("w2", pipelines=["vanilla"], seeds=[0, 1, 2, 3])
    rc = main(["sweep", str(f), "--store", str(tmp_path/"store"), "--workers", "2", "--device", "cpu"])
    assert rc == 0, capsys.readouterr()
    plan = load_grid(f).plan()
    recs = [json.loads(p.read_text()) for d in ("results", "done") for p in (tmp_path/"store"/d).glob("*.json")]
    assert sorted(r["id"] for r in recs) == sorted(t.id for t in plan.tasks)          # every task, each once
    pids = {r["pid"] for r in recs}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2, pids
    assert not list((tmp_path/"store").rglob("*.claim")) and not list((tmp_path/"store").glob("failures/*.json"))
    df = load_results(tmp_path/"store")
    assert df["metric"].notna().sum() == len(plan.runs)
