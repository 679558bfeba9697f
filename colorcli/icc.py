"""A scan's embedded colour profile (ICC) followed to sRGB on reading, so that its lightness is
the one the archivist saw: a gray scan saved under Photoshop's "Dot Gain 20%" or "Gray Gamma
2.2", an RGB scan in Adobe RGB or ProPhoto. Bytes and pixels only, no files, no model.

What is followed: gray profiles (a ``kTRC`` tone curve) and RGB matrix/TRC profiles (three
tone curves and three colorants); curves as a gamma, a table or a parametric curve. Anything
else (LUT-based, CMYK, Lab profiles) is read as sRGB, as before. A profile that is sRGB in all
but name changes nothing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from colorcli.kernels.lab import luminance_of

# sRGB's colorants adapted to D50 (the ICC connection space), the rows of XYZ = M @ linear RGB
_SRGB_D50 = np.array(
    [
        [0.4360747, 0.3850649, 0.1430804],
        [0.2225045, 0.7168786, 0.0606169],
        [0.0139322, 0.0971045, 0.7141733],
    ]
)
_CHUNK = 1 << 20  # pixels converted at a time (memory stays flat for a huge scan)


@dataclass(frozen=True)
class Profile:
    """``space``: "GRAY" or "RGB "; ``curves``: each channel's tone curve sampled at 4096
    points of 0..1 (linear light out); ``matrix``: an RGB profile's colorants (XYZ D50)."""

    space: str
    curves: tuple[np.ndarray, ...]
    matrix: np.ndarray | None = None


def parse(icc: bytes) -> Profile | None:
    """The profile if it is one this module follows (see the module's text), else None."""
    if len(icc) < 132 or icc[36:40] != b"acsp":
        return None
    space, pcs = icc[16:20].decode("latin-1"), icc[20:24]
    if pcs not in (b"XYZ ", b"Lab ") or space not in ("GRAY", "RGB "):
        return None
    if pcs == b"Lab " and space != "GRAY":  # an RGB profile over Lab is a LUT profile
        return None
    tags = {}
    (count,) = struct.unpack_from(">I", icc, 128)
    for i in range(min(count, 100)):
        sig, off, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
        tags[sig] = icc[off : off + size]
    try:
        if space == "GRAY":
            if b"kTRC" not in tags:
                return None
            curve = _curve(tags[b"kTRC"])
            if pcs == b"Lab ":  # the curve gives L* / 100: luminance from it
                curve = luminance_of(curve * 100.0)
            return Profile(space, (curve,))
        names = (b"rTRC", b"gTRC", b"bTRC"), (b"rXYZ", b"gXYZ", b"bXYZ")
        if not all(n in tags for group in names for n in group):
            return None
        curves = tuple(_curve(tags[n]) for n in names[0])
        matrix = np.array([_xyz(tags[n]) for n in names[1]]).T
        return Profile(space, curves, matrix)
    except (struct.error, ValueError, IndexError, ZeroDivisionError):
        return None


# a PNG's gAMA (its encoding exponent) taken for sRGB: 1/2.2 give or take what writers round
SRGB_GAMMAS = (0.43, 0.48)


def gamma_profile(gamma: float, space: str) -> Profile | None:
    """The profile a PNG's gAMA alone describes (pixels = light ** ``gamma``, sRGB's
    primaries): an old Mac's 1/1.8, a scanner's linear 1.0; None where it is sRGB's 1/2.2
    (``SRGB_GAMMAS``) or makes no sense. ``space``: "GRAY" or "RGB "."""
    if not 0.05 <= gamma <= 5.0 or SRGB_GAMMAS[0] <= gamma <= SRGB_GAMMAS[1]:
        return None
    curve = np.linspace(0.0, 1.0, 4096) ** (1.0 / gamma)
    if space == "GRAY":
        return Profile(space, (curve,))
    return Profile(space, (curve, curve, curve), _SRGB_D50)


_KINDS = {"CMYK": "CMYK", "RGB ": "RGB by tables", "GRAY": "gray without a tone curve"}


def unfollowed(icc: bytes) -> str | None:
    """What to tell of an embedded profile that is one (its signature is there) but not one
    this module follows (a scanner's table profile, a print workflow's CMYK); None for a
    followed profile or bytes that are no profile."""
    if len(icc) < 132 or icc[36:40] != b"acsp" or parse(icc) is not None:
        return None
    space = icc[16:20].decode("latin-1")
    kind = _KINDS.get(space, space.strip() or "of no colour space")
    return f"its colour profile ({kind}) is not followed: its colours are read as sRGB"


