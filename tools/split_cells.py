#!/usr/bin/env python
"""Split the export cells of nbdev notebooks so that each holds one top-level public definition, fastai style.

    python tools/split_cells.py [NOTEBOOK ...]          # rewrite (default: nbs/*.ipynb, not nbs/tutorials)
    python tools/split_cells.py --check [NOTEBOOK ...]  # exit 1 if any notebook would change; writes nothing
    python tools/split_cells.py --plan [NOTEBOOK ...]   # print how each cell would be cut; writes nothing
    python tools/split_cells.py --compare-modules [--ref HEAD]   # after nbdev-export: synthbridge/*.py vs git REF

The pieces of an export cell (`#| export`, `#| exports`, `#| exporti`) are cut at top-level statement boundaries only:
- a *definition*: a public `def`/`class` (consecutive definitions of one name, e.g. `@overload`s, stay together), or a
  public constant followed by its docstring string literal; with it go the private helpers (`_name` functions, classes
  and constants) that sit right before it and that only it uses (use counted over every export cell of the notebook,
  transitively through the other helpers that go with it);
- everything else (imports, plain assignments, public constants without a docstring, helpers used by several
  definitions or by none, `if`/`try` blocks, ...) stays as it is, each run of such statements in one cell.
Comments above a statement go with it (an indented comment right after a block stays with the block); blank lines at
the edges of a piece are dropped. A bare string literal after an assignment is that assignment's docstring and never
leaves it; statements sharing a line (`a; b`) are never separated, nor are a decorator and its definition.

Every piece keeps the cell's directive lines (`#| export` stays `#| export`, `#| exports` stays `#| exports`, and
`#| hide` etc. are carried to every piece: nbdev directives apply to the whole cell they are in) and its metadata. The
first piece keeps the cell's id; the others get ids derived from it (`sha1(id/k)`, 8 hex digits, as nbdev's own), so a
rerun gives the same notebook. A cell that is split again later (one piece edited) gets ids derived from its own id.

A cell is left whole (and reported) when it does not parse (magics), has outputs, has a cell magic, a `default_exp`,
`exportd` or `label` directive, or holds a `from __future__` import (nbdev puts `__all__` after the last such cell).

`show_doc` cells: the code cells made only of `show_doc(X)` calls that directly follow a split cell move up, each to
right after the last piece that matters to it: the piece defining X, or a later one that mentions X (or defines the
attribute, for `show_doc(X.attr)`) outside function bodies. The run stops at the first other cell or at a show_doc
that would go before the one above it, so the docs keep their order; show_doc needs only its object, which is then
final. Other cells (tests, markdown) are never moved.

Before writing, the tool exports each notebook with nbdev, before and after, in memory, and refuses to write a notebook
whose modules' `ast.dump` would change. Only the standard library and nbdev are used."""
import argparse, ast, copy, hashlib, json, re, statistics, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = {"export", "exports", "exporti"}
NO_SPLIT_DIRECTIVES = {"default_exp", "exportd", "label"}
DIRECTIVE = re.compile(r"^\s*#\s*\|")          # fastcore.nbio: a directive line (`#| name: value`)
CELL_MAGIC = re.compile(r"^\s*%%\w+")
BIG = 60                                        # the report counts cells over this many lines

# --- notebook cells
def src(cell) -> str: return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

def set_src(cell, text):
    cell["source"] = text.splitlines(keepends=True)

def partition(text):
    "(leading directive/magic/blank lines, the rest) of a cell's source, as fastcore.nbio's `_partition` cuts it."
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (DIRECTIVE.match(lines[i]) or CELL_MAGIC.match(lines[i]) or not lines[i].strip()): i += 1
    return lines[:i], lines[i:]

def directives(cell) -> dict:
    "{name: value} of a code cell's directives (comment lines and the `nbdev` metadata key)."
    out = {}
    for k, v in ((cell.get("metadata") or {}).get("nbdev") or {}).items(): out[k] = v
    for l in partition(src(cell))[0]:
        m = re.match(r"^\s*#\s*\|\s*([^\s:]+)\s*:?\s?(.*?)\s*$", l)
        if m: out[m.group(1)] = m.group(2)
    return out

