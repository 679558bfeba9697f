"""A reference photo of similar content: a frame of a real colour clip made gray, coloured after
a colour frame of the same scene at least 4 s later, against moving the reference's mean ab
onto the gray frame, the automatic output and gray.

    python train/recipes/reference_eval.py CLIP.mp4 [CLIP.mp4 ...] [--model M.pt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.quality import psnr
from colorcli.refs import scene_starts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--model", default=None)
    a = ap.parse_args()
    c = Colorizer(a.model, device="cpu")
    for clip in a.clips:
        with av.open(str(clip)) as ct:
            rate = float(ct.streams.video[0].average_rate)
            frames = [f.to_ndarray(format="rgb24") for f in ct.decode(video=0)]
        starts, n = scene_starts(clip, 24.0, c.net_shape(*frames[0].shape[:2]))
        bounds = list(zip(starts, [*starts[1:], n], strict=True))
        first, end = max(bounds, key=lambda b: b[1] - b[0])  # the longest scene
        gap = round(4 * rate)
        g = first + min(10, max(0, end - first - gap - 1))
        r = g + gap
        if r >= end:
            print(f"{clip.name}: no scene is 4 s long")
            continue
        truth, ref = frames[g], frames[r]
        lum = lightness(truth)
        mean_ab = rgb_to_lab(ref)[..., 1:].reshape(-1, 2).mean(axis=0)
        rows = {
            "gray": compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32)),
            "reference's mean ab": compose_rgb8(
                lum, np.broadcast_to(mean_ab.astype(np.float32), lum.shape + (2,)).copy()
            ),
            "automatic": c.colorize(truth),
            "--reference": c.colorize_like(truth, ref),
        }
        print(f"{clip.name}: frame {g} after frame {r} ({(r - g) / rate:.1f} s later)")
        for name, img in rows.items():
            print(f"  {name:<22}{psnr(img, truth):>7.2f} dB")


if __name__ == "__main__":
    main()
