"""Whole films: open, decode, colour, encode, flush, close; the output renamed into place.

Three stages overlap: the reader's thread (demux, decode, copied packets), the calling thread
(the network, smoothing, propagation: ``colorcli.film``) and the writer's thread (composing at
full resolution, encode, mux: ``colorcli.videoio``). ``prepare_video`` checks the paths, the
codec and the input before any model is built; ``colorize_video`` runs the film.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import numba
import numpy as np

from colorcli.atomic import Claim, commit, temp_sibling
from colorcli.compose import pick_route
from colorcli.errors import ConfigError, MediaError, OutputPathError
from colorcli.events import Event, Frames, Notice, VideoDone, VideoStart
from colorcli.film import AbPredictor, FilmColourer, side_threads
from colorcli.filmreader import FilmReader
from colorcli.imageio import read_image
from colorcli.metrics import TemporalMeter
from colorcli.options import VIDEO_CONTAINERS, VideoOptions
from colorcli.pixelaspect import carry_pixel_aspect, pipe_pixel_aspect
from colorcli.refs import RefGuide
from colorcli.videoio import FilmWriter
from colorcli.videoprobe import (
    VideoInfo,
    check_output,
    film_stream,
    info_of,
    mxf_takes_rate,
    open_input,
    open_pipe,
    probe_video,
)

_QUEUE_FRAMES = 8  # frames in flight per queue, beyond the batch
PIPE_IN, PIPE_OUT = Path("<stdin>"), Path("<stdout>")  # how a pipe is named in messages


GRID_SHARE = 0.98  # of a film's frame gaps on one grid step's multiples: a constant rate


def missing_frames(pts: Sequence[int], info: VideoInfo, end: float | None = None) -> int:
    """Frames missing from a film without a count, read from the pts of those it holds: the
    gaps of a film on one regular grid (a constant frame rate, where a gap of k steps lacks
    k - 1 frames) and the time from its last frame to the end of its duration, in steps
    (one step of slack). A film off any grid (variable frame rate) lacks only that tail.
    Where the duration is the container's (``info.shared_duration``), the sound may run past
    the pictures: the tail is then the time from ``end``, where the file's packets end, to
    the end of the duration (a cut-off file ends early in every stream)."""
    t = np.unique(np.asarray(pts, dtype=np.int64))
    if t.size < 2:
        return 0
    gaps = np.diff(t)
    step = float(np.median(gaps))
    k = gaps / step
    on_grid = np.mean(np.abs(k - np.round(k)) < 0.1) >= GRID_SHARE
    holes = int(np.sum(np.maximum(np.round(k) - 1, 0))) if on_grid else 0
    tail = 0
    if info.duration:
        seconds = float(step * info.time_base)
        last = float(t[-1] * info.time_base) + seconds
        if info.shared_duration and end is not None:
            last = max(last, end)
        left = info.start + info.duration - last
        tail = max(0, round(left / seconds))
    return holes + (tail if tail > 1 else 0)


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

    @property
    def piped(self) -> bool:
        return self.source is not None or self.sink is not None

    def account(
        self,
        decoded: int,
        pts: Sequence[int],
        leading: int = 0,
        discarded: int = 0,
        end: float | None = None,
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
        ``end``: seconds where the file's packets end (see :func:`missing_frames`)."""
        if self.opts.start is not None or self.opts.end is not None:
            lost = 0
        elif self.info.frames:
            return max(0, self.info.frames - discarded - decoded), self.promised - discarded
        else:
            held = pts[leading:]  # the film from its first keyframe on
            # two frames of one time (recordings joined) are one place in the film
            places = len(np.unique(np.asarray(held, dtype=np.int64)))
            lost = missing_frames(held, self.info, end) + max(0, places - decoded)
        return lost, (self.promised if lost == 0 else decoded + lost)

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


