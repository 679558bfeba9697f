"""A film in segments: the plan, the work folder beside OUT, and which segments a run takes.

The plan comes from the container alone (packets demuxed, nothing decoded), so every run and
every shard of a job array computes the same one: a boundary is the first keyframe at least
``seconds`` after the previous boundary (encoders put keyframes at scene cuts and at their GOP
limit), or, where none comes within 1.5 times that, the frame ``seconds`` on.
The work folder (``.OUT.colorcli-work`` beside OUT) holds the fingerprint of the command
(input, output, every setting that shapes the picture), the plan, and each finished segment
as ``seg-NNNNN.EXT`` in OUT's own container with a small record beside it.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from colorcli.atomic import WORK_MARK, create_once, sibling_base
from colorcli.errors import ConfigError, MediaError
from colorcli.packets import EmptyChunks, check_continuous, demux, later_end
from colorcli.videoprobe import film_stream, open_input, read_as

WARMUP_FRAMES = 16  # coloured, not written, before a segment a run starts cold


@dataclass(frozen=True)
class Segment:
    """Frames ``first`` .. ``first + count - 1`` (presentation order) of the film's range."""

    index: int
    first: int
    count: int


@dataclass(frozen=True)
class Plan:
    """pts: every frame's pts in presentation order (the --start/--end range only), in the
    stream's time_base; keyframes: indices into ``pts`` of the keyframes; segments;
    discarded: packets the container marks as not shown (an MP4 trimmed by its edit list
    inside a GOP keeps the frames before the cut, for decoding only), in no segment, and an
    AVI's empty chunks (``packets.EmptyChunks``): frames it counts that are no pictures."""

    pts: list[int]
    keyframes: list[int]
    segments: list[Segment]
    discarded: int = 0
    end: float | None = None  # seconds where the file's packets end (see plan_segments)
    retimed: bool = False  # made from a copy whose restarting times run on (colorcli.retime)
    # how long the film's last picture is shown, in the stream's time_base, where the range
    # ends with it and its packet says (a variable-rate film may hold it for seconds)
    last_duration: int | None = None

    def warm_start(self, seg: Segment, every: int) -> int:
        """The frame a cold run starts colouring at, to warm up before ``seg``: enough frames
        for the smoother to forget its start and for the keys to fall where a whole run's do."""
        return max(0, seg.first - max(WARMUP_FRAMES, 2 * every))

    def seek_pts(self, frame: int) -> int:
        """pts of the last keyframe at or before ``frame`` (where decoding must start), or the
        frame's own where the range holds none before it (a seek backward finds the file's)."""
        i = bisect.bisect_right(self.keyframes, frame) - 1
        return self.pts[self.keyframes[i]] if i >= 0 else self.pts[frame]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pts": self.pts,
            "keyframes": self.keyframes,
            "segments": [[s.first, s.count] for s in self.segments],
            "discarded": self.discarded,
            "end": self.end,
            "retimed": self.retimed,
            "last_duration": self.last_duration,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        segs = [Segment(i, int(a), int(b)) for i, (a, b) in enumerate(d["segments"])]
        pts, keys = [int(p) for p in d["pts"]], [int(k) for k in d["keyframes"]]
        end = d.get("end")
        return cls(
            pts, keys, segs, int(d.get("discarded", 0)), None if end is None else float(end),
            bool(d.get("retimed", False)), d.get("last_duration"),
        )  # fmt: skip


def plan_segments(src: Path, time_base: Fraction, opts, every_stream: bool = False) -> Plan:
    """Read the packets of the first video stream (no decoding) and cut the --start/--end
    range into segments of about ``opts.segment_seconds`` each (see the module's docstring).
    ``every_stream``: read the other streams' packets too, for where the file ends."""
    seconds, start, end = opts.segment_seconds or float("inf"), opts.start, opts.end
    frames: list[tuple[int, bool]] = []
    discarded, file_end, top = 0, None, (None, 0)  # top: the last picture's (pts, duration)
    try:
        with open_input(src, opts.rate) as c:
            v = film_stream(c)
            last, empty = None, EmptyChunks(c)
            for p in demux(c, *(c.streams if every_stream else [v])):
                file_end = later_end(file_end, p)
                if p.stream.index != v.index:
                    continue
                last = check_continuous(src, p, last)
                empty.see(p)
                if p.size and p.is_discard:
                    discarded += 1
                elif p.pts is not None and p.size:
                    frames.append((int(p.pts), bool(p.is_keyframe)))
                    if top[0] is None or p.pts > top[0]:
                        top = (int(p.pts), int(p.duration or 0))
            discarded += empty.count  # each holds the picture before it: never lost
    except av.error.FFmpegError as e:
        raise MediaError(src, f"cannot plan segments: {e}") from e
    frames.sort()
    lo = -float("inf") if start is None else start - 1e-6
    hi = float("inf") if end is None else end - 1e-6
    frames = [(p, k) for p, k in frames if lo <= float(p * time_base) < hi]
    pts = [p for p, _ in frames]
    keys = [i for i, (_, k) in enumerate(frames) if k]
    times = [float(p * time_base) for p in pts]
    key_times = [times[i] for i in keys]
    segs, first, n = [], 0, len(pts)
    while first < n:
        t0 = times[first]
        j = bisect.bisect_left(key_times, t0 + seconds - 1e-6)
        nxt = keys[j] if j < len(keys) else n
        if times[nxt - 1] > t0 + 1.5 * seconds:
            # no keyframe soon: cut inside the GOP, ``seconds`` on (a cold start decodes from
            # the keyframe before it anyway)
            nxt = bisect.bisect_left(times, t0 + seconds - 1e-6, first + 1)
        if nxt < n and times[-1] < times[nxt] + 0.25 * seconds:
            nxt = n  # what would be left is a sliver: it joins this segment
        segs.append(Segment(len(segs), first, nxt - first))
        first = nxt
    held = top[1] if pts and pts[-1] == top[0] and top[1] > 0 else None
    return Plan(pts, keys, segs, discarded, file_end, read_as(src) is not None, held)


