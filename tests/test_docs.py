"""Docs checks: every exported public name has a docstring and is shown in the docs; the sidebar lists every notebook.

The rule (`public_name_problems`), for each name in a module's `__all__` and each public `@patch`ed method:
- functions and classes: an own docstring, and a `show_doc(name)` cell in some notebook (`show_doc(mod.name)` counts);
  a class is also documented when one of its methods is shown (`show_doc(Class.method)`), as fastai documents some
  classes through their methods; a patched method needs `show_doc(Class.method)`.
- constants (module-level assignments): nbdev's `show_doc` renders functions and classes, not values, so a constant is
  documented by a string literal right after its assignment (the convention nbdev's own modules follow), and is shown
  by a `show_doc(NAME)` or by a `` `NAME` `` mention in a markdown cell of some notebook.
- names a module re-exports from elsewhere: a docstring on the object, and a `show_doc` or markdown mention.
Only the module source is parsed (nothing is imported, so this test is fast and needs no torch).
"""
import ast, json, re
from functools import lru_cache
import pytest
from conftest import INHERIT, ROOT, offline_env, package_modules, python_cmd

PKG, NBS = ROOT/"synthbridge", ROOT/"nbs"
MODULES = sorted(m for m in package_modules(PKG) if not m.rpartition(".")[2].startswith("_") and m != "all")

def notebooks():
    return sorted(p for p in NBS.rglob("*.ipynb")
                  if not any(part.startswith(("_", ".")) for part in p.relative_to(NBS).parts))

def _src(cell): return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])

_SHOW_DOC = re.compile(r"^\s*show_doc\(\s*([A-Za-z_][\w.]*)", re.M)
_MENTION = re.compile(r"`([A-Za-z_][\w.]*)")

@lru_cache(maxsize=None)
def doc_index():
    "(set of `show_doc` targets, set of backticked names in markdown) over all notebooks."
    shown, mentioned = set(), set()
    for nb in notebooks():
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            s = _src(cell)
            if cell["cell_type"] == "code": shown.update(_SHOW_DOC.findall(s))
            elif cell["cell_type"] == "markdown":
                for m in _MENTION.findall(s): mentioned.update({m, m.split(".")[-1]})
    return shown, mentioned

def _patch_target(fn):
    "'Class.method' for a function decorated with fastcore's `@patch` (class from the `self` annotation), else None."
    for d in fn.decorator_list:
        name = getattr(d, "id", None) or getattr(getattr(d, "func", None), "id", None)
        if name in ("patch", "patch_to") and fn.args.args:
            if name == "patch_to" and isinstance(d, ast.Call) and d.args: cls = ast.unparse(d.args[0])
            else: cls = ast.unparse(fn.args.args[0].annotation) if fn.args.args[0].annotation else None
            if cls: return f"{cls.strip('()').split(',')[0].strip()}.{fn.name}"
    return None

def module_names(mod):
    "{name: (kind, has_docstring)} for `__all__` (kind 'def', 'class', 'const', 'import') and public patched methods."
    tree = ast.parse(package_modules(PKG)[mod].read_text(encoding="utf-8"))
    body, all_ = tree.body, None
    for node in body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            all_ = ast.literal_eval(node.value)
    if all_ is None: return {}
    found = {}
    for i, node in enumerate(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            target = _patch_target(node) if not isinstance(node, ast.ClassDef) else None
            if target:
                if not node.name.startswith("_"): found[target] = ("patch", bool(ast.get_docstring(node)))
                continue
            found[node.name] = ("class" if isinstance(node, ast.ClassDef) else "def", bool(ast.get_docstring(node)))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            nxt = body[i + 1] if i + 1 < len(body) else None
            doc = (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str)
                   and bool(nxt.value.value.strip()))
            for t in targets:
                for el in getattr(t, "elts", [t]):
                    if isinstance(el, ast.Name): found[el.id] = ("const", doc or found.get(el.id, ("", False))[1])
    out = {n: found.get(n, ("import", None)) for n in all_}
    out.update({n: v for n, v in found.items() if v[0] == "patch"})
    return out

def _imported_doc(mod, name):
    import importlib, inspect
    return bool(inspect.getdoc(getattr(importlib.import_module(f"synthbridge.{mod}"), name)))

def public_name_problems(mod):
    "(names without a docstring, names without a show_doc / mention) of module `mod`."
    shown, mentioned = doc_index()
    shown_last = {s.split(".")[-1] for s in shown}
    shown_owner = {s.split(".")[-2] for s in shown if "." in s}
    shown_pairs = {".".join(s.split(".")[-2:]) for s in shown if "." in s}
    no_doc, no_show = [], []
    for name, (kind, has_doc) in module_names(mod).items():
        if kind == "import": has_doc = _imported_doc(mod, name)
        if not has_doc: no_doc.append(name)
        if kind == "patch": ok = name in shown_pairs
        elif kind == "class": ok = name in shown or name in shown_last or name in shown_owner
        elif kind == "def": ok = name in shown or name in shown_last
        else: ok = name in shown or name in shown_last or name in mentioned
        if not ok: no_show.append(name)
    return no_doc, no_show

@pytest.mark.parametrize("mod", MODULES)
def test_public_names_documented(mod):
    no_doc, no_show = public_name_problems(mod)
    msg = []
    if no_doc: msg.append(f"synthbridge.{mod}: no docstring for {', '.join(no_doc)} "
                          "(constants: a string literal on the line after the assignment)")
    if no_show: msg.append(f"synthbridge.{mod}: no show_doc(...) in any notebook for {', '.join(no_show)} "
                           "(constants: show_doc or a `NAME` mention in a markdown cell)")
    assert not msg, "\n".join(msg)