def is_export(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(EXPORTS & set(directives(cell)))

# --- statements and units
def names_used(node) -> set:
    "Every identifier `node` mentions: names (any context), `global`/`nonlocal` names and identifier-like strings."
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name): out.add(n.id)
        elif isinstance(n, (ast.Global, ast.Nonlocal)): out.update(n.names)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier(): out.add(n.value)
    return out

def first_line(stmt) -> int:
    return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])

def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)

def _assigned_names(stmt):
    "The names `stmt` assigns when it is `NAME = ...`, `A, B = ...` or `NAME: T = ...` (plain names only), else None."
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t = stmt.targets[0]
        ts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
        if ts and all(isinstance(x, ast.Name) for x in ts): return [x.id for x in ts]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name): return [stmt.target.id]
    return None

def _name(stmt):
    "The name a definition or constant unit goes by: a def/class's name, the one name an assignment sets; else None."
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): return stmt.name
    ns = _assigned_names(stmt)
    if ns and len(ns) == 1: return ns[0]
    if ns and all(not n.startswith("_") for n in ns): return ns[0]     # `A, B = ...`: public, if documented
    return None

class Unit:
    "Top-level statements that no cut may separate; `kind` is 'P' (public definition), 'H' (private helper) or 'M'."
    def __init__(self, stmts):
        self.stmts = stmts
        s = stmts[0]
        self.start, self.end = first_line(s), max(x.end_lineno for x in stmts)
        self.name = _name(s)
        documented = len(stmts) > 1 and _is_docstring(stmts[1])
        is_def = isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if self.name is None: self.kind = "M"
        elif self.name.startswith("_"): self.kind = "H" if is_def or len(_assigned_names(s)) == 1 else "M"
        elif is_def or documented: self.kind = "P"
        else: self.kind = "M"
        self.uses = set().union(*(names_used(x) for x in stmts))
    def __repr__(self): return f"{self.kind}:{self.name or '-'}@{self.start}-{self.end}"

class Opaque:
    "Stands for an export cell that does not parse: every identifier in its text counts as used."
    kind, name, stmts = "M", None, []
    def __init__(self, text): self.uses = set(re.findall(r"[A-Za-z_]\w*", text))

def _after_assignment(stmts) -> bool:
    "Whether `stmts` end with an assignment, or with an assignment and string literals (its docstring, in parts)."
    i = len(stmts) - 1
    while i >= 0 and _is_docstring(stmts[i]): i -= 1
    return i >= 0 and isinstance(stmts[i], (ast.Assign, ast.AnnAssign))

def units(tree) -> list:
    "The cell's top-level statements grouped into units."
    out = []
    for s in tree.body:
        prev = out[-1] if out else None
        if prev and (first_line(s) <= prev.end                                      # `a; b` on one line
                     or (_is_docstring(s) and _after_assignment(prev.stmts))      # an assignment's docstring
                     or (isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                         and prev.kind in "PH" and getattr(prev.stmts[0], "name", None) == s.name)):  # @overload
            out[-1] = Unit(prev.stmts + [s])
        else: out.append(Unit([s]))
    return out

# --- where to cut
def helper_users(all_units) -> dict:
    "{helper name: set of ids of the units (other than its own) that use it}; names defined twice map to None."
    defs = {}
    for u in all_units:
        if u.kind == "H": defs[u.name] = None if u.name in defs else id(u)
    users = {n: set() for n in defs}
    for u in all_units:
        for n in u.uses & users.keys():
            if id(u) != defs[n]: users[n].add(id(u))
    return {n: (None if defs[n] is None else users[n]) for n in defs}

