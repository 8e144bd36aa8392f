"""`set_scheduler`: the diffusers scheduler and config each name produces (not only that an image comes out), built
from the checkpoint's own scheduler config every time (switching twice does not keep the first switch's changes)."""
from types import SimpleNamespace
import pytest

SD = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
          clip_sample=False, steps_offset=1, prediction_type="v_prediction")

# name -> (class, config entries that must hold)
EXPECTED = {
    "ddpm": ("DDPMScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "dpm++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "use_karras_sigmas": False}),
    "dpm++-karras": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "use_karras_sigmas": True}),
    "dpm++-sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++", "use_karras_sigmas": False}),
    "dpm-single": ("DPMSolverSinglestepScheduler", {}),
    "kdpm2": ("KDPM2DiscreteScheduler", {}),
    "kdpm2-a": ("KDPM2AncestralDiscreteScheduler", {}),
    "deis": ("DEISMultistepScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
}

def _pipe():
    from diffusers import DDPMScheduler
    return SimpleNamespace(scheduler=DDPMScheduler(**SD))

def test_every_name_is_checked():
    from synthbridge.generation.pipeline import SCHEDULERS
    assert set(SCHEDULERS) == set(EXPECTED)

@pytest.mark.parametrize("name", list(EXPECTED))
def test_scheduler_config(name):
    from synthbridge.generation.pipeline import set_scheduler
    pipe = set_scheduler(set_scheduler(_pipe(), "dpm++-karras"), name)     # a switch starts from the original config
    cls, want = EXPECTED[name]
    s = pipe.scheduler
    assert type(s).__name__ == cls
    for k, v in want.items(): assert s.config[k] == v, (name, k, s.config[k])
    if name != "dpm++-karras": assert not s.config.get("use_karras_sigmas", False), name
    for k in ("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "prediction_type"):
        assert s.config[k] == SD[k], (name, k)                                # the checkpoint's noise schedule is kept

def test_karras_sigmas_are_used():
    "The Karras variant samples other noise levels than the plain one at the same step count."
    import numpy as np
    from synthbridge.generation.pipeline import set_scheduler
    a, b = set_scheduler(_pipe(), "dpm++").scheduler, set_scheduler(_pipe(), "dpm++-karras").scheduler
    a.set_timesteps(10); b.set_timesteps(10)
    assert not np.allclose(np.asarray(a.sigmas), np.asarray(b.sigmas))

def test_unknown_name():
    from synthbridge.generation.pipeline import set_scheduler
    with pytest.raises(ValueError, match="unknown scheduler 'fancy': allowed are ddpm"): set_scheduler(_pipe(), "fancy")
