"""synthbridge.miniature.mini beyond its notebook: a `train_mini` run killed with SIGKILL (once between checkpoints, once in the
middle of writing one) resumes and ends with exactly the weights of an uninterrupted run; `synthbridge train-mini`
exit codes; the shipped model's size and plain `from_pretrained` loading."""
import json, textwrap
from pathlib import Path
import pytest
import torch
from safetensors.torch import load_file
from synthbridge.interface.cli import main
from synthbridge.miniature.mini import mini_web_path, train_mini
from conftest import INHERIT, offline_env, python_cmd

TINY = dict(steps=5, batch_size=4, vae_steps=3, vae_batch_size=4, n_source=32, ckpt_every=2, num_threads=1, progress=False)

# Runs train_mini in a child process that SIGKILLs itself: after the checkpoint of `stage` at `step` is written
# ('after'), or once the checkpoint's temporary file is written but before it replaces the previous one ('during').
SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    import synthbridge.miniature.mini as m
    out, stage, step, when, tiny = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
    orig = m._atomic_save_file
    def save(tensors, path, meta):
        if path.name == f"{stage}.safetensors" and meta["step"] == step:
            if when == "during":
                from safetensors.torch import save_file
                save_file({k: v.contiguous() for k, v in tensors.items()}, str(path.with_name(f".{path.name}.tmp")))
                os.kill(os.getpid(), signal.SIGKILL)
            orig(tensors, path, meta); os.kill(os.getpid(), signal.SIGKILL)
        orig(tensors, path, meta)
    m._atomic_save_file = save
    m.train_mini(out, **tiny)
""")

def _run(out, stage="none", step=0, when="after"):
    "The child keeps this process's thread settings: its weights are compared with a run in this process."
    return python_cmd(SCRIPT, out, stage, step, when, json.dumps(TINY), timeout=600, warm=True,
                      env=offline_env(OMP_NUM_THREADS=INHERIT, MKL_NUM_THREADS=INHERIT))

def _weights(p: Path):
    return {f"{d}/{k}": v for d in ("unet", "vae", "text_encoder") for f in (p/d).glob("*.safetensors")
            for k, v in load_file(str(f)).items()}

@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(tmp_path):
    ref = train_mini(tmp_path/"ref", **TINY)
    out, work = tmp_path/"run"/"mini", tmp_path/"run"/".mini.train"
    r = _run(out, "vae", 2, "after")                       # killed in stage A, after its first checkpoint
    assert r.returncode == -9, r.stderr
    assert not out.exists() and json.loads((work/"config.json").read_text())["steps"] == 5
    r = _run(out, "unet", 4, "during")                     # resumed, then killed while writing the step-4 checkpoint
    assert r.returncode == -9, r.stderr
    assert "vae: resumed at step 2" in r.stderr and (work/".unet.safetensors.tmp").exists()
    r = _run(out)                                          # resumed again from step 2 of stage B: runs to the end
    assert r.returncode == 0, r.stderr
    assert "unet: resumed at step 2" in r.stderr
    assert not work.exists()
    a, b = _weights(ref), _weights(out)
    assert a.keys() == b.keys() and len(a) > 50
    for k in a: assert torch.equal(a[k], b[k]), k
    ja, jb = (json.loads((p/"training.json").read_text()) for p in (ref, out))
    assert (ja["unet_losses"], ja["vae_losses"], ja["scaling_factor"]) == (jb["unet_losses"], jb["vae_losses"], jb["scaling_factor"])

def test_cli_train_mini(tmp_path, capsys):
    (tmp_path/"notes").mkdir(); (tmp_path/"notes"/"a.txt").write_text("mine")
    assert main(["train-mini", "--out", str(tmp_path/"notes"), "--steps", "2"]) == 2
    assert "not a pipeline folder" in capsys.readouterr().err
    assert main(["train-mini", "--out", str(tmp_path/"m"), "--steps", "0"]) == 2
    assert "--steps 0" in capsys.readouterr().err
    assert main(["train-mini", "--out", str(tmp_path/"m"), "--root", str(tmp_path/"nothing")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path/"m").exists()
    args = ["train-mini", "--out", str(tmp_path/"m"), "--steps", "2", "--vae-steps", "2", "--batch-size", "4",
            "--n-source", "32", "--threads", "1", "--no-eval"]
    assert main(args) == 0
    assert (tmp_path/"m"/"model_index.json").exists() and (tmp_path/"m"/"README.md").exists()

def test_shipped_model_loads_and_is_small():
    from diffusers import StableDiffusionPipeline
    p = mini_web_path()
    assert p.name == "mini-web"
    assert (p/"README.md").exists() and (p/"evaluation.json").exists()
    assert sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) <= 12_000_000
    assert json.loads((p/"training.json").read_text())["config"]["corpus"] == "web"
    pipe = StableDiffusionPipeline.from_pretrained(p, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    g = torch.Generator().manual_seed(0)
    im = pipe("a photo of a Trouser.", num_inference_steps=3, guidance_scale=3.5, generator=g).images[0]
    assert im.size == (32, 32)
