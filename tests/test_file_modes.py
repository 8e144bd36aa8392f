"""Files synthbridge writes get the user's umask (group-readable under the usual 022), not mkstemp's private 0600:
a results store or synthetic set shared by several users or machines must stay readable."""
import os, stat
from pathlib import Path
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)

def _mode(p): return stat.S_IMODE(Path(p).stat().st_mode)

def test_generate_outputs_follow_the_umask(tmp_path, umask022):
    from synthbridge.testing import tiny_pipeline
    from synthbridge.generation.generate import generate
    generate(tiny_pipeline(), ["cat", "dog"], tmp_path/"s", n_per_class=1, num_inference_steps=1, progress=False)
    files = [tmp_path/"s"/f for f in ("manifest.jsonl", "run.json", "classes.json", "cat/0.png")]
    assert {f.name: _mode(f) for f in files} == {f.name: 0o644 for f in files}

def test_weights_results_and_store_follow_the_umask(tmp_path, umask022):
    import torch
    from synthbridge.training.learner import save_weights, _write_json
    from synthbridge.experiment.store import publish as _publish
    w = save_weights(torch.nn.Linear(2, 2), tmp_path/"model.safetensors", arch="x")
    r = _write_json(tmp_path/"result.json", {"metric": 0.5})
    tmp_path.joinpath("store").mkdir()
    assert _publish(tmp_path/"store"/"run.json", "{}")
    assert [_mode(p) for p in (w, r, tmp_path/"store"/"run.json")] == [0o644]*3
    os.umask(0o077)                                                      # a private umask stays private
    assert _mode(_write_json(tmp_path/"private.json", {})) == 0o600
