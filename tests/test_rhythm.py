"""Notebooks read in fastai's rhythm: a paragraph, a definition, `show_doc`, a test, and again. The check: no notebook
(tutorials included) has a run of more than three consecutive `#| export` cells without a markdown cell or another
code cell (`show_doc`, a test) between them. Only the notebooks' JSON is read, so this is fast.

`PENDING` names notebooks being rewritten on another branch; they are exempt until then, and the test fails when one
of them no longer needs the exemption.
"""
import json
import pytest
from conftest import ROOT

NBS = ROOT/"nbs"
MAX_RUN = 3
PENDING = set()   # notebooks being rewritten elsewhere (none now)

def _src(cell): return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])

def _is_export(cell) -> bool:
    if cell["cell_type"] != "code": return False
    first = _src(cell).lstrip().split("\n", 1)[0].replace(" ", "")
    return first.startswith(("#|export", "#|exports", "#|exporti"))

def export_runs(cells) -> list:
    "The runs of more than `MAX_RUN` consecutive export cells, as lists of cell indices."
    runs, cur = [], []
    for i, c in enumerate(cells + [dict(cell_type="markdown", source="")]):
        if _is_export(c): cur.append(i)
        else:
            if len(cur) > MAX_RUN: runs.append(cur)
            cur = []
    return runs

def long_runs() -> dict:
    "{notebook stem: [runs]} over nbs/ and nbs/tutorials/."
    out = {}
    for p in sorted(NBS.rglob("*.ipynb")):
        if any(part.startswith(("_", ".")) for part in p.relative_to(NBS).parts): continue
        runs = export_runs(json.loads(p.read_text(encoding="utf-8"))["cells"])
        if runs: out[p.stem] = runs
    return out

def _code(s): return dict(cell_type="code", source=s)
def _md(s): return dict(cell_type="markdown", source=s)

def test_export_runs_on_made_up_cells():
    e = _code("#| export\ndef f(): pass")
    assert export_runs([e, e, e]) == []
    assert export_runs([e, e, e, e]) == [[0, 1, 2, 3]]
    assert export_runs([e, e, _md("why"), e, e]) == []
    assert export_runs([e, e, _code("show_doc(f)"), e, e, e]) == []
    assert export_runs([_code("#|exporti\nx = 1"), e, e, _code("#| export\ny = 2")]) == [[0, 1, 2, 3]]

def test_no_run_of_more_than_three_export_cells():
    bad = {k: v for k, v in long_runs().items() if k not in PENDING}
    assert not bad, (f"runs of more than {MAX_RUN} export cells (put a paragraph, `show_doc` or a test between "
                     f"definitions): " + "; ".join(f"{k}: cells {[r[0] for r in v]}" for k, v in bad.items()))

def test_pending_notebooks_still_need_their_exemption():
    runs = long_runs()
    done = sorted(k for k in PENDING if k not in runs)
    assert not done, f"{done} keep the rhythm now: remove them from PENDING in tests/test_rhythm.py"
