"""The house rules of the package, checked on the source (parsed with `ast`, nothing imported, so this is fast):

(a) no module imports a private name (`_name`) from another synthbridge module, function-local imports included;
(b) no import cycle among synthbridge's modules, function-local imports included;
(c) the command line is the top floor: no module below it (`COMMAND_LAYER`) imports it;
(e) the folders are layers, in `LAYERS` order from the ground up: a module imports only its own layer and those below;
(d) the re-exporting faces (`FACADES`: `synthbridge.data`, `synthbridge.experiment`) are for users: the package's own
    modules import from the module that defines a name.

Module length and line width are not rules: they are guides for readers, and code is never compacted or split to fit
a number (a cohesive 700-line module reads better than a compacted 600-line one).

`PENDING` names modules that are being rewritten on another branch; they are exempt until then, and the test fails
when one of them no longer breaks any rule (so the exemption is removed as soon as it is not needed).
"""
import ast
from pathlib import Path
import pytest
from conftest import package_modules

PKG = Path(__file__).resolve().parent.parent/"synthbridge"
COMMAND_LAYER = {"interface.cli", "interface.commands", "all"}   # `all` re-exports every public name, the command layer's included
PENDING = set()
FACADES = {"data", "experiment", "all"}
LAYERS = ["core", "prompts", "data", "generation", "testing", "training", "experiment", "miniature", "interface", "all"]

def layer(module) -> int:
    "The floor of a module: the place of its folder (or of itself, at the package's top) in `LAYERS`."
    return LAYERS.index(module.split(".")[0])

def modules(pkg=PKG) -> dict:
    "{dotted module name: source} of the package's modules, subpackages included (nbdev's `_modidx` left out)."
    return {m: p.read_text(encoding="utf-8") for m, p in package_modules(pkg).items()}

def _package(name, mods) -> str:
    "The package a relative import in module `name` starts from (`data` for `data/__init__.py`, else its parent)."
    return name if any(m.startswith(name + ".") for m in mods) else name.rpartition(".")[0]

def _target(full, mods):
    "The package module `full` (dotted, without 'synthbridge.') names, or its longest prefix that is one."
    while full and full not in mods: full = full.rpartition(".")[0]
    return full or None

def imports(name, text, mods) -> list:
    "(target module, imported names, line) of every import of a package module in `text`, at any depth."
    out = []
    for n in ast.walk(ast.parse(text)):
        if isinstance(n, ast.ImportFrom):
            if n.level:
                base = _package(name, mods).split(".") if _package(name, mods) else []
                base = base[:len(base) - (n.level - 1)] if n.level > 1 else base
                full = ".".join(base + ([n.module] if n.module else []))
            else:
                mod = n.module or ""
                if mod != "synthbridge" and not mod.startswith("synthbridge."): continue
                full = mod.removeprefix("synthbridge").lstrip(".")
            subs = [f"{full}.{a.name}".lstrip(".") for a in n.names]
            if any(s in mods for s in subs):                             # from synthbridge.data import world
                out += [(s, [], n.lineno) for s in subs if s in mods]
            elif _target(full, mods):
                out.append((_target(full, mods), [a.name for a in n.names], n.lineno))
        elif isinstance(n, ast.Import):
            out += [(_target(a.name.removeprefix("synthbridge."), mods), [], n.lineno) for a in n.names
                    if a.name.startswith("synthbridge.")]
    return [(t, names, line) for t, names, line in out if t and t != name and t in mods]

def private_imports(mods) -> list:
    "'importer:line imports _name from target' for each private name imported across modules."
    return [f"{m}:{line} imports {a} from {t}" for m, text in mods.items() for t, names, line in imports(m, text, mods)
            for a in names if a.startswith("_") and not a.startswith("__")]

def graph(mods) -> dict:
    return {m: {t for t, _, _ in imports(m, text, mods)} for m, text in mods.items()}

def cycles(g) -> list:
    "The strongly connected components of `g` with more than one module (Tarjan), each sorted."
    index, low, stack, on, out = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index); stack.append(v); on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    for v in sorted(g):
        if v not in index: visit(v)
    return out

