#!/usr/bin/env python
"""Render nbs/index.ipynb to README.md without quarto (which cannot run everywhere nbdev does).

`python tools/nb2readme.py` writes README.md; `--check` exits 1 when README.md is out of step.
Markdown cells are copied; code cells (unless `#| hide` or `#| eval: false` with `#| echo: false`) become
```python blocks with their directives removed; outputs are not included.

Measured numbers come from committed result files through code: a cell marked `#| exec_doc` is run (as nbdev's docs
build runs it), in order, in one namespace, by one Python process in the notebook's folder with this checkout's
package importable; a cell also marked `#| output: asis` is replaced by the markdown it prints, as quarto shows it on
the docs site. An asis cell must be `#| exec_doc` (else the docs build would leave it empty).
"""
import json, os, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def _src(c) -> str: return c["source"] if isinstance(c["source"], str) else "".join(c["source"])

def directives(src: str) -> dict:
    "{name: value} of a code cell's `#| name: value` lines (`#| hide` gives {'hide': ''})."
    out = {}
    for line in src.splitlines():
        m = re.match(r"#\|\s*([\w-]+)\s*:?\s*(.*)$", line)
        if m: out[m.group(1)] = m.group(2).strip()
    return out

def _code(src: str) -> str: return "\n".join(l for l in src.splitlines() if not l.startswith("#|")).strip()

_RUNNER = r"""
import contextlib, io, json, sys
cells, ns, out = json.loads(sys.stdin.read()), {"__name__": "__main__"}, []
for code in cells:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf): exec(compile(code, "<exec_doc cell>", "exec"), ns)
    out.append(buf.getvalue())
print(json.dumps(out))
"""

def asis_outputs(nb_path) -> dict:
    "{cell index: printed text} of the `#| output: asis` cells of `nb_path`, running its `#| exec_doc` cells."
    nb_path = Path(nb_path)
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    run = [(i, directives(_src(c))) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    run = [(i, d) for i, d in run if "exec_doc" in d or d.get("output") == "asis"]
    bad = [i for i, d in run if "exec_doc" not in d]
    if bad: raise ValueError(f"{nb_path}: cell(s) {bad} are `#| output: asis` without `#| exec_doc`: the docs build "
                             "would not run them")
    if not run: return {}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    r = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps([_code(_src(cells[i])) for i, _ in run]),
                       capture_output=True, text=True, cwd=nb_path.parent, env=env)
    if r.returncode: raise RuntimeError(f"{nb_path}: an `#| exec_doc` cell failed:\n{r.stderr.strip()[-3000:]}")
    printed = json.loads(r.stdout.strip().splitlines()[-1])
    return {i: text for (i, d), text in zip(run, printed) if d.get("output") == "asis"}

def _links(md: str) -> str: return re.sub(r"\]\((?!https?:|/)", "](nbs/", md)  # image/link paths relative to nbs/

def render(nb_path=ROOT/"nbs"/"index.ipynb") -> str:
    nb = json.loads(Path(nb_path).read_text())
    asis = asis_outputs(nb_path)
    parts = []
    for i, c in enumerate(nb["cells"]):
        src = _src(c)
        if c["cell_type"] == "markdown":
            m = re.match(r"^# (.+)\n+> (.+)", src)
            if m and not parts:  # the title cell: heading + description quote
                src = f"# {m.group(1)}\n\n> {m.group(2)}" + src[m.end():]
            parts.append(_links(src.strip()))
        elif i in asis:
            if asis[i].strip(): parts.append(_links(asis[i].strip()))
        elif c["cell_type"] == "code":
            lines = src.splitlines()
            found = [l for l in lines if l.startswith("#|")]
            if any(re.match(r"#\|\s*(hide|echo:\s*false)", d) for d in found): continue
            code = _code(src)
            if code: parts.append(f"```python\n{code}\n```")
    note = "<!-- This file is generated from nbs/index.ipynb by tools/nb2readme.py: edit the notebook, not this file. -->"
    return note + "\n\n" + "\n\n".join(parts) + "\n"

if __name__ == "__main__":
    text = render()
    readme = ROOT/"README.md"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is out of step with nbs/index.ipynb: run `python tools/nb2readme.py`"); sys.exit(1)
        print("README.md matches nbs/index.ipynb")
    else:
        readme.write_text(text); print("wrote README.md")
