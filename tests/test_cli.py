"""The `synthbridge` command line as a whole: every subcommand of `synthbridge.interface.cli.COMMANDS` answers `--help` with exit
code 0, documents every option (with its default), and names options consistently (`--batch-size`, not `--batch_size`).
A subcommand whose module is not written yet fails here: that is expected until it exists."""
import argparse, contextlib, io, sys
from pathlib import Path
import pytest
from synthbridge.interface.cli import COMMANDS, COMMON_OPTIONS, build_parser, main
from conftest import INHERIT, offline_env, run

def _subparser(cmd) -> argparse.ArgumentParser:
    p = build_parser(cmd)
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[cmd]

@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_help_documents_every_option(cmd):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e: main([cmd, "--help"])
    assert e.value.code == 0
    text = " ".join(out.getvalue().split())
    assert text.startswith(f"usage: synthbridge {cmd}")
    sp = _subparser(cmd)
    actions = [a for a in sp._actions if not isinstance(a, argparse._HelpAction)]
    assert actions, f"`synthbridge {cmd}` has no options"
    for a in actions:
        name = a.option_strings[-1] if a.option_strings else a.dest
        assert a.help and a.help is not argparse.SUPPRESS and len(a.help.strip()) > 3, f"{cmd} {name}: no help text"
        shown = [*a.option_strings] if a.option_strings else [a.metavar or a.dest]
        assert all(o in text for o in shown), f"{cmd} {name}: not in --help"
        for o in a.option_strings:
            if o.startswith("--"):
                assert o == o.lower() and "_" not in o, f"{cmd} {o}: options are lower-case with hyphens"
        if a.option_strings and not (a.default is None or a.default is False or a.default is argparse.SUPPRESS) \
                and not a.required:                                  # `is`: a default of 0 must be shown too
            squeezed = "".join(out.getvalue().split())       # argparse may wrap inside a long default
            assert f"(default:{a.default})".replace(" ", "") in squeezed, f"{cmd} {name}: default {a.default!r} not shown"

@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_shared_options_keep_their_meaning(cmd):
    "An option that `cli.COMMON_OPTIONS` defines is not redefined with another type or flag by a subcommand."
    sp = _subparser(cmd)
    for name, (flags, kw) in COMMON_OPTIONS.items():
        a = next((a for a in sp._actions if a.dest == name), None)
        if a is None: continue
        assert tuple(a.option_strings[:len(flags)]) == tuple(flags), f"{cmd}: option {name} spelled {a.option_strings}"
        assert a.type == kw.get("type"), f"{cmd} {flags[0]}: type {a.type} instead of {kw.get('type')}"

def test_console_script_sweep_help():
    exe = Path(sys.executable).parent/"synthbridge"
    r = run([exe, "sweep", "--help"], env=offline_env(PYTHONPATH=INHERIT), timeout=300)   # the installed entry point
    assert r.returncode == 0, r.stderr
    for opt in ("--store", "--workers", "--device", "--adopt", "--dry-run", "paper-full-shot"): assert opt in r.stdout

def test_unknown_option_is_usage_error():
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e: main(["report", "--store", "s", "--out", "o", "--no-such-option"])
    assert e.value.code == 2 and "unrecognized arguments" in err.getvalue()
