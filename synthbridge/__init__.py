"""Synthetic images from text-to-image models for transfer learning: bridged transfer, dataset style inversion, fastai-native.

Modules:

- `synthbridge.data.world`: The CPU miniature's copy of the paper's premise: a broad corpus of looks for the generator ("the web") and one target dataset with a house look of its own that no caption names.
- `synthbridge.generation.dsi`: One new token S* learned over a whole real dataset (the paper's Sec. 4.3, Eq. 2, Table 3), so that "A {class} photo in the style of S*" makes synthetic images that look like the downstream data.
- `synthbridge.generation.generate`: Synthetic images from a text-to-image pipeline, N per class with one manifest row per image: deterministic, resumable after a crash, shardable over processes and GPUs.
- `synthbridge.generation.retrieval`: A natural counterweight to the paper's claim: real images retrieved from the web by caption, in place of generated ones. In the CPU miniature the "web" is the corpus that `mini-web` learned from.
- `synthbridge.interface.widgets`: Look at what the generator made, try prompts on a loaded pipeline, and watch a transfer run learn: three ipywidgets views that run in Jupyter, JupyterLab, VS Code, Colab and Kaggle.
- `synthbridge.miniature.demo`: `synthbridge demo`: the paper's comparison of transfer pipelines (Sec. 4.1, Table 2, Fig. 3) end to end on the embedded CPU miniature — or, with a dataset, a hub model and an architecture, in the paper's own setting on a GPU.
- `synthbridge.miniature.mini`: A miniature text-to-image model of Stable Diffusion's own classes, trained on CPU on a miniature web (Fashion-MNIST garments in random looks) and shipped with the package: `load_pipeline('mini-web')` works offline, with no download.
- `synthbridge.miniature.mini_eval`: The classification accuracy score of the embedded `mini-web`, its model card, the figure that shows the gap between its corpus and the target's house look, and `synthbridge train-mini`.
- `synthbridge.miniature.study`: `synthbridge demo --study`: each of the paper's findings measured on the CPU miniature, over seeds, with a 95 % confidence interval and a verdict.
- `synthbridge.testing`: Offline stand-ins for downloaded weights: the real CLIP tokenizer built from a shipped vocabulary, a tiny random Stable Diffusion pipeline, and tiny image folders.
- `synthbridge.training.learner`: A fastai `Learner` on a timm backbone with the paper's single linear head, its optimiser preset, the callbacks of bridged transfer (`FCReset`, MixUp in stage 1, linear probing) and offline ImageNet weights.
- `synthbridge.training.leep`: The Log Expected Empirical Prediction (Nguyen et al., 2020): how well a source classifier transfers to a labelled target dataset, from one pass of its softmax outputs — the paper's Table 1.
- `synthbridge.training.transfer`: Vanilla, mixed, bridged, bridged + FC reinit and bridged++ transfer (Sec. 4.1, Table 2), their fixed-feature variants (Table 6), with per-epoch curves (Fig. 3) and LEEP (Table 1): one call each."""

__version__ = "0.1.0"

import warnings as _warnings
# fastai scripts a few layers with `torch.jit.script` at import, which torch now deprecates: a notice about fastai's
# internals that no synthbridge user can act on (filtered here, before any module imports fastai)
_warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.* is deprecated", category=FutureWarning)
# and fastai.tabular sets a pandas option that pandas 3 deprecates (fastai.vision imports it)
_warnings.filterwarnings("ignore", message=r".*'mode\.chained_assignment' option is deprecated",
                         category=DeprecationWarning)
