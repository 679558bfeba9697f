"""A film whose timestamps restart (recordings joined byte for byte, as transport streams
allow: two broadcast captures run together, a DVD's VOB files concatenated) copied packet for
packet into one file whose times run on: each part after a restart moves to begin one frame
after everything before it has ended, every stream by the same amount. No decoding, no model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av

from colorcli.atomic import Claim, fit_name, sweep_stale, temp_sibling
from colorcli.errors import MediaError, NoSpaceError, out_of_space
from colorcli.ffurl import ff_url
from colorcli.packets import demux, steps_back
from colorcli.videoprobe import film_stream, reading_as

_SLOTS = 8  # runs making a copy beside one output at once (shards of one film)


@dataclass
class _Part:
    """One recording of a joined file, per stream (seconds): where its packets first show
    (``first``, by pts) and are first decoded (``first_dts``), where they end (pts plus
    duration) and are last decoded."""

    first: dict[int, float] = field(default_factory=dict)
    first_dts: dict[int, float] = field(default_factory=dict)
    end: dict[int, float] = field(default_factory=dict)
    last_dts: dict[int, float] = field(default_factory=dict)

    def add(self, i: int, p: av.Packet) -> None:
        tb = p.time_base
        pts = p.pts if p.pts is not None else p.dts
        dts = p.dts if p.dts is not None else pts
        shown, decoded = float(pts * tb), float(dts * tb)
        self.first[i] = min(self.first.get(i, shown), shown)
        self.first_dts[i] = min(self.first_dts.get(i, decoded), decoded)
        self.end[i] = max(self.end.get(i, shown), float((pts + (p.duration or 0)) * tb))
        self.last_dts[i] = max(self.last_dts.get(i, decoded), decoded)


class _Parts:
    """Which part each packet of a joined file belongs to: a stream moves to its next part
    where its decode times step back (``packets.steps_back``, as the film is refused)."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}  # each stream's latest dts
        self.part: dict[int, int] = {}

    def of(self, p: av.Packet) -> int:
        i = p.stream.index
        if steps_back(p, self.last.get(i)):
            self.part[i] = self.part.get(i, 0) + 1
            self.last.pop(i)
        if p.dts is not None:
            self.last[i] = p.dts if i not in self.last else max(self.last[i], p.dts)
        return self.part.get(i, 0)


def _skipped(p: av.Packet) -> bool:
    """A packet neither pass counts: empty, or without a time base (one without a decode
    time moves no stream to its next part either)."""
    return not p.size or p.time_base is None


def _survey(src: Path) -> tuple[list[_Part], int, float]:
    """Each part's spans, per stream; the film stream's index; a frame's length (seconds)."""
    parts: list[_Part] = []
    which = _Parts()
    with av.open(ff_url(src)) as c:
        film = film_stream(c)
        index, rate = film.index, film.average_rate or 25
        for p in demux(c):
            if _skipped(p) or (p.dts is None and p.pts is None):
                continue
            k = which.of(p)
            while len(parts) <= k:
                parts.append(_Part())
            parts[k].add(p.stream.index, p)
    return parts, index, 1 / float(rate)


def offsets_of(parts: list[_Part], film: int, frame: float) -> list[float]:
    """Seconds added to each part's times: the film's first picture of part k shows as its
    last of part k-1 ends (moved), and is decoded after it (a frame on); a part without
    pictures begins a frame after everything before it ends. Sound of part k that would then
    overlap part k-1's is dropped by the copy (tens of milliseconds at a join)."""
    out = [0.0]
    for before, part in zip(parts, parts[1:], strict=False):
        if film in before.end and film in part.first:
            shift = max(
                before.end[film] - part.first[film],
                before.last_dts[film] + frame / 2 - part.first_dts[film],
            )
        else:
            shift = max(before.end.values()) + frame - min(part.first_dts.values())
        out.append(out[-1] + shift)
    return out


@contextlib.contextmanager
def retimed_copy(src: Path, beside: Path) -> Iterator[int]:
    """Within the block the joined film ``src`` is read (``videoprobe.open_input``) from its
    copy made by :func:`retime` beside the path ``beside`` (the output); yields the number of
    parts. The copy lies in the first free one of a few claimed slots (shards of one film run
    together), and is removed after the block; a killed run's goes when its slot is next
    claimed, or is swept here first."""
    slots = [
        beside.with_name(fit_name(beside.stem, f"-retimed{k}{src.suffix}")) for k in range(_SLOTS)
    ]
    sweep_stale(slots)
    claim = next((c for c in map(Claim, slots) if c.acquire()), None)
    if claim is None:
        raise MediaError(src, f"{_SLOTS} runs are already making its copy beside {beside}")
    copy = temp_sibling(claim.final)
    try:
        parts = retime(src, copy)
        with reading_as(src, copy):
            yield parts
    finally:
        with contextlib.suppress(OSError):
            copy.unlink(missing_ok=True)
        claim.release()


def retime(src: Path, dst: Path) -> int:
    """Copy the joined film ``src`` into ``dst``, in its own container, with its parts' times
    moved by ``offsets_of``; returns how many parts it has. Streams the copy cannot take are
    left out (the film's own is never: MediaError). MediaError where the film cannot be
    copied."""
    parts, film, frame = _survey(src)
    offsets = offsets_of(parts, film, frame) if parts else [0.0]
    try:
        with av.open(ff_url(src)) as inp:
            fmt = inp.format.name.split(",")[0]
            with av.open(ff_url(dst), "w", format=fmt) as out:
                streams = {}
                for s in inp.streams:
                    if s.type not in ("video", "audio", "subtitle"):
                        continue
                    try:
                        streams[s.index] = out.add_stream_from_template(s)
                    except (ValueError, av.error.FFmpegError):
                        if s.index == film:
                            raise
                _copy(inp, out, streams, offsets)
    except (av.error.FFmpegError, ValueError, OSError) as e:
        if out_of_space(e):
            raise NoSpaceError(dst.parent) from e
        raise MediaError(src, f"its restarting timestamps cannot be made to run on ({e})") from e
    return len(parts)


def _copy(inp, out, streams: dict, offsets: list[float]) -> None:
    """Every packet of the kept ``streams``, moved by its part's offset; a packet that would
    still come no later than its stream's last (a part's overlap) is dropped."""
    which, last = _Parts(), {}
    for p in demux(inp):
        if _skipped(p):
            continue
        i, k = p.stream.index, which.of(p)  # parts counted as the survey counted them
        if i not in streams:
            continue
        shift = round(offsets[min(k, len(offsets) - 1)] / p.time_base)
        if p.pts is not None:
            p.pts += shift
        if p.dts is not None:
            p.dts += shift
            if i in last and p.dts <= last[i]:
                continue
            last[i] = p.dts
        p.stream = streams[i]
        out.mux(p)
