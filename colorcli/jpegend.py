"""JPEG files cut short (a photo from a damaged card, a download stopped part way): whether a
JPEG's bytes reach its end, and where the picture the file lacks lies once decoded.

libjpeg decodes such a file as far as its bytes go and fills every block it lacks flat at
mid-gray; OpenCV refuses the file unless it ends with an end-of-image marker.
"""

from __future__ import annotations

import numpy as np

_LENGTHLESS = {0x01, 0xD8, *range(0xD0, 0xD8)}  # TEM, SOI, RSTn: JPEG markers without a length


def jpeg_complete(data: np.ndarray) -> bool:
    """Whether a JPEG's bytes reach its end-of-image marker, segment by segment and scan by
    scan (a photo cut short on a card or in a download does not; bytes after the end, a phone's
    motion clip, do not matter)."""
    n = len(data)
    ff = np.flatnonzero(data[:-1] == 0xFF)
    after = data[ff + 1]
    # where coded data ends: a 0xFF not followed by stuffing (0), fill (0xFF) or a restart
    marks = ff[(after != 0) & (after != 0xFF) & ((after < 0xD0) | (after > 0xD7))]
    i = 2  # after SOI
    while True:
        while i + 1 < n and data[i] == 0xFF and data[i + 1] == 0xFF:
            i += 1  # fill bytes before a marker
        if i + 1 >= n or data[i] != 0xFF:
            return False
        kind = int(data[i + 1])
        if kind == 0xD9:
            return True
        if kind in _LENGTHLESS:
            i += 2
            continue
        if i + 3 >= n:
            return False
        i += 2 + (int(data[i + 2]) << 8 | int(data[i + 3]))
        if kind == 0xDA:  # a scan: its coded data runs to the next marker
            k = int(np.searchsorted(marks, i))
            if k == len(marks):
                return False
            i = int(marks[k])


def missing_band(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the widest band along one edge of a decoded, upright
    8-bit picture that is flat at libjpeg's fill (128): the part a JPEG cut short lacks
    (at the bottom as stored; on another edge once turned upright). None where there is none."""
    if pixels.dtype != np.uint8:
        return None
    flat = pixels == 128
    if flat.ndim == 3:
        flat = flat.all(axis=2)
    h, w = flat.shape
    rows, cols = flat.all(axis=1), flat.all(axis=0)
    runs = {
        "bottom": _run(rows[::-1]), "top": _run(rows), "right": _run(cols[::-1]), "left": _run(cols),
    }  # fmt: skip
    side = max(runs, key=runs.get)
    n = runs[side]
    if n == 0:
        return None
    return {
        "bottom": (h - n, h, 0, w), "top": (0, n, 0, w), "right": (0, h, w - n, w), "left": (0, h, 0, n),
    }[side]  # fmt: skip


def _run(flags: np.ndarray) -> int:
    """How many of ``flags`` are true from its start."""
    false = np.flatnonzero(~flags)
    return int(false[0]) if len(false) else len(flags)


def truncation_note(band: tuple[int, int, int, int] | None, shape: tuple[int, ...]) -> str:
    """What a user is told of a JPEG cut short."""
    head = "truncated jpeg data (the file ends inside its picture)"
    if band is None:  # a progressive JPEG's first scans cover it all: only detail is lost
        return f"{head}: coloured as far as it decodes"
    top, bottom, left, right = band
    share = (bottom - top) * (right - left) / (shape[0] * shape[1])
    return f"{head}: {share:.0%} of the picture is missing and left gray; the rest is coloured"