def _group_ok(helpers, p, users) -> bool:
    "Whether `helpers` (the units right before public unit `p`) serve only `p`, each reached from `p` through them."
    ids = {id(h) for h in helpers} | {id(p)}
    for h in helpers:
        us = users.get(h.name)
        if not us or not us <= ids: return False
    reached, todo = set(), [p]
    while todo:
        u = todo.pop()
        for h in helpers:
            if id(h) not in reached and h.name in u.uses: reached.add(id(h)); todo.append(h)
    return len(reached) == len(helpers)

def chunks(us, users) -> list:
    "Cut the units `us` into lists of units: one per public definition with its helpers, one per run of the rest."
    out, rest = [], []
    for u in us:
        if u.kind != "P":
            rest.append(u); continue
        run = 0                                            # the helpers right before `u`, nearest last
        while run < len(rest) and rest[len(rest) - 1 - run].kind == "H": run += 1
        take = next((k for k in range(run, 0, -1) if _group_ok(rest[len(rest) - k:], u, users)), 0)
        keep = rest[:len(rest) - take]
        if keep: out.append(keep)
        out.append(rest[len(rest) - take:] + [u]); rest = []
    if rest: out.append(rest)
    return out

def cut_lines(body_lines, groups) -> list:
    """The source lines of each group of units. The lines between two units go to the second, except indented
    comment lines right after the first (they are inside its block)."""
    bounds = []                                            # 0-based first line of each group
    for k, g in enumerate(groups):
        if k == 0: bounds.append(0); continue
        prev_end, start = groups[k - 1][-1].end, g[0].start    # 1-based, inclusive
        b = prev_end                                       # 0-based index of the first gap line
        while b < start - 1 and body_lines[b].strip().startswith("#") and body_lines[b][:1] in " \t": b += 1
        bounds.append(b)
    bounds.append(len(body_lines))
    return [body_lines[bounds[k]:bounds[k + 1]] for k in range(len(groups))]

def _strip_blank(lines):
    lines = list(lines)
    while lines and not lines[0].strip(): lines.pop(0)
    while lines and not lines[-1].strip(): lines.pop()
    if lines: lines[-1] = lines[-1].rstrip("\n").rstrip("\r")
    return lines

# --- one notebook
def _new_id(base, k, taken):
    salt = ""
    while True:
        cid = hashlib.sha1(f"{base}/{k}{salt}".encode()).hexdigest()[:8]
        if cid not in taken: return cid
        salt += "+"

def _why_whole(cell, text):
    d = directives(cell)
    if NO_SPLIT_DIRECTIVES & set(d): return f"directive {sorted(NO_SPLIT_DIRECTIVES & set(d))}"
    if cell.get("outputs"): return "has outputs"
    dirs, body = partition(text)
    if any(CELL_MAGIC.match(l) for l in dirs): return "cell magic"
    try: tree = ast.parse("".join(body))
    except SyntaxError as e: return f"does not parse ({e.msg}, line {e.lineno})"
    if any(isinstance(s, ast.ImportFrom) and s.module == "__future__" for s in tree.body):
        return "has a `from __future__` import (nbdev puts `__all__` right after it)"
    return None

def show_doc_targets(cell):
    "The targets (as dotted strings) of a code cell made only of `show_doc(X, literal kwargs)` calls, else None."
    if cell.get("cell_type") != "code": return None
    dirs, body = partition(src(cell))
    if any(CELL_MAGIC.match(l) for l in dirs): return None
    try: tree = ast.parse("".join(body))
    except SyntaxError: return None
    out = []
    for s in tree.body:
        c = getattr(s, "value", None)
        if not (isinstance(s, ast.Expr) and isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                and c.func.id == "show_doc" and len(c.args) == 1): return None
        if any(not isinstance(k.value, ast.Constant) for k in c.keywords): return None
        t, parts = c.args[0], []
        while isinstance(t, ast.Attribute): parts.insert(0, t.attr); t = t.value
        if not isinstance(t, ast.Name): return None
        out.append([t.id] + parts)
    return out or None

