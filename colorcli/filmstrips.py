"""A strip of film frames printed side by side (a contact sheet's row, a strip of negatives
printed whole): its frames told apart, so that each is coloured alone. No model, no files.

Coloured as one picture, a strip's frames lent each other their colours and the film base
between them was painted. A print is a strip where lines across it of one lightness, all of
the same, black or white (the film base, ``_gaps``), in narrow gaps of one width, cut it
into at least ``FRAMES`` frames of one size (within ``SAME``). A frame whose own picture meets
it with black (a night, a dark ground) widens a gap or adds one: then the frames are where
the gaps' edges repeat at one pitch (``_on_pitch``). Each frame is then cut to its picture (the
longest run of lines across it that are not film base; where that is too short, the lines the
other frames' pictures take), and everything else is kept as scanned. A strip laid or
scanned askew (up to ``TILT`` degrees, measured on its frames' long edges) is read turned
straight (``_turned``): its frames are then boxes with the pixels outside each frame kept as
scanned.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.borders import MID_LEVELS, overlapping
from colorcli.compose import lightness

LEVEL = 8.0  # L*: a line's pixels within this of its median: a uniform line
ACROSS = 0.9  # of a line's pixels, at least this share within LEVEL: a uniform line
FRAMES = 3  # frames, at least
SAME = 0.15  # the frames' lengths within this share of their median
LEAST = 0.3  # of a frame's length: its picture across it, at least
SHORTEST = 0.3  # of a strip's width: a frame's length, at least (a half frame is 0.5)
GAP = 0.25  # of a frame's length: the base between two frames, at most (and all alike)
MIDDLE = 0.2  # of a strip's width, each side: where its perforations lie, not its gaps
TOL = 1  # pixels: a gap's edge this near where the pitch puts it is there
ROWS = 0.02  # of a strip's width: frames' pictures this near each other lie on the same rows
TRIM = 0.03  # of a frame's length: film base cut off each side of its picture, at most
TILT = 3.0  # degrees: a strip askew by up to this is read turned straight
STRAIGHT = 0.25  # degrees: a strip less askew than this is read as it lies
RUNS = 64  # more runs of film base than this across a strip: no strip (noise)


# a frame: its rows and columns in the print, and the pixels of that box outside the frame
# (a strip askew: kept as scanned) or None
Frame = tuple[slice, slice, np.ndarray | None]


def strip_frames(rgb: np.ndarray) -> list[Frame] | None:
    """The pictures of a strip of film's frames (see the module's note), or None. rgb:
    (H, W) gray or (H, W, 3) RGB, uint8, uint16 or float."""
    l_full = lightness(rgb)
    if min(l_full.shape) < 8:
        return None
    for transposed in (False, True):  # frames side by side, then one above another
        lum = l_full.T if transposed else l_full
        frames = _straight(lum)
        if frames is not None:
            return [(c, r, None) for r, c in frames] if transposed else [(*f, None) for f in frames]
    long_ways = l_full if l_full.shape[1] >= l_full.shape[0] else l_full.T
    found = _turned(long_ways)
    if found is None or long_ways is l_full:
        return found
    return [(c, r, None if m is None else m.T) for r, c, m in found]


def _straight(lum: np.ndarray) -> list[tuple[slice, slice]] | None:
    """The frames of a strip lying along the rows of ``lum`` (see the module's note)."""
    h = lum.shape[0]  # the gaps read across the middle: 35 mm film's perforations are not
    for gap, base in _gaps(lum[round(h * MIDDLE) : h - round(h * MIDDLE)]):
        spans, alike = _between_gaps(gap), 0  # gaps all alike: more than half alike will do
        if spans is None:
            spans, alike = _on_pitch(gap), FRAMES
        if spans is not None and min(b - a for a, b in spans) < SHORTEST * lum.shape[0]:
            continue  # slivers between lines of one tone (a fence, stripes): no frames
        frames = None if spans is None else _pictures(lum, spans, base, alike)
        if frames is not None:
            return frames
    return None


def _turn(lum: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """``lum`` turned by ``degrees`` about its centre (its edges' lines carried out), and the
    affine matrix that did it."""
    h, w = lum.shape
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    turned = cv2.warpAffine(lum, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return turned, m


def _edge_tilt(lum: np.ndarray) -> float | None:
    """How far a strip lies askew, in degrees, from its frames' long edges: for black base,
    then white, each column's last line of the base's tone (``LEVEL`` of the median of the
    darkest, or lightest, pixels) above the middle and first below it, a straight line
    fitted to each (``_slope``: gaps and a frame's own black are off it); the slope of the
    one more columns lie on, where it is between ``STRAIGHT`` and ``TILT``; else None."""
    h, w = lum.shape
    cols, mid = np.arange(w // 10, w - w // 10), h // 2
    if len(cols) < 16 or mid < 4:
        return None
    for side in (lum < MID_LEVELS[0], lum > MID_LEVELS[1]):
        if not side.any():
            continue
        tone = (np.abs(lum - float(np.median(lum[side]))) <= LEVEL)[:, cols]
        above, below = tone[:mid], tone[mid:]
        top = mid - np.argmax(above[::-1], axis=0)  # the line after the last base line
        bottom = mid + np.argmax(below, axis=0)
        seen = above.any(axis=0) & below.any(axis=0) & (top < mid) & (bottom > mid)
        if seen.sum() < len(cols) // 4:
            continue
        fits = [_slope(cols[seen], e[seen]) for e in (top, bottom)]
        slope, on = max(fits, key=lambda f: f[1])
        degrees = float(np.degrees(np.arctan(slope)))
        if on and STRAIGHT <= abs(degrees) <= TILT:
            return degrees
    return None


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """The slope of the straight line most of (x, y) lie on and how many lie within 2 of
    it: the median of the slopes between pairs of up to 200 of them (robust to a third of
    them off it), then a line fitted to those within 2; (0, 0) where fewer than a third do."""
    pick = np.linspace(0, len(x) - 1, min(len(x), 200)).astype(np.intp)
    px, py = x[pick].astype(np.float64), y[pick].astype(np.float64)
    dx, dy = px[None, :] - px[:, None], py[None, :] - py[:, None]
    a = float(np.median(dy[dx > 0] / dx[dx > 0]))
    b = float(np.median(y - a * x))
    near = np.abs(y - (a * x + b)) <= 2
    if near.sum() < len(x) / 3:
        return 0.0, 0
    return float(np.polyfit(x[near], y[near], 1)[0]), int(near.sum())


def _turned(lum: np.ndarray) -> list[Frame] | None:
    """The frames of a strip askew along the rows of ``lum`` (``_edge_tilt``): found on
    ``lum`` turned straight, each as its box in ``lum`` and the pixels of the box outside
    it. None where it is not askew, no frames are found, or two frames' boxes meet."""
    degrees = _edge_tilt(lum)
    if degrees is None:
        return None
    turned, m = _turn(lum, degrees)
    frames = _straight(turned)
    if frames is None:
        return None
    back = cv2.invertAffineTransform(m)
    found = [_box_of(back, rows, cols, lum.shape) for rows, cols in frames]
    return None if overlapping([(r, c) for r, c, _ in found]) else found


def _box_of(back: np.ndarray, rows: slice, cols: slice, shape: tuple[int, int]) -> Frame:
    """A frame found on the turned strip as its box in the strip as it lies, and the pixels
    of the box outside the frame."""
    corners = np.array(
        [
            [cols.start, rows.start],
            [cols.stop, rows.start],
            [cols.stop, rows.stop],
            [cols.start, rows.stop],
        ],
        np.float64,
    )
    quad = corners @ back[:, :2].T + back[:, 2]
    y0, x0 = (max(0, int(np.floor(v))) for v in quad.min(axis=0)[::-1])
    y1, x1 = (int(np.ceil(v)) for v in quad.max(axis=0)[::-1])
    y1, x1 = min(shape[0], y1), min(shape[1], x1)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inside, np.rint(quad - (x0, y0)).astype(np.int32), 1)
    return slice(y0, y1), slice(x0, x1), inside == 0


def _pictures(
    lum: np.ndarray, spans: list, base: float, alike: int = 0
) -> list[tuple[slice, slice]] | None:
    """Each frame's picture: its rows (``_picture``; a frame whose picture is not found,
    black where it meets the base, takes the median of the others'; more than half of the
    pictures, and at least ``alike``, on the same rows within ``ROWS``: one film), then its
    columns within those rows (a perforation in the base beside a gap hid a line of the gap:
    up to ``TRIM`` cut off each side); None where no picture is found."""
    across = [_picture(lum[:, a:b], base) for a, b in spans]
    found = [s for s in across if s is not None]
    if not found:
        return None
    rows = slice(int(np.median([s.start for s in found])), int(np.median([s.stop for s in found])))
    near = max(2.0, ROWS * lum.shape[0])
    same = sum(abs(s.start - rows.start) <= near and abs(s.stop - rows.stop) <= near for s in found)
    if same < max(alike, len(spans) // 2 + 1):  # one film: most pictures on the same rows
        return None
    frames = []
    for s, (a, b) in zip(across, spans, strict=True):
        s = s or rows
        along = _picture(np.ascontiguousarray(lum[s, a:b].T), base) or slice(0, b - a)
        trim = TRIM * (b - a)  # more than that: the picture's own black, coloured with it
        a0 = a + along.start if along.start <= trim else a
        frames.append((s, slice(a0, a + along.stop if b - a - along.stop <= trim else b)))
    return frames


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in a 1-D mask as (start, stop)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _apart(points: list[int]) -> np.ndarray:
    """Sorted points, each more than ``2 * TOL`` past the one before it (one lattice place
    holds one)."""
    kept: list[int] = []
    for p in sorted(points):
        if not kept or p - kept[-1] > 2 * TOL:
            kept.append(p)
    return np.array(kept)


def _chain(points: np.ndarray, pitch: int) -> tuple[np.ndarray, np.ndarray]:
    """The most points on one lattice of ``pitch`` (within ``TOL``, and half a pixel more a
    step for the whole pixels of the pitch), as their steps from the first and the points."""
    d = points[None, :] - points[:, None]
    k = np.rint(d / pitch)
    on = np.abs(d - k * pitch) <= TOL + 0.5 * np.abs(k)
    i = int(np.argmax(on.sum(axis=1)))
    return k[i][on[i]], points[on[i]].astype(np.float64)


def _on_pitch(gap: np.ndarray) -> list[tuple[int, int]] | None:
    """The frames where the gaps' far edges (frames' starts) and near edges (their ends)
    repeat at one pitch (``_lattice``); of several pitches, the one whose frames show the
    largest share of their edges, of a tie the longest (its half sees as many). None where
    no pitch holds."""
    n, runs = len(gap), _runs(gap)
    if len(runs) > RUNS:
        return None
    starts = _apart([b for _, b in runs if b < n])
    ends = _apart([a for a, _ in runs if a > 0])
    if len(starts) < 2 or len(ends) < 2:
        return None
    pitches = {abs(int(d)) for pts in (starts, ends) for d in (pts[:, None] - pts[None, :]).ravel()}
    best = None
    for pitch in sorted(p for p in pitches if 8 <= p <= n // FRAMES):
        frames, seen = _lattice(gap, starts, ends, pitch)
        if frames is not None and (best is None or seen / len(frames) >= best[0]):
            best = (seen / len(frames), frames)
    return None if best is None else best[1]


def _lattice(gap: np.ndarray, starts: np.ndarray, ends: np.ndarray, pitch: int) -> tuple:
    """The frames of one pitch: the starts and the ends on it (``_chain``), the pitch then
    fitted to them (one pitch, a start and an end); at least ``FRAMES`` frames, each gap
    between two all film base and at most ``GAP`` of a frame, and more than half of their
    edges seen. (frames, edges seen), or (None, 0)."""
    (ks, xs), (ke, xe) = _chain(starts, pitch), _chain(ends, pitch)
    dk = np.concatenate([ks - ks.mean(), ke - ke.mean()])
    dx = np.concatenate([xs - xs.mean(), xe - xe.mean()])
    step = float(dk @ dx / (dk @ dk)) if dk @ dk > 0 else float(pitch)
    first, end = xs.mean() - step * ks.mean(), xe.mean() - step * ke.mean()
    size = (end - first) % step
    if step - size < 2 * TOL + 1 or step - size > GAP * size:
        return None, 0
    n = len(gap)
    k0 = int(np.ceil((-TOL - first) / step))
    at = [first + k * step for k in range(k0, k0 + int(n / step) + 2)]
    frames = [(max(0, round(a)), min(n, round(a + size))) for a in at if a + size <= n + TOL]
    inner = [gap[b + TOL : a - TOL] for (_, b), (a, _) in zip(frames[:-1], frames[1:], strict=True)]
    seen = len(ks) + len(ke)
    if len(frames) < FRAMES or seen <= len(frames) or not all(g.all() for g in inner):
        return None, 0
    return frames, seen


def _uniform(lum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's median and whether the column is of one lightness (``ACROSS``)."""
    med = np.median(lum, axis=0)
    return med, np.mean(np.abs(lum - med) <= LEVEL, axis=0) >= ACROSS


def _gaps(lum: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Which columns may be film base, and its tone: for black base, then white (film base
    prints black, or stays clear), the uniform columns within ``LEVEL`` of the median of the
    uniform columns of that side (darker than ``MID_LEVELS``, or lighter); a picture's own
    uniform columns (a sky, a wall) are of other tones."""
    med, uniform = _uniform(lum)
    found = []
    for side in (med < MID_LEVELS[0], med > MID_LEVELS[1]):
        if (uniform & side).any():
            base = float(np.median(med[uniform & side]))
            found.append((uniform & (np.abs(med - base) <= LEVEL), base))
    return found


def _between_gaps(gap: np.ndarray) -> list[tuple[int, int]] | None:
    """The runs between gap columns, where at least ``FRAMES`` of them are of one length
    (within ``SAME`` of their median; a run at an end of another length, a frame cut
    short, is left out) and every other run is; else None."""
    runs = _runs(~gap)
    if len(runs) < FRAMES:
        return None
    size = float(np.median([b - a for a, b in runs]))
    alike = [abs((b - a) - size) <= SAME * size for a, b in runs]
    gaps = [b2 - a1 for (_, a1), (b2, _) in zip(runs[:-1], runs[1:], strict=True)]
    if not all(alike[1:-1]) or max(gaps) > GAP * size or max(gaps) > 2 * min(gaps) + 2:
        return None
    frames = [r for r, ok in zip(runs, alike, strict=True) if ok]
    return frames if len(frames) >= FRAMES else None


def _picture(frame: np.ndarray, base: float) -> slice | None:
    """The rows of a frame's picture: the longest run of rows that are not film base
    (uniform, within ``LEVEL`` of ``base``); None where it is under ``LEAST`` of the frame's
    length."""
    med, uniform = _uniform(frame.T)
    picture = ~(uniform & (np.abs(med - base) <= LEVEL))
    runs = _runs(picture)
    if not runs:
        return None
    a, b = max(runs, key=lambda r: r[1] - r[0])
    return slice(a, b) if b - a >= LEAST * frame.shape[1] else None


__all__ = ["Frame", "strip_frames"]
