"""Halftone prints (``colorcli/halftone.py``): is the screen found, and does the network seeing
the print descreened colour it better than seeing its dots?

    python bench/halftone.py [--data runs/wide-data/val] [--model M.pt] [--short 768]
                             [--false DIR ...]

Each held-out photo (colourfulness 15 and up, short side ``--short``) made gray and printed
with a clustered-dot screen (round dots on a square lattice, ink L* 8 on paper L* 92, as much
ink as reproduces the photo's tone in linear light) of a
period of 3, 4.5, 6 and 8 pixels: at 45 degrees and a light blur (``clean``), and at 15
degrees scanned (a blur of 1 pixel, grain of 3 levels, JPEG quality 85). For each: how many
screens are found; the colours' distance from the truth (mean ab, CIE76) and PSNR against the
truth's colours on the same lightness (the scan's dots are kept either way) for gray, the
model seeing the dots (before) and seeing the print descreened (now), beside the model
colouring the photo's own continuous gray (what a perfect descreen would give at most).
``--false``: folders of photos (colour and each made gray) counted where a screen is found.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import colorcli.netrun as nr  # noqa: E402
from bench.cards import readable_photos  # noqa: E402
from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import lightness  # noqa: E402
from colorcli.halftone import screen_period  # noqa: E402
from colorcli.kernels import compose_rgb8, rgb_to_lab  # noqa: E402
from colorcli.quality import colorfulness, psnr  # noqa: E402
from colorcli.train.evaluate import _load_rgb8, eval_paths  # noqa: E402
from tests.media import halftone_print  # noqa: E402

PERIODS = (3.0, 4.5, 6.0, 8.0)
KINDS = {  # name: (angle, blur, grain, jpeg)
    "clean, 45 deg": (45.0, 0.6, 0.0, None),
    "scanned, 15 deg": (15.0, 1.0, 3.0, 85),
}


def _scores(out: np.ndarray, lum: np.ndarray, truth_ab: np.ndarray, truth: np.ndarray):
    ab = rgb_to_lab(out)[..., 1:]
    err = float(np.hypot(*(ab - truth_ab).transpose(2, 0, 1)).mean())
    return err, psnr(compose_rgb8(lum, ab.astype(np.float32)), truth)


def quality(c: Colorizer, photos: list[np.ndarray]) -> None:
    """The table of found screens and colours, per kind and period."""
    see_dots = nr.seen_by_network
    print(f"{len(photos)} photos; ab distance from the truth (lower is better) / PSNR on the")
    print("scan's lightness (higher is better)")
    print(f"{'print':<26}{'found':>7}{'gray':>14}{'before':>14}{'now':>14}{'continuous':>14}")
    for kind, (angle, blur, grain, jpeg) in KINDS.items():
        for period in PERIODS:
            rows: dict[str, list] = {k: [] for k in ("gray", "before", "now", "continuous")}
            found = 0
            for im in photos:
                g = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)
                scan = halftone_print(g, period, angle, blur, grain, jpeg)
                lum = lightness(scan)
                truth_ab = rgb_to_lab(im)[..., 1:]
                truth = compose_rgb8(lum, truth_ab.astype(np.float32))
                found += screen_period(lum) is not None
                gray = np.dstack([g] * 3)
                nr.seen_by_network = lambda lf, shrink: lf  # noqa: E731 (the network sees the dots)
                before = c.colorize(scan)
                nr.seen_by_network = see_dots
                outs = {
                    "gray": scan,
                    "before": before,
                    "now": c.colorize(scan),
                    "continuous": c.colorize(gray),
                }
                for k, out in outs.items():
                    rows[k].append(_scores(out, lum, truth_ab, truth))
            cells = "".join(
                f"{np.mean([r[0] for r in v]):>7.2f} /{np.mean([r[1] for r in v]):>5.2f}"
                for v in rows.values()
            )
            print(f"{kind + f', period {period:g}':<26}{found:>4}/{len(photos):<3}{cells}")


def false_finds(folders: list[Path]) -> None:
    """Photos (colour and made gray) in which a screen is found, and the time per photo."""
    n, hits, spent = 0, [], []
    for path, px in readable_photos(folders):
        if px.ndim == 2:
            px = np.repeat(px[..., None], 3, -1)
        if px.dtype != np.uint8:
            px = (px // 257).astype(np.uint8)
        rgb = np.ascontiguousarray(px[..., :3])
        for pic in (rgb, np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)] * 3)):
            lum = lightness(pic)
            t = time.perf_counter()
            period = screen_period(lum)
            spent.append(time.perf_counter() - t)
            n += 1
            if period is not None:
                hits.append(f"{path} ({period:.2f} px)")
    print(f"false finds: {len(hits)} of {n} photos; median {1000 * np.median(spent):.1f} ms each")
    for h in hits:
        print(f"  {h}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("runs/wide-data/val"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--short", type=int, default=768)
    ap.add_argument("--false", type=Path, nargs="*", default=[])
    a = ap.parse_args()
    c = Colorizer(a.model, device="cpu")
    photos = [_load_rgb8(p, a.short) for p in eval_paths(a.data)]
    quality(c, [im for im in photos if colorfulness(im) >= 15])
    if a.false:
        false_finds(a.false)


if __name__ == "__main__":
    main()
