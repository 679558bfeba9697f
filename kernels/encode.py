"""Ground-truth ab -> bins: soft-encoding for targets, nearest-bin histogram for the prior.

Soft-encoding (Zhang et al. 2016): each pixel's ab is spread over its k nearest bin centres with
Gaussian weights ``exp(-d^2 / (2 sigma^2))`` normalised to sum to 1 (k = 5, sigma = 5 in the
paper). It is returned sparse, ``(idx, weight)`` of shape (N, k), nearest first: a dense (N, Q)
target for a batch of 256x256 crops is gigabytes, the sparse one a few megabytes, and the loss
only needs ``sum_k w_k * log p[idx_k]``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from colorcli.kernels.parallel import parallel_njit

_CHUNK = 65536


@parallel_njit(cache=True, nogil=True)
def _soft_encode_nb(ab, ab_bins, k, inv_two_sigma2, idx_out, w_out):
    n = ab.shape[0]
    q = ab_bins.shape[0]
    for i in nb.prange(n):
        a = ab[i, 0]
        b = ab[i, 1]
        d = w_out[i]
        ix = idx_out[i]
        for t in range(k):
            d[t] = np.inf
            ix[t] = -1
        for j in range(q):
            da = a - ab_bins[j, 0]
            db = b - ab_bins[j, 1]
            d2 = da * da + db * db
            if d2 < d[k - 1]:
                t = k - 1
                while t > 0 and d[t - 1] > d2:
                    d[t] = d[t - 1]
                    ix[t] = ix[t - 1]
                    t -= 1
                d[t] = d2
                ix[t] = j
        d0 = np.float64(d[0])
        s = 0.0
        for t in range(k):
            e = math.exp(-(np.float64(d[t]) - d0) * inv_two_sigma2)
            d[t] = e
            s += e
        for t in range(k):
            d[t] = d[t] / s


@parallel_njit(cache=True, nogil=True)
def _ab_histogram_nb(ab, ab_bins, nchunks):
    n = ab.shape[0]
    q = ab_bins.shape[0]
    partial = np.zeros((nchunks, q), np.float64)
    step = (n + nchunks - 1) // nchunks
    for c in nb.prange(nchunks):
        for i in range(c * step, min(n, (c + 1) * step)):
            a = ab[i, 0]
            b = ab[i, 1]
            best = 0
            bd = np.inf
            for j in range(q):
                da = a - ab_bins[j, 0]
                db = b - ab_bins[j, 1]
                d2 = da * da + db * db
                if d2 < bd:
                    bd = d2
                    best = j
            partial[c, best] += 1.0
    return partial.sum(axis=0)


def _check(ab: np.ndarray, ab_bins: np.ndarray):
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    ab_bins = np.ascontiguousarray(ab_bins, dtype=np.float32)
    if ab.ndim != 2 or ab.shape[1] != 2 or ab_bins.ndim != 2 or ab_bins.shape[1] != 2:
        raise ValueError(
            f"expected ab (N, 2) and ab_bins (Q, 2), got {ab.shape} and {ab_bins.shape}"
        )
    return ab, ab_bins


def _check_k(k: int, sigma: float, q: int) -> None:
    if not 1 <= k <= q:
        raise ValueError(f"k must be in [1, {q}], got {k}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")


def soft_encode(
    ab: np.ndarray, ab_bins: np.ndarray, k: int = 5, sigma: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Soft-encode ground-truth ab onto the k nearest bins.

    ab: (N, 2) float32 in Lab units. ab_bins: (Q, 2) float32 centres.
    Returns ``(idx, weight)``: (N, k) int32 bin indices, nearest first (ties: lower index), and
    (N, k) float32 Gaussian weights that sum to 1 per row.
    """
    ab, ab_bins = _check(ab, ab_bins)
    _check_k(k, sigma, len(ab_bins))
    idx = np.empty((ab.shape[0], k), np.int32)
    w = np.empty((ab.shape[0], k), np.float32)
    _soft_encode_nb(ab, ab_bins, k, 1.0 / (2.0 * sigma * sigma), idx, w)
    return idx, w


def soft_encode_np(
    ab: np.ndarray, ab_bins: np.ndarray, k: int = 5, sigma: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy twin of :func:`soft_encode` (ties at the k-th place may pick other bins)."""
    ab, ab_bins = _check(ab, ab_bins)
    _check_k(k, sigma, len(ab_bins))
    d2 = ((ab[:, None, :] - ab_bins[None, :, :]) ** 2).sum(-1)
    part = np.argpartition(d2, k - 1, axis=1)[:, :k]
    dk = np.take_along_axis(d2, part, axis=1)
    order = np.argsort(dk, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1).astype(np.int32)
    dk = np.take_along_axis(dk, order, axis=1).astype(np.float64)
    e = np.exp(-(dk - dk[:, :1]) / (2.0 * sigma * sigma))
    return idx, (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def ab_histogram(ab: np.ndarray, ab_bins: np.ndarray) -> np.ndarray:
    """Count pixels per nearest bin.

    ab: (N, 2) float32 in Lab units. ab_bins: (Q, 2) float32.
    Returns (Q,) float64 counts summing to N.
    """
    ab, ab_bins = _check(ab, ab_bins)
    nchunks = max(1, min(nb.get_num_threads() * 4, ab.shape[0] // 4096 + 1))
    return _ab_histogram_nb(ab, ab_bins, nchunks)


def ab_histogram_np(ab: np.ndarray, ab_bins: np.ndarray) -> np.ndarray:
    """Plain-numpy twin of :func:`ab_histogram` (same signature and result)."""
    ab, ab_bins = _check(ab, ab_bins)
    counts = np.zeros(len(ab_bins), np.float64)
    for s in range(0, ab.shape[0], _CHUNK):
        d2 = ((ab[s : s + _CHUNK, None, :] - ab_bins[None, :, :]) ** 2).sum(-1)
        counts += np.bincount(d2.argmin(axis=1), minlength=len(ab_bins))
    return counts
