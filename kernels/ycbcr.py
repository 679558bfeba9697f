"""Lab <-> Y'CbCr for the video path, as a numba kernel with a plain-numpy twin.

Video arrives and leaves as Y'CbCr 4:2:0: full-resolution luma and chroma at half resolution
each way. Colorizing there skips two full-resolution colour conversions per frame: the luma
plane is kept and only the chroma planes (a quarter of the pixels each) are computed, from L*
and the predicted ab, through the same gamut fitting as ``lab_to_rgb``.

Luma is not lightness: a coloured pixel with the gray pixel's Y' is lighter or darker than the
gray one by up to several L* units. ``lab_to_ycbcr`` therefore also returns the Y' that the
coloured pixel needs; the caller adds the difference (smooth, at chroma resolution) to the
original luma plane, so the output keeps the input's L* as the image path does, and keeps
its luma exactly wherever there is no colour.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from colorcli.kernels.lab import (
    _BISECT_STEPS,
    _XYZ2RGB,
    _fit_gamut_nb,
    _in_gamut_np,
    _lab_to_lin_np,
)

# (Kr, Kb) of the Y'CbCr matrices (ITU-R BT.601, BT.709, BT.2020 non-constant luminance)
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}


def _range(full_range: bool) -> tuple[float, float, float]:
    """(luma offset, luma scale, chroma scale) of 8-bit codes."""
    return (0.0, 255.0, 255.0) if full_range else (16.0, 219.0, 224.0)


def _srgb_encode_table(n: int = 4096) -> np.ndarray:
    v = np.linspace(0.0, 1.0, n + 1)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1.0 / 2.4) - 0.055)


_ENC = _srgb_encode_table()  # linear -> sRGB-encoded, interpolated (error < 1e-4 of a code)


@nb.njit(inline="always", fastmath=True)
def _encode_nb(v, table):
    x = min(max(v, 0.0), 1.0) * (table.shape[0] - 1)
    k = min(int(x), table.shape[0] - 2)
    return table[k] + (x - k) * (table[k + 1] - table[k])


@nb.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _lab_to_ycbcr_nb(lum, ab, saturation, minv, kr, kb, y0, ys, cs, table, out_y, out_c):
    n = lum.shape[0]
    kg = 1.0 - kr - kb
    for i in nb.prange(n):
        fy = (min(max(np.float64(lum[i]), 0.0), 100.0) + 16.0) / 116.0
        a = np.float64(ab[i, 0]) * saturation
        b = np.float64(ab[i, 1]) * saturation
        r, g, bl = _fit_gamut_nb(fy, a, b, minv)
        r = _encode_nb(r, table)
        g = _encode_nb(g, table)
        bl = _encode_nb(bl, table)
        yp = kr * r + kg * g + kb * bl
        out_y[i] = y0 + ys * yp
        cb = 128.0 + cs * (bl - yp) / (2.0 * (1.0 - kb)) + 0.5
        cr = 128.0 + cs * (r - yp) / (2.0 * (1.0 - kr)) + 0.5
        out_c[i, 0] = np.uint8(min(max(cb, 0.0), 255.0))
        out_c[i, 1] = np.uint8(min(max(cr, 0.0), 255.0))


def _check(lum: np.ndarray, ab: np.ndarray, matrix: str):
    lum = np.ascontiguousarray(lum, np.float32)
    ab = np.ascontiguousarray(ab, np.float32)
    if ab.shape != lum.shape + (2,):
        raise ValueError(f"expected L (...) and ab (..., 2), got {lum.shape} and {ab.shape}")
    if matrix not in MATRICES:
        raise ValueError(f"matrix must be one of {sorted(MATRICES)}, got {matrix!r}")
    return lum, ab


def lab_to_ycbcr(
    lum: np.ndarray,
    ab: np.ndarray,
    saturation: float = 1.0,
    matrix: str = "bt709",
    full_range: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """L* and ab -> 8-bit Y'CbCr codes, keeping L (chroma reduced to fit the sRGB gamut).

    lum: (...) float32 L* in [0, 100]; ab: (..., 2) float32, scaled by ``saturation``.
    Returns Y' (...) float32 (unrounded codes: the caller adds their difference to a luma
    plane) and CbCr (..., 2) uint8.
    """
    lum, ab = _check(lum, ab, matrix)
    kr, kb = MATRICES[matrix]
    y0, ys, cs = _range(full_range)
    out_y = np.empty(lum.shape, np.float32)
    out_c = np.empty(lum.shape + (2,), np.uint8)
    _lab_to_ycbcr_nb(
        lum.reshape(-1),
        ab.reshape(-1, 2),
        float(saturation),
        _XYZ2RGB,
        kr,
        kb,
        y0,
        ys,
        cs,
        _ENC,
        out_y.reshape(-1),
        out_c.reshape(-1, 2),
    )
    return out_y, out_c


def lab_to_ycbcr_np(
    lum: np.ndarray,
    ab: np.ndarray,
    saturation: float = 1.0,
    matrix: str = "bt709",
    full_range: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy twin of :func:`lab_to_ycbcr`."""
    lum, ab = _check(lum, ab, matrix)
    kr, kb = MATRICES[matrix]
    y0, ys, cs = _range(full_range)
    fy = (np.clip(lum.reshape(-1).astype(np.float64), 0.0, 100.0) + 16.0) / 116.0
    a = ab.reshape(-1, 2)[:, 0].astype(np.float64) * saturation
    b = ab.reshape(-1, 2)[:, 1].astype(np.float64) * saturation
    lin = _lab_to_lin_np(fy, a, b, 1.0)
    bad = ~_in_gamut_np(lin)
    if bad.any():
        lo, hi = np.zeros(int(bad.sum())), np.ones(int(bad.sum()))
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            ok = _in_gamut_np(_lab_to_lin_np(fy[bad], a[bad], b[bad], mid))
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        lin[bad] = _lab_to_lin_np(fy[bad], a[bad], b[bad], lo)
    v = np.clip(lin, 0.0, 1.0)
    rgb = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1.0 / 2.4) - 0.055)
    yp = rgb @ np.array([kr, 1.0 - kr - kb, kb])
    cb = 128.0 + cs * (rgb[:, 2] - yp) / (2.0 * (1.0 - kb))
    cr = 128.0 + cs * (rgb[:, 0] - yp) / (2.0 * (1.0 - kr))
    c = np.clip(np.floor(np.stack([cb, cr], -1) + 0.5), 0, 255).astype(np.uint8)
    return (y0 + ys * yp).astype(np.float32).reshape(lum.shape), c.reshape(lum.shape + (2,))