class WorkFolder:
    """The hidden folder beside OUT where segments wait for the join."""

    def __init__(self, dst: Path) -> None:
        self.dst = dst
        self.path = dst.with_name(f".{sibling_base(dst.name)}{WORK_MARK}")
        self.ext = dst.suffix

    def segment(self, i: int) -> Path:
        return self.path / f"seg-{i:05d}{self.ext}"

    def record(self, i: int) -> Path:
        return self.path / f"seg-{i:05d}.json"

    def done(self, i: int) -> bool:
        """Finished: its record is written, and its file too unless no frame of it decoded."""
        if not self.record(i).exists():
            return False
        return self.segment(i).exists() or self.empty(i)

    def empty(self, i: int) -> bool:
        """A finished segment of which no frame decoded (a damaged stretch): it has no file."""
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, KeyError):
            return self.read_record(i)["frames"] == 0
        return False

    def read_record(self, i: int) -> dict[str, int]:
        return json.loads(self.record(i).read_text())

    def open(self, fingerprint: dict[str, Any], restart: bool) -> bool:
        """Make or reuse the folder for this command; returns whether it held work already.
        A folder made by another command is refused (ConfigError naming what differs)."""
        if restart:
            self.remove()
        self.path.mkdir(parents=True, exist_ok=True)
        mark = self.path / "fingerprint.json"
        made = create_once(mark, (json.dumps(fingerprint, indent=1) + "\n").encode())
        if not made:
            before = json.loads(mark.read_text())
            diffs = differences(before, fingerprint)
            if diffs:
                what = (
                    "add --restart to colour it afresh (the finished segments are of the input as it was)"
                    if _changed(before, fingerprint) & INPUT_KEYS
                    else "rerun with the same options to resume, or add --restart to discard it"
                )
                raise ConfigError(
                    f"{self.dst}: the unfinished work in {self.path} is not this command's: {', '.join(diffs)}; {what}"
                )
            return any(self.path.glob("seg-*.json"))
        return False

    def load_plan(self) -> Plan | None:
        path = self.path / "plan.json"
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, KeyError):
            return Plan.from_dict(json.loads(path.read_text()))
        return None

    def save_plan(self, plan: Plan) -> None:
        """Every run plans alike: the first to finish planning writes it."""
        create_once(self.path / "plan.json", json.dumps(plan.to_dict()).encode())

    def finished(self, plan: Plan) -> int:
        return sum(self.done(s.index) for s in plan.segments)

    def remove(self) -> None:
        """Moved aside first (one rename), so that a run claiming a segment at that moment
        finds no folder to write its lock into, and then deleted."""
        # still named as a work folder, so that archive scans pass it by if it is left
        trash = self.path.with_name(f".{sibling_base(self.dst.name)}.gone-{os.getpid()}{WORK_MARK}")
        try:
            os.rename(self.path, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)


def share(plan: Plan, shard: tuple[int, int]) -> list[Segment]:
    """Shard k of n takes a contiguous block of segments (one warm-up per block)."""
    k, n = shard
    m = len(plan.segments)
    return plan.segments[k * m // n : (k + 1) * m // n]


# the fingerprint's keys that say which input, as it was (``runid.input_identity``)
INPUT_KEYS = frozenset({"input", "input size", "input mtime", "input frames"})


def _changed(before: dict[str, Any], now: dict[str, Any]) -> set[str]:
    """The fingerprint's keys that differ. The input's path alone is not one where its size
    and time are the same: the same film reached by another path (a USB disk mounted again
    as DISK1 after it was pulled out, a folder renamed) resumes its work."""
    changed = {k for k in set(before) | set(now) if before.get(k) != now.get(k)}
    if changed & INPUT_KEYS == {"input"} and before.get("input size") is not None:
        changed.discard("input")
    return changed


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between two work folders' fingerprints, in words: another input, the
    input changed since, other stills or reference, another model; an option as its value
    then and now."""
    changed = _changed(before, now)
    said = []
    if "input" in changed:
        said.append(f"another input ({before.get('input')} then)")
    elif changed & INPUT_KEYS:
        said.append("the input has changed since")
    words = {"--refs": "other stills (--refs)", "--reference": "another --reference photo",
             "--model": "another model",
             "--negative": "--negative given to one run and not the other"}  # fmt: skip
    for k in sorted(changed - INPUT_KEYS):
        said.append(words.get(k) or f"{k} {before.get(k)} (now {now.get(k)})")
    return said
