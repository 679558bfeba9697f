"""What folding the batch norms into their convolutions (colorcli/foldnorm.py) gains a film, in
one run: frames/s of the shipped model's film pipeline with the norms folded (as colorize
runs it) against the same model unfolded, on synthetic 480p and 1080p clips.

    python bench/foldnorm.py [--seconds 4] [--repeat 5] [--keyframes 4]

The two colorizers take turns, --repeat rounds after one warm-up each; medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import colorcli.colorizer as colorizer_module  # noqa: E402
from bench.video import make_source, pipeline  # noqa: E402
from colorcli.colorizer import Colorizer  # noqa: E402


def unfolded(batch: int) -> Colorizer:
    """The shipped model's colorizer as it was before folding: its batch norms kept."""
    fold = colorizer_module.fold_norms
    colorizer_module.fold_norms = lambda model, sites: 0
    try:
        return Colorizer(None, device="cpu", batch_size=batch)
    finally:
        colorizer_module.fold_norms = fold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keyframes", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    runs = {"folded": Colorizer(None, device="cpu", batch_size=4), "unfolded": unfolded(4)}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (w, h) in {"480p": (854, 480), "1080p": (1920, 1080)}.items():
            src = make_source(Path(tmp) / f"{label}.mp4", w, h, a.seconds)
            out = Path(tmp) / "out.mp4"
            fps: dict[str, list[float]] = {k: [] for k in runs}
            for c in runs.values():
                pipeline(src, out, c, keyframes=a.keyframes)
            for _ in range(a.repeat):
                for k, c in runs.items():
                    fps[k].append(pipeline(src, out, c, keyframes=a.keyframes)[0])
            m = {k: statistics.median(v) for k, v in fps.items()}
            print(
                f"{label}, keyframes {a.keyframes}: folded {m['folded']:.1f} frames/s, unfolded "
                f"{m['unfolded']:.1f}: {m['folded'] / m['unfolded']:.2f}x (median of {a.repeat})"
            )


if __name__ == "__main__":
    main()
