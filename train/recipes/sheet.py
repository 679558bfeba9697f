"""Before/after contact sheet of samples/ with a model (the README's picture).

    python train/recipes/sheet.py [--model CKPT] [--out train/recipes/contact_sheet.png]

One strip per sample photo (and one frame from the middle of each sample clip): the black and
white input, then the colorization at the model's default settings; two strips to a row.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.imageio import read_image
from colorcli.imagewrite import write_image

ROOT = Path(__file__).resolve().parents[2]
GAP = 4


def _pairs(colorizer: Colorizer, height: int) -> list[np.ndarray]:
    """One (gray | ours) strip per sample, all ``height`` pixels tall."""
    inputs = []
    for p in sorted((ROOT / "samples").glob("*.jpg")):
        px = read_image(p).pixels
        inputs.append(np.repeat(px[..., None], 3, -1) if px.ndim == 2 else px)
    for p in sorted((ROOT / "samples").glob("*.mp4")):
        with av.open(str(p)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        inputs.append(frames[len(frames) // 2])
    pairs = []
    for im in inputs:
        w = round(im.shape[1] * height / im.shape[0])
        tiles = [
            cv2.resize(x, (w, height), interpolation=cv2.INTER_AREA)
            for x in (im, colorizer.colorize(im))
        ]
        pairs.append(
            np.concatenate([tiles[0], np.full((height, GAP, 3), 255, np.uint8), tiles[1]], 1)
        )
    return pairs


def pack(pairs: list[np.ndarray], per_row: int) -> np.ndarray:
    """Lay the strips out ``per_row`` to a row, left-aligned, on white with gutters."""
    rows = [pairs[i : i + per_row] for i in range(0, len(pairs), per_row)]
    width = max(sum(p.shape[1] for p in r) + GAP * (len(r) + 1) * 3 for r in rows)
    height = pairs[0].shape[0]
    sheet = np.full((len(rows) * (height + GAP) + GAP, width, 3), 255, np.uint8)
    for i, r in enumerate(rows):
        x = GAP
        for p in r:
            y = GAP + i * (height + GAP)
            sheet[y : y + height, x : x + p.shape[1]] = p
            x += p.shape[1] + 3 * GAP
    return sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "train" / "recipes" / "contact_sheet.png")
    ap.add_argument("--height", type=int, default=200)
    ap.add_argument("--per-row", type=int, default=2)
    args = ap.parse_args()
    sheet = pack(_pairs(Colorizer(args.model, device="cpu"), args.height), args.per_row)
    write_image(args.out, sheet)
    print(args.out)


if __name__ == "__main__":
    main()