def problems(mods, pending=frozenset()) -> dict:
    "{rule: [what breaks it]} over `mods`, modules in `pending` exempt."
    return dict(
        private=[p for p in private_imports(mods) if p.split(":")[0] not in pending],
        cycles=[c for c in cycles(graph(mods)) if not set(c) <= set(pending)],
        upward=[f"{m}:{line} imports {t}" for m, text in mods.items() if m not in COMMAND_LAYER
                for t, _, line in imports(m, text, mods) if t in COMMAND_LAYER],
        layers=[f"{m}:{line} imports {t}" for m, text in mods.items() if m.split(".")[0] in LAYERS
                for t, _, line in imports(m, text, mods) if t.split(".")[0] in LAYERS and layer(t) > layer(m)],
        facade=[f"{m}:{line} imports {t}" for m, text in mods.items() if m not in FACADES
                for t, _, line in imports(m, text, mods) if t in FACADES])

# --- the checker itself, on a made-up package: each rule catches what it should
def test_checker_finds_private_imports_and_cycles(tmp_path):
    (tmp_path/"a.py").write_text("from .b import f\ndef g():\n    from synthbridge.c import _h\n")
    (tmp_path/"b.py").write_text("def f():\n    from synthbridge import a\n")
    (tmp_path/"c.py").write_text("def _h(): pass\n")
    mods = modules(tmp_path)
    p = problems(mods)
    assert p["private"] == ["a:3 imports _h from c"]
    assert p["cycles"] == [["a", "b"]]                                # `from synthbridge import a` inside a function
    assert p["upward"] == []
    assert problems(mods, pending={"a", "b", "c"}) == dict(private=[], cycles=[], upward=[], layers=[], facade=[])
    (tmp_path/"interface").mkdir()                                   # subpackages: dotted names, relative imports
    (tmp_path/"interface"/"__init__.py").write_text("")
    (tmp_path/"interface"/"cli.py").write_text("from ..c import _h\nfrom . import commands\ndef main(): pass\n")
    (tmp_path/"interface"/"commands.py").write_text("")
    (tmp_path/"c.py").write_text("def _h():\n    from synthbridge.interface.cli import main\n")
    p = problems(modules(tmp_path))
    assert p["upward"] == ["c:2 imports interface.cli"]
    assert p["private"] == ["a:3 imports _h from c", "interface.cli:1 imports _h from c"]
    assert ["c", "interface.cli"] in p["cycles"]
    (tmp_path/"data").mkdir(); (tmp_path/"data"/"__init__.py").write_text("from .parts import *\n")
    (tmp_path/"data"/"parts.py").write_text("def f(): pass\n")
    (tmp_path/"b.py").write_text("from synthbridge.data import f\nfrom synthbridge.data.parts import f\n")
    assert problems(modules(tmp_path))["facade"] == ["b:1 imports data"]
    (tmp_path/"data"/"low.py").write_text("from ..interface.commands import x\n")      # a layer reaching up
    assert problems(modules(tmp_path))["layers"] == ["data.low:1 imports interface.commands"]

# --- the rules, on the package
def test_no_private_name_imported_across_modules():
    bad = problems(modules(), PENDING)["private"]
    assert not bad, "private names imported from another module (make them public, or move them):\n" + "\n".join(bad)

def test_no_import_cycle():
    bad = problems(modules(), PENDING)["cycles"]
    assert not bad, f"import cycles among synthbridge modules (function-local imports count): {bad}"

def test_nothing_below_the_command_line_imports_it():
    bad = problems(modules(), PENDING)["upward"]
    assert not bad, "modules below the command layer import it (move the code up, or pass what it needs down):\n" + \
        "\n".join(bad)

def test_each_layer_imports_only_the_layers_below():
    mods = modules()
    assert {m.split(".")[0] for m in mods} <= set(LAYERS), "a new folder or top-level module: give it a place in LAYERS"
    bad = problems(mods, PENDING)["layers"]
    assert not bad, f"imports from a higher layer ({' < '.join(LAYERS)}):\n" + "\n".join(bad)

def test_the_package_imports_no_facade():
    bad = problems(modules(), PENDING)["facade"]
    assert not bad, "the package imports a re-exporting face (import from the defining module):\n" + "\n".join(bad)

def test_pending_modules_still_need_their_exemption():
    mods = modules()
    for m in sorted(PENDING):
        if m not in mods: continue
        others = PENDING - {m}
        with_m, without_m = problems(mods, PENDING), problems(mods, others)
        assert with_m != without_m, \
            f"synthbridge.{m} keeps every house rule now: remove it from PENDING in tests/test_house.py"
