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
    _GAMUT_TOL,
    _XYZ2RGB,
    WHITE_D65,
    _in_gamut_np,
    _lab_to_lin_np,
)
from colorcli.kernels.parallel import parallel_njit

# (Kr, Kb) of the Y'CbCr matrices (ITU-R BT.601, BT.709, BT.2020 non-constant luminance)
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}


def _range(full_range: bool) -> tuple[float, float, float]:
    """(luma offset, luma scale, chroma scale) of 8-bit codes."""
    return (0.0, 255.0, 255.0) if full_range else (16.0, 219.0, 224.0)


# sRGB encoding as a polynomial in w = v ** (1/4) (two square roots): 1.055 w**(5/3) - 0.055 on
# the power segment; least squares of degree 5 over 20001 points of w from 0.0031308 ** 0.25
# to 1, within 0.01 of an 8-bit code of the exact curve (both tested). Tables would need a
# gather per channel, which keeps the loop from vectorizing; this is square roots and
# multiply-adds only. The fit is written out, not made on every import (a LAPACK call over
# 20001 points, multithreaded by OpenBLAS).
_W_LO = 0.0031308**0.25
_ENC_POLY = (
    -0.06394999957343492,
    0.27524420703003083,
    -0.5589112879661071,
    1.2439617508887635,
    0.16534431908905722,
    -0.06170004087240305,
)
_CHUNK = 2048  # pixels per block: three float32 buffers of it stay in the L1/L2 cache
_D = 6.0 / 29.0


@nb.njit(inline="always", fastmath=True)
def _finv32(t):
    return (
        t * t * t
        if t > np.float32(_D)
        else (t - np.float32(4.0 / 29.0)) * np.float32(3.0 * _D * _D)
    )


@nb.njit(inline="always", fastmath=True)
def _fy32(lum):
    return (min(max(lum, np.float32(0.0)), np.float32(100.0)) + np.float32(16.0)) * np.float32(
        1.0 / 116.0
    )


@nb.njit(inline="always", fastmath=True)
def _lin32(fy, ea, eb, m):
    """Linear RGB of the Lab colour with f(Y) = fy and a / 500 = ea, b / 200 = eb."""
    x = _finv32(fy + ea)
    y = _finv32(fy)
    z = _finv32(fy - eb)
    return (
        m[0] * x + m[1] * y + m[2] * z,
        m[3] * x + m[4] * y + m[5] * z,
        m[6] * x + m[7] * y + m[8] * z,
    )


@nb.njit(inline="always", fastmath=True)
def _in_gamut32(r, g, b):
    return (min(r, min(g, b)) >= np.float32(-_GAMUT_TOL)) & (
        max(r, max(g, b)) <= np.float32(1.0 + _GAMUT_TOL)
    )


@nb.njit(fastmath=True, nogil=True)
def _block_linear(lum, ab, sa, sb, m, rr, gg, bb):
    """Linear RGB of a block of (L, s a, s b); returns how many pixels are out of gamut.
    Flat 1-D indexing only, so that LLVM vectorizes the loop."""
    bad = 0
    for j in range(lum.shape[0]):
        r, g, b = _lin32(_fy32(lum[j]), ab[2 * j] * sa, ab[2 * j + 1] * sb, m)
        rr[j] = r
        gg[j] = g
        bb[j] = b
        bad += np.int32(1) - np.int32(_in_gamut32(r, g, b))
    return bad


@nb.njit(fastmath=True, nogil=True)
def _block_fit(lum, ab, sa, sb, m, rr, gg, bb):
    """Out-of-gamut pixels of a block: the largest chroma scale in gamut, by bisection. They
    are packed densely first so that the fixed-step bisection runs as one vectorized loop."""
    n = lum.shape[0]
    idx = np.empty(n, np.int32)
    fys = np.empty(n, np.float32)
    eas = np.empty(n, np.float32)
    ebs = np.empty(n, np.float32)
    nb_ = 0
    for j in range(n):
        if not _in_gamut32(rr[j], gg[j], bb[j]):
            idx[nb_] = j
            fys[nb_] = _fy32(lum[j])
            eas[nb_] = ab[2 * j] * sa
            ebs[nb_] = ab[2 * j + 1] * sb
            nb_ += 1
    los = np.zeros(nb_, np.float32)
    his = np.ones(nb_, np.float32)
    for _ in range(_BISECT_STEPS):
        for q in range(nb_):
            mid = np.float32(0.5) * (los[q] + his[q])
            r, g, b = _lin32(fys[q], mid * eas[q], mid * ebs[q], m)
            ok = _in_gamut32(r, g, b)
            los[q] = mid if ok else los[q]
            his[q] = his[q] if ok else mid
    for q in range(nb_):
        j = idx[q]
        rr[j], gg[j], bb[j] = _lin32(fys[q], los[q] * eas[q], los[q] * ebs[q], m)


@nb.njit(inline="always", fastmath=True)
def _enc32(v):
    v = min(max(v, np.float32(0.0)), np.float32(1.0))
    w = np.sqrt(np.sqrt(v))
    p = np.float32(_ENC_POLY[0])
    p = p * w + np.float32(_ENC_POLY[1])
    p = p * w + np.float32(_ENC_POLY[2])
    p = p * w + np.float32(_ENC_POLY[3])
    p = p * w + np.float32(_ENC_POLY[4])
    p = p * w + np.float32(_ENC_POLY[5])
    return p if v > np.float32(0.0031308) else np.float32(12.92) * v


