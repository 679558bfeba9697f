"""Photos a second on the sample photos, per model and network size, in one run.

    python bench/photos.py [--model CKPT ...] [--size N ...] [--precision P ...] [--repeat 5]
        [--batch-size 4]

Every (model, size, precision) colours the seven sample photos with ``colorize_batch`` (batches of
--batch-size, on the CPU); they take turns, --repeat rounds, after one warm-up each. Quotes
the median rate and its ratio to the first's. No --size: each model's own.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", default=None)
    ap.add_argument("--size", type=int, action="append", default=None)
    ap.add_argument("--precision", action="append", default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=4)
    a = ap.parse_args()
    photos = [read_image(p).pixels for p in sorted(SAMPLES.glob("*.jpg"))]
    pairs = list(itertools.product(a.model or [None], a.size or [None], a.precision or ["auto"]))
    colorizers = [
        Colorizer(m, device="cpu", batch_size=a.batch_size, size=s, precision=p)
        for m, s, p in pairs
    ]
    for c in colorizers:
        c.colorize_batch(photos)
    times: list[list[float]] = [[] for _ in pairs]
    for _ in range(a.repeat):
        for c, ts in zip(colorizers, times, strict=True):
            t = time.perf_counter()
            c.colorize_batch(photos)
            ts.append(time.perf_counter() - t)
    rates = [len(photos) / float(np.median(ts)) for ts in times]
    print(f"{len(photos)} sample photos, batches of {a.batch_size}, median of {a.repeat}")
    print(f"{'model':40s} {'size':>6s} {'precision':>9s} {'photos/s':>9s} {'ratio':>6s}")
    for (m, s, p), r in zip(pairs, rates, strict=True):
        name = str(m or "shipped")
        print(f"{name:40s} {str(s or 'own'):>6s} {p:>9s} {r:9.2f} {r / rates[0]:6.2f}")


if __name__ == "__main__":
    main()
