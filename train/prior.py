"""Empirical ab prior and class-rebalancing weights (Zhang et al. 2016, section 2.2).

p     = histogram of training-pixel ab over the bins, normalised to sum to 1
p~    = p smoothed with a Gaussian over ab (sigma 5 in Lab units), renormalised
w     ~ ((1 - lambda) p~ + lambda / Q) ** -alpha, scaled so that sum_q p~_q w_q = 1
"""

from __future__ import annotations

import numpy as np

from colorcli.kernels import ab_histogram


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
