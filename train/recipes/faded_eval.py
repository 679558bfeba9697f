"""Held-out photos made gray as they are, as a faded print, washed toward gray, dark and
mildly faded, coloured with the network's levels lift (``colorcli.levels``) and without it:
the mean PSNR of the output's colours on the photo's true lightness, and the colourfulness
against the truth's.

    python train/recipes/faded_eval.py runs/wide-data/val
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.imageio import read_image
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.options import PHOTO_EXTS
from colorcli.quality import psnr

FADES = {  # on the 8-bit gray
    "as is": None,
    "faded print": lambda g: 255 - (255 - g) * 0.55,
    "washed": lambda g: 128 + (g - 128) * 0.45,
    "dark": lambda g: g * 0.4,
    "mild fade": lambda g: 255 - (255 - g) * 0.8,
}


def chroma(rgb: np.ndarray) -> float:
    return float(np.hypot(*rgb_to_lab(rgb)[..., 1:].transpose(2, 0, 1)).mean())


def main() -> None:
    c = Colorizer(None, device="cpu")
    photos = []
    for p in sorted(Path(sys.argv[1]).rglob("*")):
        if p.suffix.lower() in PHOTO_EXTS:
            px = read_image(p).pixels
            if px.dtype == np.uint8 and px.ndim == 3:
                photos.append(np.ascontiguousarray(px[..., :3]))
    for name, fade in FADES.items():
        row = []
        for lift in (False, True):
            c.lift = lift
            scores, ours, truth = [], 0.0, 0.0
            for im in photos:
                l_true = rgb_to_lab(im)[..., 0]
                gray = compose_rgb8(l_true, np.zeros(l_true.shape + (2,), np.float32))
                if fade is not None:
                    gray = np.clip(fade(gray.astype(np.float32)), 0, 255).astype(np.uint8)
                ab = np.ascontiguousarray(rgb_to_lab(c.colorize(gray))[..., 1:])
                out = compose_rgb8(l_true, ab)
                scores.append(psnr(out, im))
                ours, truth = ours + chroma(out), truth + chroma(im)
            row.append(
                f"{'lift' if lift else 'as before'} {np.mean(scores):.2f} dB @{ours / truth:.0%}"
            )
        print(f"{name:<12}", "  ".join(row), f"({len(photos)} photos)", flush=True)


if __name__ == "__main__":
    main()
