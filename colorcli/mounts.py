"""A black-and-white print's mount found in a colour scan (a cabinet card's or a carte de
visite's card, an album page's coloured paper), so that the network colours the print alone
and the mount keeps the colours the scan shows. No model, no files.

A scan of a print on its mount is in colour where the mount is: the network saw the card as
part of the photo and painted it (a cream card pale blue, a brown one navy, a gray-green one
blue with a green blot across the print), a studio's gilt name gray, and a brown card made
the whole scan count as a colour photograph (recoloured; `--keep-colour` left the print
black and white). A mount is the picture's outer ring of nearly one colour, of any lightness
and hue (``RING_SHARE`` of it within ``RING_DELTA`` of its median), around a print whose
edges are straight lines: ``colorcli.borders`` finds them on the picture's distance in Lab
from that colour (the mount near 0, as a black margin is), lettering on the card set apart
(``solid``). It counts only where what it frames is black and white or toned
(``colorcli.incolour``): a colour photograph of a thing on a plain ground is left as it
was. A ring that is near white or near black and neutral (paper, a scanner's lid, black
bars) is ``colorcli.borders``'s own, found on the lightness alone as before, except where
that finds no margin on some side and this finds one all round (a caption across most of a
print's white border); a mount on a scanner's bed is looked for inside the bed. Gray scans
are looked at the same way (a mid-gray card is kept gray).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

from colorcli.borders import LEVEL, MID_LEVELS, PROBE_SIDE, Box, content_box
from colorcli.compose import area_shrunk
from colorcli.incolour import in_colour
from colorcli.kernels import lab_distance, rgb_to_lab
from colorcli.photocorners import filled, find_corners

RING = 2  # lines of the probe, from each edge, that a mount's colour is read from
RING_DELTA = 6.0  # Lab distance (CIE76) from the ring's median within which it is one colour
RING_SHARE = 0.9  # of the ring, at least this within RING_DELTA
NEUTRAL = 4.0  # chroma under which a near-white or near-black ring is borders.py's
_STRIP = 1 << 18  # pixels of the picture made Lab at a time
# lettering on a card: the pieces of what is unlike the card under this share of the
# largest piece's area (the print's)
APART = 0.1


def _colours(picture: np.ndarray) -> np.ndarray:
    """A picture's colour channels: (H, W) gray as it is, (H, W, 3 or 4) without alpha."""
    return picture if picture.ndim == 2 else picture[..., :3]


def _three(picture: np.ndarray) -> np.ndarray:
    """(H, W) gray as (H, W, 3); RGB as it is."""
    return np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture


def _ring(lab: np.ndarray) -> np.ndarray:
    """The outer ``RING`` lines of (h, w, 3) ``lab``, all around, as (n, 3)."""
    k = RING
    return np.concatenate(
        [lab[:k].reshape(-1, 3), lab[-k:].reshape(-1, 3), lab[k:-k, :k].reshape(-1, 3),
         lab[k:-k, -k:].reshape(-1, 3)]
    )  # fmt: skip


def probe_lab(rgb: np.ndarray) -> np.ndarray | None:
    """(h, w, 3) Lab of ``rgb`` shrunk to ``PROBE_SIDE`` on its short side, or None where it
    is too small to have a ring and something inside it."""
    small = _three(area_shrunk(np.ascontiguousarray(_colours(rgb)), PROBE_SIDE))
    if min(small.shape[:2]) <= 4 * RING:
        return None
    return rgb_to_lab(np.ascontiguousarray(small))


def ring_colour(lab: np.ndarray, neutral: bool = False) -> np.ndarray | None:
    """The Lab colour of a mount around a picture (``lab``: its ``probe_lab``): its outer
    ring's median; None where its ring is not one colour, or is borders.py's (neutral, near
    white or near black) unless ``neutral``."""
    ring = _ring(lab)
    colour = np.median(ring, axis=0)
    if np.mean(np.linalg.norm(ring - colour, axis=1) <= RING_DELTA) < RING_SHARE:
        return None
    if not neutral and _neutral(colour):
        return None
    return colour.astype(np.float32)


