"""The CPU training step with `synthbridge.training.learner.cpu_layout` against two baselines, interleaved in one
process with the same model, weights, batch and SGD step:
- `default`: the model as timm makes it;
- `prepadded`: the layout `cpu_layout` used before (channels-last weights, each zero-padded depthwise convolution
  padding its input with `F.pad` and convolving without padding), kept here as the baseline of the change that
  replaced it (depthwise weight gradients computed by kernel tap where the output is smaller than the kernel).
One torch thread, as each worker of `synthbridge demo` trains.

Prints `name: ratio` lines (baseline time per step / cpu_layout time per step: above 1 is a speed-up), the median
times behind them, and the largest difference of the logits (float rounding: channels-last changes the order of the
sums). Usage: python bench/bench_cpu_layout.py [--rounds R] [--steps S] [--threads T]
"""
import argparse, copy, os, statistics, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch, timm
import torch.nn.functional as F
from torch import nn
from synthbridge.training.learner import cpu_layout, timm_model, efficientnet_lite0_weights

CASES = [  # name, architecture, image side, batch size
    ("efficientnet_lite0_48px_bs25 (the demo)", "tf_efficientnet_lite0", 48, 25),
    ("efficientnet_lite0_224px_bs8", "tf_efficientnet_lite0", 224, 8),
    ("resnet18_48px_bs25", "resnet18", 48, 25),
]

class _PrePadded(nn.Conv2d):
    "The previous layout's depthwise convolution: `F.pad`, then a convolution without padding."
    def forward(self, x):
        ph, pw = self.padding
        return F.conv2d(F.pad(x, (pw, pw, ph, ph)), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

def prepadded(model):
    for m in model.modules():
        if (type(m) is nn.Conv2d and m.groups > 1 and m.groups == m.in_channels and m.padding != (0, 0)
                and not isinstance(m.padding, str) and m.padding_mode == "zeros"):
            m.__class__ = _PrePadded
    return model.to(memory_format=torch.channels_last)

def model(arch):
    if arch == "tf_efficientnet_lite0":
        return timm_model(arch, weights=str(efficientnet_lite0_weights()), num_classes=10)
    return timm.create_model(arch, pretrained=False, num_classes=10)

def bench(arch, size, bs, rounds, steps):
    torch.manual_seed(0)
    base = model(arch)
    models = {"default": base, "prepadded": prepadded(copy.deepcopy(base)),
              "cpu_layout": cpu_layout(copy.deepcopy(base))}
    x, y = torch.rand(bs, 3, size, size), torch.randint(0, 10, (bs,))
    with torch.no_grad():
        diff = (models["default"].eval()(x) - models["cpu_layout"].eval()(x)).abs().max().item()
    opts = {k: torch.optim.SGD(m.train().parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
            for k, m in models.items()}
    def step(k):
        loss = F.cross_entropy(models[k](x), y); loss.backward(); opts[k].step(); opts[k].zero_grad()
    for k in models: step(k); step(k)                        # warm-up (oneDNN primitive caches)
    times = {k: [] for k in models}
    for _ in range(rounds):
        for k in models:
            t = time.perf_counter()
            for _ in range(steps): step(k)
            times[k].append((time.perf_counter() - t) / steps)
    return {k: statistics.median(v) for k, v in times.items()}, diff

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name, arch, size, bs in CASES:
        t, diff = bench(arch, size, bs, a.rounds, a.steps)
        print(f"{name}: default/cpu_layout {t['default'] / t['cpu_layout']:.2f}, "
              f"prepadded/cpu_layout {t['prepadded'] / t['cpu_layout']:.2f}  (s/step: default {t['default']:.3f}, "
              f"prepadded {t['prepadded']:.3f}, cpu_layout {t['cpu_layout']:.3f}; max |logit diff| {diff:.1e}; "
              f"{a.threads} thread(s))")

if __name__ == "__main__":
    main()
