"""The command line: one meaning per option name across subcommands, one error path (one line naming the value,
what is allowed and the closest valid names; exit code 2; no traceback; no output folder made), and a fast
`--help` (no torch import) that shows each default once."""
import re
import pytest
from conftest import python_cmd, synthbridge_main
pytestmark = pytest.mark.filterwarnings("ignore")
SLOW_IMPORTS = ("generate", "invert", "train", "leep", "train-mini")

def _help(cmd) -> tuple[str, bool]:
    "(help text, whether torch got imported) of `synthbridge CMD --help`, in a fresh interpreter."
    code = ("import sys, io, contextlib\nfrom synthbridge.interface.cli import main\nbuf = io.StringIO()\n"
            f"with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit): main([{cmd!r}, '--help'])\n"
            "print(buf.getvalue()); print('TORCH', 'torch' in sys.modules)")
    r = python_cmd(code, timeout=120)
    assert r.returncode == 0, r.stderr
    text, _, flag = r.stdout.rpartition("TORCH ")
    return text, flag.strip() == "True"

@pytest.mark.parametrize("cmd", SLOW_IMPORTS)
def test_help_is_fast_and_shows_each_default_once(cmd):
    text, torch_imported = _help(cmd)
    assert not torch_imported, f"`synthbridge {cmd} --help` imported torch"
    flat = " ".join(text.split())
    assert "(default: None)" not in flat
    assert not re.search(r"default[^()]*\)\s*\(default:", flat), "a default shown twice"
    assert "--out OUT output folder (created; a rerun resumes) (default" not in flat        # required: no default

def _parse(cmd, *argv):
    from synthbridge.interface.cli import build_parser
    return build_parser(cmd).parse_args([cmd, *argv])

def test_one_meaning_per_option_name():
    # the real image folder is --real everywhere (invert had --images)
    for cmd in ("train", "leep", "invert"): assert _parse(cmd, "--real", "f", *(["--out", "o"] if cmd != "leep" else [])).real == "f"
    with pytest.raises(SystemExit): _parse("invert", "--images", "f", "--out", "o")
    # progress bars: --progress / --no-progress in every subcommand that shows them; unset, `main` turns them on when
    # stderr is a terminal (not into a log file)
    for cmd in ("generate", "invert", "train", "demo"):
        out = [] if cmd == "demo" else ["--out", "o"]
        assert _parse(cmd, *out).progress is None and _parse(cmd, *out, "--no-progress").progress is False
        assert _parse(cmd, *out, "--progress").progress is True
    # --size is the classifier's image side; generate's resize-on-save is --save-size
    assert _parse("train", "--out", "o", "--size", "64").size == 64
    assert _parse("generate", "--out", "o", "--save-size", "256").save_size == 256
    with pytest.raises(SystemExit): _parse("generate", "--out", "o", "--size", "256")

def _one_line_error(rc, err):
    assert rc == 2, err[-2000:]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err

def test_model_typo_suggests_the_embedded_model(tmp_path, capsys):
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc, _, err = synthbridge_main(capsys, "generate", "--model", "mini-wbe", "--classes", cls,
                                  "--out", tmp_path/"out")
    _one_line_error(rc, err)
    assert "'mini-wbe'" in err and "close names: mini-web" in err
    assert not (tmp_path/"out").exists()

@pytest.mark.slow
def test_hub_model_offline_is_one_line(tmp_path, capsys):
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc, _, err = synthbridge_main(capsys, "generate", "--model", "nobody/no-such-model", "--classes", cls,
                                  "--out", tmp_path/"out")
    _one_line_error(rc, err)
    assert "'nobody/no-such-model'" in err and not (tmp_path/"out").exists()

def test_dataset_typo_suggests_the_close_name(tmp_path, capsys):
    from synthbridge.data import get_dataset
    with pytest.raises(KeyError, match="close names: fashion-mnist"): get_dataset("fashion_mnist")
    rc, _, err = synthbridge_main(capsys, "train", "--dataset", "fashion_mnist", "--arch", "test_resnet",
                                  "--no-pretrained", "--pipeline", "vanilla", "--out", tmp_path/"out")
    _one_line_error(rc, err)
    assert "'fashion_mnist'" in err and "close names: fashion-mnist" in err and not (tmp_path/"out").exists()