@nb.njit(fastmath=True, nogil=True)
def _block_encode(rr, gg, bb, k, out_y, out_cb, out_cr):
    """Gamma-encode a block and write Y' (unrounded code), Cb and Cr (8-bit codes)."""
    for j in range(rr.shape[0]):
        r = _enc32(rr[j])
        g = _enc32(gg[j])
        b = _enc32(bb[j])
        yp = k[0] * r + k[1] * g + k[2] * b
        out_y[j] = k[5] + k[6] * yp
        cb = min(max(np.float32(128.5) + k[3] * (b - yp), np.float32(0.0)), np.float32(255.0))
        cr = min(max(np.float32(128.5) + k[4] * (r - yp), np.float32(0.0)), np.float32(255.0))
        out_cb[j] = np.uint8(np.int32(cb))
        out_cr[j] = np.uint8(np.int32(cr))


@parallel_njit(nogil=True, cache=True)
def _lab_to_ycbcr_nb(lum, ab, sa, sb, m, k, out_y, out_cb, out_cr):
    n = lum.shape[0]
    for c in nb.prange((n + _CHUNK - 1) // _CHUNK):
        s = c * _CHUNK
        e = min(n, s + _CHUNK)
        rr = np.empty(e - s, np.float32)
        gg = np.empty(e - s, np.float32)
        bb = np.empty(e - s, np.float32)
        if _block_linear(lum[s:e], ab[2 * s : 2 * e], sa, sb, m, rr, gg, bb):
            _block_fit(lum[s:e], ab[2 * s : 2 * e], sa, sb, m, rr, gg, bb)
        _block_encode(rr, gg, bb, k, out_y[s:e], out_cb[s:e], out_cr[s:e])


# XYZ -> linear RGB with the white point folded in, row-major, float32
_M9 = (_XYZ2RGB * np.array([WHITE_D65[0], 1.0, WHITE_D65[2]])[None, :]).astype(np.float32).ravel()


def _check(lum: np.ndarray, ab: np.ndarray, matrix: str):
    lum = np.ascontiguousarray(lum, np.float32)
    ab = np.ascontiguousarray(ab, np.float32)
    if ab.shape != lum.shape + (2,):
        raise ValueError(f"expected L (...) and ab (..., 2), got {lum.shape} and {ab.shape}")
    if matrix not in MATRICES:
        raise ValueError(f"matrix must be one of {sorted(MATRICES)}, got {matrix!r}")
    return lum, ab


def _outputs(shape, out):
    if out is None:
        return np.empty(shape, np.float32), np.empty(shape, np.uint8), np.empty(shape, np.uint8)
    y, cb, cr = out
    for arr, dt in ((y, np.float32), (cb, np.uint8), (cr, np.uint8)):
        if arr.shape != shape or arr.dtype != dt or not arr.flags.c_contiguous:
            raise ValueError(f"out arrays must be C-contiguous {shape} float32, uint8, uint8")
    return y, cb, cr


def lab_to_ycbcr(
    lum: np.ndarray,
    ab: np.ndarray,
    saturation: float = 1.0,
    matrix: str = "bt709",
    full_range: bool = False,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L* and ab -> 8-bit Y'CbCr codes, keeping L (chroma reduced to fit the sRGB gamut).

    lum: (...) float32 L* in [0, 100]; ab: (..., 2) float32, scaled by ``saturation``.
    Returns planes of lum's shape: Y' float32 (unrounded codes: the caller adds their
    difference to a luma plane), Cb and Cr uint8. ``out`` (three C-contiguous arrays of that
    shape, such as the chroma planes of a frame) receives them instead of new arrays.
    """
    lum, ab = _check(lum, ab, matrix)
    kr, kb = MATRICES[matrix]
    y0, ys, cs = _range(full_range)
    k = np.array(
        [kr, 1.0 - kr - kb, kb, cs / (2.0 * (1.0 - kb)), cs / (2.0 * (1.0 - kr)), y0, ys],
        np.float32,
    )
    y, cb, cr = _outputs(lum.shape, out)
    _lab_to_ycbcr_nb(
        lum.reshape(-1),
        ab.reshape(-1),
        np.float32(saturation / 500.0),
        np.float32(saturation / 200.0),
        _M9,
        k,
        y.reshape(-1),
        cb.reshape(-1),
        cr.reshape(-1),
    )
    return y, cb, cr


def lab_to_ycbcr_np(
    lum: np.ndarray,
    ab: np.ndarray,
    saturation: float = 1.0,
    matrix: str = "bt709",
    full_range: bool = False,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    y, cb8, cr8 = _outputs(lum.shape, out)
    y[...] = (y0 + ys * yp).reshape(lum.shape)
    cb8[...] = np.clip(np.floor(cb + 0.5), 0, 255).reshape(lum.shape)
    cr8[...] = np.clip(np.floor(cr + 0.5), 0, 255).reshape(lum.shape)
    return y, cb8, cr8


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
