"""A strip of film frames printed side by side (a contact sheet's row, a strip of negatives
printed whole): its frames told apart, so that each is coloured alone. No model, no files.

Coloured as one picture, a strip's frames lent each other their colours and the film base
between them was painted. A print is a strip where lines across it of one lightness, all of
the same, black or white (the film base, ``_gaps``), in narrow gaps of one width, cut it
into at least ``FRAMES`` frames of one size (within ``SAME``). A frame whose own picture meets
it with black (a night, a dark ground) widens a gap or adds one: then the frames are where
the gaps' edges repeat at one pitch (``_on_pitch``). Each frame is then cut to its picture (the
longest run of lines across it that are not film base; where that is too short, the lines the
other frames' pictures take), and everything else is kept as scanned.
"""

from __future__ import annotations

import numpy as np

from colorcli.borders import MID_LEVELS
from colorcli.compose import lightness

LEVEL = 8.0  # L*: a line's pixels within this of its median: a uniform line
ACROSS = 0.9  # of a line's pixels, at least this share within LEVEL: a uniform line
FRAMES = 3  # frames, at least
SAME = 0.15  # the frames' lengths within this share of their median
LEAST = 0.3  # of a frame's length: its picture across it, at least
GAP = 0.25  # of a frame's length: the base between two frames, at most (and all alike)
MIDDLE = 0.2  # of a strip's width, each side: where its perforations lie, not its gaps
TOL = 1  # pixels: a gap's edge this near where the pitch puts it is there
ROWS = 0.02  # of a strip's width: frames' pictures this near each other lie on the same rows
TRIM = 0.03  # of a frame's length: film base cut off each side of its picture, at most
RUNS = 64  # more runs of film base than this across a strip: no strip (noise)


def strip_frames(rgb: np.ndarray) -> list[tuple[slice, slice]] | None:
    """The pictures of a strip of film's frames (see the module's note) as the rows and
    columns of each, or None. rgb: (H, W) gray or (H, W, 3) RGB, uint8, uint16 or float."""
    l_full = lightness(rgb)
    if min(l_full.shape) < 8:
        return None
    for transposed in (False, True):  # frames side by side, then one above another
        lum = l_full.T if transposed else l_full
        h = lum.shape[0]  # the gaps read across the middle: 35 mm film's perforations are not
        for gap, base in _gaps(lum[round(h * MIDDLE) : h - round(h * MIDDLE)]):
            spans = _between_gaps(gap) or _on_pitch(gap)
            frames = None if spans is None else _pictures(lum, spans, base)
            if frames is not None:
                return [(c, r) for r, c in frames] if transposed else frames
    return None


def _pictures(lum: np.ndarray, spans: list, base: float) -> list[tuple[slice, slice]] | None:
    """Each frame's picture: its rows (``_picture``; a frame whose picture is not found,
    black where it meets the base, takes the median of the others'; most pictures, at least
    ``FRAMES``, on the same rows within ``ROWS``: one film), then its columns within those rows (a perforation in the base beside a gap hid a line of the gap: up to ``TRIM``
    cut off each side); None where no picture is found."""
    across = [_picture(lum[:, a:b], base) for a, b in spans]
    found = [s for s in across if s is not None]
    if not found:
        return None
    rows = slice(int(np.median([s.start for s in found])), int(np.median([s.stop for s in found])))
    near = max(2.0, ROWS * lum.shape[0])
    alike = sum(
        abs(s.start - rows.start) <= near and abs(s.stop - rows.stop) <= near for s in found
    )
    if alike < max(FRAMES, len(spans) // 2 + 1):  # one film: most pictures on the same rows
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


def _chain(points: np.ndarray, pitch: int) -> tuple[int, int]:
    """The most points on one lattice of ``pitch`` (within ``TOL``) and a point on it."""
    d = points[None, :] - points[:, None]
    on = np.abs(d - np.rint(d / pitch) * pitch) <= TOL
    seen = on.sum(axis=1)
    i = int(np.argmax(seen))
    return int(seen[i]), int(points[i])


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
    """The frames of one pitch: starting where most starts lie on it, as long as the ends
    lying on it make them; at least ``FRAMES``, each gap between two all film base and at
    most ``GAP`` of a frame, and more than half of their edges seen. (frames, edges seen),
    or (None, 0)."""
    (seen_s, s0), (seen_e, e0) = _chain(starts, pitch), _chain(ends, pitch)
    size = (e0 - s0) % pitch
    if pitch - size < 2 * TOL + 1 or pitch - size > GAP * size:
        return None, 0
    n = len(gap)
    frames = [(a, a + size) for a in range(s0 % pitch, n - size + 1, pitch)]
    inner = [gap[b + TOL : a - TOL] for (_, b), (a, _) in zip(frames[:-1], frames[1:], strict=True)]
    seen = seen_s + seen_e
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


__all__ = ["strip_frames"]
