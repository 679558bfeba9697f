"""Each pixel's distance in CIE Lab from one colour, straight from 8-bit sRGB: no Lab picture
is made (a 24-megapixel colour scan's mount and print are told apart on it)."""

from __future__ import annotations

import numba as nb
import numpy as np

from colorcli.kernels.lab import _LUT_U8, _RGB2XYZ, _lab_of_lin_nb, rgb_to_lab_np
from colorcli.kernels.parallel import parallel_njit


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _lab_distance_u8_nb(rgb, lut, m, colour, out):
    n = rgb.shape[0]
    for i in nb.prange(n):
        lum, a, b = _lab_of_lin_nb(lut[rgb[i, 0]], lut[rgb[i, 1]], lut[rgb[i, 2]], m)
        dl, da, db = lum - colour[0], a - colour[1], b - colour[2]
        out[i] = np.sqrt(dl * dl + da * da + db * db)


def _check(rgb: np.ndarray, colour) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim < 1 or rgb.shape[-1] != 3:
        raise ValueError(f"expected (..., 3) uint8 RGB, got {rgb.dtype} {rgb.shape}")
    c = np.asarray(colour, np.float64).reshape(-1)
    if c.shape != (3,):
        raise ValueError(f"expected one Lab colour (3,), got {np.shape(colour)}")
    return rgb, c


def lab_distance(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """(...) float32: each pixel's Euclidean distance in CIE Lab (D65) from ``colour`` (L*,
    a*, b*). rgb: (..., 3) uint8 sRGB."""
    rgb, c = _check(rgb, colour)
    flat = np.ascontiguousarray(rgb.reshape(-1, 3))
    out = np.empty(flat.shape[0], np.float32)
    _lab_distance_u8_nb(flat, _LUT_U8, _RGB2XYZ, c, out)
    return out.reshape(rgb.shape[:-1])


def lab_distance_np(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Plain-numpy twin of :func:`lab_distance`."""
    rgb, c = _check(rgb, colour)
    lab = rgb_to_lab_np(rgb).astype(np.float64)
    return np.sqrt(((lab - c) ** 2).sum(-1)).astype(np.float32)
