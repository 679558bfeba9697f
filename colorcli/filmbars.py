"""A film's bars (letterbox, pillarbox, a transfer's black surround): the margins that frame
every picture of it, found on pictures sampled through the film. No model.

A transfer of a 4:3 film into a 16:9 frame, or of a wide film into a 4:3 one, carries bars
the network never trained on: it tinted them and they moved the colours of the picture
between them (bigbuckbunny made gray, in dark bars of 1/6 of its height above and below: 19.74
-> 19.20 dB on the picture, the bars' chroma 10.0; bench/film_bars.py). A photo's margins
are found on the photo (``colorcli.borders``); a film's must be one box for all its pictures,
or the colours would jump where a dark scene's edge merged with a bar. So pictures spread
through the film (``colorcli.filmsample``) are each looked at, and a side is a bar only by as little
as it is in every picture where margins were found, and only where margins were found in
most of them: a picture's dark edge can only add to a bar, never take from it.

A scan with overscan shows what lies around the picture on the film: the perforations down a
side (bright holes in the dark base), the frame line. They are no uniform margin, but they
stand still while the pictures change (a scan steadied on its perforations): an edge of the
frame as deep as ``STILL_MOST`` of it at most, whose lines change by under ``STILL`` L*
(the median, over a line, of each pixel's spread through the sampled pictures, seen at
``STILL_SIDE`` pixels, grain averaged away) while the line beside it changes by ``MOVING``
or more, is a bar too (bikes with perforations down its left side made gray: the dark base
came out violet, chroma 5.8). A film of one still shot is not looked at so (its pictures
must change by ``MOVING`` over most of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from colorcli.borders import content_box, one_tone

BLANK = 10.0  # a picture whose lightness spans fewer L* than this (1st to 99th percentile) is blank
FEWEST = 3  # pictures that are not blank, at least (a still, a clip of a moment: none)
MOST = 0.6  # the share of the pictures that are not blank in which margins must be found
STILL, MOVING = 1.5, 6.0  # L*: the spread through the pictures of a still line, a moving one
STILL_MOST = 0.2  # of the frame's side: a still edge is no deeper
STILL_SIDE = 270  # short side the pictures' spread is measured at


@dataclass(frozen=True)
class Bars:
    """Where a film's pictures lie inside its bars, as shares of the frame's height and width
    (rows top:bottom, columns left:right of a frame H x W are H * top : H * bottom ...)."""

    top: float
    bottom: float
    left: float
    right: float

    def describe(self, w: int, h: int) -> str:
        """What a user is told: which bars, how wide, at the film's size."""
        sides = {
            "above": round(self.top * h), "below": round((1 - self.bottom) * h),
            "left": round(self.left * w), "right": round((1 - self.right) * w),
        }  # fmt: skip
        what = ", ".join(f"{n} {k}" for k, n in sides.items() if n)
        return f"bars ({what} pixels) keep their own tone; the network colours what they frame (--colour-margins colours them too)"

    def within(
        self, h: int, w: int, step: int = 1, inward: bool = False
    ) -> tuple[int, int, int, int]:
        """Rows y0:y1 and columns x0:x1 of an (h, w) grid that hold the pictures, on multiples of
        ``step`` (a network's output stride; y1 and x1 also at h and w): the bars' inner edges
        rounded outward (every line that holds some of the pictures), or ``inward`` (only lines
        that hold nothing of a bar)."""
        lo, hi = (np.ceil, np.floor) if inward else (np.floor, np.ceil)

        def edge(share: float, n: int, rounding) -> int:
            return n if share >= 1.0 else min(n, int(rounding(share * n / step)) * step)

        return (
            edge(self.top, h, lo), edge(self.bottom, h, hi),
            edge(self.left, w, lo), edge(self.right, w, hi),
        )  # fmt: skip


def bars_of(pictures: Sequence[np.ndarray]) -> Bars | None:
    """The bars of a film from (H, W) float32 L* pictures of it, all one size, or None where it
    has none: its uniform margins (``_margins``) and its still edges (``_still_edges``), each
    side as deep as the deeper of the two."""
    if not pictures:
        return None
    shape = pictures[0].shape  # a film whose size changes: its first size only
    seen = [
        p for p in pictures if p.shape == shape and np.subtract(*np.percentile(p, [99, 1])) >= BLANK
    ]
    if len(seen) < FEWEST:
        return None
    h, w = shape
    found = [e for e in (_margins(seen), _still_edges(seen)) if e is not None]
    if not found:
        return None
    top, left = max(e[0] for e in found), max(e[2] for e in found)
    bottom, right = min(e[1] for e in found), min(e[3] for e in found)
    if (top, bottom, left, right) == (0, h, 0, w):
        return None
    return Bars(top / h, bottom / h, left / w, right / w)


def _margins(seen: Sequence[np.ndarray]) -> tuple[int, int, int, int] | None:
    """Rows top:bottom and columns left:right the pictures' uniform margins frame. Each side's
    is the narrowest margin on that side among the pictures where margins were found (none
    where one of them had none there), which must be at least ``MOST`` of them; in the others
    the margins' place must be of one tone (``borders.one_tone``, as a margin's line is)."""
    boxes = [content_box(p) for p in seen]
    found = [b for b in boxes if b is not None]
    if len(found) < MOST * len(seen):
        return None
    top, left = min(b.y0 for b in found), min(b.x0 for b in found)
    bottom, right = max(b.y1 for b in found), max(b.x1 for b in found)
    strips = (np.s_[:top], np.s_[bottom:], np.s_[:, :left], np.s_[:, right:])
    for p, box in zip(seen, boxes, strict=True):
        # a picture with no margins found must still be bar where the bars are (a dark
        # scene's edge merged with them), or it shows the film is not barred throughout (a
        # compilation of pillarboxed and full-frame parts): then nothing is cut
        if box is None and not all(p[s].size == 0 or one_tone(p[s]) for s in strips):
            return None
    return top, bottom, left, right


def _still_edges(seen: Sequence[np.ndarray]) -> tuple[int, int, int, int] | None:
    """Rows top:bottom and columns left:right inside the edges of the frame that stand still
    through the pictures while what they frame changes (the module's note), or None."""
    h, w = seen[0].shape
    f = max(1, min(h, w) // STILL_SIDE)  # whole pixels per look's pixel: edges map back exactly
    small = [
        cv2.resize(
            p[: h - h % f, : w - w % f], None, fx=1 / f, fy=1 / f, interpolation=cv2.INTER_AREA
        )
        for p in seen
    ]
    spread = np.std(np.stack(small), axis=0)
    sh, sw = spread.shape
    if np.median(spread) < MOVING:  # one still shot: its own still parts are no frame
        return None
    cols, rows = np.median(spread, axis=0), np.median(spread, axis=1)

    def depth(lines: np.ndarray) -> int:
        """How many of the first lines stand still, where the line after them moves."""
        n = int(np.argmax(lines >= STILL)) if (lines >= STILL).any() else len(lines)
        if n == 0 or n > STILL_MOST * len(lines) or lines[n : n + 2].max() < MOVING:
            return 0
        return n

    below, after = depth(rows[::-1]), depth(cols[::-1])  # the lines left over are beyond
    top, left = depth(rows) * f, depth(cols) * f
    bottom, right = (sh - below) * f if below else h, (sw - after) * f if after else w
    if (top, bottom, left, right) == (0, h, 0, w):
        return None
    return top, bottom, left, right


__all__ = ["BLANK", "FEWEST", "MOST", "Bars", "bars_of"]