def import_time_names(node) -> set:
    """The names `node` binds or mentions when it runs: everything but the bodies of functions and lambdas (their
    decorators and defaults count, and their annotations when they are decorated)."""
    out = set()
    def visit(n):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(n, ast.Lambda): out.add(n.name)
            a = n.args
            parts = list(getattr(n, "decorator_list", [])) + a.defaults + [d for d in a.kw_defaults if d is not None]
            if getattr(n, "decorator_list", None):
                parts += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
                          if x is not None and x.annotation is not None] + ([n.returns] if n.returns else [])
            for x in parts: visit(x)
            return
        if isinstance(n, ast.ClassDef): out.add(n.name)
        if isinstance(n, ast.Name): out.add(n.id)
        elif isinstance(n, ast.alias): out.add((n.asname or n.name).split(".")[0])
        for ch in ast.iter_child_nodes(n): visit(ch)
    visit(node)
    return out

def _piece_of(target, groups):
    """The last piece whose running may matter to `show_doc(target)`: the one that defines its root name, or a later
    one that mentions that name (or defines the attribute) when it runs; None if no piece defines the root."""
    root = next((k for k, g in enumerate(groups) for u in g if u.kind in "PH" and u.name == target[0]), None)
    if root is None: return None
    k_max = root
    for k, g in enumerate(groups):
        names = set().union(*(import_time_names(s) for u in g for s in u.stmts))
        if target[0] in names or set(target[1:]) & names: k_max = max(k_max, k)
    return k_max

def split_notebook(nb) -> tuple:
    "(new notebook, log) with the export cells split; `log` has one entry per export cell."
    cells, log = nb["cells"], []
    parsed, all_units = {}, []                             # index of export cell -> (dirs, body lines, units) or why
    for i, c in enumerate(cells):
        if not is_export(c): continue
        text = src(c)
        dirs, body = partition(text)
        try: us = units(ast.parse("".join(body)))
        except SyntaxError: us = [Opaque(text)]        # its names still count as uses of the helpers
        all_units += us
        parsed[i] = _why_whole(c, text) or (dirs, body, us)
    users = helper_users(all_units)
    taken = {c.get("id") for c in cells}
    out, moved = [], set()
    for i, c in enumerate(cells):
        if i in moved: continue
        v = parsed.get(i)
        if v is None: out.append(c); continue
        if isinstance(v, str):
            n = n_definitions(c)
            if n is None or n > 1: log.append(dict(cell=c.get("id"), pieces=1, whole=v))
            out.append(c); continue
        dirs, body, us = v
        groups = chunks(us, users)
        # never start a piece with a line nbdev would read as a directive or magic: keep it with the piece before
        pieces = []
        for g, lines in zip(groups, cut_lines(body, groups)):
            lines = _strip_blank(lines)
            if pieces and (not lines or DIRECTIVE.match(lines[0]) or CELL_MAGIC.match(lines[0])):
                pieces[-1] = (pieces[-1][0] + g, pieces[-1][1] + [""] + lines)
            else: pieces.append((g, lines))
        groups = [p[0] for p in pieces]
        entry = dict(cell=c.get("id"), pieces=len(pieces), names=[[u.name or "-" for u in g] for g in groups])
        log.append(entry)
        if len(pieces) == 1: out.append(c); continue
        head = "".join(l if l.endswith("\n") else l + "\n" for l in dirs if l.strip())
        texts = [head + "\n".join(l.rstrip("\n") for l in lines) for _, lines in pieces]
        # the pieces must be the cell's statements, in order, and each must parse alone
        bodies = ["".join(partition(t)[1]) for t in texts]
        try: same = all(ast.parse(b) for b in bodies) and \
                    ast.dump(ast.parse("\n".join(bodies))) == ast.dump(ast.parse("".join(body)))
        except SyntaxError: same = False
        if not same:
            entry.update(pieces=1, whole="internal check failed: the pieces differ from the cell")
            out.append(c); continue
        new = []
        for k, t in enumerate(texts):
            p = copy.deepcopy(c)
            if k: p["id"] = _new_id(c.get("id") or "cell", k, taken); taken.add(p["id"])
            set_src(p, t); new.append(p)
        # show_doc cells right after the cell, in the pieces' order: each after its piece
        after, j, last = [[] for _ in new], i + 1, 0
        rebinds_show_doc = any("show_doc" in import_time_names(s) for g in groups for u in g for s in u.stmts)
        while j < len(cells) and not rebinds_show_doc:
            t = show_doc_targets(cells[j])
            if t is None: break
            ks = [_piece_of(x, groups) for x in t]
            if None in ks or max(ks) < last: break
            last = max(ks); after[last].append(cells[j]); moved.add(j); j += 1
        if any(after[:-1]): entry["show_doc_moved"] = sum(len(a) for a in after[:-1])
        for p, a in zip(new, after): out += [p] + a
    nb2 = dict(nb); nb2["cells"] = out
    return nb2, log

