"""Data loading: synthbridge DataLoaders vs torchvision ImageFolder + DataLoader (same transforms, batch size,
workers, folder), and the decode cost of synthetic images stored at 512 px vs at training size.

Prints `name: ratio` lines (> 1 means synthbridge is faster, for the `*_vs_torchvision` lines) plus the raw
images/s. Every number is measured in this run, on this machine (CPU unless it says otherwise). ~1-2 min.
Set BENCH_N (images per folder, default 192) and BENCH_WORKERS (default min(2, CPUs)) to change the size.
"""
import os, tempfile, time, warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")
import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.datasets import ImageFolder

from synthbridge.data import RealDataset, get_dataset

N = int(os.environ.get("BENCH_N", 192))
W = int(os.environ.get("BENCH_WORKERS", min(2, len(os.sched_getaffinity(0)))))
BS, REPS = 64, 2
torch.set_num_threads(1)


def photo(rng, w, h):
    "A photo-like image: smooth colour fields plus fine noise (JPEG/PNG sizes like real photos)."
    base = Image.fromarray(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    return Image.fromarray((np.asarray(base, np.float32) + rng.normal(0, 8, (h, w, 3))).clip(0, 255).astype(np.uint8))


def write_folder(root, n, size=None, ext="jpg", classes=4, seed=0):
    rng = np.random.default_rng(seed); items = []
    for i in range(n):
        c = i % classes; d = Path(root)/f"c{c}"; d.mkdir(parents=True, exist_ok=True)
        w, h = (size, size) if size else (int(rng.integers(400, 520)), int(rng.integers(300, 400)))
        p = d/f"{i}.{ext}"
        photo(rng, w, h).save(p, quality=95) if ext == "jpg" else photo(rng, w, h).save(p)
        items.append((p, c))
    return sorted(items, key=lambda t: (t[1], str(t[0])))


def rate(loader):
    "Best images/s over REPS full passes."
    best = 0
    for _ in range(REPS):
        t0, n = time.perf_counter(), 0
        for xb, yb in loader: n += len(xb)
        best = max(best, n/(time.perf_counter() - t0))
    return best


def tv_loader(root, train, size, resize, workers):
    tf = (T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor()]) if train else
          T.Compose([T.Resize(resize), T.CenterCrop(size), T.ToTensor()]))
    return DataLoader(ImageFolder(str(root), transform=tf), batch_size=BS, shuffle=train, num_workers=workers)


def sb_loader(items, train, size, resize, workers):
    dls = RealDataset("bench", ["c0", "c1", "c2", "c3"], items, items).dls(bs=BS, size=size, resize=resize,
                                                                          num_workers=workers, device="cpu")
    return dls.train if train else dls.valid


class ArrayTV(Dataset):
    "torchvision-style in-memory dataset: uint8 arrays -> PIL -> transforms (as torchvision's FashionMNIST does)."
    def __init__(self, items, tf): self.items, self.tf = items, tf
    def __len__(self): return len(self.items)
    def __getitem__(self, i):
        x, y = self.items[i]
        return self.tf(Image.fromarray(x, mode="L")), y


def main():
    t_start = time.time()
    print(f"# CPU, {len(os.sched_getaffinity(0))} cores, workers={W}, bs={BS}, {N} images/folder, best of {REPS}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        items = write_folder(d/"photos", N)                            # 400-520 x 300-400 JPEGs, like Pets/CUB
        for train in (True, False):
            for w in sorted({0, W}):
                tv = rate(tv_loader(d/"photos", train, 224, 256, w))
                sb = rate(sb_loader(items, train, 224, 256, w))
                name = f"{'train' if train else 'eval'}_224_jpeg_w{w}"
                print(f"# {name}: synthbridge {sb:.0f} img/s, torchvision {tv:.0f} img/s")
                print(f"{name}_vs_torchvision: {sb/tv:.2f}")

        # CPU-demo sizes on in-memory Fashion-MNIST (5,000 pool images), per-item PIL transforms as the baseline
        pool = get_dataset("fashion-mnist").pool[:5000]
        for size, resize in ((32, 36), (64, 73)):
            for train in (True, False):
                tf = (T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.Grayscale(3), T.ToTensor()]) if train
                      else T.Compose([T.Resize(resize), T.CenterCrop(size), T.Grayscale(3), T.ToTensor()]))
                tv = rate(DataLoader(ArrayTV(pool, tf), batch_size=BS, shuffle=train, num_workers=0))
                dls = RealDataset("fm", [str(i) for i in range(10)], pool, pool).dls(bs=BS, size=size, resize=resize, device="cpu")
                sb = rate(dls.train if train else dls.valid)
                name = f"{'train' if train else 'eval'}_{size}_fashion_mnist_w0"
                print(f"# {name}: synthbridge {sb:.0f} img/s, torchvision {tv:.0f} img/s")
                print(f"{name}_vs_torchvision: {sb/tv:.2f}")

        # decode cost: the same synthetic images stored at 512 px vs at training size, trained at that size
        n = max(32, N//4)
        for ext, train_size in (("png", 224), ("png", 64), ("jpg", 224)):
            big = write_folder(d/f"s512{ext}{train_size}", n, size=512, ext=ext, seed=1)
            small = write_folder(d/f"s{train_size}{ext}", n, size=train_size, ext=ext, seed=1)
            r_big = rate(sb_loader(big, True, train_size, train_size, 0))
            r_small = rate(sb_loader(small, True, train_size, train_size, 0))
            print(f"# stored 512 vs {train_size} px {ext}, training at {train_size} px: {r_big:.0f} vs {r_small:.0f} img/s")
            print(f"decode_{ext}_stored_{train_size}_vs_512: {r_small/r_big:.2f}")
    print(f"# total {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()
