"""What a segmented film's work folder must find again to be reused by a later run or another
shard: the input as it was (path, size, time) and every option that shapes its segments."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path
from typing import Any

from colorcli import __version__
from colorcli.film import AbPredictor
from colorcli.framefiles import frame_sequence, is_sequence
from colorcli.refs import file_identity, refs_identity


def input_identity(src: Path) -> dict[str, Any]:
    """The input as a resumed run must find it again: its path, size and time (for numbered
    frames, how many, and the last one's)."""
    if is_sequence(src):
        pattern, first, count = frame_sequence(src)
        st = Path(pattern % (first + count - 1)).stat()
        return {"input": pattern, "input frames": [first, count], "input size": st.st_size,
                "input mtime": st.st_mtime_ns}  # fmt: skip
    st = src.stat()
    return {"input": str(src.resolve()), "input size": st.st_size, "input mtime": st.st_mtime_ns}


def fingerprint(job, colorizer: AbPredictor, every: int) -> dict[str, Any]:
    """What makes the segments of this command: a work folder is reused only for the same."""
    o = job.opts
    return {
        **input_identity(job.src),
        "--codec": o.codec,
        "--crf": o.crf,
        "--preset": o.preset,
        "--smooth": o.smoothing,
        "--start": None if o.start is None else round(o.start - job.origin, 6),
        "--end": None if o.end is None else round(o.end - job.origin, 6),
        "--keyframes": every,
        "--segment-seconds": o.segment_seconds,
        "--rate": o.rate,
        "--keep-colour": o.keep_colour,
        "--refs": refs_identity(o.refs),
        "--reference": file_identity(o.reference),
        "bars": None if job.bars is None else [round(v, 6) for v in astuple(job.bars)],
        **{f"--{k}": v for k, v in colorizer.fingerprint().items()},
        "colorcli": __version__,
    }
