"""Film I/O: the decode and encode threads, and the output container's streams. No model here.

:class:`FilmReader` demuxes and decodes on a thread of its own and hands out frames (and the
packets of the streams that are copied) in order; :class:`FilmWriter` sets up the output
container (video stream, audio / subtitle / data copies, metadata) and encodes and muxes on a
thread of its own. Bounded queues between them keep memory flat however long the film.

Fidelity: every output frame carries its input frame's pts in the input's time_base (variable
frame rate survives), the size is kept (odd sizes use 4:4:4 chroma), the display rotation is
copied, and so are the sample aspect ratio and the field order of an interlaced film
(:mod:`colorcli.fields`); the other streams go through
:class:`colorcli.copies.StreamCopies`. A seek that lands past its keyframe (MPEG-TS) is stepped
back, frames a damaged stream lets out of order are dropped and counted, frames of another size
are scaled to the film's, and times that restart stop the film with one line.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from array import array
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np

from colorcli.compose import plane_view
from colorcli.copies import StreamCopies
from colorcli.errors import MediaError
from colorcli.fields import FieldMarker, mark_fields, needs_marker
from colorcli.options import VideoOptions
from colorcli.videoprobe import (
    VideoInfo,
    check_continuous,
    demux,
    film_stream,
    m2ts_options,
    muxer_options,
    pick_pix_fmt,
)


def keep_pixel_ratio(vout, cc_in) -> None:
    """Non-square pixels (DV, DVD, anamorphic scans) stay so: the input's sample aspect ratio
    on the output stream (x264 and x265 carry it themselves, MOV and MXF beside ProRes)."""
    sar = cc_in.sample_aspect_ratio
    if sar and sar != 1:
        vout.codec_context.sample_aspect_ratio = sar


class _Worker:
    """A thread, the queue it fills or drains, the shared stop flag and its first error."""

    def __init__(self, stop: threading.Event, depth: int, name: str) -> None:
        self.stop, self.error = stop, None
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._guarded, name=name, daemon=True)

    def _guarded(self) -> None:
        try:
            self.run()
        except BaseException as e:  # handed to the calling thread
            self.error = e
            self.stop.set()

    def run(self) -> None:  # pragma: no cover - each worker defines it
        raise NotImplementedError

    def put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> Any:
        while True:
            try:
                return self.q.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return ("end",)

    def join(self) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout=5)


_SEEK_TRIES = 6  # a seek stepping back 1, 2, 4... seconds; then the file's start
_KEY_SCAN = 4096  # packets read after a seek to find the keyframe decoding starts at


def _first_keyframe(inp: av.container.InputContainer, vin) -> int | None:
    """pts of the first keyframe packet of ``vin`` from where ``inp`` stands (None: none
    within ``_KEY_SCAN`` packets, or the stream ended)."""
    for i, p in enumerate(demux(inp, vin)):
        if p.is_keyframe and p.pts is not None:
            return int(p.pts)
        if i >= _KEY_SCAN:
            break
    return None


class FilmReader(_Worker):
    """Decode the first video stream of ``inp`` (as ``frame_format``; with ``luma_only`` the
    luma plane itself, no copy) between ``start`` and ``end`` seconds, and demux the packets of
    the ``passthrough`` streams. Iterate for ``("frame", pts, array)``, ``("packet", index,
    packet)`` and ``("audio", index, frame)`` items in file order.

    ``seek_pts``: start decoding at the keyframe at or before it; ``first_pts``: hand out no
    frame before it (a segment's warm-up starts exactly there); ``halt()`` ends the reading
    early (a run that stops at a segment another run holds).
    """

    def __init__(
        self,
        src: Path,
        inp: av.container.InputContainer,
        info: VideoInfo,
        frame_format: str,
        luma_only: bool,
        opts: VideoOptions,
        passthrough: dict[int, Callable | None],
        stop: threading.Event,
        depth: int,
    ) -> None:
        super().__init__(stop, depth, "colorcli-decode")
        self.src, self.inp, self.info, self.opts = src, inp, info, opts
        self.frame_format, self.luma_only, self.passthrough = frame_format, luma_only, passthrough
        self.decoded = self.bad_packets = 0
        self.seen = array("q")  # the pts of every frame handed out
        self.seek_pts: int | None = None
        self.first_pts: int | None = None
        self._halt = threading.Event()

    def start(self) -> None:
        self.thread.start()

    def halt(self) -> None:
        self._halt.set()

    def _in_range(self, t: float | None) -> bool:
        start, end = self.opts.start, self.opts.end
        return t is None or not (
            (start is not None and t < start - 1e-6) or (end is not None and t >= end - 1e-6)
        )

    def _frames(self, packet) -> Iterator[tuple[int, np.ndarray]]:
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            self.bad_packets += 1
            return
        for frame in frames:
            if frame.pts is None:  # a raw stream: timed at the average rate
                pts = 0 if self._last is None else self._last + self.info.step
            elif self._last is not None and frame.pts <= self._last:
                # a straggler the decoder lets out after damage, behind frames already out:
                # it has no place left in the film
                self.bad_packets += 1
                continue
            else:
                pts = frame.pts
            self._last = pts
            size = (self.info.width, self.info.height)
            if (frame.width, frame.height) != size:
                # the picture changes size mid-film (a broadcast switching format): scaled to
                # the film's first size, as ffmpeg does
                frame = frame.reformat(width=size[0], height=size[1], format=self.frame_format)
            elif frame.format.name != self.frame_format:
                frame = frame.reformat(format=self.frame_format)
            # the luma plane itself, no copy: chroma of a gray film is unused
            yield pts, plane_view(frame.planes[0]) if self.luma_only else frame.to_ndarray()

    def _seek(self, vin, target: int) -> None:
        """Seek so that decoding starts at a keyframe at or before ``target`` (a pts). Some
        demuxers (MPEG-TS) land after it, and decoding would then start at a later keyframe
        and drop every frame between: where the first keyframe found is past ``target``, seek
        again a second earlier, then two, four... and at last to the file's first byte."""
        at, step = target, max(1, round(1 / vin.time_base))
        for _ in range(_SEEK_TRIES):
            try:
                self.inp.seek(at, stream=vin, backward=True)
            except av.error.FFmpegError:
                break  # before the start, or a stream that cannot seek by time
            key = _first_keyframe(self.inp, vin)
            if key is None or key <= target:
                self.inp.seek(at, stream=vin, backward=True)  # again: the check read packets
                return
            at, step = at - step, step * 2
        # the file's first byte: the frames before the one wanted are passed by
        self.inp.seek(0, unsupported_byte_offset=True)

    def run(self) -> None:
        try:
            vin = film_stream(self.inp)
            streams = [vin] + [s for s in self.inp.streams if s.index in self.passthrough]
            self._last, end, finished, last_dts = None, self.opts.end, False, None
            if self.seek_pts is not None:
                self._seek(vin, self.seek_pts)
            for packet in demux(self.inp, *streams):
                if self.stop.is_set() or self._halt.is_set():
                    return
                idx = packet.stream.index
                if idx == vin.index:
                    if finished:
                        continue
                    last_dts = check_continuous(self.src, packet, last_dts)
                    for pts, arr in self._frames(packet):
                        t = float(pts * self.info.time_base)
                        if end is not None and t >= end - 1e-6:
                            finished = True
                            break
                        if self.first_pts is not None and pts < self.first_pts:
                            continue
                        if self._in_range(t):
                            self.decoded += 1
                            self.seen.append(pts)
                            if not self.put(("frame", pts, arr)):
                                return
                elif packet.dts is not None and self._in_range(
                    float(packet.pts * packet.time_base) if packet.pts is not None else None
                ):
                    resample = self.passthrough[idx]
                    if resample is None:
                        self.put(("packet", idx, packet))
                    else:
                        for af in packet.decode():
                            for rf in resample(af):
                                self.put(("audio", idx, rf))
        except av.error.FFmpegError as e:
            raise MediaError(self.src, f"video decoding failed: {e}") from e
        finally:
            self.put(("end",))

    def __iter__(self) -> Iterator[tuple]:
        while True:
            item = self.get()
            if item[0] == "end":
                if self.error is not None:
                    raise self.error
                return
            yield item


class FilmWriter(_Worker):
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
        self.pix_fmt, extra = pick_pix_fmt(opts.codec, info.width, info.height, info.bit_depth > 8)
        try:
            options = {**muxer_options(fmt, info.time_base), **m2ts_options(dst)}
            target = str(tmp) if isinstance(tmp, Path) else tmp  # a path, or a pipe's stream
            self.out = av.open(target, "w", format=fmt, options=options)
        except (av.error.FFmpegError, OSError) as e:
            raise MediaError(dst, f"cannot write ({e})") from e
        self.vout = self._video_stream(film_stream(inp).codec_context, opts, extra)
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
            self.vout.codec_context.colorspace, self.vout.codec_context.color_range = color_tags
        self.thread.start()

    def _video_stream(self, cc_in, opts: VideoOptions, extra: dict[str, str]):
        info, pix_fmt = self.info, self.pix_fmt
        codec_name = "prores_ks" if opts.codec == "prores" else opts.codec
        vout = self.out.add_stream(codec_name, rate=info.rate or Fraction(25))
        vout.width, vout.height, vout.pix_fmt = info.width, info.height, pix_fmt
        vout.time_base = info.time_base
        vout.codec_context.time_base = info.time_base
        options = dict(extra)
        if opts.codec in ("libx264", "libx265"):
            options.update({"crf": str(opts.crf), "preset": opts.preset})
        if opts.codec == "libx265":  # its banner and settings table would reach the terminal
            options["x265-params"] = "log-level=error"
        elif opts.codec == "libvpx-vp9":
            options.update({"crf": str(opts.crf), "b": "0", "row-mt": "1"})
        self.notices += mark_fields(vout, opts.codec, info.fields, options)
        vout.codec_context.options = options
        for attr in ("colorspace", "color_range", "color_primaries", "color_trc"):
            with contextlib.suppress(AttributeError, ValueError, TypeError):
                setattr(vout.codec_context, attr, getattr(cc_in, attr))
        if info.rotation:
            vout.set_display_rotation(info.rotation)
        keep_pixel_ratio(vout, cc_in)
        if pix_fmt.startswith("yuv444") and opts.codec in ("libx264", "libx265", "libvpx-vp9"):
            self.notices.append(
                f"odd frame size {info.width}x{info.height}: encoding 4:4:4 chroma to keep every pixel"
            )
        return vout

    def _mux(self, packets) -> None:
        for p in packets:
            self.out.mux(p)

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
                    vf = self.make_frame(payload, ab)
                    vf.pts, vf.time_base = pts, self.info.time_base
                    marked = (
                        vf
                        if self.mark is None
                        else self.mark(vf, self.vout.codec_context.thread_count)
                    )
                    self._mux(self.vout.encode(marked))
                    self.encoded += 1
                    if self.observe is not None:
                        self.observe(vf)
                else:
                    self.copies.mux(*item)
        except av.error.FFmpegError as e:
            raise MediaError(self.dst, f"video encoding failed: {e}") from e

    def finish(self) -> None:
        """After the last item: wait for the thread, flush every encoder, close the file."""
        self.put(("end",))
        self.thread.join()
        if self.error is not None:
            raise self.error
        try:
            self._mux(self.vout.encode(None))
            if self.copies is not None:
                self.copies.flush()
            self.out.close()
        except av.error.FFmpegError as e:
            raise MediaError(self.dst, f"video encoding failed: {e}") from e
        self.out = None

    def abort(self) -> None:
        self.stop.set()
        self.join()
        if self.out is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                self.out.close()
            self.out = None
