"""Uniform margins around a photo (a print's white border, the scanner bed around it, a
frame grab's black bars) found, so the network colours only what they frame and they keep
what the scan shows there (their own tone; in a colour scan, its colours: a card mount's,
writing in ink on a border). A film's frames are not looked at for them.

A scanned print with its white border made the network see a frame it never trained on: it
tinted the border (blue at the top, yellow at the bottom) and coloured the photo itself
otherwise (a green meadow came out brown). A margin is looked for from each edge of the
picture shrunk to ``PROBE_SIDE`` pixels on its short side, where grain and paper texture
average out: its outermost line nearly one lightness, near black or near white
(``MID_LEVELS``), and, at each position along the edge, the first pixel unlike it (beyond
``LEVEL``) on one straight line, level or slanted as a print scanned askew is, at
``INLIERS`` of the positions at least (a white sky may meet a white border along part of it;
a speck of dust puts one position off the line), with no content reaching into the margin
before that line (``INTRUDED``). A skyline, or a backdrop around a subject, is not straight;
a lone uniform band (a clear sky over a sea) is not a margin either: a margin has one on
another side (facing it or beside it) of the same lightness. What is left must keep
``MIN_CONTENT`` of each side, or nothing is cut (a fade to black, a blank page).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorcli.compose import compose_rgb, shrink_l
from colorcli.guide import Guide, crop_guide

PROBE_SIDE = 256  # short side of the picture the margins are looked for on
LEVEL = 4.0  # L*: a margin's pixels within this of its outermost line's, and two margins'
EDGE_SHARE = 0.9  # of a margin's outermost line, at least this within LEVEL of its median
MIN_CONTENT = 0.3  # of each side: what the margins frame, at least
# L*: a margin is darker than the first or lighter than the second (black bars, a film's
# rebate, paper, a scanner's lid); a sky or a painted wall lies between
MID_LEVELS = (20.0, 85.0)
# a margin's inner edge: at INLIERS of the positions along it, the first pixel unlike it lies
# within FIT lines (of the probe) of one straight line, slanted at most MAX_SLANT lines a
# position (about 6 degrees)
FIT, INLIERS, MAX_SLANT = 1.5, 0.5, 0.1
INTRUDED = 0.02  # of the positions along a margin, at most this may have content inside it
SLANTED = 2.0  # lines of the probe an inner edge must slant by, end to end, to be taken so
NESTED = 3  # margins within margins cut, at most
EXACT_SHARE = 0.9  # of a line of the picture, within 2 LEVEL of the margin's: still margin


@dataclass(frozen=True, eq=False)
class Box:
    """The part of a picture its margins frame, in its pixels: rows y0:y1, columns x0:x1;
    ``margin``: of the box's own pixels, those that are still margin (the corners a print
    scanned askew leaves inside it; (y1 - y0, x1 - x0) bool), or None."""

    y0: int
    y1: int
    x0: int
    x1: int
    margin: np.ndarray | None = None

    @property
    def rows(self) -> slice:
        return slice(self.y0, self.y1)

    @property
    def cols(self) -> slice:
        return slice(self.x0, self.x1)


@dataclass(frozen=True)
class _Edge:
    """One side's margin on the probe: ``lines`` of it at every position along the side, its
    lightness, and its inner edge as a + b j lines at position j where that is slanted."""

    lines: int
    level: float
    slant: tuple[float, float] | None


def one_tone(values: np.ndarray, level: float | None = None) -> bool:
    """Whether L* ``values`` are nearly one lightness, as a margin's line is: at least
    ``EDGE_SHARE`` of them within ``LEVEL`` of ``level`` (default: their median)."""
    level = float(np.median(values)) if level is None else level
    return bool(np.mean(np.abs(values - level) <= LEVEL) >= EDGE_SHARE)


def _edge(lines: np.ndarray) -> _Edge | None:
    """The margin that ``lines`` (n, m), from the first, begin with, or None."""
    level = float(np.median(lines[0]))
    if MID_LEVELS[0] < level < MID_LEVELS[1]:
        return None
    if not one_tone(lines[0], level):
        return None
    unlike = np.abs(lines - level) > LEVEL
    depth = np.where(unlike.any(axis=0), np.argmax(unlike, axis=0), len(lines)).astype(float)
    line = _straight(depth, len(lines))
    if line is None:
        return None
    a, b = line
    ends = (a, a + b * (len(depth) - 1))
    lines_everywhere = int(np.floor(min(ends) + 0.25))  # depths are whole lines: a fit's 0.99 is 1
    if lines_everywhere < 1 or _intruded(unlike, a + b * np.arange(len(depth))):
        return None
    return _Edge(lines_everywhere, level, None if max(ends) - min(ends) < SLANTED else line)


def _intruded(unlike: np.ndarray, edge: np.ndarray) -> bool:
    """Whether content reaches into the margin: at more than ``INTRUDED`` of the positions,
    most of the margin's lines before its edge are unlike it (a spoon's bowl below the line
    of its handle, on a black cloth). Writing on a border (thin strokes) and dust are not."""
    upto = np.clip(np.floor(edge).astype(int), 0, len(unlike))
    counts = np.vstack([np.zeros((1, unlike.shape[1]), np.int32), np.cumsum(unlike, axis=0)])
    inside = counts[upto, np.arange(unlike.shape[1])] / np.maximum(upto, 1)
    return bool(np.mean(inside > 0.5) > INTRUDED)


def _straight(depth: np.ndarray, n: int) -> tuple[float, float] | None:
    """The straight line a + b j that most of ``depth`` (the first pixel unlike the margin at
    each position j, n where none is) lies on (``FIT``, ``INLIERS``, ``MAX_SLANT``), by a
    seeded search over pairs of positions, refitted on its inliers; None where there is none.
    The positions at either end where nothing is unlike the margin (the neighbouring sides'
    margins, running alongside) do not count among those the line must hold."""
    j = np.arange(len(depth), dtype=float)
    ends = np.flatnonzero(depth < n)
    if len(ends) < 2:
        return None
    m = ends[-1] - ends[0] + 1  # the positions between the neighbouring margins
    seen = np.flatnonzero((depth > 0) & (depth < n * (1 - MIN_CONTENT)))
    if len(seen) < max(2, INLIERS * m):
        return None
    rng = np.random.default_rng(0)
    pairs = rng.choice(seen, size=(64, 2))
    pairs = np.vstack([pairs, [[seen[0], seen[-1]], [seen[len(seen) // 4], seen[-len(seen) // 4]]]])
    best, best_count = None, 0
    for p, q in pairs:
        if p == q:
            continue
        b = (depth[q] - depth[p]) / (q - p)
        if abs(b) > MAX_SLANT:
            continue
        count = int(np.count_nonzero(np.abs(depth - (depth[p] + b * (j - p))) <= FIT))
        if count > best_count:
            best, best_count = (depth[p] - b * p, b), count
    if best is None or best_count < INLIERS * m:
        return None
    on = np.abs(depth - (best[0] + best[1] * j)) <= FIT
    b, a = np.polyfit(j[on], depth[on], 1)
    return (float(a), float(b)) if abs(b) <= MAX_SLANT else None


def content_box(l_full: np.ndarray, within: Box | None = None) -> Box | None:
    """The part of the picture that its uniform margins frame, or None where it has none.

    l_full: (H, W) float32 L*. A margin counts only beside another of the same lightness (see
    the module's note); each is cut at the first line of the content, or, slanted, the box
    holds all of the content and ``Box.margin`` says which of its pixels are still margin.
    Margins within margins (a print's black line inside its white border, a print's border
    on a scanner's bed) are cut too, up to ``NESTED`` deep; ``within``: a box already cut
    (a print's mount, ``colorcli.mounts``), looked inside (and returned where nothing is).
    """
    box = within
    for _ in range(NESTED):
        at = (0, 0) if box is None else (box.y0, box.x0)
        inside = _one_box(_filled(inner(l_full, box), box))
        if inside is None:
            break
        margin = inside.margin
        if box is not None and box.margin is not None:
            outer = box.margin[inside.rows, inside.cols]
            margin = outer if margin is None else outer | margin
        box = Box(
            at[0] + inside.y0, at[0] + inside.y1, at[1] + inside.x0, at[1] + inside.x1, margin
        )
    return box


def _filled(l_box: np.ndarray, box: Box | None) -> np.ndarray:
    """The lightness inside a box with its slanted margin's corners (and the blended line
    along their edges) made like what borders them (the median of the other pixels near the
    box's edges), so that a margin within it is looked for as if they were not there."""
    if box is None or box.margin is None:
        return l_box
    h, w = l_box.shape
    near = np.zeros((h, w), bool)
    k = max(1, min(h, w) // 30)
    near[:k], near[-k:], near[:, :k], near[:, -k:] = True, True, True, True
    # and the line of blended pixels along each corner's edge
    side = 2 * int(np.ceil(min(h, w) / PROBE_SIDE)) + 1
    corners = cv2.dilate(box.margin.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    rest = near & ~corners
    out = l_box.copy()
    out[corners] = np.median(l_box[rest]) if rest.any() else np.median(l_box)
    return out


def _from_each_edge(a: np.ndarray) -> dict[str, np.ndarray]:
    """Views of (H, W) ``a`` whose lines run from each side inward ("top", "bottom", "left",
    "right"): the first line of each is that side's edge. Views, so writing to one writes
    to ``a``."""
    return {"top": a, "bottom": a[::-1], "left": a.T, "right": a.T[::-1]}


def _one_box(l_full: np.ndarray) -> Box | None:
    """``content_box`` of the outermost margins only."""
    h, w = l_full.shape
    scale = min(1.0, PROBE_SIDE / min(h, w))
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = shrink_l(l_full, (sh, sw)) if (sh, sw) != (h, w) else l_full
    found = {side: _edge(lines) for side, lines in _from_each_edge(small).items()}
    edges = {
        side: e
        for side, e in found.items()
        if e is not None
        and any(
            o is not None and abs(o.level - e.level) <= LEVEL for s, o in found.items() if s != side
        )
    }
    if not edges:
        return None
    n = {side: edges[side].lines if side in edges else 0 for side in found}
    if (
        sh - n["top"] - n["bottom"] < MIN_CONTENT * sh
        or sw - n["left"] - n["right"] < MIN_CONTENT * sw
    ):
        return None
    fy, fx = h / sh, w / sw
    # the span between the other sides' margins, where each side's lines are read again
    rows = slice(int(n["top"] * fy), max(int(n["top"] * fy) + 1, int(h - n["bottom"] * fy)))
    cols = slice(int(n["left"] * fx), max(int(n["left"] * fx) + 1, int(w - n["right"] * fx)))
    views = {
        "top": l_full[:, cols],
        "bottom": l_full[::-1, cols],
        "left": l_full[rows].T,
        "right": l_full[rows].T[::-1],
    }
    cut = {}
    for side in found:
        e = edges.get(side)
        f = fy if side in ("top", "bottom") else fx
        if e is None:
            cut[side] = 0
        elif e.slant is None:
            cut[side] = _exact(views[side], e.lines, f, e.level)
        else:  # all of the content inside: its nearest point
            cut[side] = int(e.lines * f)
    box = Box(cut["top"], h - cut["bottom"], cut["left"], w - cut["right"])
    if (box.y0, box.y1, box.x0, box.x1) == (0, h, 0, w):
        return None
    slanted = {s: e for s, e in edges.items() if e.slant is not None}
    if not slanted:
        return box
    return Box(
        box.y0, box.y1, box.x0, box.x1, _corners(l_full, slanted, fy, fx)[box.rows, box.cols]
    )


def _corners(l_full: np.ndarray, slanted: dict, fy: float, fx: float) -> np.ndarray:
    """(H, W) bool: the pixels outside the slanted margins' inner edges, each edge placed
    to the pixel at each position (the first two lines there unlike the margin by twice
    ``LEVEL``, within a line of the probe's placing)."""
    h, w = l_full.shape
    margin = np.zeros((h, w), bool)
    views, lums = _from_each_edge(margin), _from_each_edge(l_full)
    for side, e in slanted.items():
        along, across = (fx, fy) if side in ("top", "bottom") else (fy, fx)
        lum, view = lums[side], views[side]
        a, b = e.slant
        j = (np.arange(view.shape[1]) + 0.5) / along - 0.5
        lo = np.clip(np.floor((a + b * j - 1) * across), 0, view.shape[0] - 2).astype(int)
        span = int(np.ceil(2 * across)) + 2
        idx = np.clip(lo[None, :] + np.arange(span)[:, None], 0, view.shape[0] - 1)
        band = np.take_along_axis(lum, idx, axis=0)
        unlike = np.abs(band - e.level) > 2 * LEVEL
        unlike = unlike[:-1] & unlike[1:]
        first = np.where(unlike.any(axis=0), np.argmax(unlike, axis=0), span - 1)
        depth = lo + first
        reach = int(depth.max())
        view[:reach] |= np.arange(reach)[:, None] < depth[None, :]
    return margin


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


def framed(box: Box | None, guide: Guide | None = None) -> tuple[Box | None, Guide | None]:
    """The part of a picture the network is to colour (``box``: ``content_box``, or
    ``colorcli.mounts.framing``) and its guide there; (None, guide) where nothing is cut,
    also where a hint lies on a margin."""
    if box is None or guide is None:
        return box, guide
    inner = crop_guide(guide, box.y0, box.y1, box.x0, box.x1)
    return (None, guide) if inner is None else (box, inner)


def inner(l_full: np.ndarray, box: Box | None) -> np.ndarray:
    """The lightness the margins frame (all of it for no box)."""
    return l_full if box is None else np.ascontiguousarray(l_full[box.rows, box.cols])


def compose_framed(
    l_full: np.ndarray,
    ab_small: np.ndarray,
    box: Box | None,
    dtype: np.dtype = np.uint8,
    image: np.ndarray | None = None,
) -> np.ndarray:
    """``compose_rgb`` with ``ab_small`` over the box; its margins (outside it, and a slanted
    margin's corners in it) as ``image`` shows them where that is a colour scan (a card
    mount's colour, a stamp or a caption in ink on a border), else with no colour (their own
    lightness, neutral). The margins' strips and the box are each made once."""
    if box is None:
        return compose_rgb(l_full, ab_small, dtype)
    h, w = l_full.shape
    scan = image[..., :3] if image is not None and image.ndim == 3 and image.shape[2] >= 3 else None
    none = np.zeros((1, 1, 2), np.float32)
    l_box = inner(l_full, box)
    coloured = compose_rgb(l_box, ab_small, dtype)
    out = np.empty((h, w, 3), coloured.dtype)
    strips = (
        (slice(0, box.y0), slice(0, w)),
        (slice(box.y1, h), slice(0, w)),
        (box.rows, slice(0, box.x0)),
        (box.rows, slice(box.x1, w)),
    )
    for rows, cols in strips:
        part = l_full[rows, cols]
        if not part.size:
            continue
        if scan is not None:
            out[rows, cols] = scan[rows, cols]
        else:
            out[rows, cols] = compose_rgb(np.ascontiguousarray(part), none, dtype)
    if box.margin is not None and box.margin.any():  # a slanted margin's corners in the box
        if scan is not None:
            coloured[box.margin] = scan[box.rows, box.cols][box.margin]
        else:
            coloured[box.margin] = compose_rgb(l_box[box.margin][None, :], none, dtype)[0]
    out[box.rows, box.cols] = coloured
    return out


def overlapping(crops: list[tuple[slice, slice]]) -> bool:
    """Whether any two crops (rows, columns) of one picture share pixels."""
    for i, (r, c) in enumerate(crops):
        for r2, c2 in crops[i + 1 :]:
            if r.start < r2.stop and r2.start < r.stop and c.start < c2.stop and c2.start < c.stop:
                return True
    return False


__all__ = ["Box", "compose_framed", "content_box", "framed", "inner", "overlapping"]
