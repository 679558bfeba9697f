"""A CIELab TIFF's decoded samples (Photoshop's Lab mode; photometric 8, or ICC's encoding, 9)
turned into sRGB pixels whose lightness is the file's own L*. libtiff's own conversion to RGB,
which OpenCV used, read them lighter by 1.5 L* on average (8 in the shadows) and tinted;
``colorcli.tiffmend`` has OpenCV hand out the samples as stored instead. Pixels only.
"""

from __future__ import annotations

import numpy as np

from colorcli.compose import compose_rgb

CIELAB, ICCLAB = 8, 9  # TIFF's PhotometricInterpretation values read here
_ROWS = 256  # rows converted at a time (a large scan needs no full-size float copy)


def _scales(kind: int, dtype: np.dtype) -> tuple[float, float, float]:
    """(L* per code, a*/b* per code, a*/b* code of 0) of a sample type. CIELab (TIFF 6.0):
    L* over the type's range, a* and b* signed, in units at 8 bits and 1/256 at 16 (libtiff's
    reading). ICCLab (Adobe's TIFF technote 4, the ICC's PCS encoding): unsigned, 0 at the
    middle; 16-bit L* 100 at 0xFF00, as in version 2 profiles."""
    if dtype == np.uint8:
        return 100.0 / 255.0, 1.0, 0.0 if kind == CIELAB else 128.0
    if kind == CIELAB:
        return 100.0 / 65535.0, 1.0 / 256.0, 0.0
    return 100.0 / 65280.0, 1.0 / 256.0, 32768.0


def lab_to_srgb(samples: np.ndarray, kind: int) -> np.ndarray:
    """``samples`` as stored ((H, W) L* alone or (H, W, 3) L*, a*, b*; uint8 or uint16) of a
    TIFF of photometric ``kind`` (``CIELAB`` or ``ICCLAB``), as sRGB of the same type and
    shape: a gray L* file stays gray. a* and b* are read relative to sRGB's white (a neutral
    stays neutral, whatever white point the file names); colours sRGB cannot show are brought
    into it at their lightness (``compose_rgb``)."""
    dtype = samples.dtype
    per_l, per_ab, zero = _scales(kind, dtype)
    signed = np.int8 if dtype == np.uint8 else np.int16
    h, w = samples.shape[:2]
    out = np.empty((h, w, 3), dtype)
    for r in range(0, h, _ROWS):
        part = samples[r : r + _ROWS]
        lum = part[..., 0] if part.ndim == 3 else part
        lum = np.minimum(lum.astype(np.float32) * per_l, 100.0)
        if part.ndim == 3:
            raw = part[..., 1:3].view(signed) if kind == CIELAB else part[..., 1:3]
            ab = (raw.astype(np.float32) - zero) * per_ab
        else:
            ab = np.zeros((*lum.shape, 2), np.float32)
        out[r : r + _ROWS] = compose_rgb(lum, ab, dtype)
    return out if samples.ndim == 3 else np.ascontiguousarray(out[..., 1])


def decoded_to_srgb(a: np.ndarray, kind: int) -> np.ndarray:
    """OpenCV's decode of a CIELab TIFF's samples as stored ((H, W), or (H, W, C) in its
    order: the three samples reversed, then any alpha) as sRGB in the same layout; samples of
    another type are left for the caller to refuse."""
    if a.dtype not in (np.uint8, np.uint16):
        return a
    if a.ndim == 2:
        return lab_to_srgb(a, kind)
    out = a.copy()
    if a.shape[2] >= 3:
        out[..., 2::-1] = lab_to_srgb(np.ascontiguousarray(a[..., 2::-1]), kind)
    else:  # L* and alpha
        out[..., 0] = lab_to_srgb(np.ascontiguousarray(a[..., 0]), kind)
    return out


__all__ = ["CIELAB", "ICCLAB", "decoded_to_srgb", "lab_to_srgb"]
