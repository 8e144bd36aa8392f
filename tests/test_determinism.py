"""Determinism pinned to values: prompts' templates, image seeds, k-shot subsets, the synthetic hold-out split and the
shard split are the same numbers in every process, whatever PYTHONHASHSEED is. The constants below were computed once
(SHA-256 based, as the package documents); a per-process hash gives other values, and does so in a child process with
PYTHONHASHSEED unset or set to any value."""
import json
import pytest
from conftest import offline_env

# (label, index, seed) -> template number; (seed, label, index, attempt) -> image seed; (index, seed) -> the prompt
# of class 3 'dress'; checked against hashlib.sha256 by hand when they were pinned (test_constants_are_sha256 too).
TEMPLATE_INDEX = {(0, 0, 0): 16, (3, 7, 0): 22, (9, 99, 1): 19, (1, 2, 12345): 17}
IMAGE_SEED = {(0, 0, 0, 0): 5403976849410126917, (0, 3, 7, 0): 9156467467907999886, (5, 9, 99, 2): 4345587743475826191}
PROMPT = {(0, 0): "a photo of the nice dress.", (1, 5): "a photo of the large dress."}
FEW_SHOT = [1, 6, 8, 10, 11, 15]                    # few_shot([0, 1, 2]*6, k=2, seed=7)
BATCHES = [[0, 7, 1, 6], [8, 5, 3, 9], [2, 4, 9, 6]]  # the mini generator's batch split: n=10, bs=4, steps 0-2, seed 0
CAS_SEED = 6674404286569706356                      # the CAS image seed of (seed 0, label 3, index 7)

def _values():
    "The pinned quantities computed in this process."
    from synthbridge.prompts import template_index, make_prompt
    from synthbridge.generation.generate import image_seed
    from synthbridge.data import few_shot
    return dict(template_index={str(k): template_index(*k) for k in TEMPLATE_INDEX},
                image_seed={str(k): image_seed(*k) for k in IMAGE_SEED},
                prompt={str(k): make_prompt("dress", 3, *k) for k in PROMPT},
                few_shot=few_shot([0, 1, 2]*6, 2, seed=7),
                batches=[_batches(s) for s in range(3)], cas_seed=_cas_seed())

def _batches(step):
    from synthbridge.miniature.mini import _batch_indices
    return _batch_indices(10, 4, step, 0, "unet").tolist()

def _cas_seed():
    from synthbridge.miniature.mini_eval import _image_seed
    return _image_seed(0, 3, 7)

CODE = ("import json, sys; sys.path.insert(0, 'tests'); from test_determinism import _values; "
        "print(json.dumps(_values()))")

def test_constants_in_this_process():
    v = _values()
    assert v["template_index"] == {str(k): x for k, x in TEMPLATE_INDEX.items()}
    assert v["image_seed"] == {str(k): x for k, x in IMAGE_SEED.items()}
    assert v["prompt"] == {str(k): x for k, x in PROMPT.items()}
    assert v["few_shot"] == FEW_SHOT
    assert v["batches"] == BATCHES and v["cas_seed"] == CAS_SEED

def test_constants_are_sha256():
    "The pinned numbers are the documented SHA-256 construction (so they can be recomputed without the package)."
    import hashlib
    h = lambda *p: int.from_bytes(hashlib.sha256(":".join(map(str, p)).encode()).digest()[:8], "little")
    assert {k: h("template", k[2], k[0], k[1]) % 27 for k in TEMPLATE_INDEX} == TEMPLATE_INDEX
    assert {k: h("image", *k) & (2**63 - 1) for k in IMAGE_SEED} == IMAGE_SEED

@pytest.mark.slow
def test_constants_in_other_processes(root):
    "Child processes with PYTHONHASHSEED unset and set to another value compute the same numbers (run side by side)."
    import subprocess, sys
    procs = [subprocess.Popen([sys.executable, "-c", CODE], cwd=root, env=offline_env(PYTHONHASHSEED=h), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for h in (None, "4242")]
    want = json.loads(json.dumps(_values()))
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert json.loads(out.strip().splitlines()[-1]) == want