def prepare_video(
    src: Path | str | BinaryIO,
    dst: Path | str | BinaryIO,
    opts: VideoOptions | None = None,
    overwrite: bool = False,
    damaged_dst: Path | None = None,
    shard: tuple[int, int] | None = None,
    restart: bool = False,
    pipe_format: str = "matroska",
) -> VideoJob:
    """Check the output path, the codec and the input (MediaError / OutputPathError).

    ``src`` or ``dst`` may be a binary stream (a pipe): the film is then read from it or
    written to it in ``pipe_format`` (Matroska or NUT), as one encode that cannot resume.
    """
    opts = opts or VideoOptions()
    piped = not isinstance(src, str | Path) or not isinstance(dst, str | Path)
    if shard is not None and piped:
        raise ConfigError("--shard needs files: a film on a pipe is one encode")
    if opts.refs is not None:
        if not isinstance(src, str | Path):
            raise ConfigError(
                "--refs needs the film as a file: it is read twice (once for its scenes)"
            )
        from colorcli.refs import find_stills

        find_stills(Path(opts.refs))  # an empty or missing folder fails before any work
    if opts.reference is not None:
        if opts.refs is not None:
            raise ConfigError("give --refs or --reference, not both")
        if not isinstance(src, str | Path):
            raise ConfigError("--reference needs the film as a file: it is read twice")
        read_image(opts.reference)  # an unreadable reference fails before any work
    source = sink = None
    if not isinstance(src, str | Path):
        source, src = open_pipe(src, PIPE_IN), PIPE_IN
    if not isinstance(dst, str | Path):
        sink, dst = dst, PIPE_OUT
    src, dst = Path(src), Path(dst)
    if shard is not None and opts.segment_seconds <= 0:
        raise ConfigError("--shard spreads a film's segments: it needs --segment-seconds above 0")
    from colorcli.segments import WorkFolder

    # a shard of a job array that starts after the others joined the film has nothing to do
    joined = shard is not None and dst.exists() and not overwrite
    joined = joined and not WorkFolder(dst).path.exists()
    if sink is not None:
        fmt = pipe_format
        opts = opts.for_container(fmt)
    elif "%" in dst.name:  # numbered frames out (colorcli.sequence)
        from colorcli.sequence import check_sequence_output

        check_sequence_output(dst)
        fmt, opts = "sequence", opts.for_container("matroska")
    else:
        opts = opts.for_container(VIDEO_CONTAINERS.get(dst.suffix.lower(), ""))
        fmt = check_output(src, dst, opts.codec, overwrite or joined)
    info = info_of(source, src, peek=False) if source is not None else probe_video(src, opts.rate)
    if fmt == "mxf" and not mxf_takes_rate(info.rate or Fraction(25)):
        raise OutputPathError(
            f"{dst}: MXF takes broadcast frame rates only (24, 25, 30, 48, 50, 60 and their "
            f"1000/1001 kin); this film runs at {float(info.rate or 25):.3g} fps: use .mov or .mkv"
        )
    promised = info.frames or (
        round(info.duration * float(info.rate)) if info.duration and info.rate else 0
    )
    expected = info.frames
    if (opts.start is not None or opts.end is not None) and info.rate and info.duration:
        span = (opts.end if opts.end is not None else info.duration) - (opts.start or 0.0)
        expected = max(0, round(span * float(info.rate)))
    return VideoJob(
        src, dst, opts, overwrite, fmt, info, expected, promised, damaged_dst, shard, restart,
        joined, source, sink,
    )  # fmt: skip


def colorize_video(job: VideoJob, colorizer: AbPredictor) -> Iterator[Event]:
    """Colour a prepared film; yields VideoStart, Notice, Frames and VideoDone events.

    The output appears under ``job.dst`` only when complete; on any error or interruption the
    temporary file is removed and nothing else is touched. A segmented job keeps its finished
    segments for a rerun (``colorcli.segmented``); VideoDone's path is then "" when other runs
    still have segments to do.
    """
    yield VideoStart(job.info, job.expected)
    if job.joined:
        yield Notice(f"{job.dst}: already joined by another run; nothing left to do")
        yield VideoDone(0, 0.0, 0, job.promised, 0, str(job.dst), None)
        return
    if job.opts.refs is not None or job.opts.reference is not None:
        job = dataclasses.replace(job, refs=_refs(job, colorizer))
        for note in job.refs.notices:
            yield Notice(note)
    if not job.info.timed:
        yield Notice(
            f"{job.src}: a raw stream without timestamps: its frames are timed at {float(job.info.rate or 25):g} frames/s, and it is coloured in one go (no resume)"
        )
    if job.fmt == "sequence":
        from colorcli.sequence import colorize_to_sequence

        yield from colorize_to_sequence(job, colorizer)
    elif job.segmented:
        from colorcli.segmented import colorize_segmented

        yield from colorize_segmented(job, colorizer)
    else:
        yield from _continuous(job, colorizer)


def _refs(job: VideoJob, colorizer: AbPredictor) -> RefGuide | None:
    """The stills of ``--refs`` (or made after ``--reference``) for this film, or None."""
    if job.opts.refs is None and job.opts.reference is None:
        return None
    from colorcli.guide import palette_of
    from colorcli.refs import load_refs, read_reference, reference_guide

    bins = colorizer.ab_bins if colorizer.takes_hints else None
    if job.opts.reference is not None:
        ref, note = read_reference(job.opts.reference)
        return reference_guide(
            job.src,
            job.opts.rate,
            colorizer.net_shape(job.info.height, job.info.width),
            colorizer,
            ref,
            None if bins is None else (lambda ab: palette_of(ab, bins)),
            [note] if note else [],
        )
    return load_refs(
        Path(job.opts.refs),
        job.src,
        job.opts.rate,
        colorizer.net_shape(job.info.height, job.info.width),
        job.promised,
        None if bins is None else (lambda ab: palette_of(ab, bins)),
    )


