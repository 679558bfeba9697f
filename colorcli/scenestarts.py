"""Where a film's scenes start, for the stills that guide it: one decoding pass through the
film's own cut detector, stopped after the last frame the run colours, and kept in the run's
work folder so that a resumed run, or another shard of it, does not decode the film again.

The pass costs a decoding of the whole film before the first frame is coloured (on this
project's 2-core machine: 31 s for ten minutes at 640x272, and 104 frames/s at 1080p, so about
28 minutes for a two-hour film), so a trial with ``--end 10`` should not pay for the rest of
the film, and a film stopped and resumed five times, or split across twenty shards, should pay
for it once.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import av

from colorcli.atomic import write_bytes_atomic
from colorcli.scenes import scene_frames
from colorcli.videoprobe import open_input

KEPT_NAME = "scenes.json"  # in the work folder of a segmented run
# the cut detector's and this file's version: a change to either makes kept passes stale
PASS_VERSION = 1
END_MARGIN = 1.0  # seconds scanned past --end, for frames timed a hair either side of it


def scene_starts(
    src: Path, rate: float, net_hw: tuple[int, int], until: float | None = None
) -> tuple[list[int], int]:
    """First frame of each scene (0 first) and the frames counted, from one decoding pass with
    the film's own cut detector on the lightness it sees; up to ``until`` seconds if given."""
    starts, n = [0], 0
    with contextlib.closing(open_input(src, rate)) as inp:
        try:
            for i, _, first, _ in scene_frames(inp, net_hw, "gray", until):
                if first and i > 0:
                    starts.append(i)
                n = i + 1
        except av.error.FFmpegError:
            pass  # a damaged tail: the film's own run says so
    return starts, n


def pass_key(
    identity: dict[str, Any], rate: float, net_hw: tuple[int, int], until: float | None
) -> dict[str, Any]:
    """What a kept pass must match to be used: the film (its path, size and time), how it is
    read, the size the detector sees, and how far it went."""
    return {
        **identity,
        "rate": rate,
        "net": list(net_hw),
        "until": until,
        "version": PASS_VERSION,
    }


def kept_starts(folder: Path, key: dict[str, Any]) -> tuple[list[int], int] | None:
    """The pass kept in ``folder`` for ``key``, or None (none kept, another film's, torn)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads((folder / KEPT_NAME).read_text())
        if kept["key"] == key:
            return [int(s) for s in kept["starts"]], int(kept["frames"])
    return None


def keep_starts(folder: Path, key: dict[str, Any], starts: list[int], frames: int) -> None:
    """Keep a pass in ``folder`` (which exists); a failure to write only costs a later run
    the pass again."""
    data = json.dumps({"key": key, "starts": starts, "frames": frames}).encode()
    with contextlib.suppress(OSError):
        write_bytes_atomic(folder / KEPT_NAME, data)


def scan_until(end: float | None) -> float | None:
    """How far the pass goes for a run that colours up to ``end`` seconds (None: all)."""
    return None if end is None else end + END_MARGIN
