"""Where a film's scenes start, for the stills that guide it: one decoding pass through the
film's own cut detector, stopped after the last frame the run colours, and kept in the run's
work folder so that a resumed run, or another shard of it, does not decode the film again.
With ``--reference`` the pass also colours a still for each scene; those are kept there too,
as PNG files, which the run then reads as ``--refs`` stills are read: when their scene comes.

The pass costs a decoding of the whole film before the first frame is coloured (on this
project's 2-core machine: 31 s for ten minutes at 640x272, and 104 frames/s at 1080p, so about
28 minutes for a two-hour film), so a trial with ``--end 10`` should not pay for the rest of
the film, and a film stopped and resumed five times, or split across twenty shards, should pay
for it once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from colorcli.atomic import write_bytes_atomic
from colorcli.errors import ColorcliError
from colorcli.imagewrite import write_image
from colorcli.refs import RefGuide
from colorcli.scenes import lookahead_frames, scene_frames, scene_stills
from colorcli.videoprobe import film_rate, film_stream, open_input

KEPT_NAME = "scenes.json"  # in the work folder of a segmented run
STILLS_DIR = "reference-stills"  # beside it: --reference's stills, <N>.png
# the cut detector's and this file's version: a change to either makes kept passes stale
PASS_VERSION = 1
END_MARGIN = 1.0  # seconds scanned past --end, for frames timed a hair either side of it
TICK = 25  # frames read between progress reports


def scene_pass(
    src: Path,
    rate: float,
    net_hw: tuple[int, int],
    until: float | None = None,
    printer: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Generator[int, None, tuple[list[int], int]]:
    """First frame of each scene (0 first) and the frames counted, from one decoding pass with
    the film's own cut detector on the lightness it sees (a film of negatives: its prints,
    ``printer``); up to ``until`` seconds if given. Yields how many frames it read since it
    last yielded (every ``TICK``)."""
    starts = [0]

    def note(frame: tuple[int, np.ndarray, bool, float]) -> None:
        if frame[2] and frame[0] > 0:
            starts.append(frame[0])

    with contextlib.closing(open_input(src, rate)) as inp:
        fmt = "gray" if printer is None else "rgb24"
        n = yield from _read(scene_frames(inp, net_hw, fmt, until, printer=printer), note)
    return starts, n


def scene_starts(
    src: Path, rate: float, net_hw: tuple[int, int], until: float | None = None
) -> tuple[list[int], int]:
    """:func:`scene_pass`, its progress unseen."""
    return drain(scene_pass(src, rate, net_hw, until))


def reference_pass(
    src: Path,
    rate: float,
    net_hw: tuple[int, int],
    colorizer,
    reference: np.ndarray,
    palette_of: Callable[[np.ndarray], np.ndarray] | None = None,
    notices: Sequence[str] = (),
    until: float | None = None,
    turns: int = 0,
    printer: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Generator[int, None, RefGuide]:
    """``video --reference``: one decoding pass (up to ``until`` seconds, if given) that
    colours a frame of each scene (its first, or where that is dim its clearest:
    ``scene_stills``) after the colour photo ``reference`` (``colorizer.colorize_like``) and
    keeps it at the network's size ``net_hw``, as the still that guides its scene (what
    ``--refs`` would carry). Each is coloured as the film is shown (``turns``: quarter turns
    counterclockwise, ``VideoInfo.turns``) and kept as stored; a film of negatives as its
    prints (``printer``). Yields frames read, as :func:`scene_pass` does."""
    starts, stills = [], {}
    h, w = net_hw

    def frames(inp) -> Iterator[tuple[int, np.ndarray, bool, float]]:
        for frame in scene_frames(inp, net_hw, until=until, printer=printer):
            if frame[2]:
                starts.append(frame[0])
            yield frame

    def colour(item: tuple[int, list[tuple[int, np.ndarray]]]) -> None:
        for k, rgb in item[1]:
            upright = np.ascontiguousarray(np.rot90(rgb, turns))
            still = colorizer.colorize_like(upright, reference, printer is not None)
            still = np.ascontiguousarray(np.rot90(still, -turns))
            stills[k] = cv2.resize(still, (w, h), interpolation=cv2.INTER_AREA)

    with contextlib.closing(open_input(src, rate)) as inp:
        fps = film_rate(film_stream(inp))
        yield from _read(scene_stills(frames(inp), lookahead_frames(fps, rate)), colour)
    return RefGuide(stills, starts or [0], palette_of, notices)


def _read(items: Iterator, each: Callable[[Any], None]) -> Generator[int, None, int]:
    """``each`` of a pass's ``items`` (one per frame read), with the frames read yielded every
    ``TICK``; returns how many. A decoding error ends the pass: a damaged tail, which the
    film's own run reports."""
    n = 0
    try:
        for item in items:
            each(item)
            n += 1
            if n % TICK == 0:
                yield TICK
    except av.error.FFmpegError:
        pass
    yield n % TICK
    return n


def drain(gen: Generator[Any, None, Any]) -> Any:
    """What a generator returns, whatever it yields on the way."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def pass_key(run: dict[str, Any], net_hw: tuple[int, int], until: float | None) -> dict[str, Any]:
    """What a kept pass must match to be used: the run's fingerprint (the film's path, size
    and time, the stills or reference, the model), the size the detector sees, how far it
    went. It is read before the work folder's own check, so it carries all of that itself."""
    key = {"run": run, "net": list(net_hw), "until": until, "version": PASS_VERSION}
    return json.loads(json.dumps(key))  # as it reads back (tuples come back as lists)


def kept_pass(
    folder: Path, key: dict[str, Any]
) -> tuple[list[int], int, dict[int, Path] | None] | None:
    """The pass kept in ``folder`` for ``key``: (scene starts, frames counted, the stills'
    files or None), or None (none kept, another command's, torn, a still gone)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads((folder / KEPT_NAME).read_text())
        if kept["key"] != key:
            return None
        stills = None
        if kept["stills"] is not None:
            stills = {int(n): folder / STILLS_DIR / f"{int(n)}.png" for n in kept["stills"]}
            if not all(p.is_file() for p in stills.values()):
                return None
        return [int(s) for s in kept["starts"]], int(kept["frames"]), stills
    return None


def keep_pass(
    folder: Path,
    key: dict[str, Any],
    starts: list[int],
    frames: int,
    stills: dict[int, np.ndarray] | None = None,
) -> dict[int, Path] | None:
    """Keep a pass in ``folder`` (which exists): its stills first, each a PNG, then the record
    naming them, so a record means its stills are all there. Returns the stills' files (None
    without stills, or where they could not be written: a later run then makes the pass
    again, and this one goes on with the stills it holds)."""
    files: dict[int, Path] | None = None
    try:
        if stills is not None:
            (folder / STILLS_DIR).mkdir(exist_ok=True)
            files = {n: folder / STILLS_DIR / f"{n}.png" for n in stills}
            for n, rgb in stills.items():
                write_image(files[n], rgb)
        names = None if stills is None else sorted(stills)
        record = {"key": key, "starts": starts, "frames": frames, "stills": names}
        write_bytes_atomic(folder / KEPT_NAME, json.dumps(record).encode())
    except (OSError, ColorcliError):
        return None
    return files


def scan_until(end: float | None) -> float | None:
    """How far the pass goes for a run that colours up to ``end`` seconds (None: all)."""
    return None if end is None else end + END_MARGIN
