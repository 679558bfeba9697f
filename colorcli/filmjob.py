"""A checked film job and its accounting: where from, where to, how, its section (--start and
--end from the film's first picture), and what the input promised against what decoded
(frames lost, a damaged input's notice). No model, no decoding.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from colorcli.atomic import commit
from colorcli.errors import ConfigError, MediaError
from colorcli.events import Notice
from colorcli.film import AbPredictor, FilmColourer, Route
from colorcli.filmbars import Bars
from colorcli.negative import PrintedRoute
from colorcli.options import VideoOptions
from colorcli.packets import shows_damage
from colorcli.refs import RefGuide
from colorcli.videoprobe import VideoInfo

# an output that appeared under the final name while a run coloured it (another run's)
WRITTEN_MEANWHILE = "written by another run while this one was colouring it: kept, not replaced (--overwrite replaces it)"
GRID_SHARE = 0.98  # of a film's frame gaps on one grid step's multiples: a constant rate


def missing_frames(
    pts: Sequence[int], info: VideoInfo, end: float | None = None, last_shown: int | None = None
) -> tuple[int, int]:
    """Frames missing from a film without a count, read from the pts of those it holds, as
    (holes, tail): the gaps of a film on one regular grid (a constant frame rate, where a gap
    of k steps lacks k - 1 frames) and the time from the end of its last frame to the end of
    its duration, in steps (one step of slack). A film off any grid (variable frame rate)
    lacks only that tail.
    ``last_shown``: how long its last picture is shown, where its packet says (a variable-rate
    film held on its last picture for seconds is not cut off: it was called damaged).
    Where the duration is the container's (``info.shared_duration``), the sound may run past
    the pictures: the tail is then the time from ``end``, where the file's packets end, to
    the end of the duration (a cut-off file ends early in every stream)."""
    t = np.unique(np.asarray(pts, dtype=np.int64))
    if t.size < 2:
        return 0, 0
    gaps = np.diff(t)
    step = float(np.median(gaps))
    k = gaps / step
    on_grid = np.mean(np.abs(k - np.round(k)) < 0.1) >= GRID_SHARE
    holes = int(np.sum(np.maximum(np.round(k) - 1, 0))) if on_grid else 0
    tail = 0
    if info.duration:
        seconds = float(step * info.time_base)
        last = float(t[-1] * info.time_base) + max(
            seconds, float((last_shown or 0) * info.time_base)
        )
        if info.shared_duration and end is not None:
            last = max(last, end)
        left = info.start + info.duration - last
        tail = max(0, round(left / seconds))
    return holes, (tail if tail > 1 else 0)


def from_film_start(src: Path, info: VideoInfo, opts: VideoOptions) -> VideoOptions:
    """--start and --end, seconds from the film's first picture, in the file's own time (a
    transport stream's first picture is timed 1.4 s in, a broadcast capture's hours in: a
    section was cut at the wrong place, or held no frame). ConfigError for a --start at or
    past the film's end."""
    if opts.start is None and opts.end is None:
        return opts
    if opts.start is not None and info.duration and opts.start >= info.duration:
        raise ConfigError(
            f"{src}: --start {opts.start:g} s is at or past the film's end ({info.duration:.2f} s)"
        )
    at = info.start
    return dataclasses.replace(
        opts,
        start=None if opts.start is None else opts.start + at,
        end=None if opts.end is None else opts.end + at,
    )


def no_frames(src: Path, opts: VideoOptions) -> MediaError:
    """The error for a film (or its --start/--end section) of which no frame was decoded: a
    --start between the last frame and the film's end said it of the whole film."""
    where = " in the --start/--end range" if opts.start is not None or opts.end is not None else ""
    return MediaError(src, f"no video frames could be decoded{where}")


def section_counts(info: VideoInfo, opts: VideoOptions) -> tuple[int, int]:
    """(frames expected in the --start/--end range, frames the whole film promises)."""
    promised = info.frames or (
        round(info.duration * float(info.rate)) if info.duration and info.rate else 0
    )
    expected = info.frames
    if (opts.start is not None or opts.end is not None) and info.rate and info.duration:
        first, last = info.start, info.start + info.duration  # opts: in the file's time
        span = (opts.end if opts.end is not None else last) - (
            opts.start if opts.start is not None else first
        )
        expected = max(0, round(span * float(info.rate)))
    return expected, promised


