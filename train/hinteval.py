"""Scoring guided colour: seeded simulated hints for a photo, and the naive baseline that
spreads the same hints over the photo with a Gaussian in (x, y, L)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from colorcli.guide import Guide
from colorcli.kernels import compose_rgb8, rgb_to_lab

HINT_SIDE = 5  # each simulated hint is a square of this many pixels of the photo
# the baseline's widths, chosen on the validation photos (see MODEL.md): a hint reaches about
# a fifth of the photo's diagonal, and pixels of other lightness less
SPREAD_XY = 0.2
SPREAD_L = 15.0


@dataclass(frozen=True)
class Hints:
    """Square hints of a photo: centres (K, 2) as (x, y) pixels, their mean L* lum (K,) and true
    mean ab (K, 2), and the same as a Guide at the photo's size."""

    centres: np.ndarray
    lum: np.ndarray
    ab: np.ndarray
    guide: Guide


def simulate_hints(truth: np.ndarray, count: int, key: str) -> Hints:
    """``count`` seeded 5x5 squares of the true colour of an (H, W, 3) uint8 photo, at places
    drawn from a generator seeded by ``key`` (the photo's name), so every model and baseline
    gets the same hints."""
    lab = rgb_to_lab(truth)
    h, w = truth.shape[:2]
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    ab = np.zeros((h, w, 2), np.float32)
    mask = np.zeros((h, w), np.float32)
    s = HINT_SIDE
    ys = rng.integers(0, max(1, h - s + 1), size=count)
    xs = rng.integers(0, max(1, w - s + 1), size=count)
    means_l, means_ab = [], []
    for y, x in zip(ys, xs, strict=True):
        patch = lab[y : y + s, x : x + s].reshape(-1, 3).mean(axis=0)
        ab[y : y + s, x : x + s] = patch[1:]
        mask[y : y + s, x : x + s] = 1.0
        means_l.append(patch[0])
        means_ab.append(patch[1:])
    centres = np.stack([xs + s / 2, ys + s / 2], axis=1).astype(np.float32)
    return Hints(
        centres,
        np.asarray(means_l, np.float32),
        np.asarray(means_ab, np.float32),
        Guide(ab=ab, mask=mask),
    )


def spread_hints(
    truth: np.ndarray, hints: Hints, sigma_xy: float = SPREAD_XY, sigma_l: float = SPREAD_L
) -> np.ndarray:
    """The baseline: every pixel takes the mean of the hints' colours weighted by a Gaussian of
    its distance to each in (x, y) (``sigma_xy`` of the diagonal) and in L (``sigma_l``); the
    photo's own L is kept. Returns (H, W, 3) uint8."""
    lum = rgb_to_lab(truth)[..., 0]
    h, w = lum.shape
    if len(hints.lum) == 0:
        return compose_rgb8(lum, np.zeros((h, w, 2), np.float32))
    sxy = sigma_xy * float(np.hypot(h, w))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    num = np.zeros((h, w, 2), np.float64)
    den = np.zeros((h, w), np.float64)
    for (cx, cy), lk, abk in zip(hints.centres, hints.lum, hints.ab, strict=True):
        d2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sxy**2) + (lum - lk) ** 2 / (2 * sigma_l**2)
        wk = np.exp(-d2)
        num += wk[..., None] * abk
        den += wk
    ab = (num / np.maximum(den, 1e-12)[..., None]).astype(np.float32)
    return compose_rgb8(lum, ab)


__all__ = ["HINT_SIDE", "Hints", "simulate_hints", "spread_hints"]
