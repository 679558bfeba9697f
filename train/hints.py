"""Simulated guidance for training a hint model: the hints a user, a reference photo or a
coloured still would give, drawn from the true colours of each crop.

Per crop (Zhang, Zhu et al. 2017, with dense hints added for references and stills):
- no hints at all, often, so the model stays the automatic one when it gets none;
- points: a geometric count (mean about 8) of square patches 1-9 pixels wide at random
  places, each holding its patch's mean true colour, mask 1;
- dense: a smooth random region (10-90% of the crop) of the true colours, slightly shifted and
  blurred as a warped still is, with a confidence below 1;
and, independently, sometimes the crop's palette (its distribution over the ab bins).
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.guide import palette_of
from colorcli.kernels.lab import AB_NORM

P_NONE = 0.25  # crops with no local hints
P_DENSE = 0.15  # crops with dense hints (the rest get points)
P_PALETTE = 0.2  # crops that also get their palette
MEAN_POINTS = 8
MAX_POINTS = 48
MAX_PATCH = 9


def _points(ab: np.ndarray, rng: np.random.Generator, guide: np.ndarray) -> None:
    h, w = ab.shape[:2]
    n = min(MAX_POINTS, int(rng.geometric(1.0 / MEAN_POINTS)))
    for _ in range(n):
        s = int(rng.integers(1, MAX_PATCH + 1))
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        guide[:2, y : y + s, x : x + s] = ab[y : y + s, x : x + s].mean(axis=(0, 1))[:, None, None]
        guide[2, y : y + s, x : x + s] = 1.0


def _dense(ab: np.ndarray, rng: np.random.Generator, guide: np.ndarray) -> None:
    h, w = ab.shape[:2]
    noise = rng.standard_normal((max(2, h // 32), max(2, w // 32))).astype(np.float32)
    field = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    region = field < np.quantile(field, rng.uniform(0.1, 0.9))
    dy, dx = rng.integers(-3, 4, size=2)
    moved = np.roll(ab, (int(dy), int(dx)), axis=(0, 1))
    k = int(rng.choice([1, 3, 5]))
    if k > 1:
        moved = cv2.GaussianBlur(moved, (k, k), 0)
    guide[:2][:, region] = moved[region].T
    guide[2][region] = rng.uniform(0.3, 1.0)


def simulate_guidance(
    ab: np.ndarray, bins: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Hints for a batch drawn from its true colours.

    ab: (B, H, W, 2) float32 true ab in Lab units, at the network's input resolution. Returns
    guide (B, 3, H, W) float32 (mask * ab / 110, the mask in [0, 1]) and palette (B, Q)
    float32 (zeros for a crop without one).
    """
    b, h, w, _ = ab.shape
    guide = np.zeros((b, 3, h, w), np.float32)
    palette = np.zeros((b, len(bins)), np.float32)
    for i in range(b):
        u = rng.random()
        if u >= P_NONE + P_DENSE:
            _points(ab[i], rng, guide[i])
        elif u >= P_NONE:
            _dense(ab[i], rng, guide[i])
        if rng.random() < P_PALETTE:
            palette[i] = palette_of(ab[i, ::4, ::4], bins)
    guide[:, :2] *= guide[:, 2:] / AB_NORM  # premultiplied by the mask
    return guide, palette
