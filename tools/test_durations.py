#!/usr/bin/env python
"""Write tests/durations.json from the log of a pytest run with `--durations=0`: each test's seconds (set-up, call and
tear-down added). `tests/conftest.py` starts the longest tests first, so that pytest-xdist's workers finish together.

    python -m pytest -n 2 --dist loadgroup --durations=0 tests > run.log; python tools/test_durations.py run.log
"""
import json, re, sys
from pathlib import Path

LINE = re.compile(r"^(\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(\S+)$")

def durations(log: str) -> dict:
    "{test id: seconds} from pytest's `slowest durations` lines."
    seconds = {}
    for line in log.splitlines():
        if m := LINE.match(line.strip()): seconds[m[2]] = seconds.get(m[2], 0.0) + float(m[1])
    return {k: round(v, 2) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}

if __name__ == "__main__":
    if len(sys.argv) != 2: sys.exit(__doc__)
    found = durations(Path(sys.argv[1]).read_text())
    if not found: sys.exit(f"{sys.argv[1]}: no `--durations=0` lines found")
    out = Path(__file__).resolve().parent.parent/"tests"/"durations.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(found, indent=0) + "\n"); tmp.replace(out)
    print(f"{out}: {len(found)} tests, {sum(found.values()):.0f} s in all")
