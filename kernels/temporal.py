"""Temporal smoothing of predicted ab, guided by lightness (video de-flicker).

Per pixel, an exponential moving average whose weight drops where the lightness changed:

    w      = strength * exp(-(L_t - L_{t-1})^2 / (2 sigma_l^2))
    ab'_t  = w * ab'_{t-1} + (1 - w) * ab_t

A static pixel keeps a steady colour (per-frame prediction noise averages out); a pixel whose
lightness changed (a moving edge, a new object) takes the new prediction at once, so motion does
not smear colour. A scene cut resets the state (the caller passes no previous frame).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from colorcli.kernels.parallel import parallel_njit


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _temporal_smooth_nb(ab, lum, ab_prev, lum_prev, strength, inv_two_sigma2, out):
    n = ab.shape[0]
    for i in nb.prange(n):
        d = lum[i] - lum_prev[i]
        w = strength * math.exp(-d * d * inv_two_sigma2)
        out[i, 0] = w * ab_prev[i, 0] + (1.0 - w) * ab[i, 0]
        out[i, 1] = w * ab_prev[i, 1] + (1.0 - w) * ab[i, 1]


def _check(ab, lum, ab_prev, lum_prev, strength, sigma_l):
    ab = np.ascontiguousarray(ab, np.float32)
    lum = np.ascontiguousarray(lum, np.float32)
    ab_prev = np.ascontiguousarray(ab_prev, np.float32)
    lum_prev = np.ascontiguousarray(lum_prev, np.float32)
    if (
        ab.shape[-1] != 2
        or ab.shape != ab_prev.shape
        or lum.shape != ab.shape[:-1]
        or lum.shape != lum_prev.shape
    ):
        raise ValueError(
            f"expected ab (..., 2) and L (...) of matching shapes, got {ab.shape}, {lum.shape}, {ab_prev.shape}, {lum_prev.shape}"
        )
    if not 0.0 <= strength < 1.0:
        raise ValueError(f"strength must be in [0, 1), got {strength}")
    if not sigma_l > 0:
        raise ValueError(f"sigma_l must be > 0, got {sigma_l}")
    return ab, lum, ab_prev, lum_prev


def temporal_smooth(
    ab: np.ndarray,
    lum: np.ndarray,
    ab_prev: np.ndarray,
    lum_prev: np.ndarray,
    strength: float,
    sigma_l: float = 3.0,
) -> np.ndarray:
    """One step of the lightness-guided EMA.

    ab, ab_prev: (..., 2) float32 (this frame's prediction, last frame's smoothed output).
    lum, lum_prev: (...) float32 L* of this and the last frame at the same resolution.
    strength: in [0, 1), the weight of the past where L did not change. Returns (..., 2) float32.
    """
    ab, lum, ab_prev, lum_prev = _check(ab, lum, ab_prev, lum_prev, strength, sigma_l)
    out = np.empty_like(ab)
    _temporal_smooth_nb(
        ab.reshape(-1, 2),
        lum.reshape(-1),
        ab_prev.reshape(-1, 2),
        lum_prev.reshape(-1),
        np.float32(strength),
        np.float32(1.0 / (2.0 * sigma_l * sigma_l)),
        out.reshape(-1, 2),
    )
    return out


def temporal_smooth_np(
    ab: np.ndarray,
    lum: np.ndarray,
    ab_prev: np.ndarray,
    lum_prev: np.ndarray,
    strength: float,
    sigma_l: float = 3.0,
) -> np.ndarray:
    """Plain-numpy twin of :func:`temporal_smooth` (same signature and result)."""
    ab, lum, ab_prev, lum_prev = _check(ab, lum, ab_prev, lum_prev, strength, sigma_l)
    w = strength * np.exp(-((lum - lum_prev) ** 2) / (2.0 * sigma_l * sigma_l))
    return (w[..., None] * ab_prev + (1.0 - w[..., None]) * ab).astype(np.float32)
