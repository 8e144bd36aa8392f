"""Peak RSS of `invert_style` does not grow with the dataset: the latent cache is on disk (float16 chunks), encoded
in batches, and a step reads only the rows it draws. Each dataset size runs in a fresh subprocess (tiny random
pipeline from synthbridge.testing, CPU, one torch thread), long enough that every image gets encoded; the process's
`ru_maxrss` is its peak. Prints `name: ratio` lines: peak RSS at 5,000 images / peak RSS at 500 (target <= 1.2).

    python bench/bench_dsi_rss.py [--sizes 500,5000] [--resolution 64] [--steps 60]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASSES = ["red", "green", "blue", "cyan", "magenta"]

CHILD = """
import json, resource, sys, time, torch
from pathlib import Path
torch.set_num_threads(1)
from synthbridge.generation.dsi import invert_style
from synthbridge.testing import tiny_pipeline
data, out, res, steps = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
classes = json.loads(sys.argv[5])
files = sorted(data.rglob("*.png")); labels = [classes.index(p.parent.name) for p in files]
t0 = time.perf_counter()
invert_style(tiny_pipeline(), files, labels, classes, out, steps=steps, batch_size=4, resolution=res, progress=False,
             checkpoint_every=steps)
info = json.loads((out/"dsi.json").read_text())
print("RESULT " + json.dumps(dict(peak_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, n=len(files),
      seconds=time.perf_counter() - t0, latents=info["latents"], encode_seconds=info["encode_seconds"])))
"""


def _folder(root: Path, n: int, size: int) -> Path:
    from synthbridge.testing import tiny_image_folder
    return tiny_image_folder(root, classes=CLASSES, n=n//len(CLASSES), size=size)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--steps", type=int, default=60)
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    res = {}
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            data = _folder(Path(d)/f"real{n}", n, a.resolution)
            r = subprocess.run([sys.executable, "-c", CHILD, str(data), str(Path(d)/f"out{n}"), str(a.resolution),
                                str(a.steps), json.dumps(CLASSES)], env=env, capture_output=True, text=True)
            if r.returncode: sys.exit(f"{n} images failed:\n{r.stderr[-4000:]}")
            res[n] = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("RESULT "))[7:])
            lat = res[n]["latents"]
            per_image = 2*2*4*(a.resolution//2)**2                     # tiny VAE: factor 2, 4 channels
            print(f"# {res[n]['n']} images at {a.resolution} px: peak RSS {res[n]['peak_kib']/1024:.0f} MiB, "
                  f"{lat['encoded_chunks']}/{lat['chunks']} chunks encoded in {res[n]['encode_seconds']:.1f} s "
                  f"(cache on disk {per_image*2*res[n]['n']/2**20:.0f} MiB fp16; in RAM as fp32 it would be "
                  f"{per_image*4*res[n]['n']/2**20:.0f} MiB), run {res[n]['seconds']:.1f} s", flush=True)
            if lat["encoded_chunks"] != lat["chunks"]: print(f"# warning: not every chunk was drawn at {n} images")
    lo, hi = min(sizes), max(sizes)
    print(f"dsi_peak_rss_{hi}_vs_{lo}_images: {res[hi]['peak_kib']/res[lo]['peak_kib']:.3f}")


if __name__ == "__main__":
    main()
