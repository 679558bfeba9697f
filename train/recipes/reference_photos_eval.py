"""--reference on held-out photos: each photo coloured after another view of itself (a crop of
60-100% of each side, mirrored half the time: the same things), each half of it after the
other half (the same place and light, other things in part: as another shot of one scene) and
after another photo of the set (other things), against moving the reference's mean ab onto
the photo and against gray.
A validation set for the exemplar that is not a test clip: choose --reference's settings here
(and on bigbuckbunny), not on bikes.

    python train/recipes/reference_photos_eval.py [DIR] [--model M.pt] [--short 384]

DIR: runs/wide-data/val (photos below colourfulness 15 are left out, as colorize eval does).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.quality import colorfulness, psnr
from colorcli.train.attend import _view
from colorcli.train.evaluate import _load_rgb8, eval_paths


def _photos(folder: Path, short: int) -> list[np.ndarray]:
    """The folder's photos at short side at most ``short``, the colourless ones left out."""
    photos = (_load_rgb8(p, short) for p in eval_paths(folder))
    return [im for im in photos if colorfulness(im) >= 15]


def _halves(im: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The photo's two halves across its long side (no pixel in both)."""
    h, w = im.shape[:2]
    if w >= h:
        return im[:, : w // 2], im[:, w - w // 2 :]
    return im[: h // 2], im[h - h // 2 :]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path, nargs="?", default=Path("runs/wide-data/val"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--short", type=int, default=384, help="photos' short side at most")
    a = ap.parse_args()
    c = Colorizer(a.model, device="cpu")
    photos = _photos(a.data, a.short)
    rng = np.random.default_rng(0)
    scores: dict[str, dict[str, list[float]]] = {}
    for i, im in enumerate(photos):
        one, two = (np.ascontiguousarray(x) for x in _halves(im))
        pairs = [
            ("another view", im, _view(im, rng)),
            ("the other half", one, two),
            ("the other half", two, one),
            ("another photo", im, photos[(i + len(photos) // 2) % len(photos)]),
        ]
        for kind, photo, ref in pairs:
            lum = lightness(photo)
            mean = rgb_to_lab(ref)[..., 1:].reshape(-1, 2).mean(axis=0).astype(np.float32)
            rows = {
                "gray": compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32)),
                "reference's mean ab": compose_rgb8(
                    lum, np.broadcast_to(mean, lum.shape + (2,)).copy()
                ),
                "--reference": c.colorize_like(photo, ref),
            }
            for name, out in rows.items():
                scores.setdefault(kind, {}).setdefault(name, []).append(psnr(out, photo))
    print(f"{len(photos)} photos from {a.data} (short side at most {a.short})")
    for kind, rows in scores.items():
        print(f"  reference: {kind}")
        for name, vals in rows.items():
            print(f"    {name:<22}{np.mean(vals):>7.2f} dB")


if __name__ == "__main__":
    main()
