"""The CPU miniature: its world, its generator and evaluation, the demo and the study."""
