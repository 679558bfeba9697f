"""sRGB (D65) <-> CIE Lab, as numba kernels with plain-numpy twins.

Conventions (one place for them): L* in [0, 100], a* and b* in roughly [-128, 127], sRGB
float in [0, 1]. The network sees ``(L - L_CENT) / L_NORM`` and ab as ``ab / AB_NORM``.

``lab_to_rgb`` never changes lightness to fit a colour into sRGB: where L with the given ab
falls outside the gamut, the chroma is scaled down (bisection, same hue) until it fits, so the
original L of a photograph survives the round trip.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from colorcli.kernels.parallel import parallel_njit

L_CENT = 50.0
L_NORM = 100.0
AB_NORM = 110.0
# D65 reference white and the sRGB primaries (IEC 61966-2-1).
WHITE_D65 = (0.95047, 1.0, 1.08883)
LAB_CONSTANTS = {
    "space": "CIE Lab, sRGB D65",
    "l_cent": L_CENT,
    "l_norm": L_NORM,
    "ab_norm": AB_NORM,
    "white": list(WHITE_D65),
}

_RGB2XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float64,
)
_XYZ2RGB = np.linalg.inv(_RGB2XYZ)
LUMINANCE = _RGB2XYZ[1]  # relative luminance of linear sRGB (R, G, B): the Y row
_EPS = (6.0 / 29.0) ** 3
_KAPPA = 1.0 / (3.0 * (6.0 / 29.0) ** 2)
_GAMUT_TOL = 1e-6
_BISECT_STEPS = 8  # chroma resolved to 1/256 of its predicted value


def _srgb_lut_u8() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


_LUT_U8 = _srgb_lut_u8()


# ---------------------------------------------------------------- numba
@nb.njit(inline="always", fastmath=True)
def _f_nb(t):
    return t ** (1.0 / 3.0) if t > _EPS else t * _KAPPA + 4.0 / 29.0


@nb.njit(inline="always", fastmath=True)
def _finv_nb(t):
    return t * t * t if t > 6.0 / 29.0 else (t - 4.0 / 29.0) / _KAPPA


@nb.njit(inline="always", fastmath=True)
def _lab_of_lin_nb(r, g, b, m):
    """L*, a*, b* of linear sRGB (r, g, b); ``m`` the RGB -> XYZ matrix."""
    x = (m[0, 0] * r + m[0, 1] * g + m[0, 2] * b) / WHITE_D65[0]
    y = m[1, 0] * r + m[1, 1] * g + m[1, 2] * b
    z = (m[2, 0] * r + m[2, 1] * g + m[2, 2] * b) / WHITE_D65[2]
    fx = _f_nb(x)
    fy = _f_nb(y)
    fz = _f_nb(z)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


@nb.njit(inline="always", fastmath=True)
def _lin_to_lab_nb(r, g, b, m, out, i):
    lum, a, bb = _lab_of_lin_nb(r, g, b, m)
    out[i, 0] = lum
    out[i, 1] = a
    out[i, 2] = bb


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _rgb_to_lab_u8_nb(rgb, lut, m):
    n = rgb.shape[0]
    out = np.empty((n, 3), np.float32)
    for i in nb.prange(n):
        _lin_to_lab_nb(lut[rgb[i, 0]], lut[rgb[i, 1]], lut[rgb[i, 2]], m, out, i)
    return out


@nb.njit(inline="always", fastmath=True)
def _decode_srgb_nb(v):
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


@nb.njit(inline="always", fastmath=True)
def _encode_srgb_nb(v):
    return 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1.0 / 2.4) - 0.055


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _rgb_to_lab_f32_nb(rgb, m):
    n = rgb.shape[0]
    out = np.empty((n, 3), np.float32)
    for i in nb.prange(n):
        r = _decode_srgb_nb(min(max(rgb[i, 0], 0.0), 1.0))
        g = _decode_srgb_nb(min(max(rgb[i, 1], 0.0), 1.0))
        b = _decode_srgb_nb(min(max(rgb[i, 2], 0.0), 1.0))
        _lin_to_lab_nb(r, g, b, m, out, i)
    return out


@nb.njit(inline="always", fastmath=True)
def _lab_to_lin_nb(fy, a, b, minv, s):
    fx = fy + s * a / 500.0
    fz = fy - s * b / 200.0
    x = _finv_nb(fx) * WHITE_D65[0]
    y = _finv_nb(fy)
    z = _finv_nb(fz) * WHITE_D65[2]
    r = minv[0, 0] * x + minv[0, 1] * y + minv[0, 2] * z
    g = minv[1, 0] * x + minv[1, 1] * y + minv[1, 2] * z
    bl = minv[2, 0] * x + minv[2, 1] * y + minv[2, 2] * z
    return r, g, bl


@nb.njit(inline="always")
def _in_gamut_nb(r, g, b):
    lo = -_GAMUT_TOL
    hi = 1.0 + _GAMUT_TOL
    return lo <= r <= hi and lo <= g <= hi and lo <= b <= hi


@nb.njit(inline="always", fastmath=True)
def _fit_gamut_nb(fy, a, b, minv):
    """Linear RGB of (L, s * a, s * b) with the largest s in [0, 1] that is in gamut."""
    r, g, bl = _lab_to_lin_nb(fy, a, b, minv, 1.0)
    if _in_gamut_nb(r, g, bl):
        return r, g, bl
    lo = 0.0
    hi = 1.0
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (lo + hi)
        r, g, bl = _lab_to_lin_nb(fy, a, b, minv, mid)
        if _in_gamut_nb(r, g, bl):
            lo = mid
        else:
            hi = mid
    return _lab_to_lin_nb(fy, a, b, minv, lo)


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _lab_to_rgb_nb(lab, minv):
    n = lab.shape[0]
    out = np.empty((n, 3), np.float32)
    for i in nb.prange(n):
        lum = min(max(np.float64(lab[i, 0]), 0.0), 100.0)
        fy = (lum + 16.0) / 116.0
        a = np.float64(lab[i, 1])
        b = np.float64(lab[i, 2])
        r, g, bl = _fit_gamut_nb(fy, a, b, minv)
        out[i, 0] = _encode_srgb_nb(min(max(r, 0.0), 1.0))
        out[i, 1] = _encode_srgb_nb(min(max(g, 0.0), 1.0))
        out[i, 2] = _encode_srgb_nb(min(max(bl, 0.0), 1.0))
    return out


def _l_of_y_lut(n: int = 4096) -> np.ndarray:
    """L* at Y = i / (n - 1), i = 0..n-1, plus one guard entry (for interpolation at Y = 1)."""
    y = np.linspace(0.0, 1.0, n)
    f = np.where(y > _EPS, np.cbrt(y), y * _KAPPA + 4.0 / 29.0)
    lut = (116.0 * f - 16.0).astype(np.float32)
    return np.append(lut, lut[-1])


def _srgb8_lut(n: int = 65536) -> np.ndarray:
    """8-bit sRGB code of linear value i / (n - 1): rounding of the exact encoding."""
    v = np.linspace(0.0, 1.0, n)
    s = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1.0 / 2.4) - 0.055)
    return np.rint(s * 255.0).astype(np.uint8)


_L_OF_Y = _l_of_y_lut()
_SRGB8 = _srgb8_lut()


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _rgb_to_l_u8_nb(rgb, lin, m, l_of_y):
    n = rgb.shape[0]
    out = np.empty(n, np.float32)
    scale = np.float32(l_of_y.shape[0] - 2)
    for i in nb.prange(n):
        y = m[1, 0] * lin[rgb[i, 0]] + m[1, 1] * lin[rgb[i, 1]] + m[1, 2] * lin[rgb[i, 2]]
        x = min(max(y, 0.0), 1.0) * scale
        k = int(x)
        t = x - k
        out[i] = l_of_y[k] + t * (l_of_y[k + 1] - l_of_y[k])
    return out


@parallel_njit(fastmath=True, cache=True, nogil=True)
def _compose_rgb8_nb(lum, ab, saturation, minv, srgb8, out):
    n = lum.shape[0]
    top = srgb8.shape[0] - 1
    for i in nb.prange(n):
        fy = (min(max(np.float64(lum[i]), 0.0), 100.0) + 16.0) / 116.0
        a = np.float64(ab[i, 0]) * saturation
        b = np.float64(ab[i, 1]) * saturation
        r, g, bl = _fit_gamut_nb(fy, a, b, minv)
        out[i, 0] = srgb8[int(min(max(r, 0.0), 1.0) * top + 0.5)]
        out[i, 1] = srgb8[int(min(max(g, 0.0), 1.0) * top + 0.5)]
        out[i, 2] = srgb8[int(min(max(bl, 0.0), 1.0) * top + 0.5)]


# ---------------------------------------------------------------- numpy twins
def _f_np(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPS, np.cbrt(t), t * _KAPPA + 4.0 / 29.0)


def _finv_np(t: np.ndarray) -> np.ndarray:
    return np.where(t > 6.0 / 29.0, t**3, (t - 4.0 / 29.0) / _KAPPA)


def luminance_of(l_star: np.ndarray | float) -> np.ndarray:
    """Relative luminance (linear light, 0-1) of L* (float64)."""
    return _finv_np((np.asarray(l_star, np.float64) + 16.0) / 116.0)


def lightness_of(y: np.ndarray | float) -> np.ndarray:
    """L* of relative luminance (float64)."""
    return 116.0 * _f_np(np.asarray(y, np.float64)) - 16.0


def _as_linear_np(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return _LUT_U8[rgb].astype(np.float64)
    v = np.clip(rgb.astype(np.float64), 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def rgb_to_lab_np(rgb: np.ndarray) -> np.ndarray:
    """Plain-numpy twin of :func:`rgb_to_lab` (same signature and result)."""
    rgb = _check_rgb(rgb)
    lin = _as_linear_np(rgb)
    xyz = lin @ _RGB2XYZ.T / np.array(WHITE_D65)
    f = _f_np(xyz)
    lab = np.stack(
        [
            116.0 * f[..., 1] - 16.0,
            500.0 * (f[..., 0] - f[..., 1]),
            200.0 * (f[..., 1] - f[..., 2]),
        ],
        axis=-1,
    )
    return lab.astype(np.float32)


def _lab_to_lin_np(fy, a, b, s):
    fx = fy + s * a / 500.0
    fz = fy - s * b / 200.0
    xyz = np.stack([_finv_np(fx) * WHITE_D65[0], _finv_np(fy), _finv_np(fz) * WHITE_D65[2]], -1)
    return xyz @ _XYZ2RGB.T


def _in_gamut_np(lin: np.ndarray) -> np.ndarray:
    return np.all((lin >= -_GAMUT_TOL) & (lin <= 1.0 + _GAMUT_TOL), axis=-1)


def lab_to_rgb_np(lab: np.ndarray) -> np.ndarray:
    """Plain-numpy twin of :func:`lab_to_rgb` (same signature and result)."""
    lab = _check_lab(lab)
    flat = lab.reshape(-1, 3).astype(np.float64)
    fy = (np.clip(flat[:, 0], 0.0, 100.0) + 16.0) / 116.0
    a, b = flat[:, 1], flat[:, 2]
    lin = _lab_to_lin_np(fy, a, b, 1.0)
    bad = ~_in_gamut_np(lin)
    if bad.any():
        lo = np.zeros(int(bad.sum()))
        hi = np.ones_like(lo)
        fyb, ab_, bb = fy[bad], a[bad], b[bad]
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            ok = _in_gamut_np(_lab_to_lin_np(fyb, ab_, bb, mid))
            lo = np.where(ok, mid, lo)
            hi = np.where(ok, hi, mid)
        lin[bad] = _lab_to_lin_np(fyb, ab_, bb, lo)
    v = np.clip(lin, 0.0, 1.0)
    rgb = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1.0 / 2.4) - 0.055)
    return rgb.astype(np.float32).reshape(lab.shape)


# ---------------------------------------------------------------- public wrappers
def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim < 1 or rgb.shape[-1] != 3:
        raise ValueError(f"expected (..., 3) RGB, got shape {rgb.shape}")
    if rgb.dtype == np.uint16:
        rgb = rgb.astype(np.float32) / 65535.0
    elif rgb.dtype not in (np.uint8, np.float32):
        rgb = rgb.astype(np.float32)
    return rgb


def _check_lab(lab: np.ndarray) -> np.ndarray:
    lab = np.asarray(lab)
    if lab.ndim < 1 or lab.shape[-1] != 3:
        raise ValueError(f"expected (..., 3) Lab, got shape {lab.shape}")
    return lab.astype(np.float32, copy=False)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB -> CIE Lab (D65).

    rgb: (..., 3) uint8 in [0, 255], uint16 in [0, 65535], or float in [0, 1] (clipped).
    Returns (..., 3) float32: L in [0, 100], a and b in about [-128, 127].
    """
    rgb = _check_rgb(rgb)
    flat = np.ascontiguousarray(rgb.reshape(-1, 3))
    if flat.dtype == np.uint8:
        out = _rgb_to_lab_u8_nb(flat, _LUT_U8, _RGB2XYZ)
    else:
        out = _rgb_to_lab_f32_nb(flat, _RGB2XYZ)
    return out.reshape(rgb.shape)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIE Lab (D65) -> sRGB float32 in [0, 1], keeping L.

    lab: (..., 3) float, L in [0, 100]. Out-of-gamut colours keep their L and hue and lose
    chroma until they fit (8 bisection steps), instead of being clipped per channel, which
    would shift lightness. Returns (..., 3) float32 in [0, 1].
    """
    lab = _check_lab(lab)
    flat = np.ascontiguousarray(lab.reshape(-1, 3))
    return _lab_to_rgb_nb(flat, _XYZ2RGB).reshape(lab.shape)


def rgb_to_l(rgb: np.ndarray) -> np.ndarray:
    """L* only (the lightness kept from a scan or a frame): faster than :func:`rgb_to_lab`.

    rgb: (..., 3) uint8, uint16 or float in [0, 1]. Returns (...) float32 in [0, 100]; uint8
    input goes through a 4096-entry interpolated table of L(Y) (error < 1e-3 L*).
    """
    rgb = _check_rgb(rgb)
    if rgb.dtype != np.uint8:
        return rgb_to_lab(rgb)[..., 0]
    flat = np.ascontiguousarray(rgb.reshape(-1, 3))
    return _rgb_to_l_u8_nb(flat, _LUT_U8, _RGB2XYZ, _L_OF_Y).reshape(rgb.shape[:-1])


def rgb_to_l_np(rgb: np.ndarray) -> np.ndarray:
    """Plain-numpy twin of :func:`rgb_to_l` (exact L*)."""
    return rgb_to_lab_np(rgb)[..., 0]


def _check_compose(lum: np.ndarray, ab: np.ndarray):
    lum = np.ascontiguousarray(lum, np.float32)
    ab = np.ascontiguousarray(ab, np.float32)
    if ab.shape != lum.shape + (2,):
        raise ValueError(f"expected L (...) and ab (..., 2), got {lum.shape} and {ab.shape}")
    return lum, ab


def compose_rgb8(lum: np.ndarray, ab: np.ndarray, saturation: float = 1.0) -> np.ndarray:
    """L* and ab -> 8-bit sRGB in one pass, keeping L (chroma is reduced to fit the gamut).

    lum: (...) float32 L* in [0, 100]; ab: (..., 2) float32, scaled by ``saturation``.
    Returns (..., 3) uint8. Same result as ``rint(lab_to_rgb(lab) * 255)`` within one code,
    without building the Lab array, and with a table for the sRGB encoding instead of pow().
    """
    lum, ab = _check_compose(lum, ab)
    out = np.empty(lum.shape + (3,), np.uint8)
    _compose_rgb8_nb(
        lum.reshape(-1), ab.reshape(-1, 2), float(saturation), _XYZ2RGB, _SRGB8, out.reshape(-1, 3)
    )
    return out


def compose_rgb8_np(lum: np.ndarray, ab: np.ndarray, saturation: float = 1.0) -> np.ndarray:
    """Plain-numpy twin of :func:`compose_rgb8`."""
    lum, ab = _check_compose(lum, ab)
    lab = np.concatenate([lum[..., None], ab * np.float32(saturation)], axis=-1)
    return np.rint(lab_to_rgb_np(lab) * 255.0).astype(np.uint8)
