"""Annealed mean: a distribution over ab bins -> one ab per pixel.

``f_T(z) = softmax(log z / T)`` re-sharpens the predicted distribution before taking its mean
(Zhang et al. 2016): T = 1 is the plain mean (desaturated), T -> 0 the mode (vivid, patchy);
0.38 is the paper's compromise. From logits, ``log z`` is the logits up to a per-pixel constant,
so ``softmax(logits / T)`` is the same thing without a log.

Layout: pixels by rows, bins contiguous, ``(N, Q)``. One pass over each row (max, then
exp-weighted sums of a and b) keeps the row in L1; the naive ``(Q, H, W)`` loop strides across
memory and loses to numpy.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba import types
from numba.extending import intrinsic

from colorcli.kernels.parallel import parallel_njit

DEFAULT_TEMPERATURE = 0.38


if nb.config.DISABLE_JIT:

    def _bits_to_f32(x):
        return np.array(x, np.int32).view(np.float32)[()]

else:

    @intrinsic
    def _bits_to_f32(typingctx, x):
        """Reinterpret int32 bits as float32 (numba has no scalar view)."""
        sig = types.float32(types.int32)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float32))

        return sig, codegen


@nb.njit(inline="always", fastmath=True)
def _exp2_neg_nb(t):
    """2**t for t in [-125, 0], float32, relative error < 3e-7.

    Round-to-nearest range reduction, a degree-5 polynomial for 2**f on [-0.5, 0.5], and the
    power of two written straight into the exponent bits. Unlike ``math.exp`` this compiles to
    straight-line vector code, which is what lets the kernel beat numpy's SIMD exp.
    """
    k = np.floor(t + np.float32(0.5))
    f = t - k
    p = np.float32(1.0) + f * (
        np.float32(0.6931472)
        + f
        * (
            np.float32(0.2402265)
            + f
            * (np.float32(0.05550411) + f * (np.float32(0.009618129) + f * np.float32(0.001333355)))
        )
    )
    return p * _bits_to_f32((np.int32(k) + np.int32(127)) << np.int32(23))


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _annealed_mean_nb(logits, a_bins, b_bins, inv_t, out, nchunks):
    n, q = logits.shape
    step = (n + nchunks - 1) // nchunks
    scale = np.float32(inv_t * 1.4426950408889634)  # 1/T * log2(e)
    for c in nb.prange(nchunks):
        for i in range(c * step, min(n, (c + 1) * step)):
            row = logits[i]
            m = row[0]
            for j in range(1, q):
                m = max(m, row[j])
            s = np.float32(0.0)
            sa = np.float32(0.0)
            sb = np.float32(0.0)
            for j in range(q):
                e = _exp2_neg_nb(max((row[j] - m) * scale, np.float32(-125.0)))
                s += e
                sa += e * a_bins[j]
                sb += e * b_bins[j]
            out[i, 0] = sa / s
            out[i, 1] = sb / s


@parallel_njit(cache=True, nogil=True)
def _mode_nb(logits, ab_bins, out):
    n, q = logits.shape
    for i in nb.prange(n):
        best = 0
        for j in range(1, q):
            if logits[i, j] > logits[i, best]:
                best = j
        out[i, 0] = ab_bins[best, 0]
        out[i, 1] = ab_bins[best, 1]


def _check(logits: np.ndarray, ab_bins: np.ndarray, temperature: float):
    logits = np.ascontiguousarray(logits, dtype=np.float32)
    ab_bins = np.ascontiguousarray(ab_bins, dtype=np.float32)
    if logits.ndim != 2 or ab_bins.ndim != 2 or ab_bins.shape[1] != 2:
        raise ValueError(
            f"expected logits (N, Q) and ab_bins (Q, 2), got {logits.shape} and {ab_bins.shape}"
        )
    if logits.shape[1] != ab_bins.shape[0]:
        raise ValueError(f"logits have {logits.shape[1]} bins, ab_bins {ab_bins.shape[0]}")
    if not (temperature >= 0.0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    return logits, ab_bins


def annealed_mean(
    logits: np.ndarray, ab_bins: np.ndarray, temperature: float = DEFAULT_TEMPERATURE
) -> np.ndarray:
    """Annealed-mean ab of each pixel.

    logits: (N, Q) float32, unnormalised log-probabilities (for probabilities pass ``np.log(p)``).
    ab_bins: (Q, 2) float32 bin centres. temperature: >= 0; 0 gives the mode.
    Returns (N, 2) float32 ab in Lab units.
    """
    logits, ab_bins = _check(logits, ab_bins, temperature)
    out = np.empty((logits.shape[0], 2), np.float32)
    if temperature == 0.0:
        _mode_nb(logits, ab_bins, out)
    else:
        a_bins = np.ascontiguousarray(ab_bins[:, 0])
        b_bins = np.ascontiguousarray(ab_bins[:, 1])
        nchunks = max(1, min(logits.shape[0] // 256, 16 * nb.get_num_threads()))
        _annealed_mean_nb(logits, a_bins, b_bins, 1.0 / temperature, out, nchunks)
    return out


def annealed_mean_np(
    logits: np.ndarray, ab_bins: np.ndarray, temperature: float = DEFAULT_TEMPERATURE
) -> np.ndarray:
    """Plain-numpy twin of :func:`annealed_mean` (same signature and result)."""
    logits, ab_bins = _check(logits, ab_bins, temperature)
    if temperature == 0.0:
        return ab_bins[np.argmax(logits, axis=1)]
    z = logits - logits.max(axis=1, keepdims=True)
    z *= np.float32(1.0 / temperature)
    np.exp(z, out=z)
    return (z @ ab_bins) / z.sum(axis=1, keepdims=True)
