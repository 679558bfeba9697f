"""Before/after contact sheet of samples/ with a model (the README's picture).

    python train/recipes/sheet.py [--model CKPT] [--out samples/contact_sheet.png]

One row per sample photo (and one frame from the middle of each sample clip): the black and
white input, then the colorization at the model's default settings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.imageio import read_image, write_image
from colorcli.train.loop import contact_sheet

ROOT = Path(__file__).resolve().parents[2]


def _rows(colorizer: Colorizer, height: int) -> list[list[np.ndarray]]:
    rows = []
    inputs = []
    for p in sorted((ROOT / "samples").glob("*.jpg")):
        px = read_image(p).pixels
        inputs.append(np.repeat(px[..., None], 3, -1) if px.ndim == 2 else px)
    for p in sorted((ROOT / "samples").glob("*.mp4")):
        with av.open(str(p)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        inputs.append(frames[len(frames) // 2])
    width = max(round(im.shape[1] * height / im.shape[0]) for im in inputs)
    for im in inputs:
        out = colorizer.colorize(im)
        row = []
        for x in (im, out):
            w = round(x.shape[1] * height / x.shape[0])
            tile = np.full((height, width, 3), 255, np.uint8)
            tile[:, :w] = cv2.resize(x, (w, height), interpolation=cv2.INTER_AREA)
            row.append(tile)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "samples" / "contact_sheet.png")
    ap.add_argument("--height", type=int, default=220)
    args = ap.parse_args()
    sheet = contact_sheet(_rows(Colorizer(args.model, device="cpu"), args.height))
    write_image(args.out, sheet)
    print(args.out)


if __name__ == "__main__":
    main()
