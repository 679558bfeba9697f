"""SMPTE timecodes (``HH:MM:SS:FF``; drop-frame ``HH:MM:SS;FF`` at 29.97 and 59.94 fps): a
master's start timecode moved by a number of frames, as a section of it starts later.
No model, no files.
"""

from __future__ import annotations

import re
from fractions import Fraction

_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def shift_timecode(timecode: str, frames: int, rate: Fraction | float) -> str | None:
    """``timecode`` moved ``frames`` frames on, at the film's ``rate``; None where it is not a
    timecode this can count (the caller keeps it as it is)."""
    m = _TIMECODE.match(timecode.strip())
    if m is None or not rate:
        return None
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    nominal = round(float(rate))  # 29.97 counts 30 frames a second, 25 counts 25
    if nominal <= 0 or ff >= nominal:
        return None
    # drop-frame: frame numbers 0 and 1 (0-3 at 59.94) are skipped at each minute but every
    # tenth, so that the count keeps to the clock
    drop = nominal // 15 if sep in ";," and nominal in (30, 60) else 0
    minutes = 60 * hh + mm
    count = (3600 * hh + 60 * mm + ss) * nominal + ff - drop * (minutes - minutes // 10)
    count = (count + frames) % (24 * 3600 * nominal - drop * (24 * 60 - 24 * 6))
    if drop:
        per_ten = 10 * 60 * nominal - 9 * drop  # frames in ten minutes
        per_minute = 60 * nominal - drop
        tens, rest = divmod(count, per_ten)
        skipped = 9 * drop * tens
        if rest >= drop:
            skipped += drop * ((rest - drop) // per_minute)
        count += skipped
    ff = count % nominal
    ss = count // nominal % 60
    mm = count // (60 * nominal) % 60
    hh = count // (3600 * nominal)
    width = len(m[5])
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:0{width}d}"
