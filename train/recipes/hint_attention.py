"""Fit a checkpoint's hint attention head (colorcli.attend) and write the checkpoint with it.

    python train/recipes/hint_attention.py MODEL TRAIN_DIR OUT.pt [--steps N] [--references R]

The network stays as it is; the head learns, on TRAIN_DIR's photos (runs/wide-data/train, the
model's own training photos), which of a photo's hints each pixel should take, from the
network's features. Choose settings on held-out photos: colorize eval --model OUT.pt --data
runs/wide-data/val --hints 10.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import astuple
from pathlib import Path

import torch

from colorcli.attend import EMBED, HIDDEN, head_record
from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.colorizer import Colorizer
from colorcli.train.attend import OTHERS, REFERENCES, PhotoPixels, fit_head, gather_pixels
from colorcli.train.data import _list_images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--embed", type=int, default=EMBED)
    ap.add_argument("--hidden", type=int, default=HIDDEN)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--references",
        type=float,
        default=REFERENCES,
        help="share of steps whose keys are another view of the photo",
    )
    ap.add_argument(
        "--others",
        type=float,
        default=OTHERS,
        help="share of those steps whose keys also (or only) come from another photo",
    )
    ap.add_argument(
        "--halves",
        type=float,
        default=0.0,
        help="share of photos sampled as one half, their view the other half",
    )
    ap.add_argument("--pooled-loss", action="store_true", help="one squared error over all photos")
    ap.add_argument("--cache", type=Path, help="keep the sampled pixels here (reused if present)")
    a = ap.parse_args()
    ckpt = load_checkpoint(a.model)
    colorizer = Colorizer(ckpt, device="cpu")
    paths = _list_images(a.data)
    t0 = time.time()
    if a.cache is not None and a.cache.exists():
        photos = [PhotoPixels(*t) for t in torch.load(a.cache, weights_only=True)]
    else:
        photos = []
        for item in gather_pixels(colorizer, paths, seed=a.seed, halves=a.halves):
            if isinstance(item, str):
                print("skipped", item, file=sys.stderr)
            else:
                photos.append(item)
        if a.cache is not None:
            torch.save([astuple(p) for p in photos], a.cache)
    print(f"{len(photos)} photos sampled in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    head = None
    for step, loss, fitted in fit_head(
        photos,
        a.steps,
        embed=a.embed,
        hidden=a.hidden,
        lr=a.lr,
        seed=a.seed,
        per_photo=not a.pooled_loss,
        references=a.references,
        others=a.others,
    ):
        head = fitted
        print(f"step {step}: loss {loss:.3f} ({time.time() - t0:.0f} s)", flush=True)
    ckpt.hint_attention = head_record(head)
    half = any(v.dtype == torch.float16 for v in ckpt.state_dict.values())
    save_checkpoint(ckpt, a.out, half=half)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
