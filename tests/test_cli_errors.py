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
    code = ("import sys, io, contextlib\nfrom synthbridge.cli import main\nbuf = io.StringIO()\n"
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
    from synthbridge.cli import build_parser
    return build_parser(cmd).parse_args([cmd, *argv])

def test_one_meaning_per_option_name():
    # the real image folder is --real everywhere (invert had --images)
    for cmd in ("train", "leep", "invert"): assert _parse(cmd, "--real", "f", *(["--out", "o"] if cmd != "leep" else [])).real == "f"
    with pytest.raises(SystemExit): _parse("invert", "--images", "f", "--out", "o")
    # progress bars: --progress / --no-progress, on by default, in every subcommand that shows them
    for cmd in ("generate", "invert", "train", "demo"):
        out = [] if cmd == "demo" else ["--out", "o"]
        assert _parse(cmd, *out).progress is True and _parse(cmd, *out, "--no-progress").progress is False
    # --size is the classifier's image side; generate's resize-on-save is --save-size
    assert _parse("train", "--out", "o", "--size", "64").size == 64
    assert _parse("generate", "--out", "o", "--save-size", "256").save_size == 256
    with pytest.raises(SystemExit): _parse("generate", "--out", "o", "--size", "256")

def _one_line_error(rc, err):
    assert rc == 2, err[-2000:]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err

def test_model_typo_suggests_the_embedded_model(tmp_path, capsys):
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc, _, err = synthbridge_main(capsys, "generate", "--model", "mini-fasion", "--classes", cls,
                                  "--out", tmp_path/"out")
    _one_line_error(rc, err)
    assert "'mini-fasion'" in err and "close names: mini-fashion" in err
    assert not (tmp_path/"out").exists()

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

@pytest.mark.parametrize("shard,message", [("1", "e.g. (0, 4) or '0/4'"), ("0/0", "must be >= 1")])
def test_shard_errors(tmp_path, capsys, shard, message):
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc, _, err = synthbridge_main(capsys, "generate", "--model", "mini-fashion", "--classes", cls, "--shard", shard,
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
