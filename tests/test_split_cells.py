"""tools/split_cells.py on made-up notebooks: where it cuts, what it keeps, ids, show_doc moves, idempotence (fast)."""
import json, re, sys
import pytest

from conftest import ROOT
sys.path.insert(0, str(ROOT/"tools"))
import split_cells as S

def code(source, id): return dict(cell_type="code", id=id, metadata={}, source=source, outputs=[], execution_count=None)
def md(source, id): return dict(cell_type="markdown", id=id, metadata={}, source=source)
def nb(*cells): return dict(cells=list(cells), metadata={}, nbformat=4, nbformat_minor=5)
def sources(n): return [S.src(c) for c in n["cells"]]

BIG_CELL = '''#| export
#| hide
_CACHE = {}

# the one helper of f
def _h(x): return _CACHE.get(x, x)

def f(x):
    "f."
    return _h(x)

A = 1
"A's docstring."

def _shared(): pass
@dec(
    1)
def g(): return _shared()
def k(): return _shared(); x = 1
import os; import sys'''

def test_cuts_at_definitions_with_their_own_helpers():
    n, log = S.split_notebook(nb(code("#| default_exp m", "d0"), code(BIG_CELL, "abc")))
    got = sources(n)[1:]
    assert got == ['#| export\n#| hide\n_CACHE = {}\n\n# the one helper of f\ndef _h(x): return _CACHE.get(x, x)\n\n'
                   'def f(x):\n    "f."\n    return _h(x)',
                   '#| export\n#| hide\nA = 1\n"A\'s docstring."',
                   '#| export\n#| hide\ndef _shared(): pass',        # used by g and k: not g's alone
                   '#| export\n#| hide\n@dec(\n    1)\ndef g(): return _shared()',
                   '#| export\n#| hide\ndef k(): return _shared(); x = 1',
                   '#| export\n#| hide\nimport os; import sys']
    ids = [c["id"] for c in n["cells"]]
    assert ids[1] == "abc" and len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids)
    assert log[0]["pieces"] == 6
    again, _ = S.split_notebook(n)                                   # idempotent, ids included
    assert S.dumps(again) == S.dumps(n)
    assert S.dumps(S.split_notebook(nb(code("#| default_exp m", "d0"), code(BIG_CELL, "abc")))[0]) == S.dumps(n)

def test_exports_kept_and_module_unchanged():
    cell = "#| exports\nimport re\n\ndef a(): pass\n\ndef b(): pass"
    n, _ = S.split_notebook(nb(code("#| default_exp m", "d0"), code(cell, "c1")))
    assert sources(n)[1:] == ["#| exports\nimport re", "#| exports\ndef a(): pass", "#| exports\ndef b(): pass"]
    before = S.export_asts(nb(code("#| default_exp m", "d0"), code(cell, "c1")), ROOT/"nbs"/"m.ipynb")
    assert before and before == S.export_asts(n, ROOT/"nbs"/"m.ipynb")

@pytest.mark.parametrize("cell,why", [
    ("#| export\nfrom __future__ import annotations\ndef a(): pass\ndef b(): pass", "__future__"),
    ("#| export\n%time x = 1\ndef a(): pass\ndef b(): pass", "does not parse"),
])
def test_cells_left_whole(cell, why):
    n, log = S.split_notebook(nb(code(cell, "c1")))
    assert sources(n) == [cell] and why in log[0]["whole"]

def test_outputs_keep_a_cell_whole():
    c = code("#| export\ndef a(): pass\ndef b(): pass", "c1")
    c["outputs"] = [dict(output_type="stream", name="stdout", text="hi")]
    n, log = S.split_notebook(nb(c))
    assert len(n["cells"]) == 1 and log[0]["whole"] == "has outputs"

def test_helper_used_elsewhere_stays_out():
    cells = [code("#| export\ndef _h(): pass\ndef f(): return _h()", "c1"), md("text", "m1"),
             code("#| export\ndef g(): return _h()", "c2")]
    n, _ = S.split_notebook(nb(*cells))
    assert sources(n)[:2] == ["#| export\ndef _h(): pass", "#| export\ndef f(): return _h()"]

def test_show_doc_cells_follow_their_definition_when_safe():
    cells = [code("#| export\ndef a(): pass\ndef b(): pass\ndef c(): pass\nREG = [c]", "c1"),
             code("show_doc(a)", "s1"), code("show_doc(b)\nshow_doc(a)", "s2"), code("show_doc(c)", "s3"),
             code("test_eq(a(), None)", "t1"), code("show_doc(b)", "s4")]
    order = lambda n: [c["id"] if len(c["id"]) == 2 else "P" for c in n["cells"]]      # new ids: 8 hex digits
    n, log = S.split_notebook(nb(*cells))
    # s1 after a; s2 needs a and b: after b; s3: `REG = [c]` mentions c, so after REG; t1 ends the run, s4 stays
    assert order(n) == ["c1", "s1", "P", "s2", "P", "P", "s3", "t1", "s4"] and log[0]["show_doc_moved"] == 2
    cells[1:3] = [code("show_doc(b)", "s1"), code("show_doc(a)", "s2")]     # out of the pieces' order: stop there
    n, _ = S.split_notebook(nb(*cells))
    assert order(n) == ["c1", "P", "s1", "P", "P", "s2", "s3", "t1", "s4"]

def test_check_exits_1_when_a_notebook_would_change(tmp_path):
    p = tmp_path/"x.ipynb"
    p.write_text(S.dumps(nb(code("#| default_exp x", "d0"), code("#| export\ndef a(): pass\ndef b(): pass", "c1"))))
    assert S.main(["--check", "--no-verify", str(p)]) == 1
    assert S.main(["--no-verify", str(p)]) == 0 and len(json.loads(p.read_text())["cells"]) == 3
    assert S.main(["--check", "--no-verify", str(p)]) == 0