# --- statistics
def n_definitions(cell):
    "How many public definitions (units of kind P) an export cell holds; None if it does not parse."
    try: return sum(u.kind == "P" for u in units(ast.parse("".join(partition(src(cell))[1]))))
    except SyntaxError: return None

def long_cells(nb):
    "(cell, what it holds) for each export cell over BIG lines."
    out = []
    for c in nb["cells"]:
        if not is_export(c) or len(src(c).splitlines()) <= BIG: continue
        try: us = units(ast.parse("".join(partition(src(c))[1])))
        except SyntaxError: out.append((c, "does not parse")); continue
        ps = [u for u in us if u.kind == "P"]
        what = (f"one definition ({ps[0].name}, {ps[0].end - ps[0].start + 1} lines)" if len(ps) == 1 and len(us) == 1
                else f"{ps[-1].name} with {len(us) - 1} helper(s)/statement(s): "
                     + ", ".join(u.name or "-" for u in us[:-1])
                if len(ps) == 1 else f"{len(us)} statements, no public definition" if not ps
                else f"{len(ps)} definitions: " + ", ".join(u.name for u in ps))
        out.append((c, what))
    return out

def export_sizes(nb) -> list:
    return [len(src(c).splitlines()) for c in nb["cells"] if is_export(c)]

def stats(sizes):
    if not sizes: return dict(cells=0, median=0, max=0, over=0)
    return dict(cells=len(sizes), median=f"{statistics.median(sizes):g}", max=max(sizes),
                over=sum(s > BIG for s in sizes))

# --- reading/writing: the format nbdev-clean writes (fastcore.nbio.nb2str)
def dumps(nb): return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"

# --- verification with nbdev's exporter
def export_asts(nb, nb_path) -> dict:
    "{module file name: ast.dump} of what nbdev-export writes for notebook `nb` (exported in memory, to a temp dir)."
    from fastcore.nbio import dict2nb
    from nbdev.export import ExportModuleProc
    from nbdev.maker import ModuleMaker
    from nbdev.process import NBProcessor
    exp = ExportModuleProc()
    NBProcessor(nb=dict2nb(copy.deepcopy(nb)), procs=[exp]).process()
    out = {}
    with tempfile.TemporaryDirectory() as d:
        lib = Path(d)/"lib"
        for mod, cs in exp.modules.items():
            if not any(o.cell_type == "code" and "exportd" not in o.directives_ for o in cs): continue
            nm = getattr(exp, "default_exp", None) if mod == "#" else mod
            if not nm: continue
            mm = ModuleMaker(dest=lib, name=nm, nb_path=nb_path, is_new=True)
            mm.make(cs, exp.in_all[mod], lib_path=lib)
        for p in sorted(lib.rglob("*.py")):
            out[str(p.relative_to(lib))] = ast.dump(ast.parse(p.read_text(encoding="utf-8")))
    return out

