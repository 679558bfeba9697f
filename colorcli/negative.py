"""A scanned negative turned into the print it would make (``--negative``): density read off the
scan, scene light recovered from it, the film base taken out.

A negative's density grows with the logarithm of the light that reached it (its straight line),
so the scene's luminance is exponential in density: the print here is ``PAPER_BLACK`` to the
power of (1 - density / the densest), stretched to black and white. The film base (and its fog,
and a colour negative's orange mask, one base per channel) is the clearest the scan shows in
the picture's middle; the densest is its highlights. Inverting the code values instead (what a
plain "invert" does) flattens the shadows and the highlights of a print made the photographic
way (bench/negative.py measures both).

Works on the pixels of one picture, any size, in strips; knows no files and no model.
"""

from __future__ import annotations

import numpy as np

from colorcli.icc import srgb_decode, srgb_encode

# the print's black over its white: a paper of density 2 (a scene range of 100:1)
PAPER_BLACK = 0.01
# where the base and the densest part are read: the middle of the picture (a scan's holder,
# rebate and sprocket holes lie at its edges), as percentiles of transmittance
MIDDLE = 0.8
BASE_PERCENTILE = 99.5  # the clearest: the base and fog, where the scene was darkest
DENSE_PERCENTILE = 0.5  # the densest: the scene's highlights
MIN_RANGE = 0.3  # densities less apart than this are taken as this (a blank frame stays dark)
SAMPLE = 1 << 20  # pixels looked at to read the base and range
STRIP = 1 << 20  # pixels converted at a time
_TINY = 1e-6
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 luminance


def _scale(dtype: np.dtype) -> float:
    """The code value of white for an image type (floats: 1)."""
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0


def _linear(part: np.ndarray) -> np.ndarray:
    """float32 linear light of sRGB-coded values (any type, floats clipped to [0, 1])."""
    v = part.astype(np.float32) / np.float32(_scale(part.dtype))
    return srgb_decode(np.clip(np.nan_to_num(v, nan=0.0), 0.0, 1.0)).astype(np.float32)


def _middle_sample(image: np.ndarray) -> np.ndarray:
    """The middle of the picture (``MIDDLE`` of each side), every n-th pixel: at most about
    ``SAMPLE`` pixels, as (N,) or (N, 3) linear light."""
    h, w = image.shape[:2]
    mh, mw = int(h * (1 - MIDDLE) / 2), int(w * (1 - MIDDLE) / 2)
    mid = image[mh : h - mh, mw : w - mw]
    step = max(1, int(np.ceil(np.sqrt(mid.shape[0] * mid.shape[1] / SAMPLE))))
    lin = _linear(mid[::step, ::step])
    return lin.reshape(-1, 3) if lin.ndim == 3 else lin.reshape(-1)


def _transmittance(lin: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Transmittance relative to the base: gray (N,) or RGB (..., 3), each channel over its
    own base, then their luminance (a colour negative's mask taken out)."""
    if lin.ndim >= 2 and lin.shape[-1] == 3 and base.size == 3:
        return (lin / base) @ _WEIGHTS
    return lin / base


def print_curve(image: np.ndarray) -> tuple[np.ndarray, float]:
    """What turns ``image``, a scanned negative, into a print: the base (one linear value per
    channel) and the densest density, both read in its middle (``print_of`` applies them)."""
    lin = _middle_sample(image)
    if lin.ndim == 2:
        base = np.maximum(np.percentile(lin, BASE_PERCENTILE, axis=0), _TINY).astype(np.float32)
    else:
        base = np.array([max(float(np.percentile(lin, BASE_PERCENTILE)), _TINY)], np.float32)
    t = np.clip(_transmittance(lin, base), _TINY, None)
    dense = -np.log10(max(float(np.percentile(t, DENSE_PERCENTILE)), _TINY))
    return base, max(dense, MIN_RANGE)


def print_of(image: np.ndarray, base: np.ndarray, dense: float) -> np.ndarray:
    """(H, W) gray print of ``image`` (gray or RGB, any type) in its type, sRGB-coded: a
    density of 0 (the base) black, ``dense`` and over white, exponential between."""
    if image.ndim == 2 and image.dtype in (np.uint8, np.uint16):  # gray: by code value
        codes = np.arange(int(_scale(image.dtype)) + 1, dtype=image.dtype)
        return _printed(codes, base, dense, image.dtype)[image]
    h, w = image.shape[:2]
    dtype = image.dtype if image.dtype.kind in "ui" else np.dtype(np.float32)
    out = np.empty((h, w), dtype)
    rows = max(1, STRIP // max(w, 1))
    for r in range(0, h, rows):
        out[r : r + rows] = _printed(image[r : r + rows], base, dense, dtype)
    return out


def _printed(part: np.ndarray, base: np.ndarray, dense: float, dtype: np.dtype) -> np.ndarray:
    """``print_of`` of a few rows (or of every code value), as ``dtype``."""
    t = np.clip(_transmittance(_linear(part), base), _TINY, 1.0)
    frac = np.clip(-np.log10(t) / dense, 0.0, 1.0)
    y = (np.power(PAPER_BLACK, 1.0 - frac) - PAPER_BLACK) / (1.0 - PAPER_BLACK)
    coded = srgb_encode(y) * _scale(dtype)
    return (np.rint(coded) if dtype.kind in "ui" else coded).astype(dtype)


def positive(image: np.ndarray) -> np.ndarray:
    """The print a scanned negative makes: (H, W) gray of the image's type (``print_curve``,
    ``print_of``). image: (H, W) gray or (H, W, 3) RGB, uint8 / uint16 / float in [0, 1]."""
    base, dense = print_curve(image)
    return print_of(image, base, dense)


__all__ = ["PAPER_BLACK", "positive", "print_curve", "print_of"]
