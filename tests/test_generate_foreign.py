"""`generate` never touches a file it did not write: an output folder holding anything but its own run is refused,
with the path named, before the model loads (`synthbridge generate` exits 2, one line, the user's file unchanged)."""
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

def _user_folder(tmp_path):
    out = tmp_path/"out"; (out/"Bag").mkdir(parents=True)
    (out/"Bag"/"0.png").write_bytes(b"my own picture")
    return out

def test_generate_refuses_a_folder_it_did_not_write(tmp_path):
    from synthbridge.testing import tiny_pipeline
    from synthbridge.generation.generate import generate
    out = _user_folder(tmp_path)
    with pytest.raises(ValueError, match="did not write") as e:
        generate(tiny_pipeline(), ["Bag"], out, n_per_class=1, num_inference_steps=1, progress=False)
    assert str(out/"Bag"/"0.png") in str(e.value)
    assert (out/"Bag"/"0.png").read_bytes() == b"my own picture"
    assert sorted(p.name for p in out.iterdir()) == ["Bag"]            # no run.json, classes.json, manifest
    kw = dict(n_per_class=1, num_inference_steps=1, progress=False)     # its own run still resumes
    generate(tiny_pipeline(), ["Bag"], tmp_path/"s", **kw)
    assert len(generate(tiny_pipeline(), ["Bag"], tmp_path/"s", **{**kw, "n_per_class": 2})) == 2

def test_cli_generate_refuses_before_loading_the_model(tmp_path, capsys):
    from synthbridge.interface.cli import main
    out = _user_folder(tmp_path)
    cls = tmp_path/"classes.txt"; cls.write_text("Bag\n")
    rc = main(["generate", "--model", str(tmp_path/"no-such-model"), "--classes", str(cls), "--out", str(out),
               "--n-per-class", "1", "--steps", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and str(out/"Bag"/"0.png") in err and "Traceback" not in err, err
    assert (out/"Bag"/"0.png").read_bytes() == b"my own picture"