def luma_to_l(y: np.ndarray, full_range: bool = False) -> np.ndarray:
    """L* of gray pixels from 8-bit luma codes (uint8, or float for averaged codes).

    Y' is the gamma-encoded value shared by R', G' and B' of a gray pixel; exact for black and
    white sources, which is what the model colorizes. Returns float32 of the same shape.
    """
    y = np.asarray(y)
    if y.dtype == np.uint8:
        return _L_OF_CODE[int(full_range)][y]
    y0, ys, _ = _range(full_range)
    v = np.clip((y.astype(np.float32) - y0) / ys, 0.0, 1.0)
    return np.interp(v, _GRID, _L_OF_V).astype(np.float32)


def luma_l_table(full_range: bool = False) -> np.ndarray:
    """The 256 L* values of :func:`luma_to_l` for uint8 codes (float32), for a caller with a
    faster lookup at hand (``cv2.LUT``)."""
    return _L_OF_CODE[int(full_range)]


def _l_of_v(v: np.ndarray) -> np.ndarray:
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return np.where(lin > (6.0 / 29.0) ** 3, 116.0 * np.cbrt(lin) - 16.0, lin * 24389.0 / 27.0)


_GRID = np.linspace(0.0, 1.0, 4097)
_L_OF_V = _l_of_v(_GRID)
_L_OF_CODE = [
    _l_of_v(np.clip((np.arange(256.0) - _range(full)[0]) / _range(full)[1], 0.0, 1.0)).astype(
        np.float32
    )
    for full in (False, True)
]
