"""A film's frame seen through a veil (a fade to white or through gray, fog, a flare): taken
off for the network's eyes and laid again over the colours it gives. No model, no files.

A fade to white or through gray lays a veil over the picture: in linear light each pixel
becomes ``t * Y + c`` (``t`` the picture's share, ``c`` the veil's light, gray). Its colours
fade with it: in the true colours of such a fade the chroma falls toward none as the veil
thickens. The network saw only the veiled lightness, a flat and pale picture it never learned,
and painted it bright (bikes through a fade to white: chroma 20 to 39 where the truth's was 0.2
to 2, 15 to 20 dB). So where a frame's blacks stand above the film's own (``film_levels``) and
its range is narrower, the veil is measured from the two (the frame's 1st and 99th percentiles
against the film's, in linear light), taken off the lightness the network sees, and laid over
the colours it gives in the same linear light, which leaves their lightness the frame's and
fades their chroma as the veil would. A fade to black (no veil, only less light: its colours
keep their share of the lightness) and a frame within the film's levels are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorcli.compose import shrunk_to
from colorcli.kernels.lab import _f_np, _finv_np, lightness_of, luminance_of
from colorcli.levels import FLAT, LEVELS_Q

# the veil's light, as a share of the range its shot has shown clear (linear light): a veil
# is counted from none at the first to whole at the second
VEIL_LIGHT = (0.03, 0.08)
# the frame's range as a share of that range: counted from none at the first to whole at
# the second (both must hold)
VEIL_SHARE = (0.9, 0.75)
PALE = 15.0  # L*: a blank whose levels stay above this is pale (``pale_blank``)
LOOK = 64  # the short side at which a picture's levels are read (``ends_of``)
MIN_SHARE = 0.2  # a frame is unveiled by at most 1 / this (what is left is nearly blank)


@dataclass(frozen=True)
class Veil:
    """Linear light seen = ``share`` * the picture's + ``light`` (relative luminance)."""

    share: float
    light: float


def _ramp(x: float, frm: float, to: float) -> float:
    return float(np.clip((x - frm) / (to - frm), 0.0, 1.0))


def ends_of(picture: np.ndarray) -> tuple[float, float]:
    """A picture's levels: its ``LEVELS_Q``-th and ``100 - LEVELS_Q``-th percentiles of L*,
    read at ``LOOK`` pixels on the short side (film grain averaged away: it spread a white
    leader's levels over 14 L* at 3 L* of grain, and a veiled frame's over its veil)."""
    lo, hi = np.percentile(shrunk_to(picture, LOOK), [LEVELS_Q, 100 - LEVELS_Q])
    return float(lo), float(hi)


def veil_of(ends: tuple[float, float], levels: tuple[float, float]) -> Veil | None:
    """The veil over a picture whose levels are ``ends`` (``ends_of``) against the levels
    ``levels`` its scene shows clear (L*), or None. Between no veil and a clear one
    (``VEIL_LIGHT``, ``VEIL_SHARE``) it is counted by degrees, so a fade's frames come and go
    smoothly."""
    lo, hi = ends
    # a picture whose whites outshine the film's spans more than the film's middle picture
    y_lo, y_hi = luminance_of(levels[0]), luminance_of(max(levels[1], hi))
    if y_hi - y_lo <= 1e-6:
        return None
    share = float((luminance_of(hi) - luminance_of(lo)) / (y_hi - y_lo))
    light = float(luminance_of(lo) - share * y_lo)
    weight = _ramp(light / (y_hi - y_lo), *VEIL_LIGHT) * _ramp(share, *VEIL_SHARE)
    if weight <= 0.0:
        return None
    share = max(share, MIN_SHARE)
    return Veil(1.0 - weight * (1.0 - share), weight * light)


def unveiled(l_net: np.ndarray, veil: Veil) -> np.ndarray:
    """``l_net`` (L*) with the veil taken off: the picture the network sees."""
    y = (luminance_of(l_net) - veil.light) / veil.share
    return np.clip(lightness_of(np.clip(y, 0.0, 1.0)), 0.0, 100.0).astype(np.float32)


def reveiled(ab: np.ndarray, l_seen: np.ndarray, veil: Veil) -> np.ndarray:
    """``ab`` ((h, w, 2), given for lightness ``l_seen``, the unveiled L* at its size) as the
    veil leaves it: each colour in linear light (XYZ) times the share, the veil's gray light
    added, back to Lab."""
    fy = (l_seen.astype(np.float64) + 16.0) / 116.0
    f = np.stack([fy + ab[..., 0] / 500.0, fy, fy - ab[..., 1] / 200.0], axis=-1)
    xyz = veil.share * np.maximum(_finv_np(f), 0.0) + veil.light  # relative to white: a gray
    g = _f_np(xyz)
    out = np.stack([500.0 * (g[..., 0] - g[..., 1]), 200.0 * (g[..., 1] - g[..., 2])], -1)
    return out.astype(np.float32)


def pale_blank(picture: np.ndarray) -> bool:
    """Whether a frame (its L*, within the bars) is blank and not dark: the white or gray a
    fade goes through, out of which the next scene's levels are not its own."""
    lo, hi = ends_of(picture)
    return hi - lo < FLAT and lo > PALE


class SceneVeils:
    """The veil over each key of a film, in order, against the levels its scene has shown
    clear so far: a fade to white or a flare is measured against the frames before it in its
    shot, so a shot pale from its first frame (snow, a white wall, fog) is left as it is. A
    scene that comes out of a pale blank (a fade in from white or gray) is measured against the
    film's levels until its own are wider."""

    def __init__(self, levels: tuple[float, float]) -> None:
        self.levels = levels  # the film's (``colorcli.levels.film_levels``)
        self._clear: tuple[float, float] | None = None

    def __call__(self, picture: np.ndarray, cut: bool, after_blank: bool) -> Veil | None:
        """picture: the key's L* within the film's bars; cut: it starts a scene;
        after_blank: the frame before it was a pale blank."""
        ends = ends_of(picture)
        if cut or self._clear is None:
            self._clear = self.levels if after_blank else ends
        veil = veil_of(ends, self._clear)
        if veil is None and ends[1] - ends[0] >= FLAT:
            self._clear = (min(self._clear[0], ends[0]), max(self._clear[1], ends[1]))
        return veil
