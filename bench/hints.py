"""What a user's hints cost a photo, in one run: the time to colour each sample photo with 10
simulated hints, and with a hint layer painted over half of it (pooled to the head's 1024 hint
cells), against colouring it with none.

    python bench/hints.py [--model CKPT] [--repeat 7]

Medians over --repeat runs per photo, then the median ratio over the sample photos (their own
colours as the hints' truth does not matter for timing: the gray samples give gray hints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.kernels import median_time  # noqa: E402
from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.guide import Guide  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402
from colorcli.train.hinteval import simulate_hints  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    c = Colorizer(a.model, device="cpu")
    if not c.follows_hints:
        sys.exit(f"{a.model}: this model takes no hints")
    rng = np.random.default_rng(0)
    rows = []
    for p in sorted(SAMPLES.glob("*.jpg")):
        img = read_image(p).rgb
        h, w = img.shape[:2]
        points = simulate_hints(img, 10, p.name).guide
        layer = Guide(
            ab=rng.normal(0, 20, (h, w, 2)).astype(np.float32),
            mask=(rng.random((h, w)) < 0.5).astype(np.float32),
        )
        none = median_time(c.colorize, (img,), a.repeat)
        ten = median_time(c.colorize, (img, points), a.repeat)
        half = median_time(c.colorize, (img, layer), a.repeat)
        rows.append((ten / none, half / none))
        print(f"{p.name:<22} {w}x{h}  none {none:.3f} s  10 hints {ten:.3f} s  layer {half:.3f} s")
    ten_r, half_r = np.median(np.array(rows), axis=0)
    print(f"median cost over no hints: 10 hints {ten_r:.2f}x, half-painted layer {half_r:.2f}x")


if __name__ == "__main__":
    main()
