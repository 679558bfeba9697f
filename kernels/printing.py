"""A scanned negative's RGB made its gray print by tables, for the film path (every frame) and
big colour scans: each channel's code looked up as its share of the luminance of the
transmittance over the film base, the three summed, and the sum (clipped to [0, 1], in
``len(table)`` steps) looked up as the print's code. A numba kernel with a plain-numpy twin;
``colorcli.negative`` makes the tables.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from colorcli.kernels.parallel import parallel_njit


@parallel_njit(nogil=True, cache=True)
def _print_rgb_nb(rgb, luts, table, out):
    h, w = out.shape
    top = np.float32(len(table) - 1)
    zero, one, half = np.float32(0.0), np.float32(1.0), np.float32(0.5)
    for i in nb.prange(h):
        for j in range(w):
            t = luts[0, rgb[i, j, 0]] + luts[1, rgb[i, j, 1]] + luts[2, rgb[i, j, 2]]
            t = min(max(t, zero), one)
            out[i, j] = table[np.int64(t * top + half)]


def _check(rgb: np.ndarray, luts: np.ndarray, table: np.ndarray, out: np.ndarray | None):
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected (H, W, 3) uint8 or uint16, got {rgb.shape} {rgb.dtype}")
    codes = int(np.iinfo(rgb.dtype).max) + 1
    if luts.shape != (3, codes) or luts.dtype != np.float32:
        raise ValueError(f"luts must be (3, {codes}) float32, got {luts.shape} {luts.dtype}")
    if table.ndim != 1 or len(table) < 2 or table.dtype != rgb.dtype:
        raise ValueError(f"table must be 1-D {rgb.dtype}, got {table.shape} {table.dtype}")
    if out is None:
        return np.empty(rgb.shape[:2], rgb.dtype)
    if out.shape != rgb.shape[:2] or out.dtype != rgb.dtype:
        raise ValueError(f"out must be {rgb.shape[:2]} {rgb.dtype}, got {out.shape} {out.dtype}")
    return out


def print_rgb(
    rgb: np.ndarray, luts: np.ndarray, table: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """(H, W) print of (H, W, 3) uint8 / uint16 ``rgb``: ``table[round(clip(luts[0][r] +
    luts[1][g] + luts[2][b], 0, 1) * (len(table) - 1))]``. luts: (3, codes) float32; table:
    1-D of rgb's type. Returns ``out`` (made when None)."""
    out = _check(rgb, luts, table, out)
    if out.size:
        _print_rgb_nb(rgb, luts, table, out)
    return out


def print_rgb_np(
    rgb: np.ndarray, luts: np.ndarray, table: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Plain-numpy twin of :func:`print_rgb`."""
    out = _check(rgb, luts, table, out)
    t = luts[0][rgb[..., 0]] + luts[1][rgb[..., 1]] + luts[2][rgb[..., 2]]
    t = np.clip(t, np.float32(0.0), np.float32(1.0))
    idx = (t * np.float32(len(table) - 1) + np.float32(0.5)).astype(np.int64)
    out[...] = table[idx]
    return out


__all__ = ["print_rgb", "print_rgb_np"]
