"""Training-loop overhead: synthbridge's fastai learner (synth_learner + fit_paper: BackboneNormalize, TrainAccuracy,
cosine ParamScheduler, accuracy + mean per-class metrics, Recorder) against a plain PyTorch loop with the same model,
data (the same in-memory batches), optimiser (torch SGD, momentum 0.9, wd 5e-4), cosine schedule, normalisation and
per-epoch validation. CPU, one thread (timings on a shared machine are steadier), a tiny timm model.

Prints `name: ratio` (time per epoch, synthbridge / plain; target <= 1.10) and the times behind it.
Usage: python bench/bench_train.py [--epochs N] [--repeats R]
"""
import argparse, math, os, statistics, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch, timm
from torch import nn
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.torch_core import set_seed
from synthbridge.training.learner import synth_learner

def data(n_train=512, n_valid=256, size=32, c=10, bs=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_train + n_valid, 3, size, size, generator=g)
    y = torch.randint(0, c, (n_train + n_valid,), generator=g)
    x += y.view(-1, 1, 1, 1) / c                           # learnable
    tr = [(x[i], y[i]) for i in range(n_train)]
    va = [(x[i], y[i]) for i in range(n_train, n_train + n_valid)]
    return tr, va

class Batches:
    "Pre-collated batches: both loops read the same tensors, so the comparison is about the training loop."
    def __init__(self, items, bs, shuffle):
        self.x = torch.stack([a for a, _ in items]); self.y = torch.stack([b for _, b in items])
        self.bs, self.shuffle, self.g = bs, shuffle, torch.Generator().manual_seed(0)
    def __len__(self): return len(self.x) // self.bs if self.shuffle else math.ceil(len(self.x) / self.bs)
    def __iter__(self):
        idx = torch.randperm(len(self.x), generator=self.g) if self.shuffle else torch.arange(len(self.x))
        for i in range(len(self)):
            j = idx[i*self.bs:(i+1)*self.bs]
            yield self.x[j], self.y[j]

class FastaiBatches(DataLoader):
    "A fastai DataLoader yielding the same pre-collated batches."
    def __init__(self, batches, **kw):
        super().__init__(dataset=list(range(len(batches.x))), bs=batches.bs, **kw); self.batches = batches
    def __len__(self): return len(self.batches)
    def __iter__(self):
        for b in self.batches: yield b

def plain_epochs(model, train, valid, epochs, lr, mean, std):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    total = epochs * len(train); step = 0
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        model.train()
        for xb, yb in train:
            for gp in opt.param_groups: gp["lr"] = lr * (1 + math.cos(math.pi * step / total)) / 2
            loss = loss_fn(model((xb - mean) / std), yb)
            loss.backward(); opt.step(); opt.zero_grad(); step += 1
        model.eval(); correct = n = 0
        with torch.no_grad():
            for xb, yb in valid:
                correct += (model((xb - mean) / std).argmax(1) == yb).sum().item(); n += len(yb)
        times.append(time.perf_counter() - t)
    return times

def fastai_epochs(model_arch, train, valid, epochs, lr):
    dls = DataLoaders(FastaiBatches(train), FastaiBatches(valid), device="cpu")
    dls.c = 10
    learn = synth_learner(dls, model_arch, pretrained=False, n_out=10)
    times = []
    from fastai.callback.core import Callback
    class EpochTimer(Callback):
        order = 100
        def before_epoch(self): self.t = time.perf_counter()
        def after_epoch(self): times.append(time.perf_counter() - self.t)
    with learn.no_bar(), learn.no_logging():
        learn.fit_paper(epochs, lr=lr, cbs=EpochTimer())
    return times, learn

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--arch", default="test_resnet")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tr, va = data()
    train, valid = Batches(tr, 64, True), Batches(va, 64, False)
    cfg = timm.create_model(a.arch, num_classes=10).pretrained_cfg
    mean, std = torch.tensor(cfg["mean"]).view(1, -1, 1, 1), torch.tensor(cfg["std"]).view(1, -1, 1, 1)
    plain, fa = [], []
    for r in range(a.repeats):                  # interleaved, so that load changes hit both alike
        set_seed(r); m = timm.create_model(a.arch, num_classes=10)
        plain += plain_epochs(m, train, valid, a.epochs, 0.05, mean, std)[1:]       # drop the first (warm-up) epoch
        set_seed(r)
        t, learn = fastai_epochs(a.arch, train, valid, a.epochs, 0.05)
        fa += t[1:]
    p, f = statistics.median(plain), statistics.median(fa)
    print(f"plain PyTorch epoch: {p*1000:.0f} ms (median of {len(plain)}); synthbridge learner epoch: {f*1000:.0f} ms; "
          f"{a.arch}, 512 train + 256 valid images of 32 px, bs 64, CPU, 1 thread")
    print(f"train_epoch_time_vs_plain_pytorch: {f/p:.3f}")

if __name__ == "__main__":
    main()
