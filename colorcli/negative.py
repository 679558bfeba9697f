"""A scanned negative turned into the print it would make (``--negative``): density read off the
scan, scene light recovered from it, the film base taken out.

A negative's density grows with the logarithm of the light that reached it (its straight line),
so the scene's luminance is exponential in density: the print here is ``PAPER_BLACK`` to the
power of (1 - density / the densest), stretched to black and white. The film base (and its fog,
and a colour negative's orange mask, one base per channel) is the clearest the scan shows in
the picture's middle; the densest is its highlights. Inverting the code values instead (what a
plain "invert" does) flattens the shadows and the highlights of a print made the photographic
way (bench/negative.py measures both).

Works on pictures' pixels (a photo, or a film's frames by one curve through ``PrintedRoute``);
knows no files and no model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from colorcli.icc import srgb_decode, srgb_encode
from colorcli.kernels.lab import LUMINANCE
from colorcli.kernels.printing import print_rgb

# the print's black over its white: a paper of density 2 (a scene range of 100:1)
PAPER_BLACK = 0.01
# where the base and the densest part are read: the middle of the picture (a scan's holder,
# rebate and sprocket holes lie at its edges), as percentiles of transmittance
MIDDLE = 0.8
BASE_PERCENTILE = 99.5  # the clearest: the base and fog, where the scene was darkest
DENSE_PERCENTILE = 0.5  # the densest: the scene's highlights
MIN_RANGE = 0.3  # densities less apart than this are taken as this (a blank frame stays dark)
SAMPLE = 1 << 20  # pixels looked at to read the base and range
STRIP = 1 << 20  # pixels converted at a time (floats)
STEPS = 1 << 16  # steps of transmittance the print of RGB is looked up in
_TINY = 1e-6
_WEIGHTS = LUMINANCE.astype(np.float32)


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


def _transmittance(lin: np.ndarray, base: np.ndarray, rgb: bool) -> np.ndarray:
    """Transmittance relative to the base: of gray (...) or RGB (..., 3) linear light, each
    channel over its own base, then their luminance (a colour negative's mask taken out).
    base: (3,) or (1,) (one base for every channel, or a gray one)."""
    if rgb:
        return (lin / base) @ _WEIGHTS
    return lin / (base @ _WEIGHTS if base.size == 3 else base)


class Curve(NamedTuple):
    """What turns a scanned negative into its print: the film base (linear light, one value
    per channel, or one for gray) and the densest density (white)."""

    base: np.ndarray
    dense: float


def _curve_of(lin: np.ndarray) -> Curve:
    """The curve of linear samples: (N,) gray or (N, 3) RGB."""
    if lin.ndim == 2:
        base = np.maximum(np.percentile(lin, BASE_PERCENTILE, axis=0), _TINY).astype(np.float32)
    else:
        base = np.array([max(float(np.percentile(lin, BASE_PERCENTILE)), _TINY)], np.float32)
    t = np.clip(_transmittance(lin, base, lin.ndim == 2), _TINY, None)
    dense = -np.log10(max(float(np.percentile(t, DENSE_PERCENTILE)), _TINY))
    return Curve(base, max(dense, MIN_RANGE))


def print_curve(image: np.ndarray) -> Curve:
    """The curve of one scanned negative, read in its middle (``MIDDLE``)."""
    return _curve_of(_middle_sample(image))


def film_curve(pictures: Sequence[np.ndarray]) -> Curve:
    """One curve for a film's frames (a few sampled through it, of one shape): the base and
    the densest of them all, so that every frame is printed alike."""
    return _curve_of(np.concatenate([_middle_sample(p) for p in pictures]))


class Printer:
    """Prints scanned negatives by one ``Curve``: (H, W) gray of the picture's type,
    sRGB-coded, a density of 0 (the base) black, ``dense`` and over white, exponential
    between. Gray of 8 or 16 bits is looked up by code value, RGB of 8 or 16 bits through the
    ``print_rgb`` kernel (its tables made once per type), floats computed."""

    def __init__(self, curve: Curve) -> None:
        self.curve = curve
        self._tables: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if image.dtype in (np.uint8, np.uint16) and image.ndim in (2, 3):
            lut, table = self._tables_for(image.dtype, image.ndim == 3)
            return lut[image] if table is None else print_rgb(image, lut, table)
        dtype = np.dtype(np.float32)
        h, w = image.shape[:2]
        out = np.empty((h, w), dtype)
        rows = max(1, STRIP // max(w, 1))
        for r in range(0, h, rows):
            t = _transmittance(_linear(image[r : r + rows]), self.curve.base, image.ndim == 3)
            out[r : r + rows] = self._coded(t, dtype)
        return out

    def _tables_for(self, dtype: np.dtype, rgb: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Gray: the print of every code value. RGB: each channel's share of the luminance of
        the transmittance at every code value (3, codes), and the print of the transmittance
        from 0 to 1 in ``STEPS`` steps."""
        key = f"{np.dtype(dtype).str}{rgb}"
        if key not in self._tables:
            codes = np.arange(int(_scale(np.dtype(dtype))) + 1, dtype=dtype)
            lin, base = _linear(codes), self.curve.base
            if not rgb:
                gray = self._coded(_transmittance(lin, base, False), np.dtype(dtype))
                self._tables[key] = (gray, None)
            else:
                base = np.broadcast_to(base, (3,))
                luts = (_WEIGHTS[:, None] * lin[None] / base[:, None]).astype(np.float32)
                steps = np.linspace(0.0, 1.0, STEPS, dtype=np.float32)
                self._tables[key] = (luts, self._coded(steps, np.dtype(dtype)))
        return self._tables[key]

    def _coded(self, t: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The print's codes (``dtype``) of transmittances over the base."""
        frac = np.clip(-np.log10(np.clip(t, _TINY, 1.0)) / self.curve.dense, 0.0, 1.0)
        y = (np.power(PAPER_BLACK, 1.0 - frac) - PAPER_BLACK) / (1.0 - PAPER_BLACK)
        coded = srgb_encode(y) * _scale(dtype)
        return (np.rint(coded) if dtype.kind in "ui" else coded).astype(dtype)


def film_printer(src: Any, pictures: Sequence[np.ndarray]) -> Printer:
    """The ``Printer`` of a film of scanned negatives (``film_curve`` of ``pictures``, sampled
    through it). MediaError naming ``src`` where none could be sampled."""
    from colorcli.errors import MediaError

    if not len(pictures):
        raise MediaError(src, "no picture could be sampled to read its negative's base from")
    return Printer(film_curve(pictures))


def positive(image: np.ndarray) -> np.ndarray:
    """The print a scanned negative makes (``Printer``, its own ``print_curve``): (H, W) gray
    of the image's type. image: (H, W) gray or (H, W, 3) RGB, uint8 / uint16 / float in
    [0, 1]."""
    return Printer(print_curve(image))(image)


class PrintedRoute:
    """A film's route (``colorcli.compose.RgbRoute``) whose frames are scanned negatives:
    each decoded frame is made its print (the film's one ``Printer``) before the route splits
    it; the rest is the route's own. Not for a luma plane (its codes are no sRGB)."""

    def __init__(self, route: Any, printer: Printer) -> None:
        if getattr(route, "luma_only", False):
            raise ValueError("a negative's frames are printed from RGB, not a luma plane")
        self.route, self.printer = route, printer

    def split(self, arr: np.ndarray, net_shape: tuple[int, int]) -> tuple[Any, np.ndarray]:
        return self.route.split(self.printer(arr), net_shape)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.route, name)


__all__ = [
    "PAPER_BLACK",
    "Curve",
    "PrintedRoute",
    "Printer",
    "film_curve",
    "film_printer",
    "positive",
    "print_curve",
]
