"Package-level checks: light import, console script, README in step with the index notebook."
import os, sys
from pathlib import Path
from conftest import ROOT, python_cmd, run

def test_import_is_light():
    r = python_cmd("import synthbridge, synthbridge.interface.cli, sys; "
                   "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'fastai', 'timm') if m in sys.modules]; "
                   "assert not heavy, heavy", env=dict(os.environ), timeout=300)
    assert r.returncode == 0, r.stderr

def test_console_script_help_and_version():
    "The installed entry point (this process's environment: its PYTHONPATH, if any, says which package it imports)."
    exe = Path(sys.executable).parent/"synthbridge"
    r = run([exe, "--help"], env=dict(os.environ), timeout=300)
    assert r.returncode == 0 and "usage: synthbridge" in r.stdout, r.stderr
    r = run([exe, "--version"], env=dict(os.environ), timeout=300)
    import synthbridge
    assert r.returncode == 0 and r.stdout.strip() == f"synthbridge {synthbridge.__version__}"

def test_cli_without_command_is_usage_error():
    "`python -m synthbridge.interface.cli` (the module's own `__main__` entry) with no command."
    r = run([sys.executable, "-m", "synthbridge.interface.cli"], env=dict(os.environ), timeout=300)
    assert r.returncode == 2 and "usage: synthbridge" in r.stdout

def test_readme_matches_index_notebook():
    sys.path.insert(0, str(ROOT/"tools"))
    import nb2readme
    assert (ROOT/"README.md").read_text() == nb2readme.render(), "run `python tools/nb2readme.py`"

def test_classnames_are_package_data():
    import synthbridge
    d = Path(synthbridge.__file__).parent/"classnames"
    counts = {f.stem: len(f.read_text().splitlines()) for f in d.glob("*.txt") if f.stem.count(".") == 0}
    assert counts == dict(aircraft=100, caltech101=101, cars=196, cub=200, dtd=47, dogs=120, flowers=102,
                          food=101, pets=37, sun397=397)
