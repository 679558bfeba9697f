"""A luma plane plus a correction held at chroma resolution, for the video path.

``lab_to_ycbcr`` says, at chroma resolution, how far each coloured pixel's luma must move to
keep the input's L*; this adds that difference, upsampled as OpenCV's INTER_LINEAR does, to
the full-resolution luma plane in one pass, as a numba kernel with a plain-numpy twin.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from colorcli.kernels.parallel import parallel_njit


@nb.njit(inline="always")
def _sat8(v):
    return np.uint8(np.int32(min(max(v, np.float32(0.0)), np.float32(255.0))))


@parallel_njit(nogil=True, cache=True)
def _add_half_res_nb(y, ys, d, out, os_, h, w):
    # y and out are flat with row strides ys and os_ (a frame's planes pad their rows), so
    # the inner loops stay contiguous and vectorize. Bilinear 2x upsampling as OpenCV's
    # INTER_LINEAR does it (half-pixel centres, edges replicated): each output sample is 3/4
    # of its nearest input and 1/4 of the next nearest
    hc, wc = d.shape
    q, t, half = np.float32(0.25), np.float32(0.75), np.float32(0.5)
    for i in nb.prange(h):
        k = i >> 1
        o = max(k - 1, 0) if i % 2 == 0 else min(k + 1, hc - 1)
        # the row at this output line, padded by one replicated sample each side
        row = np.empty(wc + 2, np.float32)
        for m in range(wc):
            row[m + 1] = t * d[k, m] + q * d[o, m]
        row[0] = row[1]
        row[wc + 1] = row[wc]
        yr = y[i * ys : i * ys + w]
        orow = out[i * os_ : i * os_ + w]
        for m in range(wc):
            c = t * row[m + 1]
            orow[2 * m] = _sat8(np.float32(yr[2 * m]) + (c + q * row[m]) + half)
            orow[2 * m + 1] = _sat8(np.float32(yr[2 * m + 1]) + (c + q * row[m + 2]) + half)


def _rows_contiguous(a: np.ndarray) -> bool:
    return a.strides[1] == 1 and a.strides[0] >= a.shape[1]


def _rows(a: np.ndarray) -> tuple[np.ndarray, int]:
    """A 2D uint8 array with contiguous rows as (flat view over its rows, row stride)."""
    n = (a.shape[0] - 1) * a.strides[0] + a.shape[1]
    return np.lib.stride_tricks.as_strided(a, shape=(n,), strides=(1,)), a.strides[0]


def _check_half(y: np.ndarray, d: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if y.dtype != np.uint8 or y.ndim != 2 or d.dtype != np.float32:
        raise ValueError(f"expected (H, W) uint8 and (H/2, W/2) float32, got {y.dtype}, {d.dtype}")
    if d.shape != (y.shape[0] // 2, y.shape[1] // 2) or y.shape[0] % 2 or y.shape[1] % 2:
        raise ValueError(f"sizes must be even and halve exactly: {y.shape} and {d.shape}")
    if out is None:
        return np.empty(y.shape, np.uint8)
    if out.shape != y.shape or out.dtype != np.uint8:
        raise ValueError(f"out must be {y.shape} uint8, got {out.shape} {out.dtype}")
    return out


def add_half_res(y: np.ndarray, d: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A luma plane plus a correction held at chroma resolution: ``y + upsample(d)``, rounded
    and saturated to 8 bits, in one pass (no full-resolution float plane).

    y: (H, W) uint8, H and W even (rows may be padded, as a frame's plane is); d: (H/2, W/2)
    float32, upsampled 2x bilinearly as OpenCV's INTER_LINEAR does. ``out`` (may be ``y``, or a
    padded plane) receives the result. Returns out.
    """
    out = _check_half(y, d, out)
    if not y.size:
        return out
    if not _rows_contiguous(y):
        y = np.ascontiguousarray(y)
    dst = out if _rows_contiguous(out) else np.empty(y.shape, np.uint8)
    (yf, ys), (of, os_) = _rows(y), _rows(dst)
    _add_half_res_nb(yf, ys, np.ascontiguousarray(d), of, os_, y.shape[0], y.shape[1])
    if dst is not out:
        out[...] = dst
    return out


def add_half_res_np(y: np.ndarray, d: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Plain-numpy twin of :func:`add_half_res`."""
    out = _check_half(y, d, out)

    def up(a: np.ndarray, axis: int) -> np.ndarray:
        n = a.shape[axis]
        k = np.arange(n)
        lo = np.take(a, np.maximum(k - 1, 0), axis)
        hi = np.take(a, np.minimum(k + 1, n - 1), axis)
        mid = np.take(a, k, axis)
        both = np.stack([0.75 * mid + 0.25 * lo, 0.75 * mid + 0.25 * hi], axis=axis + 1)
        shape = list(a.shape)
        shape[axis] = 2 * n
        return both.reshape(shape)

    full = up(up(d.astype(np.float32), 0), 1)
    out[...] = np.clip(np.floor(y.astype(np.float32) + full + np.float32(0.5)), 0, 255)
    return out
