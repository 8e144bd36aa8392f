#!/usr/bin/env python
"""Render nbs/index.ipynb to README.md without quarto (which cannot run everywhere nbdev does).

`python tools/nb2readme.py` writes README.md; `--check` exits 1 when README.md is out of step.
Markdown cells are copied; code cells (unless `#| hide` or `#| eval: false` with `#| echo: false`) become
```python blocks with their directives removed; outputs are not included.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def render(nb_path=ROOT/"nbs"/"index.ipynb") -> str:
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb["cells"]:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        if c["cell_type"] == "markdown":
            m = re.match(r"^# (.+)\n+> (.+)", src)
            if m and not parts:  # the title cell: heading + description quote
                src = f"# {m.group(1)}\n\n> {m.group(2)}" + src[m.end():]
            parts.append(re.sub(r"\]\((?!https?:|/)", "](nbs/", src.strip()))  # image/link paths relative to nbs/
        elif c["cell_type"] == "code":
            lines = src.splitlines()
            directives = [l for l in lines if l.startswith("#|")]
            if any(re.match(r"#\|\s*(hide|echo:\s*false)", d) for d in directives): continue
            code = "\n".join(l for l in lines if not l.startswith("#|")).strip()
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