def _s15(raw: bytes, at: int) -> float:
    return struct.unpack_from(">i", raw, at)[0] / 65536.0


def _xyz(tag: bytes) -> tuple[float, float, float]:
    if tag[:4] != b"XYZ ":
        raise ValueError("not an XYZ tag")
    return _s15(tag, 8), _s15(tag, 12), _s15(tag, 16)


def _curve(tag: bytes) -> np.ndarray:
    """A 'curv' or 'para' tone curve sampled at 4096 points of 0..1."""
    x = np.linspace(0.0, 1.0, 4096)
    if tag[:4] == b"curv":
        (n,) = struct.unpack_from(">I", tag, 8)
        if n == 0:
            return x
        if n == 1:
            return x ** (struct.unpack_from(">H", tag, 12)[0] / 256.0)
        table = np.frombuffer(tag, ">u2", n, 12).astype(np.float64) / 65535.0
        return np.interp(x, np.linspace(0.0, 1.0, n), table)
    if tag[:4] == b"para":
        (kind,) = struct.unpack_from(">H", tag, 8)
        nparams = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}[kind]
        given = [_s15(tag, 12 + 4 * i) for i in range(nparams)]
        # g, then a, b, c, d, e, f where given (defaults: a = 1, the rest 0)
        g, a, b, c, d, e, f = given + [1.0, 0.0, 0.0, 0.0, 0.0, 0.0][nparams - 1 :]
        if kind == 0:
            return x**g
        base = np.maximum(a * x + b, 0.0) ** g
        if kind == 1:
            return np.where(x >= -b / a, base, 0.0)
        if kind == 2:
            return np.where(x >= -b / a, base + c, c)
        if kind == 3:
            return np.where(x >= d, base, c * x)
        return np.where(x >= d, base + e, c * x + f)
    raise ValueError("not a tone curve")


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] (clipped to it) as sRGB-encoded values in [0, 1]."""
    v = np.clip(linear, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] as linear light (``srgb_encode``'s inverse)."""
    return np.where(encoded <= 0.04045, encoded / 12.92, np.power((encoded + 0.055) / 1.055, 2.4))


def _table(curve: np.ndarray, top: int) -> np.ndarray:
    """The curve at every code value 0..top (linear light)."""
    return np.interp(np.arange(top + 1) / top, np.linspace(0.0, 1.0, len(curve)), curve)


def to_srgb(pixels: np.ndarray, profile: Profile) -> np.ndarray:
    """``pixels`` (gray (H, W) or RGB (H, W, 3), uint8 or uint16) re-encoded as sRGB, in the
    same shape and type; the very same array where the profile is sRGB in effect or does not
    fit the pixels (an RGB profile on gray pixels). A gray profile's curve applies to each
    channel (a gray JPEG decodes as three equal ones)."""
    top = np.iinfo(pixels.dtype).max
    if pixels.ndim == 2 and profile.space != "GRAY":
        return pixels
    if profile.space == "GRAY":  # one table from code value to sRGB code value
        lut = np.rint(srgb_encode(_table(profile.curves[0], top)) * top).astype(pixels.dtype)
        if np.array_equal(lut, np.arange(top + 1, dtype=pixels.dtype)):
            return pixels
        return lut[pixels]
    tables = [_table(c, top).astype(np.float32) for c in profile.curves]
    to_srgb_linear = (np.linalg.inv(_SRGB_D50) @ profile.matrix).astype(np.float32)
    if _is_srgb(tables, to_srgb_linear, top):
        return pixels
    flat = pixels.reshape(-1, 3)
    out = np.empty_like(flat)
    for s in range(0, len(flat), _CHUNK):
        block = flat[s : s + _CHUNK]
        linear = np.stack([t[block[:, i]] for i, t in enumerate(tables)], axis=1)
        encoded = srgb_encode(linear @ to_srgb_linear.T)
        out[s : s + _CHUNK] = np.rint(encoded * top).astype(pixels.dtype)
    return out.reshape(pixels.shape)


def _is_srgb(tables: list[np.ndarray], matrix: np.ndarray, top: int) -> bool:
    """Whether the profile maps every code value within half a step of where sRGB does."""
    if np.abs(matrix - np.eye(3)).max() > 2e-3:
        return False
    codes = np.arange(top + 1) / top
    return all(np.abs(srgb_encode(t) - codes).max() * top < 0.5 for t in tables)


__all__ = ["Profile", "gamma_profile", "parse", "srgb_decode", "srgb_encode", "to_srgb"]
