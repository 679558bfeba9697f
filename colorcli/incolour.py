"""Whether a picture is already a colour photograph: colours that vary apart from its lightness,
as a scene's do, not one tint that follows it, as a toned or yellowed black-and-white print's
does (sepia, selenium, cyanotype, a scan's cast). No model, no files.

The measure is the spread of a picture's ab around the median ab of its lightness band (16
bands of L*): a print toned or yellowed by any curve of its lightness spreads by its grain
and the JPEG's noise alone. On this project's held-out and training photos (154 colour
photos, and each made gray, sepia, cyanotype, yellowed with scanner noise and given a warm
cast, all as JPEG) the colour photos spread by 11.7 (median; 88% of them by at least
``IN_COLOUR``), the monochrome ones by at most 3.4.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.kernels import rgb_to_lab

IN_COLOUR = 4.0  # ab spread from which a picture counts as a colour photograph
# what is said of a colour photograph coloured again (where --keep-colour is not an option,
# and where it is)
RECOLOURED_ALONE = "already in colour: recoloured from its lightness alone"
RECOLOURED = f"{RECOLOURED_ALONE} (--keep-colour writes such photos as they are)"
_BANDS = 16  # bands of L*
SIDE = 256  # short side it is measured at (area averaging: grain and JPEG noise shrink)


def colour_spread(rgb: np.ndarray) -> float:
    """Root mean square distance (ab units) of a picture's pixels from the median ab of
    their band of L*; 0 for a gray picture. rgb: (H, W, 3) uint8 or uint16."""
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        return 0.0
    rgb = rgb[..., :3]
    h, w = rgb.shape[:2]
    scale = min(1.0, SIDE / max(1, min(h, w)))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)
    top = 65535.0 if rgb.dtype == np.uint16 else 255.0
    lab = rgb_to_lab(np.ascontiguousarray(rgb, dtype=np.float32) / np.float32(top))
    lab = lab.reshape(-1, 3)
    bands = np.clip((lab[:, 0] * (_BANDS / 100.0)).astype(np.int64), 0, _BANDS - 1)
    tint = np.zeros((_BANDS, 2), np.float32)
    for b in np.unique(bands):
        tint[b] = np.median(lab[bands == b, 1:], axis=0)
    off = lab[:, 1:] - tint[bands]
    return float(np.sqrt(np.mean(np.sum(off * off, axis=1))))


class ColourScenes:
    """Whether a film's frames are already in colour (``in_colour``), told at its key frames:
    at a scene's first key that is not dim at once (one that fades in from black is told once
    it can be seen), then changed only where ``AGREE`` keys in a row say otherwise (a scene that
    turns from sepia to colour without a cut; a borderline frame does not flip one key in
    four). ``dim``: the spread of L* under which a frame tells nothing."""

    AGREE = 2

    def __init__(self, dim: float) -> None:
        self.dim = dim
        self._state: bool | None = None  # None: not told since the last cut
        self._against = 0  # keys in a row that said otherwise

    def __call__(self, rgb: np.ndarray, cut: bool, spread: float) -> bool:
        """For a key frame (``rgb``: (H, W, 3) uint8 or uint16; ``cut``: it starts a scene;
        ``spread``: its L* standard deviation): whether it is to be taken as in colour."""
        if cut:
            self._state, self._against = None, 0
        if spread < self.dim:
            return bool(self._state)
        said = in_colour(rgb)
        if self._state is None or said == self._state:
            self._state, self._against = said, 0
        else:
            self._against += 1
            if self._against >= self.AGREE:
                self._state, self._against = said, 0
        return self._state


BILEVEL = (
    "only pure black and white (a 1-bit scan of text, line art or a halftone): "
    "they hold no colour, so its copy looks the same; "
    "scan it in shades of gray to colour it"
)


def bilevel(pixels: np.ndarray) -> bool:
    """Whether a picture holds only pure black and pure white (a 1-bit scan of text, line art
    or a halftone, however it is stored): the lightness of such pixels admits no colour.
    pixels: (H, W) gray or (H, W, 3) RGB, uint8 or uint16."""
    top = np.iinfo(pixels.dtype).max if pixels.dtype.kind in "ui" else 1.0
    for p in (pixels[::7, ::7], pixels):  # a sample first: most pictures fail it at once
        if not ((p == 0) | (p == top)).all():
            return False
        if p.ndim == 3 and not ((p[..., 0] == p[..., 1]) & (p[..., 1] == p[..., 2])).all():
            return False
    return pixels.size > 0


def no_colour_note(pixels: np.ndarray) -> str | None:
    """Why a picture can take no colour, or None: a blank one (all black or all white: a
    scanner's empty bed, a frame grab between shots) or one of pure black and white only
    (:func:`bilevel`)."""
    if not bilevel(pixels):
        return None
    level = pixels.flat[0]
    if (pixels == level).all():
        shade = "black" if level == 0 else "white"
        return f"a blank picture (all {shade}): nothing in it to colour, so its copy looks the same"
    return BILEVEL


def in_colour(rgb: np.ndarray) -> bool:
    """Whether ``rgb`` is a colour photograph (``colour_spread`` of at least ``IN_COLOUR``)."""
    return colour_spread(rgb) >= IN_COLOUR
