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
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import cv2
import numba

from colorcli.atomic import Claim, temp_sibling
from colorcli.compose import pick_route
from colorcli.device import is_oom
from colorcli.errors import ConfigError, DeviceError, MediaError, OutputPathError, TimesRestart
from colorcli.events import Event, Frames, Notice, VideoDone, VideoStart
from colorcli.film import AbPredictor, side_threads
from colorcli.filmguide import film_guide
from colorcli.filmjob import VideoJob, dvd_title_note, from_film_start, no_frames, section_counts
from colorcli.filmout import check_output, mxf_takes_rate
from colorcli.filmreader import FilmReader
from colorcli.framefiles import frames_out
from colorcli.imageio import read_image
from colorcli.metrics import TemporalMeter
from colorcli.options import VIDEO_CONTAINERS, VideoOptions
from colorcli.pipes import open_pipe
from colorcli.pixelaspect import carry_pixel_aspect, pipe_pixel_aspect
from colorcli.retime import retimed_copy
from colorcli.runid import input_identity
from colorcli.videoio import FilmWriter
from colorcli.videoprobe import (
    PIPE_IN,
    PIPE_OUT,
    film_stream,
    info_of,
    open_input,
    probe_video,
    read_as,
)
from colorcli.words import counted

_QUEUE_FRAMES = 8  # frames in flight per queue, beyond the batch


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
    source = sink = probed = None
    if not isinstance(src, str | Path):
        (source, probed), src = open_pipe(src, PIPE_IN), PIPE_IN
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
    elif frames_out(dst):  # numbered frames out (colorcli.sequence)
        from colorcli.sequence import check_sequence_output

        check_sequence_output(dst)
        fmt, opts = "sequence", opts.for_container("matroska")
    else:
        opts = opts.for_container(VIDEO_CONTAINERS.get(dst.suffix.lower(), ""))
        fmt = check_output(src, dst, opts.codec, overwrite or joined)
    if source is not None:  # a pipe: probed as the pipe began (its opening read twice)
        info = probed or info_of(source, src, peek=False)
    else:
        info = probe_video(src, opts.rate)
    if fmt == "mxf" and not mxf_takes_rate(info.rate or Fraction(25)):
        raise OutputPathError(
            f"{dst}: MXF takes broadcast frame rates only (24, 25, 30, 48, 50, 60 and their "
            f"1000/1001 kin); this film runs at {float(info.rate or 25):.3g} fps: use .mov or .mkv"
        )
    opts = from_film_start(src, info, opts)
    expected, promised = section_counts(info, opts)
    return VideoJob(
        src, dst, opts, overwrite, fmt, info, expected, promised, damaged_dst, shard, restart,
        joined, source, sink, origin=info.start,
        identity=None if source is not None else input_identity(src),
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
    if (note := dvd_title_note(job.src)) is not None:
        yield Notice(note)
    if job.info.in_colour:
        yield Notice(f"{job.src}: already in colour (its opening pictures): {_fate(job)}")
    if job.info.wide:
        yield Notice(
            f"{job.src}: a {job.info.wide} film: coloured as SDR BT.709 video and tagged as it came, so its colours may look stronger than meant where the tags are followed (its lightness is kept)"
        )
    if job.info.transparent:
        yield Notice(
            f"{job.src}: its alpha channel (transparency) is not kept: the coloured film is opaque"
        )
    try:
        try:
            yield from _film(job, colorizer)
        except TimesRestart as e:
            if job.source is not None or job.sink is not None or read_as(job.src) is not None:
                raise  # a pipe's film cannot be copied first
            yield from _joined_film(job, colorizer, e)
    except MediaError as e:  # a film that changed as it was read: said so, not what it became
        if (changed := job.changed()) is None:
            raise
        raise changed from e
    except (MemoryError, cv2.error) as e:  # beyond the network's own back-off: its input
        if not is_oom(e):
            raise
        size = f" at size {colorizer.size}" if getattr(colorizer, "size", None) else ""
        raise DeviceError(
            f"out of memory on the host colouring its {job.info.width}x{job.info.height} frames{size}; try a smaller --size"
        ) from e


def negative_refused(piped: bool) -> None:
    """ConfigError where a film of negatives cannot be coloured: from or to a pipe (its base
    is read off pictures sampled through the file first)."""
    if piped:
        raise ConfigError(
            "--negative needs the film as files, not a pipe: its base is read from pictures sampled through it first"
        )


def printed(job: VideoJob, pictures: list) -> VideoJob:
    """The job of a film of scanned negatives: printed by one curve read off ``pictures``
    (sampled through it); a negative has no scenes in colour to keep. MediaError where no
    picture could be sampled."""
    from colorcli.negative import film_printer

    opts = dataclasses.replace(job.opts, keep_colour=False)
    printer = film_printer(job.src, [p.rgb for p in pictures])
    return dataclasses.replace(job, opts=opts, printer=printer)


def _joined_film(job: VideoJob, colorizer: AbPredictor, e: TimesRestart) -> Iterator[Event]:
    """A film whose times restart (recordings joined into one file), coloured as one: read
    from a copy of its packets beside the output whose later parts follow on
    (``colorcli.retime``), removed at the end."""
    where = f" at {e.at:.1f} s" if e.back else ""
    yield Notice(
        f"{job.src}: its timestamps restart{where} (recordings joined into one file): coloured as one film, each later part following on from the one before (a copy of the film's packets is kept beside the output while it works)"
    )
    with retimed_copy(job.src, job.dst) as parts:
        info = probe_video(job.src, job.opts.rate)
        expected, promised = section_counts(info, job.opts)
        retimed = dataclasses.replace(job, info=info, expected=expected, promised=promised)
        yield Notice(f"{job.src}: {parts} parts, {info.duration or 0:.1f} s in all")
        yield VideoStart(info, expected)  # the film as one: its frames counted again
        yield from _film(retimed, colorizer)


def _fate(job: VideoJob) -> str:
    """What becomes of a film's scenes already in colour."""
    if job.opts.keep_colour:
        return "its scenes in colour are kept as they came (--keep-colour)"
    return "recoloured from its lightness alone (--keep-colour keeps its scenes in colour)"


def _film(job: VideoJob, colorizer: AbPredictor) -> Iterator[Event]:
    """The film's work, by its route: numbered frames, segments, or one encode."""
    negative = getattr(colorizer, "negative", False)
    if negative:
        negative_refused(job.piped)
    if not job.piped:
        from colorcli.compose import lightness
        from colorcli.filmbars import bars_of
        from colorcli.filmsample import colour_note, sample_film
        from colorcli.levels import film_levels

        pictures = sample_film(job.src, float(job.info.rate or job.opts.rate))
        if negative:  # its prints are what is seen from here on
            job = printed(job, pictures)
            pictures = [dataclasses.replace(p, rgb=job.printer(p.rgb)) for p in pictures]
        elif not job.info.in_colour and (note := colour_note(job.src, pictures)) is not None:
            yield Notice(f"{note}: {_fate(job)}")
        lums = [lightness(p.rgb) for p in pictures]
        if colorizer.margins:
            job = dataclasses.replace(job, bars=bars_of(lums))
            if job.bars is not None:
                yield Notice(f"{job.src}: {job.bars.describe(job.info.width, job.info.height)}")
        job = dataclasses.replace(job, levels=film_levels(lums, job.bars))
        del pictures, lums  # not held through the run
    if job.opts.refs is not None or job.opts.reference is not None:
        job = dataclasses.replace(job, refs=(yield from film_guide(job, colorizer)))
        for note in job.refs.notices:
            yield Notice(note)
    if not job.info.timed:
        yield Notice(
            f"{job.src}: a raw stream without timestamps: its frames are timed at {float(job.info.rate or 25):g} frames/s, and it is coloured in one go (no resume)"
        )
    cards = getattr(colorizer, "cards_found", 0)
    if job.fmt == "sequence":
        from colorcli.sequence import colorize_to_sequence

        yield from colorize_to_sequence(job, colorizer)
    elif job.segmented:
        from colorcli.segmented import colorize_segmented

        yield from colorize_segmented(job, colorizer)
    else:
        yield from _continuous(job, colorizer)
    if (cards := getattr(colorizer, "cards_found", 0) - cards) > 0:
        yield Notice(
            f"{job.src}: {counted(cards, 'key frame')} of lettering on a plain ground (title cards) left in their own tone, and the frames carried from them (--colour-cards colours them)"
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
        job.refuse_written()
        try:
            reader, writer, colourer = yield from _run(job, colorizer, inp, tmp, threads, meter, t0)
            if reader.decoded == 0:
                raise no_frames(job.src, opts)
            lost, promised = job.account(
                reader.decoded, reader.seen, 0, reader.discarded, reader.end, reader.last_shown,
                reader.bad_packets,
            )  # fmt: skip
            final = job.damaged_dst if lost and job.damaged_dst is not None else job.dst
            shape = None
            if job.sink is None:
                shape = carry_pixel_aspect(tmp, job.fmt, job.info)
                job.commit(tmp, final)
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
        str(final), stats, kept=writer.kept,
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
    route = pick_route(
        vin.codec_context, info.bit_depth > 8, writer.pix_fmt, opts.keep_colour, job.negative
    )
    reader = FilmReader(
        job.src, inp, info, route.decode_format, route.luma_only, opts, writer.passthrough,
        stop, depth,
    )  # fmt: skip
    colourer = job.colourer(colorizer, route, every)
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
        if reader.last_shown:  # the last picture handed out, held for its own duration
            writer.hold = (reader.seen[-1], reader.last_shown)
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
