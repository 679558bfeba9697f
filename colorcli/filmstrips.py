"""A strip of film frames printed side by side (a contact sheet's row, a strip of negatives
printed whole): its frames told apart, so that each is coloured alone. No model, no files.

Coloured as one picture, a strip's frames lent each other their colours and the film base
between them was painted. A print is a strip where lines across it of one lightness, all of
the same, black or white (the film base, ``_gaps``), in narrow gaps of one width, cut it
into at least ``FRAMES`` frames of one size (within ``SAME``); each frame is then cut to its
picture (the longest run of lines across it that are not film base), and everything else is
kept as scanned.
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


def strip_frames(rgb: np.ndarray) -> list[tuple[slice, slice]] | None:
    """The pictures of a strip of film's frames (see the module's note) as the rows and
    columns of each, or None. rgb: (H, W) gray or (H, W, 3) RGB, uint8, uint16 or float."""
    l_full = lightness(rgb)
    if min(l_full.shape) < 8:
        return None
    for transposed in (False, True):  # frames side by side, then one above another
        lum = l_full.T if transposed else l_full
        found = _gaps(lum)
        spans = None if found is None else _between_gaps(found[0])
        if spans is None:
            continue
        frames = []
        for a, b in spans:
            across = _picture(lum[:, a:b], found[1])
            if across is None:
                return None
            frames.append((across, slice(a, b)))
        return [(c, r) for r, c in frames] if transposed else frames
    return None


def _uniform(lum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's median and whether the column is of one lightness (``ACROSS``)."""
    med = np.median(lum, axis=0)
    return med, np.mean(np.abs(lum - med) <= LEVEL, axis=0) >= ACROSS


def _gaps(lum: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Which columns are film base (uniform, their median within ``LEVEL`` of the base's
    tone, the median of the uniform columns'), and that tone; None where no column is
    uniform."""
    med, uniform = _uniform(lum)
    if not uniform.any():
        return None
    base = float(np.median(med[uniform]))
    if MID_LEVELS[0] <= base <= MID_LEVELS[1]:  # film base prints black (or stays clear)
        return None
    return uniform & (np.abs(med - base) <= LEVEL), base


def _between_gaps(gap: np.ndarray) -> list[tuple[int, int]] | None:
    """The runs between gap columns, where at least ``FRAMES`` of them are of one length
    (within ``SAME`` of their median; a run at an end of another length, a frame cut
    short, is left out) and every other run is; else None."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], gap.astype(np.int8), [1]])))
    runs = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
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
    edges = np.flatnonzero(np.diff(np.concatenate([[0], picture.astype(np.int8), [0]])))
    runs = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    if not runs:
        return None
    a, b = max(runs, key=lambda r: r[1] - r[0])
    return slice(a, b) if b - a >= LEAST * frame.shape[1] else None


__all__ = ["strip_frames"]
