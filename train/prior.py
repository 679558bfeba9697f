"""The colour classes of a run, their empirical prior and the rebalancing weights (Zhang et al.
2016, section 2.2), from one seeded sample of training pixels.

bins  = the space's gamut grid, or K classes fitted on the sample (``colorcli.train.bins``)
p     = histogram of the sample's chroma over the bins, normalised to sum to 1
p~    = p smoothed with a Gaussian over chroma (sigma 5 units), renormalised
w     ~ ((1 - lambda) p~ + lambda / Q) ** -alpha, scaled so that sum_q p~_q w_q = 1
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from colorcli.chroma import gamut_grid, to_space
from colorcli.kernels import ab_histogram
from colorcli.train.bins import fit_bins
from colorcli.train.config import TrainConfig


def pixel_sample(images, cfg: TrainConfig) -> np.ndarray:
    """Up to ``prior_pixels`` chroma values, an equal seeded share from each photo. (N, 2)."""
    rng = np.random.default_rng([cfg.seed, 7])
    per_image = max(1, cfg.prior_pixels // max(1, len(images)))
    samples = []
    for im in images:
        chroma = to_space(im.rgb[None], cfg.color_space)[1].reshape(-1, 2)
        pick = rng.choice(len(chroma), size=min(per_image, len(chroma)), replace=False)
        samples.append(chroma[pick])
    return np.concatenate(samples)


def colour_classes(
    images, cfg: TrainConfig, cache: Path | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bins, smoothed prior, rebalancing weights), cached in the run folder for resumes (a
    cache from before fitted classes holds the grid's prior and no bins)."""
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            bins = z["bins"] if "bins" in z else gamut_grid(cfg.color_space)
            return bins.astype(np.float32), z["prior"], z["weights"]
    sample = pixel_sample(images, cfg)
    bins = fit_bins(cfg.bins, cfg.color_space, sample, cfg.seed)
    prior = smooth_prior(empirical_prior(sample, bins), bins, cfg.prior_sigma)
    weights = rebalance_weights(prior, cfg.rebalance_lambda, cfg.rebalance_alpha)
    if cache is not None:
        tmp = cache.with_name(f".{cache.stem}.tmp.npz")
        np.savez(tmp, bins=bins, prior=prior, weights=weights)
        os.replace(tmp, cache)
    return bins, prior, weights


def empirical_prior(ab: np.ndarray, ab_bins: np.ndarray) -> np.ndarray:
    """ab: (N, 2) float32 pixel colours. Returns (Q,) float64 frequencies summing to 1."""
    counts = ab_histogram(ab, ab_bins)
    total = counts.sum()
    if total == 0:
        raise ValueError("no pixels to compute a prior from")
    return counts / total


def smooth_prior(prior: np.ndarray, ab_bins: np.ndarray, sigma: float = 5.0) -> np.ndarray:
    """Gaussian smoothing over the bin centres in ab. Returns (Q,) float64 summing to 1."""
    if sigma <= 0:
        return prior / prior.sum()
    d2 = ((ab_bins[:, None, :].astype(np.float64) - ab_bins[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2.0 * sigma * sigma))
    kernel /= kernel.sum(axis=1, keepdims=True)  # each bin spreads its mass, none is created
    smoothed = kernel.T @ prior
    return smoothed / smoothed.sum()


def rebalance_weights(prior: np.ndarray, lam: float = 0.5, alpha: float = 1.0) -> np.ndarray:
    """Class weights from a (smoothed) prior: mixed with uniform by ``lam``, inverted, raised
    to ``alpha`` and normalised so that E_prior[w] = 1. Returns (Q,) float64."""
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda must be in [0, 1], got {lam}")
    q = len(prior)
    mixed = (1.0 - lam) * prior + lam / q
    w = np.power(np.maximum(mixed, 1e-12), -alpha)
    return w / np.sum(prior * w)