def distance(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """(H, W) float32: each pixel's Lab distance from ``colour``: a gray picture of 8 or 16
    bits by code value (a 12-megapixel scan: 0.47 s converted), 8-bit RGB straight from its
    codes (``lab_distance``; 24.6 megapixels 1.23 s -> 0.50 s), the rest a strip of rows at
    a time."""
    if rgb.ndim == 2 and rgb.dtype in (np.uint8, np.uint16):
        codes = np.arange(np.iinfo(rgb.dtype).max + 1, dtype=rgb.dtype)
        lab = rgb_to_lab(np.ascontiguousarray(_three(codes[None]))[0])
        return np.linalg.norm(lab - colour, axis=-1).astype(np.float32)[rgb]
    if rgb.dtype == np.uint8 and rgb.ndim == 3:
        return lab_distance(_colours(rgb), colour)
    h, w = rgb.shape[:2]
    out = np.empty((h, w), np.float32)
    step = max(1, _STRIP // max(1, w))
    for r in range(0, h, step):
        lab = rgb_to_lab(np.ascontiguousarray(_three(_colours(rgb[r : r + step]))))
        out[r : r + step] = np.linalg.norm(lab - colour, axis=-1)
    return out


def pieces(dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What is unlike the mount (``dist`` over ``LEVEL``), on the probe, in pieces: their
    labels (h', w') and ``cv2.connectedComponentsWithStats``'s stats (row 0: the mount).
    Thin strokes are taken off first, and the thin bridges a JPEG's ringing lays between
    lettering and a print."""
    unlike = (dist > LEVEL).astype(np.float32)
    small = (area_shrunk(unlike, PROBE_SIDE) >= 0.5).astype(np.uint8)
    small = cv2.morphologyEx(small, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(small, connectivity=8)
    return labels, stats


def solid(dist: np.ndarray) -> np.ndarray:
    """``dist`` with what is unlike the mount apart from the print made like it: a studio's
    name and address on the card, a pencilled caption, a stamp: the ``pieces`` under
    ``APART`` of the largest's area (the print's), set apart from it by the card."""
    labels, stats = pieces(dist)
    if len(stats) <= 2:  # the print alone (or nothing)
        return dist
    area = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(len(stats), bool)
    keep[1:] = area >= APART * area.max()
    near = cv2.dilate(keep[labels].astype(np.uint8), np.ones((5, 5), np.uint8))
    h, w = dist.shape
    near = cv2.resize(near, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return np.where(near, dist, np.float32(0.0))


def mount_box(rgb: np.ndarray, l_full: np.ndarray) -> Box | None:
    """The box of a print on its mount (see the module's note), in ``rgb``'s pixels, or
    None. rgb: (H, W) gray or (H, W, 3 or 4), uint8, uint16 or float in [0, 1]; l_full:
    its L* (H, W).
    Where the picture's own ring is no mount, looked for inside the neutral margins
    ``colorcli.borders`` finds (a card on a scanner's bed)."""
    return _mount(rgb, functools.cache(lambda: content_box(l_full)), l_full.shape)


def framing(rgb: np.ndarray, l_full: np.ndarray) -> Box | None:
    """The part of a picture the network is to colour: inside its mount (``mount_box``)
    what the margins there frame, else what its margins frame (``content_box``), each
    looked for once; None where nothing is cut."""
    margins = functools.cache(lambda: content_box(l_full))
    mount = _mount(rgb, margins, l_full.shape)
    return margins() if mount is None else content_box(l_full, mount)


def _mount(rgb: np.ndarray, margins: Callable[[], Box | None], shape) -> Box | None:
    """``mount_box``, ``margins`` giving the picture's own (``content_box`` of its L*,
    looked for once where it is wanted)."""
    if rgb.ndim == 3 and rgb.shape[2] < 3:
        return None
    found, bed = _on_mount(rgb), None
    if found is None:
        bed = margins()
        if bed is None or bed.margin is not None:
            return None
        found = _on_mount(rgb[bed.rows, bed.cols])
        if found is None:
            return None
    box, paper = found
    if paper:  # white or black: borders.py's, found on lightness as before, where it can
        own = margins()
        if own is not None and _all_round(own, shape):
            return None
    if bed is None:
        return box
    return Box(bed.y0 + box.y0, bed.y0 + box.y1, bed.x0 + box.x0, bed.x0 + box.x1)


def _on_mount(rgb: np.ndarray) -> tuple[Box, bool] | None:
    """``mount_box`` of a picture whose outer ring is the mount, and whether the mount is
    white or black paper (a print's border running all round it); or None."""
    lab = probe_lab(rgb)
    colour = None if lab is None else ring_colour(lab, neutral=True)
    if colour is None:
        return None
    _, stats = pieces(np.linalg.norm(lab - colour, axis=-1))
    if len(stats) < 2:  # nothing on the card (a blank, an empty bed)
        return None
    box = print_on(rgb, colour)
    if box is None:
        return None
    paper = _neutral(colour)
    if paper and not _all_round(box, rgb.shape[:2]):
        return None  # white or black paper: borders.py's, unless a border runs all round
    return box, paper


def print_on(rgb: np.ndarray, colour: np.ndarray) -> Box | None:
    """The box of the black-and-white (or toned) print with straight edges that a ground of
    Lab ``colour`` frames in ``rgb`` (lettering on the ground set apart: ``solid``), or
    None: no such box, or what it frames is a colour photograph (a thing on a plain
    ground)."""
    found = print_in(rgb, colour)
    return None if found is None or found[1] else found[0]


def print_in(rgb: np.ndarray, colour: np.ndarray) -> tuple[Box, bool] | None:
    """The box of the print a ground of Lab ``colour`` frames in ``rgb`` and whether the
    print is in colour, or None. Where photo corners (``colorcli.photocorners``) glued over
    its corners reach past it onto the page, the box is cut to the print's own edges (a
    line of page inside it would hide a white border from ``colorcli.borders``), and the
    corners are no part of its colours (gold ones made a print count as in colour)."""
    box = print_box(rgb, colour)
    if box is None:
        return None
    crop = rgb[box.rows, box.cols]
    if corners := find_corners(crop):
        t = print_box(filled(crop, corners), colour)
        if t is not None:  # the box cut to the print's own edges
            box = Box(box.y0 + t.y0, box.y0 + t.y1, box.x0 + t.x0, box.x0 + t.x1, t.margin)
            crop = rgb[box.rows, box.cols]
            corners = find_corners(crop)
        crop = filled(crop, corners) if corners else crop
    whole = Box(0, crop.shape[0], 0, crop.shape[1], box.margin)
    return box, in_colour(framed_pixels(crop, whole))


def print_box(rgb: np.ndarray, colour: np.ndarray) -> Box | None:
    """The box with straight edges of what a ground of Lab ``colour`` frames in ``rgb``
    (a print, of any colours), or None."""
    return content_box(solid(distance(rgb, colour)))


def _neutral(colour: np.ndarray) -> bool:
    """Whether a mount's colour is near white or near black and neutral (paper, a bed)."""
    grey = float(np.hypot(colour[1], colour[2])) < NEUTRAL
    return grey and not MID_LEVELS[0] < colour[0] < MID_LEVELS[1]


def _all_round(box: Box, shape: tuple[int, int]) -> bool:
    """Whether ``box`` leaves a margin on every side of a picture of ``shape``."""
    h, w = shape
    return box.y0 > 0 and box.x0 > 0 and box.y1 < h and box.x1 < w


def framed_pixels(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The pixels ``box`` frames (those of a slanted margin's corners left out), as a
    picture ``colorcli.incolour`` can read: (h, w, 3), or (1, n, 3) where corners are left."""
    inside = _three(_colours(rgb[box.rows, box.cols]))
    if box.margin is None:
        return np.ascontiguousarray(inside)
    return np.ascontiguousarray(inside[~box.margin][None])


__all__ = [
    "distance", "framed_pixels", "framing", "mount_box", "pieces", "print_box", "print_in",
    "print_on", "probe_lab", "ring_colour", "solid",
]  # fmt: skip
