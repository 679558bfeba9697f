"""How far a model's colours move when its input lightness moves a little, in one run.

    python bench/robust.py [--model CKPT ...] [--grain 2.0] [--repeat 3]

For each model (the shipped one first, then each --model), the mean Euclidean ab change per
pixel, at the network's output resolution, between two inputs that differ only slightly in L*:
(luma) the sample clip's frames, L* from the 8-bit luma plane (the video path) against L* from
       the frame converted to RGB (the image path): about 0.2 L* apart on average;
(grain) the sample photos, as they are against with Gaussian grain of --grain L* added at full
       resolution (seeded), which is what film grain and scanner noise do; decoded as a film's
       frames are, and (photo grain) as photos are (the checkpoint's photo decode).
A colorizer whose ab jumps with such differences makes a film flicker. The figures are medians
over --repeat grain seeds; the ratio column divides by the shipped model's figure of this run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import Yuv420Route, lightness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _shift(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1]).mean())


def luma_shift(c: Colorizer, clip: Path, every: int = 10) -> float:
    """Mean ab change, L* from the luma plane against L* from RGB, every ``every``-th frame."""
    shifts = []
    with av.open(str(clip)) as f:
        cc = f.streams.video[0].codec_context
        yuv = Yuv420Route.for_stream(cc)
        for i, frame in enumerate(f.decode(video=0)):
            if i % every:
                continue
            l_luma = yuv.split(frame.to_ndarray()[: cc.height], c.net_shape(cc.height, cc.width))[1]
            l_rgb = c.l_net(lightness(frame.to_ndarray(format="rgb24")))
            a, b = c.predict_ab([l_luma, l_rgb])
            shifts.append(_shift(a, b))
    return float(np.mean(shifts))


def grain_shift(
    c: Colorizer, photos: list[Path], sigma: float, seeds: int, photo: bool = False
) -> float:
    """Median over ``seeds`` seeded draws of the mean ab change over the photos with Gaussian
    grain of ``sigma`` L* added. The clean photos go through the network once. ``photo``:
    seen and decoded as photos are (at the photo decode's network size, where it has one)."""
    rngs = [np.random.default_rng(seed) for seed in range(seeds)]
    shifts = np.empty((seeds, len(photos)))
    size = c.photo_size if photo else c.size
    for j, p in enumerate(photos):
        l_full = lightness(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
        clean = c.predict_ab([c.l_net(l_full, size)], photo=photo)[0]
        for i, rng in enumerate(rngs):
            noisy = np.clip(l_full + rng.normal(0.0, sigma, l_full.shape), 0, 100)
            noisy_ab = c.predict_ab([c.l_net(noisy.astype(np.float32), size)], photo=photo)[0]
            shifts[i, j] = _shift(clean, noisy_ab)
    return float(np.median(shifts.mean(axis=1)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, action="append", default=[])
    ap.add_argument("--grain", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clip = ROOT / "samples" / "bikes_bw.mp4"
    photos = sorted((ROOT / "samples").glob("*_bw.jpg"))
    rows = []
    for m in [None, *args.model]:
        c = Colorizer(m, device="cpu")
        luma = luma_shift(c, clip)
        grain = grain_shift(c, photos, args.grain, args.repeat)
        photo = grain_shift(c, photos, args.grain, args.repeat, photo=True)
        rows.append(("shipped" if m is None else str(m), luma, grain, photo))
    print(
        f"ab change per pixel (sample clip: luma vs RGB; {len(photos)} photos: grain {args.grain} L*)"
    )
    print(
        f"{'model':40s} {'luma':>6s} {'ratio':>6s} {'grain':>6s} {'ratio':>6s} {'photo grain':>11s} {'ratio':>6s}"
    )
    for name, luma, grain, photo in rows:
        print(
            f"{name[-40:]:40s} {luma:6.2f} {luma / rows[0][1]:6.2f} {grain:6.2f} {grain / rows[0][2]:6.2f} {photo:11.2f} {photo / rows[0][3]:6.2f}"
        )


if __name__ == "__main__":
    main()
