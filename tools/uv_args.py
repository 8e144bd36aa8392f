#!/usr/bin/env python
"""pip's package sources as uv's command-line options, one per line: `python tools/uv_args.py`.

uv installs the same packages as pip (torch's CUDA build with its NVIDIA libraries is about 5 GB unpacked) in
seconds where pip takes minutes, but it does not read pip's configuration. This passes on what pip would use: its
index, extra indexes, find-links and constraint files (from `pip config list`, which includes PIP_* variables),
and asks uv to pick the best version over all indexes, as pip does (uv's default takes each package from the first
index that has it, which can be an older release on a local mirror). Prints nothing extra where pip has no such
settings. `.ci/setup` and the wheel test (`tests/test_wheel.py`) use it.
"""
import shlex, subprocess, sys

FLAGS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links",
         "constraint": "--constraint"}

def pip_config(python: str = sys.executable) -> list[tuple[str, str]]:
    "(key, value) pairs of `pip config list`: key without its scope ('global.', ':env:.'), value unquoted."
    r = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True)
    pairs = []
    for line in r.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep: pairs.append((key.rsplit(".", 1)[-1], " ".join(shlex.split(value))))
    return pairs

def uv_args(python: str = sys.executable) -> list[str]:
    "uv options for pip's sources, each value once, in pip's order, then the index strategy pip follows."
    args, seen = [], set()
    for key, value in pip_config(python):
        if key not in FLAGS: continue
        for v in value.split():
            if (key, v) in seen: continue
            seen.add((key, v))
            args += [FLAGS[key], v]
    return [*args, "--index-strategy", "unsafe-best-match"]

if __name__ == "__main__":
    print("\n".join(uv_args(sys.argv[1] if len(sys.argv) > 1 else sys.executable)))
