#!/usr/bin/env python
"""pip's package sources as uv's command-line options, one per line: `python tools/uv_args.py`.

uv installs the same packages as pip (torch's CUDA build with its NVIDIA libraries is about 5 GB unpacked) in
about a minute where pip takes three, but it does not read pip's configuration. This passes on what pip would use: its
index, extra indexes, find-links and constraint files (from `pip config list`, which includes PIP_* variables),
and asks uv to pick the best version over all indexes, as pip does (uv's default takes each package from the first
index that has it, which can be an older release on a local mirror). Prints nothing extra where pip has no such
settings. `.ci/setup` and the wheel test (`tests/test_wheel.py`) use it.
"""
import shlex, subprocess, sys

KEYS = ("index-url", "extra-index-url", "find-links", "constraint")
"pip's settings that name package sources; uv takes each under the same option name (`--KEY`)."

def pip_config(python: str = sys.executable) -> str:
    "What `pip config list` prints for `python`'s pip (its files and PIP_* variables)."
    return subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout

def uv_args(config: str) -> list[str]:
    """uv options for the sources in `config` (`pip config list`'s output: `scope.key='value'` lines, a value holding
    whitespace-separated entries as pip reads it), each entry once, in pip's order, then the index strategy pip
    follows."""
    args, seen = [], set()
    for line in config.splitlines():
        key, sep, value = line.partition("=")
        key = key.rsplit(".", 1)[-1]
        if not sep or key not in KEYS: continue
        for v in " ".join(shlex.split(value)).split():
            if (key, v) in seen: continue
            seen.add((key, v))
            args += [f"--{key}", v]
    return [*args, "--index-strategy", "unsafe-best-match"]

if __name__ == "__main__":
    print("\n".join(uv_args(pip_config(sys.argv[1] if len(sys.argv) > 1 else sys.executable))))