# The checker itself, on a module written for the purpose (so a broken rule cannot pass silently).
def test_rule_on_a_sample_module(tmp_path, monkeypatch):
    pkg, nbs = tmp_path/"pkg", tmp_path/"nbs"; pkg.mkdir(); nbs.mkdir()
    (pkg/"m.py").write_text('''
__all__ = ['f', 'g', 'C', 'D', 'K', 'L', 'M']
def f(): "doc"
def g(): pass
class C:
    "doc"
    def meth(self): "doc"
class D: pass
K = 1
"doc of K"
L = 2
M = 3
"doc of M"
@patch
def fit_x(self: C): "doc"
@patch
def fit_y(self: C): "doc"
''')
    cells = [dict(cell_type="code", source="show_doc(f)\nshow_doc(g)"), dict(cell_type="code", source="show_doc(C.meth)"),
             dict(cell_type="code", source="show_doc(C.fit_x)"),
             dict(cell_type="markdown", source="`K` is the constant; `L` too")]
    (nbs/"a.ipynb").write_text(json.dumps(dict(cells=cells)))
    monkeypatch.setitem(globals(), "PKG", pkg); monkeypatch.setitem(globals(), "NBS", nbs)
    doc_index.cache_clear()
    try:
        no_doc, no_show = public_name_problems("m")
    finally: doc_index.cache_clear()
    assert sorted(no_doc) == ["D", "L", "g"]
    assert sorted(no_show) == ["C.fit_y", "D", "M"]

# Sidebar: what a newcomer reads first comes first, and nothing is left out.
def _sidebar_entries(node):
    if isinstance(node, str): yield None, node
    elif isinstance(node, dict):
        sec = node.get("section")
        for c in node.get("contents", []) or []:
            for s, e in _sidebar_entries(c): yield (s or sec), e
        if "href" in node: yield sec, node["href"]
    elif isinstance(node, list):
        for c in node: yield from _sidebar_entries(c)

def test_sidebar_lists_every_notebook_in_reading_order():
    import yaml
    side = yaml.safe_load((NBS/"sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    entries = list(_sidebar_entries(side))
    listed = [e for _, e in entries]
    want = [str(p.relative_to(NBS)) for p in notebooks()]
    missing = [w for w in want if w not in listed]
    assert not missing, f"nbs/sidebar.yml does not list {missing}"
    dup = sorted({e for e in listed if listed.count(e) > 1})
    assert not dup, f"nbs/sidebar.yml lists {dup} more than once"
    order = ["get started", "tutorials", "api"]
    secs = [s.lower() for s in dict.fromkeys(s for s, _ in entries if s)]
    ranks = [next((i for i, o in enumerate(order) if s.startswith(o)), None) for s in secs]
    ranks = [r for r in ranks if r is not None]
    assert ranks == sorted(ranks), f"sidebar sections {secs}: a newcomer reads {order} in this order"
    tut = [e for s, e in entries if s and s.lower().startswith("tutorials")]
    assert all(e.startswith("tutorials/") for e in tut), f"sidebar 'Tutorials' section holds {tut}"
    assert listed[0] == "index.ipynb", "the sidebar starts with the index page"

# The docs pre-processing (what `nbdev-proc-nbs` does before quarto renders the site in the GitHub workflow), run
# through nbdev's `proc_nbs` directly: the `nbdev-proc-nbs` command first tries to download and install quarto, and
# tests never touch the network. It executes every exported cell, every cell with an import, every `show_doc` and
# `#| exec_doc` cell, so a notebook whose imports depend on un-exported variables fails here, as it would on the site.
_PROC = r"""
import sys, traceback
from nbdev.serve import proc_nbs
bad = []
for i, name in enumerate(sys.argv[1:]):
    try: proc_nbs(n_workers=0, force=(i == 0), file_glob=name)
    except Exception as e:
        msg = str(e).strip().splitlines()
        bad.append(f"{name}: {msg[0] if msg else type(e).__name__} ... {msg[-1] if msg else ''}")
print("\n".join(bad)); sys.exit(1 if bad else 0)
"""

@pytest.mark.slow
def test_docs_preprocessing_runs(tmp_path):
    import shutil
    # a copy of the project config and notebooks, so that the output (`_proc/`) never collides with a build in the checkout
    shutil.copy(ROOT/"pyproject.toml", tmp_path/"pyproject.toml")
    shutil.copytree(NBS, tmp_path/"nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_proc", "_docs"))
    names = sorted({p.name for p in notebooks()})
    r = python_cmd(_PROC, *names, cwd=tmp_path, timeout=1200, warm=True,     # forked from a warm interpreter
                   env=offline_env(OMP_NUM_THREADS=INHERIT, MKL_NUM_THREADS=INHERIT))   # this checkout's package
    assert r.returncode == 0, f"docs pre-processing failed for:\n{r.stdout[-6000:]}\n{r.stderr[-1500:] if not r.stdout else ''}"
    want = {str(p.relative_to(NBS)) for p in notebooks()}
    done = {str(p.relative_to(tmp_path/"_proc")) for p in (tmp_path/"_proc").rglob("*.ipynb")}
    assert want <= done, f"not processed: {sorted(want - done)}"
