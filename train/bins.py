"""The colour classes a classification model predicts over: the fixed gamut grid, or K classes
fitted on the chroma of the training pixels.

- ``grid``: every 10-unit cell of the space that an 8-bit colour falls in (Zhang et al.).
- ``freq:K``: the K grid cells that hold the most training pixels (the ColorUNet poster's 32).
- ``kmeans:K``: K centres of k-means (k-means++ start, Lloyd iterations) on the pixels.
- ``som:K``: the K nodes of a self-organising map (Kohonen; Richart et al. 2017), a rows x cols
  sheet as square as K allows, trained in batch mode with a shrinking neighbourhood.

Fits are seeded and deterministic, so a resumed run (which also caches them) and a rerun of the
same data get the same classes. Classes are returned sorted by (first, second) chroma.
"""

from __future__ import annotations

import math

import numpy as np

from colorcli.chroma import gamut_grid
from colorcli.errors import ConfigError
from colorcli.train.config import parse_bins

FIT_SAMPLES = 100_000  # pixels the k-means and SOM fits see (of the prior's sample)


def _sorted(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, np.float32)
    return np.ascontiguousarray(c[np.lexsort((c[:, 1], c[:, 0]))])


def _nearest(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of, and squared distance to, the nearest centre for each row of x (chunked)."""
    idx = np.empty(len(x), np.int64)
    d2 = np.empty(len(x), np.float64)
    for s in range(0, len(x), 16384):
        d = ((x[s : s + 16384, None, :] - centres[None]) ** 2).sum(-1)
        idx[s : s + 16384] = d.argmin(1)
        d2[s : s + 16384] = d[np.arange(len(d)), idx[s : s + 16384]]
    return idx, d2


def freq_bins(chroma: np.ndarray, grid: np.ndarray, k: int) -> np.ndarray:
    """The k grid cells holding most pixels (ties: the lower index)."""
    idx, _ = _nearest(chroma, grid)
    counts = np.bincount(idx, minlength=len(grid))
    held = int((counts > 0).sum())
    if k > held:
        raise ConfigError(
            f"--bins freq:{k}: the training pixels fall in only {held} cells of the grid"
        )
    return _sorted(grid[np.argsort(-counts, kind="stable")[:k]])


def kmeans_bins(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 60) -> np.ndarray:
    """k-means++ then Lloyd iterations; an emptied centre moves to the worst-fitted pixel."""
    x = x.astype(np.float64)
    centres = np.empty((k, 2))
    centres[0] = x[rng.integers(len(x))]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for i in range(1, k):
        total = d2.sum()
        pick = rng.choice(len(x), p=d2 / total) if total > 0 else rng.integers(len(x))
        centres[i] = x[pick]
        d2 = np.minimum(d2, ((x - centres[i]) ** 2).sum(1))
    prev = None
    for _ in range(iters):
        idx, d2 = _nearest(x, centres)
        if prev is not None and np.array_equal(idx, prev):
            break
        prev = idx
        counts = np.bincount(idx, minlength=k)
        sums = np.stack([np.bincount(idx, x[:, c], minlength=k) for c in (0, 1)], 1)
        for j in np.flatnonzero(counts == 0):
            far = int(d2.argmax())
            sums[j], counts[j], d2[far] = x[far], 1, 0.0
        centres = sums / counts[:, None]
    return _sorted(centres)


def _sheet(k: int) -> tuple[int, int]:
    rows = max(r for r in range(1, math.isqrt(k) + 1) if k % r == 0)
    return rows, k // rows


def som_bins(x: np.ndarray, k: int, epochs: int = 40) -> np.ndarray:
    """A rows x cols self-organising map, batch-trained: each epoch every node moves to the
    mean of the pixels whose best node lies near it on the sheet (Gaussian neighbourhood whose
    width shrinks from half the sheet to a fraction of a node). Starts on the plane of the
    pixels' two principal axes, so the fit needs no random numbers."""
    x = x.astype(np.float64)
    rows, cols = _sheet(k)
    mean = x.mean(0)
    cov = np.cov((x - mean).T) if len(x) > 1 else np.eye(2)
    vals, vecs = np.linalg.eigh(cov)
    spread = np.sqrt(np.maximum(vals[::-1], 1e-6)) * 2.0
    axes = vecs[:, ::-1]
    span = [np.linspace(-1, 1, n) if n > 1 else np.zeros(1) for n in (rows, cols)]
    gr, gc = (a.ravel() for a in np.meshgrid(*span, indexing="ij"))
    # the sheet's longer side along the pixels' main axis
    start = np.stack([gc, gr] if cols >= rows else [gr, gc], 1)
    nodes = mean + (start * spread) @ axes.T
    sheet = np.stack([np.repeat(np.arange(rows), cols), np.tile(np.arange(cols), rows)], 1)
    far = ((sheet[:, None, :] - sheet[None]) ** 2).sum(-1).astype(np.float64)
    s0, s1 = max(rows, cols) / 2.0, 0.3
    for e in range(epochs):
        sigma = s0 * (s1 / s0) ** (e / max(1, epochs - 1))
        h = np.exp(-far / (2 * sigma * sigma))  # (node, node): pull of a pixel's best node
        idx, _ = _nearest(x, nodes)
        counts = np.bincount(idx, minlength=k).astype(np.float64)
        sums = np.stack([np.bincount(idx, x[:, c], minlength=k) for c in (0, 1)], 1)
        weight = h @ counts
        keep = weight > 1e-12
        nodes[keep] = (h @ sums)[keep] / weight[keep, None]
    return _sorted(nodes)


def fit_bins(spec: str, space: str, chroma: np.ndarray, seed: int) -> np.ndarray:
    """The classes of ``spec`` for colour space ``space``, fitted on ``chroma`` ((N, 2)
    float32 pixel chroma, the prior's sample). Returns (Q, 2) float32."""
    kind, k = parse_bins(spec)
    grid = gamut_grid(space)
    if kind == "grid":
        return grid
    assert k is not None
    if kind == "freq":
        return freq_bins(chroma, grid, k)
    rng = np.random.default_rng([seed, 11])
    x = chroma[rng.choice(len(chroma), size=min(FIT_SAMPLES, len(chroma)), replace=False)]
    distinct = len(np.unique(np.round(x, 1), axis=0))
    if distinct < k:
        raise ConfigError(f"--bins {spec}: the training pixels hold only {distinct} colours")
    return kmeans_bins(x, k, rng) if kind == "kmeans" else som_bins(x, k)