@dataclass(frozen=True)
class VideoJob:
    """A checked film: where from, where to, how; ``expected`` frames to colour (0: unknown),
    ``promised`` by the container for the whole file. ``damaged_dst``: where the film goes
    when frames of the input do not decode (None: to ``dst`` as well, with a notice).
    ``shard``: (k, n), this run's share of the segments; ``restart``: discard earlier work."""

    src: Path
    dst: Path
    opts: VideoOptions
    overwrite: bool
    fmt: str
    info: VideoInfo
    expected: int
    promised: int
    damaged_dst: Path | None = None
    shard: tuple[int, int] | None = None
    restart: bool = False
    joined: bool = False  # a shard that found the film joined by another run already
    source: Any = None  # the open input container of a film arriving on a pipe
    sink: BinaryIO | None = None  # the stream a film leaves on (a pipe)
    refs: RefGuide | None = None  # the --refs stills, once loaded (colorize_video)
    bars: Bars | None = None  # the film's bars, once looked for (colorize_video)
    # the film's levels (``colorcli.levels.film_levels``), once measured (colorize_video)
    levels: tuple[float, float] | None = None
    # a film of scanned negatives: what prints its frames (``colorcli.negative.Printer``,
    # one curve read off pictures sampled through it), once made (colorize_video)
    printer: Any = None
    # where the film begins in its file's own time (``VideoInfo.start``): --start and --end
    # count from it (a broadcast capture's first picture may be timed hours in); ``opts``
    # holds them in the file's time, this added
    origin: float = 0.0
    # the input as it was when checked (``colorcli.runid.input_identity``; None: a pipe): a
    # file that changes while it is coloured (still being copied, rewritten) is not finished
    identity: dict[str, Any] | None = None

    @property
    def piped(self) -> bool:
        return self.source is not None or self.sink is not None

    def written_meanwhile(self) -> Path | None:
        """The output (or its ``.damaged`` twin) that another run wrote after this one was
        checked, which this run may not replace; None when there is none or ``overwrite``."""
        if self.overwrite or self.sink is not None:
            return None
        return next((p for p in (self.dst, self.damaged_dst) if p is not None and p.exists()), None)

    def refuse_written(self) -> None:
        """MediaError where another run wrote the output after this one was checked."""
        if (there := self.written_meanwhile()) is not None:
            raise MediaError(
                there,
                "exists already: another run wrote it after this one started (use --overwrite)",
            )

    def changed(self) -> MediaError | None:
        """The error to give where the input is no longer as it was when checked (a film still
        being copied, or rewritten meanwhile); None where it is."""
        if self.identity is None:
            return None
        from colorcli.runid import input_identity

        try:
            now = input_identity(self.src)
        except (OSError, MediaError):
            now = None
        if now == self.identity:
            return None
        if now is None:
            how = "it is gone"
        elif now.get("input frames", 0) != self.identity.get("input frames", 0):
            how = f"{self.identity['input frames'][1]} frames when the run began, {now['input frames'][1]} now"
        elif now["input size"] != self.identity["input size"]:
            how = f"{self.identity['input size']} bytes when the run began, {now['input size']} now"
        else:
            how = "rewritten since the run began"
        if self.fmt == "sequence":  # its frames are written one by one, as they come
            fate = "the frames written are of it as it was: colour it again with --overwrite once it is complete"
        else:
            again = "; --restart then discards the segments made of it as it was"
            fate = f"nothing is written under the final name; colour it again once it is complete{again if self.segmented else ''}"
        return MediaError(self.src, f"changed while it was being coloured ({how}): {fate}")

    def commit(self, tmp: Path, final: Path) -> None:
        """The finished film moved onto ``final``; one that another run wrote there meanwhile
        is kept (MediaError naming it), and none is made of an input that changed meanwhile."""
        if (changed := self.changed()) is not None:
            raise changed
        try:
            commit(tmp, final, self.overwrite)
        except FileExistsError:
            raise MediaError(final, WRITTEN_MEANWHILE) from None

    def account(
        self,
        decoded: int,
        pts: Sequence[int],
        leading: int = 0,
        discarded: int = 0,
        end: float | None = None,
        last_shown: int | None = None,
        bad_packets: int = 0,
    ) -> tuple[int, int]:
        """(frames lost, frames the file should hold) once the film is read; none lost for
        a --start/--end section.

        With a count in the container: that count minus the ``decoded``. Without one,
        duration times frame rate is no count for a film of variable frame rate; what is
        missing is read from ``pts``, those of the frames the file holds (see
        :func:`missing_frames`), plus any of them that did not decode. ``leading``: how many
        of ``pts`` come before the first keyframe (a recording that starts mid-GOP, as
        broadcast captures do): nobody can decode those, and they are not counted lost (where
        some did decode, as many lost frames after them may go uncounted). ``discarded``:
        frames the container counts but marks as not shown (an MP4's edit list), never lost.
        ``end``: seconds where the file's packets end; ``last_shown``: the last picture's own
        duration (see :func:`missing_frames`). Holes in a film's even times count as lost
        only where the film shows damage (``holes_lost``)."""
        if self.opts.start is not None or self.opts.end is not None:
            lost = 0
        elif self.info.frames:
            return max(0, self.info.frames - discarded - decoded), self.promised - discarded
        else:
            held = pts[leading:]  # the film from its first keyframe on
            # two frames of one time (recordings joined) are one place in the film
            places = len(np.unique(np.asarray(held, dtype=np.int64)))
            holes, tail = missing_frames(held, self.info, end, last_shown)
            if holes and not self.holes_lost(bad_packets):
                holes = 0
            lost = holes + tail + max(0, places - decoded)
        return lost, (self.promised if lost == 0 else decoded + lost)

    def holes_lost(self, bad_packets: int) -> bool:
        """Whether the holes in a film's even times are frames lost to damage: where packets
        did not decode, or its file shows damage (``shows_damage``). Else they are the
        film's own timing: frames left out where the picture did not change (FFmpeg's
        mpdecimate, a capture that drops repeats, a screen recording), and the film is kept
        as timed. A film on a pipe cannot be read again, nor other containers than Matroska
        and MPEG-TS told apart: there every hole counts."""
        if bad_packets or self.source is not None:
            return True
        return shows_damage(self.src) is not False

    def rescaled_notice(self, frames: int) -> str:
        """What to say of ``frames`` frames of another size, scaled to the film's."""
        size = f"{self.info.width}x{self.info.height}"
        return f"{self.src}: the picture changes size: {frames} frames scaled to {size}, its first size"

    def collided_notice(self, frames: int) -> str:
        """What to say of ``frames`` frames passed over for the time of the frame before."""
        return f"{self.src}: {frames} frame(s) share their time with the frame before (where recordings were joined): the first shown there is kept"

    def damage(self, decoded: int, lost: int, promised: int, bad_packets: int) -> Notice | None:
        """The notice for an input that lost frames or packets, or None."""
        if not (lost or bad_packets):
            return None
        return Notice(
            f"{self.src}: input is damaged: {decoded} frames colorized, {lost} of {promised} lost ({bad_packets} undecodable packets)"
        )

    @property
    def segmented(self) -> bool:
        """In segments, resumable; a pipe cannot be read twice, so it is one encode."""
        if self.piped or self.fmt == "sequence":  # frames out resume frame by frame
            return False
        if not self.info.timed:  # without timestamps a segment cannot be found again
            return False
        return self.opts.segment_seconds > 0 or self.shard is not None

    def colourer(self, predictor: AbPredictor, route: Route, every: int) -> FilmColourer:
        """The film's colourer, keys every ``every`` frames: its smoothing, stills, bars,
        turns and levels as this job has them."""
        opts = self.opts
        if self.printer is not None:
            route = PrintedRoute(route, self.printer)
        return FilmColourer(
            predictor, route, every, opts.smoothing, opts.sigma_l, self.refs, self.bars,
            self.info.turns, self.levels,
        )  # fmt: skip

    @property
    def negative(self) -> bool:
        """Its frames are scanned negatives, printed before they are coloured."""
        return self.printer is not None


_VOB_PART = re.compile(r"VTS_(\d\d)_([1-9])\.VOB", re.IGNORECASE)


def dvd_title_note(src: Path) -> str | None:
    """What to say of a DVD's VOB file that is one part of its title (VTS_01_1.VOB, _2, ...:
    1 GB each, one film run on across them): colouring it colours that part only. None for
    any other file, or a title of one part."""
    found = _VOB_PART.fullmatch(src.name) if isinstance(src, Path) else None
    if found is None:
        return None
    title = found.group(1)
    try:
        parts = sorted(
            p.name
            for p in src.parent.iterdir()
            if (m := _VOB_PART.fullmatch(p.name)) is not None and m.group(1) == title
        )
    except OSError:
        return None
    if len(parts) < 2:
        return None
    return (
        f"{src}: one of the {len(parts)} parts of DVD title {title} ({', '.join(parts)}): "
        f"only this part is coloured; to colour the whole film, join them first (cat {' '.join(parts)} > title.vob) and colour that"
    )