@pytest.mark.parametrize("cmd", ["train", "leep"])
def test_default_arch_offline_names_the_options(tmp_path, capsys, cmd):
    "No hub weights offline: one line with the options to use instead, and no (empty) output folder."
    from synthbridge.testing import tiny_image_folder
    real = tiny_image_folder(tmp_path/"real", n=4)
    extra = ["--pipeline", "vanilla", "--out", tmp_path/"out"] if cmd == "train" else []
    rc, _, err = synthbridge_main(capsys, cmd, "--real", real, "--size", "32", *extra)
    _one_line_error(rc, err)
    assert "--weights" in err and "weights=" not in err and "pretrained=False" not in err
    if cmd == "train": assert "--no-pretrained" in err
    assert not (tmp_path/"out").exists()

def test_weights_efficientnet_lite0_means_the_same_in_leep_and_train(tmp_path, capsys):
    from synthbridge.testing import tiny_image_folder
    real = tiny_image_folder(tmp_path/"real", n=2)
    rc, _, err = synthbridge_main(capsys, "leep", "--real", real, "--size", "32", "--arch", "tf_efficientnet_lite0",
                                  "--weights", "efficientnet-lite0", "--json", tmp_path/"leep.json")
    assert rc == 0, err[-2000:]
    assert (tmp_path/"leep.json").exists()
    rc, _, err = synthbridge_main(capsys, "leep", "--real", real, "--arch", "resnet18", "--weights", "efficientnet-lite0")
    _one_line_error(rc, err)
    assert "tf_efficientnet_lite0" in err

def test_invert_bad_setting_is_one_line_before_the_model_loads(tmp_path, capsys):
    "`InvertSettings` is made from the options first: a bad value is refused before any model is looked for."
    from synthbridge.testing import tiny_image_folder
    real = tiny_image_folder(tmp_path/"real", n=2)
    rc, _, err = synthbridge_main(capsys, "invert", "--model", "nobody/no-such-model", "--real", real,
                                  "--out", tmp_path/"out", "--token", "<a b>")
    _one_line_error(rc, err)
    assert "token='<a b>'" in err and "without spaces" in err and "cannot be loaded" not in err, err
    assert not (tmp_path/"out").exists()

@pytest.mark.parametrize("shard,message", [("1", "e.g. (0, 4) or '0/4'"), ("0/0", "must be >= 1")])
def test_shard_errors(tmp_path, capsys, shard, message):
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc, _, err = synthbridge_main(capsys, "generate", "--model", "mini-web", "--classes", cls, "--shard", shard,
                                  "--out", tmp_path/"out")
    _one_line_error(rc, err)
    assert message in err and "0..-1" not in err and not (tmp_path/"out").exists()

@pytest.mark.parametrize("argv, says", [(("--latent-channels", "0"), "--latent-channels 0"),
                                        (("--vae-from", "no-such-folder"), "--vae-from no-such-folder")])
def test_train_mini_autoencoder_options_are_checked_first(tmp_path, capsys, argv, says):
    rc, _, err = synthbridge_main(capsys, "train-mini", "--out", tmp_path/"out", "--no-eval", *argv)
    _one_line_error(rc, err)
    assert says in err
    assert not (tmp_path/"out").exists()

# ---- one line for every bad value, before any work (issue 27)

def _corrupt(tmp_path):
    p = tmp_path/"broken.safetensors"; p.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header")
    return p

@pytest.mark.parametrize("cmd,argv,says", [
    ("train", ["--device", "cdua"], "--device 'cdua': not a torch device; give cpu, cuda, cuda:N or mps"),
    ("train", ["--device", "cuda"], "--device cuda: torch sees no CUDA GPU"),
    ("train", ["--stage1", "CORRUPT"], "--stage1 'TMP/broken.safetensors': not a readable safetensors file"),
    ("train", ["--weights", "CORRUPT"], "--weights 'TMP/broken.safetensors': not a readable safetensors file"),
    ("generate", ["--style-embeds", "CORRUPT", "--classes", "TMP/c.txt"], "--style-embeds 'TMP/broken.safetensors'"),
    ("train", ["--size", "0"], "--size 0: must be >= 1"),
    ("train", ["--batch-size", "0"], "--batch-size 0: must be >= 1"),
    ("train", ["--lr", "-0.1"], "--lr -0.1: must be > 0"),
    ("invert", ["--lr", "-1", "--dataset", "digits"], "--lr -1.0: must be > 0"),
    ("sweep", ["GRID", "--max-tasks", "-1"], "--max-tasks -1: must be >= 1"),
    ("sweep", ["EMPTY"], "TMP/empty.toml: the grid file is empty"),
])
def test_bad_value_is_one_line_exit_2(tmp_path, capsys, cmd, argv, says):
    import torch
    if "cuda" in argv and torch.cuda.is_available(): pytest.skip("this machine has a CUDA GPU")
    (tmp_path/"empty.toml").write_text("# nothing\n"); (tmp_path/"c.txt").write_text("Bag\n")
    (tmp_path/"g.toml").write_text('datasets = ["digits"]\n')
    subs = {"CORRUPT": str(_corrupt(tmp_path)), "GRID": str(tmp_path/"g.toml"), "EMPTY": str(tmp_path/"empty.toml")}
    argv = [subs.get(a, a).replace("TMP", str(tmp_path)) for a in argv]
    out = tmp_path/"out"
    base = {"train": ["--real", str(tmp_path), "--out", str(out)], "generate": ["--out", str(out)],
            "invert": ["--out", str(out)], "sweep": ["--store", str(out)]}[cmd]
    rc, _, err = synthbridge_main(capsys, cmd, *argv, *base)
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"synthbridge {cmd}: error: ") and says.replace("TMP", str(tmp_path)) in err, err
    assert not out.exists()

