"""A gray scale scanned beside a print (a museum's or archive's step wedge: a strip of neutral
patches from white to black, numbers printed on them): told apart from a print, so that it is
kept as scanned. No model, no files.

Coloured as one of an album page's prints, its steps came out blue (chroma up to 36 on the
shipped model): the scale that tells a viewer the scan is neutral, painted. A piece is a gray
scale where, along its long side (at least ``ELONGATED`` times its short side), each line
across it is one lightness (``ACROSS`` of its pixels within ``LEVEL`` of the line's median,
the printed numbers aside) and those lightnesses make at least ``STEPS`` flat steps between
sharp edges, from light to dark.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.compose import lightness

LEVEL = 4.0  # L*: a pixel within this of its line's median is of the step
ACROSS = 0.85  # of a piece's pixels, at least this share within LEVEL of their line's
ELONGATED = 3.0  # long side over short side, at least
STEPS = 5  # flat steps, at least
JUMP = 3.0  # L*: a step's lines differ by at most this
EDGE = 1.5  # L*: lines next to each other this far apart are an edge between two steps
COVER = 0.7  # of a scale's length: in its flat steps, at least
SPAN = 40.0  # L*: from its lightest step to its darkest, at least
SIDE = 512  # long side, at most, it is read at


def gray_scale(rgb: np.ndarray) -> bool:
    """Whether a piece of a scan (an album page's, ``colorcli.albumpages``) is a gray scale
    (see the module's note). rgb: (H, W) gray or (H, W, 3) RGB, uint8, uint16 or float."""
    h, w = rgb.shape[:2]
    if max(h, w) < ELONGATED * min(h, w) or min(h, w) < 4:
        return False
    scale = min(1.0, SIDE / max(h, w))
    if scale < 1.0:
        size = (max(4, round(w * scale)), max(4, round(h * scale)))
        rgb = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)
    l_full = lightness(rgb)
    if l_full.shape[0] > l_full.shape[1]:
        l_full = l_full.T  # the long side along the rows
    line = np.median(l_full, axis=0)
    if np.mean(np.abs(l_full - line) <= LEVEL) < ACROSS:
        return False
    return _steps(line) >= STEPS


def _steps(line: np.ndarray) -> int:
    """How many flat steps a lightness profile makes: runs of at least a 40th of it, within
    ``JUMP`` from end to end, between sharp edges (lines next to each other more than
    ``EDGE`` apart; a smooth gradient has none); 0 unless such steps make up ``COVER`` of
    the profile and span ``SPAN`` of lightness (a scale runs from light to dark)."""
    least = max(2, len(line) // 40)
    edges = np.flatnonzero(np.abs(np.diff(line)) > EDGE) + 1
    bounds = [0, *edges.tolist(), len(line)]
    runs = [line[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    flat = [r for r in runs if len(r) >= least and float(r.max() - r.min()) <= JUMP]
    if not flat or sum(map(len, flat)) < COVER * len(line):
        return 0
    levels = [float(np.median(r)) for r in flat]
    return len(flat) if max(levels) - min(levels) >= SPAN else 0


__all__ = ["gray_scale"]
