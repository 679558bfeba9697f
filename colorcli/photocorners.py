"""Photo corners: the paper triangles that hold a print on an album page, glued over its
corners. Found on lightness; no model, no files.

Seen with the print, the network painted them (dark purple on black corners) and they broke
the ring of a print's white border, so that the border was not found as a margin. A corner
of the print holds one where its first anti-diagonals (the lines x + y = d from the corner)
are one lightness, each pixel within ``LEVEL`` of the first lines' median, up to a diagonal
``leg`` long, and the next few diagonals past it are unlike that lightness almost all along
(a straight 45-degree edge: a dark sky that ends at a hill is no photo corner). Where at
least two corners of a picture hold such triangles, of one lightness and near one size, they
are photo corners: the network sees the picture with each triangle filled from the print
past its edge, along rows and columns (``filled``), and the triangles are kept as scanned
(``corner_mask``).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from colorcli.borders import Box
from colorcli.compose import lightness

LEVEL = 6.0  # L*: a photo corner's pixels within this of its median
LEGS = (0.04, 0.2)  # a corner's leg, as a share of the picture's short side: at least, at most
MIN_LEG = 6  # pixels, at least
LIKE = 0.95  # of the triangle's pixels, at least this share within LEVEL
UNLIKE = 0.65  # of the pixels just past its edge, at least this share unlike it
PAST = 3  # diagonals past the edge that are read
EDGE = 2 * LEVEL  # L*: a pixel past the edge this far from the corner's is unlike it (a sharp
# edge, not a lightness that drifts away: a white backdrop's falloff)
SAME = 10.0  # L*: the corners of one picture differ by at most this
SIZES = 1.6  # and their legs by at most this factor
MIN_CORNERS = 2
SKIP = 0.01  # of the short side: lines and columns at a corner's edges that may be other
# (the box's edge a line or two past the corner's tip)
PROBE = 384  # short side, at most, at which corners are looked for (then measured at full size)

Corner = tuple[
    int, int
]  # which corner (0 top left, 1 top right, 2 bottom left, 3 bottom right), leg


def _oriented(l_full: np.ndarray, which: int, side: int) -> np.ndarray:
    """The ``side`` x ``side`` square at corner ``which``, flipped so that corner is at (0, 0)."""
    sq = l_full[:side] if which < 2 else l_full[-side:][::-1]
    return sq[:, :side] if which % 2 == 0 else sq[:, -side:][:, ::-1]


def _leg(sq: np.ndarray, lo: int, skip: int) -> tuple[int, float] | None:
    """The leg of the uniform triangle at (0, 0) of ``sq`` and its lightness, or None; its
    first ``skip`` lines and columns are not read (a box cut a line or two past the corner's
    tip leaves them of the ground)."""
    side = sq.shape[0]
    d = np.add.outer(np.arange(side), np.arange(side))
    within = d < side
    within[:skip], within[:, :skip] = False, False
    level = float(np.median(sq[within & (d < lo)]))
    like = (np.abs(sq - level) <= LEVEL) & within
    count = np.bincount(d[within], minlength=side)[:side]
    share = np.bincount(d[within], like[within], minlength=side)[:side] / np.maximum(count, 1)
    share[count == 0] = 1.0
    run = np.flatnonzero(share < LIKE)
    leg = int(run[0]) if len(run) else side
    if leg < lo or leg + PAST >= side:
        return None
    past = (d >= leg + 1) & (d <= leg + PAST)
    if np.mean(np.abs(sq[past] - level) > EDGE) < UNLIKE:
        return None
    return leg, level


def find_corners(image: np.ndarray) -> list[Corner]:
    """The photo corners of a picture (see the module's note): [(corner, leg)], or [].
    image: (H, W) gray or (H, W, 3) RGB, uint8, uint16 or float in [0, 1]. Looked for at
    most ``PROBE`` pixels large, each measured again at full size on a square just larger
    than it."""
    h, w = image.shape[:2]
    scale = min(1.0, PROBE / min(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        probe = lightness(
            cv2.resize(np.ascontiguousarray(image), size, interpolation=cv2.INTER_AREA)
        )
        found = _corners(lambda which, side: _oriented(probe, which, side), probe.shape, None)
        sides = {which: int((leg + 2 * PAST + 2) / scale) for which, leg, _ in found}
    else:
        sides = None
    if scale == 1.0 or found:

        def square(which: int, side: int) -> np.ndarray:
            return lightness(np.ascontiguousarray(_oriented(image, which, side)))

        found = _corners(square, (h, w), sides)
    if len(found) < MIN_CORNERS:
        return []
    levels, legs = [f[2] for f in found], [f[1] for f in found]
    if max(levels) - min(levels) > SAME or max(legs) > SIZES * min(legs):
        return []
    corners = [(which, leg) for which, leg, _ in found]
    return corners + _like_them(image, corners, float(np.median(levels)))


def _corners(square, shape: tuple[int, int], sides: dict | None) -> list[tuple[int, int, float]]:
    """(corner, leg, lightness) of each corner (those in ``sides``, or all four) that holds a
    uniform triangle, read on the oriented square ``square(which, side)`` of L* of side
    ``sides[which]`` (None: the largest leg's) of a picture of ``shape``."""
    short = min(shape)
    lo, hi = max(MIN_LEG, int(LEGS[0] * short)), int(LEGS[1] * short)
    skip = max(2, int(SKIP * short))
    found = []
    for which in range(4) if sides is None else sides:
        side = min(short, hi + PAST + 2 if sides is None else sides[which])
        if side <= lo + PAST:
            continue
        got = _leg(square(which, side), lo, skip)
        if got is not None and got[0] <= hi:
            found.append((which, *got))
    return found


def _like_them(image: np.ndarray, corners: list[Corner], level: float) -> list[Corner]:
    """The picture's other corners that hold a triangle like the photo corners found (their
    median leg, ``LIKE`` of its pixels within ``LEVEL`` of their lightness), its edge unseen
    where the print beyond is as dark or light as the corner."""
    leg = int(np.median([c[1] for c in corners]))
    y, x = _triangle(leg)
    skip = max(2, int(SKIP * min(image.shape[:2])))  # as _corners reads them
    read = (y >= skip) & (x >= skip)
    taken = {which for which, _ in corners}
    more = []
    for which in sorted(set(range(4)) - taken):
        values = lightness(np.ascontiguousarray(_oriented(image, which, leg)))[y, x][read]
        if np.mean(np.abs(values - level) <= LEVEL) >= LIKE:
            more.append((which, leg))
    return more


def _triangle(leg: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the pixels x + y < leg."""
    y, x = np.nonzero(np.add.outer(np.arange(leg), np.arange(leg)) < leg)
    return y, x


def _at(shape: tuple[int, ...], which: int, y: np.ndarray, x: np.ndarray):
    """Oriented (y, x) of corner ``which`` as the picture's rows and columns."""
    h, w = shape[:2]
    return (y if which < 2 else h - 1 - y), (x if which % 2 == 0 else w - 1 - x)


def corner_mask(shape: tuple[int, ...], corners: list[Corner]) -> np.ndarray:
    """(H, W) bool: the pixels of ``corners`` in a picture of ``shape``."""
    mask = np.zeros(shape[:2], bool)
    for which, leg in corners:
        mask[_at(shape, which, *_triangle(leg))] = True
    return mask


def filled(image: np.ndarray, corners: list[Corner]) -> np.ndarray:
    """A copy of ``image`` with each corner's triangle filled from the print just past it:
    a pixel nearer the top or bottom edge than the side takes the first pixel past the
    triangle in its row, the others the first in its column; the lines of a print's white
    border run on through the corner, so the border is found as a margin."""
    out = image.copy()
    for which, leg in corners:
        y, x = _triangle(leg)
        rows = y <= x
        fy, fx = np.where(rows, y, leg - x), np.where(rows, leg - y, x)
        out[_at(image.shape, which, y, x)] = image[_at(image.shape, which, fy, fx)]
    return out


def held_by_corners(
    image: np.ndarray, box: Box | None, l_in: np.ndarray
) -> tuple[Box | None, np.ndarray]:
    """A print that margins or a mount frame (``box``, ``l_in`` the lightness in it), with
    the photo corners inside the box found: they become margin of the box (kept as
    scanned), and the lightness the network sees is filled where they lie (``filled``)."""
    if box is None:
        return box, l_in
    corners = find_corners(image[box.rows, box.cols])
    if not corners:
        return box, l_in
    held = corner_mask(l_in.shape, corners)
    margin = held if box.margin is None else box.margin | held
    return dataclasses.replace(box, margin=margin), filled(l_in, corners)


__all__ = ["corner_mask", "filled", "find_corners", "held_by_corners"]