def compare_modules(ref="HEAD", pkg="synthbridge") -> bool:
    "Table: for each module, whether its AST and its text without `# %%` lines match git `ref`."
    ok = True
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("# %%")]
    squeeze = lambda ls: [l for l in ls if l.strip()]
    print(f"{'module':<24} {'ast':<10} {'text w/o # %%':<14} {'ignoring blank lines':<20}")
    for p in sorted((ROOT/pkg).glob("*.py")):
        rel = p.relative_to(ROOT).as_posix()
        r = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=ROOT, capture_output=True, text=True)
        if r.returncode: print(f"{p.name:<24} {'new':<10}"); ok = False; continue
        old, new = r.stdout, p.read_text(encoding="utf-8")
        same_ast = ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
        same_txt, same_sq = strip(old) == strip(new), squeeze(strip(old)) == squeeze(strip(new))
        ok &= same_ast and same_sq
        print(f"{p.name:<24} {'identical' if same_ast else 'DIFFERENT':<10} {'same' if same_txt else 'differs':<14} "
              f"{'same' if same_sq else 'DIFFERS':<20}")
    print("all modules identical" if ok else "SOME MODULES DIFFER")
    return ok

# --- main
def default_notebooks(): return sorted((ROOT/"nbs").glob("*.ipynb"))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="exit 1 if any notebook would change; write nothing")
    ap.add_argument("--plan", action="store_true", help="print the cuts of every split cell; write nothing")
    ap.add_argument("--no-verify", action="store_true", help="skip the in-memory nbdev export before/after")
    ap.add_argument("--compare-modules", action="store_true", help="compare the package's modules with git --ref")
    ap.add_argument("--ref", default="HEAD")
    a = ap.parse_args(argv)
    if a.compare_modules: return 0 if compare_modules(a.ref) else 1
    nbs = a.notebooks or default_notebooks()
    changed, whole, rows, refused, big = [], [], [], [], []
    for path in nbs:
        nb = json.loads(path.read_text(encoding="utf-8"))
        new, log = split_notebook(nb)
        text = dumps(new)
        rel = path.resolve().relative_to(ROOT).as_posix() if path.resolve().is_relative_to(ROOT) else str(path)
        if text != dumps(nb) and not a.no_verify:
            before, after = export_asts(nb, path), export_asts(new, path)
            if before != after:
                refused.append(rel); print(f"{rel}: REFUSED, the exported module would change", file=sys.stderr)
                continue
        rows.append((path.name, export_sizes(nb), export_sizes(new)))
        big += [f"{rel} cell {c.get('id')}: {len(src(c).splitlines())} lines, {what}" for c, what in long_cells(new)]
        for e in log:
            if e.get("whole"): whole.append(f"{rel} cell {e['cell']}: {e['whole']}")
            if a.plan and e["pieces"] > 1:
                print(f"{rel} cell {e['cell']} -> {e['pieces']} cells: "
                      + " | ".join(",".join(g) for g in e["names"])
                      + (f"  (+{e['show_doc_moved']} show_doc cells moved)" if e.get("show_doc_moved") else ""))
        if text != dumps(nb):
            changed.append(rel)
            if not (a.check or a.plan): path.write_text(text, encoding="utf-8")
    # report
    print(f"\n{'notebook':<24} {'export cells':>14} {'median lines':>14} {'max lines':>12} {f'over {BIG}':>10}")
    def row(name, b, n):
        f = lambda k: f"{b[k]}->{n[k]}"
        print(f"{name:<24} {f('cells'):>14} {f('median'):>14} {f('max'):>12} {f('over'):>10}")
    for name, b, n in rows:
        if b: row(name, stats(b), stats(n))
    row("all", stats([x for r in rows for x in r[1]]), stats([x for r in rows for x in r[2]]))
    if whole:
        print("\nleft whole:"); print("\n".join("  " + w for w in whole))
    if big:
        print(f"\nexport cells still over {BIG} lines:"); print("\n".join("  " + b for b in big))
    if refused: print("\nrefused (module would change): " + ", ".join(refused))
    verb = "would change" if (a.check or a.plan) else "rewritten"
    print(f"\n{len(changed)} notebook(s) {verb}" + (": " + ", ".join(changed) if changed else ""))
    if refused: return 2
    return 1 if a.check and changed else 0

if __name__ == "__main__": sys.exit(main())
