"""Synthetic images from text-to-image models for transfer learning: bridged transfer, dataset style inversion, fastai-native.

Modules:

- `synthbridge.testing`: Offline stand-ins for downloaded weights: the real CLIP tokenizer built from a shipped vocabulary, a tiny random Stable Diffusion pipeline, and tiny image folders."""

__version__ = "0.1.0"