def test_sweep_dry_run_writes_nothing(tmp_path, capsys):
    (tmp_path/"g.toml").write_text('datasets = ["digits"]\npipelines = ["vanilla"]\n')
    rc, stdout, err = synthbridge_main(capsys, "sweep", tmp_path/"g.toml", "--store", tmp_path/"store", "--dry-run")
    assert rc == 0 and "vanilla" in stdout + err and not (tmp_path/"store").exists(), err

def test_error_texts_name_cli_options():
    from synthbridge.interface.cli import _cli_words
    assert _cli_words("use another folder, or overwrite=True (--overwrite) to replace it").endswith("or --overwrite to replace it")
    assert "skip_bad" not in _cli_words("x.png: not a readable image (bad). Replace or delete it, or pass skip_bad=True "
                                        "to skip bad files")
    assert "load_style_token" not in _cli_words("load it first (`load_style_token(pipe, 'learned_embeds.safetensors')` "
                                                "or `pipe.load_textual_inversion(...)`)")

@pytest.mark.slow
def test_quiet_import_and_no_bars_with_no_progress(tmp_path):
    "No warning on `import synthbridge.all`; a subcommand's stderr with --no-progress holds no bar and no warning."
    import sys
    from conftest import run, synthbridge_cmd
    r = run([sys.executable, "-W", "error::UserWarning", "-W", "error::FutureWarning", "-c", "import synthbridge.all"])
    assert r.returncode == 0 and r.stderr == "", r.stderr[-2000:]
    (tmp_path/"c.txt").write_text("Bag\n")
    r = synthbridge_cmd("generate", "--model", "mini-web", "--classes", tmp_path/"c.txt", "--out", tmp_path/"g",
                        "--n-per-class", 1, "--steps", 2, "--no-progress", warm=True)   # import checked above
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Warning" not in r.stderr and "it/s" not in r.stderr and "%|" not in r.stderr, r.stderr[-2000:]

# ---- no command replaces a file it did not write (issue 27)

@pytest.mark.parametrize("cmd,name,argv", [
    ("invert", "learned_embeds.safetensors", ["--model", "mini-web", "--dataset", "digits", "--steps", "1"]),
    ("invert", "dsi.json", ["--model", "mini-web", "--dataset", "digits", "--steps", "1"]),
    ("report", "index.md", ["--store", "STORE"]),
    ("report", "table2.csv", ["--store", "STORE"]),
    ("demo", "report.md", ["--quick"]),
    ("demo", "table.csv", ["--quick"]),
    ("demo", "samples.png", ["--quick"]),
])
def test_a_foreign_file_in_out_survives(tmp_path, capsys, cmd, name, argv):
    out = tmp_path/"out"; out.mkdir()
    mine = out/name; mine.write_bytes(b"the user's own file")
    argv = [str(tmp_path/"store") if a == "STORE" else a for a in argv]
    rc, _, err = synthbridge_main(capsys, cmd, *argv, "--out", out)
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"{mine} was not written by synthbridge {cmd}" in err, err
    assert mine.read_bytes() == b"the user's own file" and sorted(p.name for p in out.iterdir()) == [name]

def test_report_replaces_its_own_files(tmp_path):
    "A report's own earlier outputs are recognised (their SHA-256 in .synthbridge-outputs.json) and replaced."
    from synthbridge.core import OwnedFiles, atomic_write_text
    out = tmp_path/"out"; atomic_write_text(out/"index.md", "an earlier report"); OwnedFiles(out, "report").record("index.md")
    OwnedFiles(out, "report").check("index.md")
    (out/"index.md").write_text("edited by the user")
    with pytest.raises(ValueError, match="changed since"): OwnedFiles(out, "report").check("index.md")