def _continuous(job: VideoJob, colorizer: AbPredictor) -> Iterator[Event]:
    """The film as one encode, straight into OUT's temporary file (or onto the pipe)."""
    opts = job.opts
    t0 = time.perf_counter()
    tmp = temp_sibling(job.dst) if job.sink is None else job.sink
    meter = TemporalMeter() if opts.stats else None
    claim = Claim(job.dst) if job.sink is None else contextlib.nullcontext()
    source = job.source if job.source is not None else open_input(job.src, opts.rate)
    with claim, side_threads() as threads, contextlib.closing(source) as inp:
        try:
            reader, writer, colourer = yield from _run(job, colorizer, inp, tmp, threads, meter, t0)
            if reader.decoded == 0:
                raise MediaError(
                    job.src,
                    "no video frames could be decoded"
                    + (" in the --start/--end range" if opts.start or opts.end else ""),
                )
            lost, promised = job.account(
                reader.decoded, reader.seen, 0, reader.discarded, reader.end
            )
            final = job.damaged_dst if lost and job.damaged_dst is not None else job.dst
            shape = None
            if job.sink is None:
                shape = carry_pixel_aspect(tmp, job.fmt, job.info)
                commit(tmp, final, job.overwrite)
        finally:
            if job.sink is None:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
    if job.sink is not None:
        shape = pipe_pixel_aspect(job.info, job.opts.codec)
    if shape is not None:
        yield Notice(shape)
    if reader.rescaled:
        yield Notice(job.rescaled_notice(len(reader.rescaled)))
    if reader.collided:
        yield Notice(job.collided_notice(len(reader.collided)))
    damage = job.damage(reader.decoded, lost, promised, reader.bad_packets)
    if damage is not None:
        yield damage
    stats = meter.as_dict() if meter is not None else None
    if stats is not None:
        stats["smoothing_resets"] = colourer.resets
    yield VideoDone(
        writer.encoded, time.perf_counter() - t0, lost, promised, reader.bad_packets,
        str(final), stats,
    )  # fmt: skip


def _run(job: VideoJob, colorizer: AbPredictor, inp, tmp: Path, threads: int, meter, t0: float):
    """Open the writer, decode, colour, encode, flush, close: the film into ``tmp``. Yields
    Notice and Frames events; returns the reader, the writer and the colourer (their counts)."""
    info, opts = job.info, job.opts
    every = opts.keyframes_for(colorizer.device_type)
    depth = colorizer.batch_size * every + _QUEUE_FRAMES
    stop = threading.Event()
    vin = film_stream(inp)
    vin.thread_type = "AUTO"
    writer = FilmWriter(job.dst, tmp, job.fmt, inp, info, opts, stop, depth)
    route = pick_route(vin.codec_context, info.bit_depth > 8, writer.pix_fmt)
    reader = FilmReader(
        job.src, inp, info, route.decode_format, route.luma_only, opts, writer.passthrough,
        stop, depth,
    )  # fmt: skip
    colourer = FilmColourer(colorizer, route, every, opts.smoothing, opts.sigma_l, job.refs)
    try:
        writer.start(
            route.new_frame,
            route.color_tags,
            (lambda vf: meter.update(route.to_rgb8(vf))) if meter is not None else None,
            # the codec's threads have the cores: composing serially there costs less CPU
            # than a parallel kernel that waits on them
            lambda: numba.set_num_threads(min(numba.get_num_threads(), threads)),
        )
        for n in writer.notices:
            yield Notice(n)
        reader.start()
        for item in reader:  # decode
            if item[0] != "frame":
                writer.put(item)  # a copied packet goes straight to the muxer
                continue
            ready = colourer.add(item[1], item[2])  # colour
            if ready:
                yield _send(writer, ready, t0)  # encode
        ready = colourer.flush()
        if ready:
            yield _send(writer, ready, t0)
        writer.finish()  # flush, close
    finally:
        stop.set()
        writer.abort()
        reader.join()
    return reader, writer, colourer


def _send(writer: FilmWriter, ready: list, t0: float) -> Frames:
    """Hand coloured frames to the writer's thread (composing happens there, so the network can
    start on the next batch meanwhile)."""
    for c in ready:
        writer.put(("frame", c.pts, c.payload, c.ab))
    return Frames(len(ready), time.perf_counter() - t0)


__all__ = ["VideoJob", "colorize_video", "prepare_video", "probe_video"]
