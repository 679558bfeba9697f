"""Film encoding: :class:`FilmWriter` sets up the output container (video stream, audio /
subtitle / data copies, metadata) and encodes and muxes on a thread of its own, fed by
:class:`colorcli.filmreader.FilmReader` through bounded queues that keep memory flat however
long the film. No model here.

Fidelity: every output frame carries its input frame's pts in the input's time_base (variable
frame rate survives), the size is kept (odd sizes use 4:4:4 chroma), the display rotation is
copied, and so are the sample aspect ratio and the field order of an interlaced film
(:mod:`colorcli.fields`); the other streams go through
:class:`colorcli.copies.StreamCopies`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from colorcli.copies import StreamCopies
from colorcli.errors import MediaError, write_failure
from colorcli.ffurl import ff_url
from colorcli.fields import FieldMarker, mark_fields, needs_marker
from colorcli.filmout import (
    m2ts_options,
    muxer_options,
    output_tags,
    output_trc,
    pick_pix_fmt,
    to_output_format,
)
from colorcli.options import VideoOptions
from colorcli.packets import end_film
from colorcli.shown import keep_display
from colorcli.videoprobe import (
    VideoInfo,
    film_stream,
)
from colorcli.workers import Worker


def keep_pixel_ratio(vout, info: VideoInfo) -> None:
    """Non-square pixels (DV, DVD, anamorphic scans) stay so: the input's sample aspect ratio
    on the output stream (x264 and x265 carry it themselves, MOV, MP4 and MXF beside other
    codecs; Matroska and AVI need :func:`colorcli.pixelaspect.carry_pixel_aspect`)."""
    if info.sar is not None:
        vout.codec_context.sample_aspect_ratio = info.sar


def frame_clock(fmt: str, info: VideoInfo) -> Fraction | None:
    """AVI counts frames, not time: its video runs one tick per frame at the film's rate. On
    a finer clock the muxer fills every gap with an empty "drop" chunk (19 per frame from a
    phone's 1/90000, and players read 600 fps). None for containers with timestamps."""
    if fmt != "avi":
        return None
    rate = Fraction(info.rate or 25).limit_denominator(1001)  # 29.97... is 30000/1001
    return 1 / rate


class VideoMux:
    """An output's video packets muxed; an AVI's first led by an empty packet at tick 0
    where that packet's tick is later (pictures that start after the sound). AVI places a
    chunk by its packet's decode time, and FFmpeg's muxer fills the gaps with empty "drop"
    chunks only after a first packet: without one, the first picture went into chunk 0. With
    no B-frames (an AVI's are encoded without: their decode times ran 1 or 2 ticks ahead of
    their pictures, which AVI cannot say) every picture sits in the chunk of its tick."""

    def __init__(self, out, vout, avi: bool) -> None:
        self.out, self.vout, self.lead = out, vout, avi

    def mux(self, packet: av.Packet) -> None:
        if self.lead:
            self.lead = False
            if packet.dts is not None and packet.dts > 0 and packet.time_base is not None:
                empty = av.Packet(0)
                empty.stream, empty.time_base = self.vout, packet.time_base
                empty.pts = empty.dts = 0
                self.out.mux(empty)
        self.out.mux(packet)


def clock_origin(inp, info: VideoInfo, start: float | None) -> float:
    """Where an AVI's frame clock starts, in the input's seconds: where the input's first
    stream starts (sound that starts before the pictures keeps its lead: empty frames fill
    it), or the section's start (``--start``). AVI times its sound not at all."""
    first = inp.start_time / 1e6 if inp.start_time is not None else info.start
    return min(first, info.start) if start is None else max(info.start, start)


# x264's lookahead by preset (frames it holds before coding one); each frame beyond 4K holds
# far more memory: an 8K film took 5.4 GB in x264 alone at medium's 40, 2.4 GB at 10
X264_LOOKAHEAD = {"ultrafast": 0, "superfast": 0, "veryfast": 10, "faster": 20, "fast": 30,
                  "medium": 40, "slow": 50, "slower": 60, "veryslow": 60, "placebo": 60}  # fmt: skip
UHD_PIXELS = 3840 * 2160


def x264_lookahead(preset: str, width: int, height: int) -> int | None:
    """A shorter x264 lookahead for frames larger than 4K UHD (its memory held about as at 4K,
    never under 10 frames), or None where the preset's own stands."""
    own = X264_LOOKAHEAD.get(preset)
    if own is None or width * height <= UHD_PIXELS:
        return None
    cap = max(10, round(own * UHD_PIXELS / (width * height)))
    return cap if cap < own else None


class FilmWriter(Worker):
    """The output container at ``tmp``: the video stream, copies of the other streams, metadata
    (none with ``video_only``: a segment, whose film is joined later).

    ``put(("frame", pts, payload, ab))`` items are made into frames by ``make_frame`` and
    encoded on the writer's thread; ``("packet", ...)`` and ``("audio", ...)`` items from the
    reader are muxed. ``finish()`` flushes the encoders and closes the file.
    """

    def __init__(
        self,
        dst: Path,
        tmp: Path | BinaryIO,
        fmt: str,
        inp: av.container.InputContainer,
        info: VideoInfo,
        opts: VideoOptions,
        stop: threading.Event,
        depth: int,
        video_only: bool = False,
    ) -> None:
        super().__init__(stop, depth, "colorcli-encode")
        self.dst, self.info, self.notices = dst, info, []
        self.encoded = 0
        self.kept = 0  # of them, frames written as they came (a scene in colour: --keep-colour)
        self.clock = frame_clock(fmt, info)
        # the last picture's (pts, own duration) in the input's time base, set before
        # ``finish``: the packet that ends the film is held back until then to be given it
        self.hold: tuple[int, int] | None = None
        self._held: av.Packet | None = None
        # where tick 0 lies, in seconds (``clock_origin``); a segment's own first frame (the
        # join moves it into place)
        self.origin: float | None = None if video_only else clock_origin(inp, info, opts.start)
        self.last_tick: int | None = None
        self.pix_fmt, extra = pick_pix_fmt(opts.codec, info.width, info.height, info.bit_depth > 8)
        try:
            options = {**muxer_options(fmt, info.time_base), **m2ts_options(dst)}
            target = ff_url(tmp) if isinstance(tmp, Path) else tmp  # a path, or a pipe's stream
            self.out = av.open(target, "w", format=fmt, options=options)
        except (av.error.FFmpegError, OSError) as e:
            raise MediaError(dst, f"cannot write ({e})") from e
        try:
            self.vout = self._video_stream(film_stream(inp).codec_context, opts, extra)
            self.video = VideoMux(self.out, self.vout, self.clock is not None)
        except ValueError as e:  # PyAV: this FFmpeg cannot put the codec in the container
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                self.out.close()
            raise MediaError(dst, f"cannot write ({e})") from e
        self.reformatter = VideoReformatter()  # RGB frames to the encoder's format
        self.mark = None
        if needs_marker(opts.codec, info.fields):
            self.mark = FieldMarker(
                info.fields, info.width, info.height, self.pix_fmt, info.time_base
            )
        self.copies = None
        self.passthrough: dict[int, Callable | None] = {}
        if not video_only:
            window = (opts.start, opts.end)
            self.copies = StreamCopies(
                self.out, inp, fmt, dst.suffix.lstrip("."), self.vout, window
            )
            self.notices += self.copies.notices
            self.passthrough = self.copies.passthrough
            if self.clock is not None:  # AVI: sound that starts late is led by silence
                self.copies.audio_origin = self.origin

    def start(
        self,
        make_frame: Callable[[Any, np.ndarray], av.VideoFrame],
        color_tags: tuple[int, int] | None = None,
        observe: Callable[[av.VideoFrame], None] | None = None,
        thread_setup: Callable[[], None] | None = None,
    ) -> None:
        """Start encoding: ``make_frame(payload, ab)`` builds each frame on the writer's thread
        (after ``thread_setup()`` there), ``observe(frame)`` sees each one written;
        ``color_tags`` (AVColorSpace, AVColorRange) say what the frames' chroma was made for."""
        self.make_frame, self.observe, self.thread_setup = make_frame, observe, thread_setup
        if color_tags is not None:
            self.tags = color_tags
            self.vout.codec_context.colorspace, self.vout.codec_context.color_range = color_tags
        self.thread.start()

    def _video_stream(self, cc_in, opts: VideoOptions, extra: dict[str, str]):
        info, pix_fmt = self.info, self.pix_fmt
        codec_name = "prores_ks" if opts.codec == "prores" else opts.codec
        vout = self.out.add_stream(codec_name, rate=info.rate or Fraction(25))
        vout.width, vout.height, vout.pix_fmt = info.width, info.height, pix_fmt
        vout.time_base = self.clock or info.time_base
        vout.codec_context.time_base = self.clock or info.time_base
        options = dict(extra)
        if opts.codec in ("libx264", "libx265"):
            options.update({"crf": str(opts.crf), "preset": opts.preset})
        if opts.codec == "libx264" and (
            ahead := x264_lookahead(opts.preset, info.width, info.height)
        ):
            options["rc-lookahead"] = str(ahead)
        if opts.codec == "libx265":  # its banner and settings table would reach the terminal
            options["x265-params"] = "log-level=error"
        elif opts.codec == "libvpx-vp9":
            options.update({"crf": str(opts.crf), "b": "0", "row-mt": "1"})
        self.notices += mark_fields(vout, opts.codec, info.fields, options)
        if self.clock is not None:  # AVI: no B-frames (see ``VideoMux``)
            options["bf"] = "0"
        vout.codec_context.options = options
        # the matrix and range of the frames made (``to_output_format``), the transfer they
        # are coded with (``output_trc``), the input's primaries
        self.tags = output_tags(cc_in, pix_fmt, info.height)
        vout.codec_context.colorspace, vout.codec_context.color_range = self.tags
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            vout.codec_context.color_primaries = cc_in.color_primaries
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            if (trc := output_trc(cc_in)) is not None:
                vout.codec_context.color_trc = trc
        keep_display(vout, info.rotation, info.mirror)
        keep_pixel_ratio(vout, info)
        if pix_fmt.startswith("yuv444") and opts.codec in ("libx264", "libx265", "libvpx-vp9"):
            self.notices.append(
                f"odd frame size {info.width}x{info.height}: encoding 4:4:4 chroma to keep every pixel"
            )
        return vout

    def _tick(self, pts: int) -> int:
        """A frame's place on the frame clock: the nearest tick to its time, after the last
        frame's (a variable-rate film's frames keep their order and come as near their times
        as the film's average rate allows)."""
        secs = float(pts * self.info.time_base)
        if self.origin is None:
            self.origin = secs
        tick = max(0, round((secs - self.origin) / self.clock))
        if self.last_tick is not None and tick <= self.last_tick:
            tick = self.last_tick + 1
        self.last_tick = tick
        return tick

    def _mux(self, packets) -> None:
        for p in packets:  # each muxed when the next comes (the last by ``finish``: _end_film)
            if self._held is not None:
                self.video.mux(self._held)
            self._held = p

    def _end_film(self, tail: list) -> None:
        """The film's last packets (the held one and the encoder's flush), the film ended
        where its last picture's own duration (``hold``) ends (``packets.end_film``). An AVI's
        clock gives every chunk one tick."""
        if not (tail and self.hold and self.clock is None and tail[-1].time_base):
            return
        tb = tail[-1].time_base
        top, shown = (round(t * self.info.time_base / tb) for t in self.hold)
        for p in tail:
            end_film(p, top, shown, tail[-1].dts)

    def run(self) -> None:
        if self.thread_setup is not None:
            self.thread_setup()
        try:
            while True:
                item = self.get()
                kind = item[0]
                if kind == "end":
                    return
                if kind == "frame":
                    _, pts, payload, ab = item
                    threads = self.vout.codec_context.thread_count
                    vf = to_output_format(
                        self.make_frame(payload, ab),
                        self.pix_fmt,
                        self.tags,
                        self.reformatter,
                        threads,
                    )
                    if self.clock is None:
                        vf.pts, vf.time_base = pts, self.info.time_base
                    else:
                        vf.pts, vf.time_base = self._tick(pts), self.clock
                    marked = vf if self.mark is None else self.mark(vf, threads)
                    self._mux(self.vout.encode(marked))
                    self.encoded += 1
                    self.kept += ab is None
                    if self.observe is not None:
                        self.observe(vf)
                else:
                    self.copies.mux(*item)
        except (av.error.FFmpegError, OSError) as e:  # OSError: a pipe's writes (PyAV's pyio)
            raise write_failure(self.dst, e, "video encoding failed") from e

    def finish(self) -> None:
        """After the last item: wait for the thread, flush every encoder, close the file."""
        self.put(("end",))
        self.thread.join()
        if self.error is not None:
            raise self.error
        try:
            tail = [*([self._held] if self._held is not None else []), *self.vout.encode(None)]
            self._held = None
            self._end_film(tail)
            for p in tail:
                self.video.mux(p)
            if self.copies is not None:
                self.copies.flush()
            self.out.close()
        except (av.error.FFmpegError, OSError) as e:  # OSError: a pipe's writes (PyAV's pyio)
            raise write_failure(self.dst, e, "video encoding failed") from e
        self.out = None

    def abort(self) -> None:
        self.stop.set()
        self.join()
        if self.out is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                self.out.close()
            self.out = None
