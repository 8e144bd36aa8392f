"synthbridge.training.learner beyond the notebook: offline fail-fast for hub weights, the cached EfficientNet-Lite0 conversion."
import pytest
from conftest import ROOT, offline_env, python_cmd

@pytest.mark.slow
def test_offline_pretrained_fails_fast_with_advice():
    code = ("import time, synthbridge.training.learner as L\n"
            "t = time.time()\n"
            "try: L.timm_model('resnet18.tv_in1k', pretrained=True)\n"
            "except RuntimeError as e: print('ERR', round(time.time() - t, 1), e)\n")
    r = python_cmd(code, env=offline_env(HF_HOME=ROOT/".no-such-hf-home"), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    line = next(l for l in r.stdout.splitlines() if l.startswith("ERR"))
    assert float(line.split()[1]) < 10, line                       # no 48 s of retries
    assert "HF_HUB_OFFLINE is set" in line and "pass weights=PATH" in line

def test_efficientnet_lite0_weights_cached_atomically(tmp_path):
    from synthbridge.training.learner import efficientnet_lite0_weights, read_weights
    p = efficientnet_lite0_weights(cache=tmp_path)
    m1 = p.stat().st_mtime_ns
    assert efficientnet_lite0_weights(cache=tmp_path) == p and p.stat().st_mtime_ns == m1     # converted once
    assert [f.name for f in tmp_path.iterdir()] == [p.name]                                   # no temporary left
    sd, meta = read_weights(p)
    assert len(sd) == 296 and sd["classifier.weight"].shape == (1000, 1280) and meta["arch"] == "tf_efficientnet_lite0"
