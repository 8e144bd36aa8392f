#!/usr/bin/env python
"""Convert a percent-format .py draft into an .ipynb (no execution, no outputs).

Cells start with a line `# %%` (code) or `# %% [markdown]` (markdown; each line's leading `# ` is removed).
Usage: py2nb.py draft.py nbs/NN_name.ipynb
"""
import hashlib, json, sys, re
src, dst = sys.argv[1], sys.argv[2]
cells, cur, kind = [], [], None
def flush():
    global cur
    if kind is None: return
    lines = cur[:]
    while lines and not lines[-1].strip(): lines.pop()
    while lines and not lines[0].strip(): lines.pop(0)
    if kind == 'markdown': lines = [re.sub(r'^# ?', '', l) for l in lines]
    text = '\n'.join(lines)
    cid = hashlib.sha1(f'{len(cells)}:{text}'.encode()).hexdigest()[:8]  # stable ids: regenerating gives the same export
    c = dict(cell_type=kind, id=cid, metadata={}, source=text)
    if kind == 'code': c.update(execution_count=None, outputs=[])
    cells.append(c)
for line in open(src).read().split('\n'):
    if line.startswith('# %%'):
        flush(); cur = []
        kind = 'markdown' if '[markdown]' in line else 'code'
    else:
        if kind is None: kind = 'code'
        cur.append(line)
flush()
nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
          nbformat=4, nbformat_minor=5)
json.dump(nb, open(dst, 'w'), indent=1, ensure_ascii=False); open(dst, 'a').write('\n')
print(f'{dst}: {len(cells)} cells')
