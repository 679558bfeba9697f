"""Uniform margins around a picture (a print's white border, the scanner bed around it, a
film's black bars) found, so the network colours only what they frame and they keep the
neutral tone the input gives them.

A scanned print with its white border made the network see a frame it never trained on: it
tinted the border (blue at the top, yellow at the bottom) and coloured the photo itself
otherwise (a green meadow came out brown). A margin here is a run of rows (or columns) from
an edge, each nearly one lightness (its 2nd to 98th percentile within ``SPREAD``) and that
of the edge (within ``LEVEL``), measured on the picture shrunk to ``PROBE_SIDE`` pixels on
its short side, where grain and paper texture average out. A lone uniform band (a clear sky
at the top of a landscape, a black night at its foot) is not a margin: a margin has one on
another side (facing it or beside it) of the same lightness. What is left must keep
``MIN_CONTENT`` of each side, or nothing is cut (a fade to black, a blank page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorcli.compose import compose_rgb, shrink_l
from colorcli.guide import Guide, crop_guide

PROBE_SIDE = 256  # short side of the picture the margins are looked for on
SPREAD = 6.0  # L*: a margin's row from its 2nd to its 98th percentile at most this
LEVEL = 4.0  # L*: a margin's row within this of the edge's row, and two margins of each other
MIN_CONTENT = 0.3  # of each side: what the margins frame, at least
# L*: a margin is darker than the first or lighter than the second (black bars, a film's
# rebate, paper, a scanner's lid); a sky or a painted wall lies between
MID_LEVELS = (20.0, 85.0)
NESTED = 3  # margins within margins cut, at most
EXACT_SHARE = 0.9  # of a line of the picture, within 2 LEVEL of the margin's: still margin
# of the line past a margin, at most this much of its lightness: beyond it lies content
BACKDROP = 0.5


@dataclass(frozen=True)
class Box:
    """The part of a picture its margins frame, in its pixels: rows y0:y1, columns x0:x1."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def rows(self) -> slice:
        return slice(self.y0, self.y1)

    @property
    def cols(self) -> slice:
        return slice(self.x0, self.x1)


def _run(lines: np.ndarray) -> tuple[int, float]:
    """How many of ``lines`` (n, m), from the first, form a margin, and its lightness (the
    first line's median); 0 where they are not one."""
    lo, med, hi = np.percentile(lines, [2, 50, 98], axis=1)
    edge = float(med[0])
    if MID_LEVELS[0] < edge < MID_LEVELS[1]:
        return 0, edge
    ok = (hi - lo <= SPREAD) & (np.abs(med - edge) <= LEVEL)
    if ok.all():
        return len(ok), edge
    n = int(np.argmin(ok))
    # past a line of blending, the content: mostly unlike the margin, where a backdrop (a
    # sky, a wall) goes on around what stands in front of it
    past = lines[min(n + 1, len(lines) - 1)]
    if np.mean(np.abs(past - edge) <= LEVEL) > BACKDROP:
        return 0, edge
    return n, edge


def content_box(l_full: np.ndarray) -> Box | None:
    """The part of the picture that its uniform margins frame, or None where it has none.

    l_full: (H, W) float32 L*. A margin counts only beside another of the same lightness (see
    the module's note); each is cut at the first line of the content. Margins within margins
    (a print's black line inside its white border, a frame in a film's bars) are cut too, up
    to ``NESTED`` deep.
    """
    box = None
    for _ in range(NESTED):
        at = (0, 0) if box is None else (box.y0, box.x0)
        inside = _one_box(inner(l_full, box))
        if inside is None:
            break
        box = Box(at[0] + inside.y0, at[0] + inside.y1, at[1] + inside.x0, at[1] + inside.x1)
    return box


def _one_box(l_full: np.ndarray) -> Box | None:
    """``content_box`` of the outermost margins only."""
    h, w = l_full.shape
    scale = min(1.0, PROBE_SIDE / min(h, w))
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = shrink_l(l_full, (sh, sw)) if (sh, sw) != (h, w) else l_full
    sides = {
        "top": _run(small),
        "bottom": _run(small[::-1]),
        "left": _run(small.T),
        "right": _run(small.T[::-1]),
    }
    kept = {
        side: n
        for side, (n, level) in sides.items()
        if n > 0
        and any(m > 0 and abs(lv - level) <= LEVEL for s, (m, lv) in sides.items() if s != side)
    }
    if not kept:
        return None
    top, bottom = kept.get("top", 0), kept.get("bottom", 0)
    left, right = kept.get("left", 0), kept.get("right", 0)
    if sh - top - bottom < MIN_CONTENT * sh or sw - left - right < MIN_CONTENT * sw:
        return None
    fy, fx = h / sh, w / sw
    # the span between the other sides' margins, where each side's lines are read again
    rows = slice(int(top * fy), max(int(top * fy) + 1, int(h - bottom * fy)))
    cols = slice(int(left * fx), max(int(left * fx) + 1, int(w - right * fx)))
    box = Box(
        _exact(l_full[:, cols], top, fy, sides["top"][1]),
        h - _exact(l_full[::-1, cols], bottom, fy, sides["bottom"][1]),
        _exact(l_full[rows].T, left, fx, sides["left"][1]),
        w - _exact(l_full[rows].T[::-1], right, fx, sides["right"][1]),
    )
    return None if (box.y0, box.y1, box.x0, box.x1) == (0, h, 0, w) else box


def _exact(lines: np.ndarray, n: int, f: float, level: float) -> int:
    """The margin's thickness in whole lines of the picture, where the probe found ``n`` of
    its own (``f`` of the picture's each): the lines around that edge read one by one (the
    network's colours moved by 5 ab units on average when a margin's last line or two was
    left on, or a line of the photo cut off). A line is the margin's where at least
    ``EXACT_SHARE`` of it lies within twice ``LEVEL`` of its lightness."""
    if n == 0:
        return 0
    k, end = max(0, int((n - 1) * f)), min(len(lines), int(np.ceil((n + 1) * f)) + 1)
    while k < end and np.mean(np.abs(lines[k] - level) <= 2 * LEVEL) >= EXACT_SHARE:
        k += 1
    return k


def framed(l_full: np.ndarray, guide: Guide | None = None) -> tuple[Box | None, Guide | None]:
    """The part of a picture the network is to colour (``content_box``) and its guide there;
    (None, guide) where nothing is cut, also where a hint lies on a margin."""
    box = content_box(l_full)
    if box is None or guide is None:
        return box, guide
    inner = crop_guide(guide, box.y0, box.y1, box.x0, box.x1)
    return (None, guide) if inner is None else (box, inner)


def inner(l_full: np.ndarray, box: Box | None) -> np.ndarray:
    """The lightness the margins frame (all of it for no box)."""
    return l_full if box is None else np.ascontiguousarray(l_full[box.rows, box.cols])


def compose_framed(
    l_full: np.ndarray, ab_small: np.ndarray, box: Box | None, dtype: np.dtype = np.uint8
) -> np.ndarray:
    """``compose_rgb`` with ``ab_small`` over the box and no colour on its margins (their
    own lightness, neutral)."""
    if box is None:
        return compose_rgb(l_full, ab_small, dtype)
    none = np.zeros((1, 1, 2), np.float32)
    out = compose_rgb(l_full, none, dtype)  # the margins: gray; the box is written over
    out[box.rows, box.cols] = compose_rgb(inner(l_full, box), ab_small, dtype)
    return out


__all__ = ["Box", "compose_framed", "content_box", "framed", "inner"]
