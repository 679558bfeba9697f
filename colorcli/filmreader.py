"""Film decoding on a thread of its own: :class:`FilmReader` demuxes and decodes and hands out
frames (and the packets of the streams that are copied) in order. No model here.

A seek that lands past its keyframe (MPEG-TS) is stepped back; the times of a stream whose
container gives frames their decode-order times (AVI with B-frames) are put back in order;
frames a damaged stream lets out of order are dropped and counted; frames of another size are
scaled to the film's; times that restart stop the film with one line.
"""

from __future__ import annotations

import collections
import heapq
import threading
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np

from colorcli.compose import plane_view
from colorcli.copies import in_window, passthrough_items
from colorcli.errors import MediaError
from colorcli.linearlight import display_coded
from colorcli.options import VideoOptions
from colorcli.packets import EmptyChunks, check_continuous, demux, later_end
from colorcli.videoprobe import VideoInfo, film_stream, unseekable_reason
from colorcli.workers import Worker

# frames held back to put the times of a stream with B-frames in order (see Reorder)
REORDER_DEPTH = 8


class Reorder:
    """A decoder hands out frames in presentation order, but some containers (AVI, which
    keeps no presentation times) give them the times of their packets, in decode order: an
    AVI with B-frames came out as 1, 4, 3, 5, 2... Holding back ``depth`` frames and giving
    each the earliest time pending puts the times back in order; with times already in order
    nothing changes (but the delay)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.times: list[int] = []  # a heap
        self.items: collections.deque = collections.deque()

    def push(self, pts: int, item) -> Iterator[tuple[int, Any]]:
        heapq.heappush(self.times, pts)
        self.items.append(item)
        while len(self.items) > self.depth:
            yield heapq.heappop(self.times), self.items.popleft()

    def flush(self) -> Iterator[tuple[int, Any]]:
        while self.items:
            yield heapq.heappop(self.times), self.items.popleft()


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


class FilmReader(Worker):
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
        # packets the container marks as not shown (an MP4's edit list), an AVI's empty chunks
        self.discarded = 0
        # seconds where the file's packets end (of every stream, where the film's length is
        # the container's: what tells a cut-off file from sound that outlasts the pictures)
        self.end: float | None = None
        self.rescaled = array("q")  # the pts of frames of another size, scaled to the film's
        self.seen = array("q")  # the pts of every frame handed out
        self._top: tuple[int, int] | None = None  # the latest picture's (pts, own duration)
        # the pts of frames passed over for sharing their time with the frame before (where
        # two recordings were joined, the second's first picture may take the first's last)
        self.collided = array("q")
        self.seek_pts: int | None = None
        self.first_pts: int | None = None
        self._halt = threading.Event()

    def start(self) -> None:
        self.thread.start()

    def halt(self) -> None:
        self._halt.set()

    def _in_range(self, t: float | None) -> bool:
        return in_window(t, (self.opts.start, self.opts.end))

    def _frames(self, packet) -> Iterator[tuple[int, np.ndarray]]:
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            self.bad_packets += 1
            return
        for frame in frames:
            if frame.pts is None or not self.info.timed:  # a raw stream: at the average rate
                pending = self._reorder.times
                prev = max(pending) if pending else self._last
                pts = 0 if prev is None else prev + self.info.step
            else:
                pts = frame.pts
                if self._top is None or pts > self._top[0]:
                    self._top = (pts, int(frame.duration or 0))
            yield from self._reorder.push(pts, self._array(frame))

    @property
    def last_shown(self) -> int | None:
        """How long the film's last picture is shown (its own duration, in the stream's time
        base), where the frames handed out end with it and its packet says; else None."""
        top = self._top
        if top is None or not top[1] or not self.seen or self.seen[-1] != top[0]:
            return None
        return top[1]

    def _in_order(
        self, timed: Iterator[tuple[int, np.ndarray]]
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Frames whose time is behind one already handed out: a straggler the decoder lets
        out after damage, behind frames already out, has no place left in the film."""
        for pts, (arr, scaled) in timed:
            if pts == self._last:  # one time, two pictures: only one can be shown there
                self.collided.append(pts)
                continue
            if self._last is not None and pts < self._last:
                self.bad_packets += 1
                continue
            self._last = pts
            if scaled:
                self.rescaled.append(pts)
            yield pts, arr

    def _array(self, frame: av.VideoFrame) -> tuple[np.ndarray, bool]:
        """The frame as the colourer takes it, and whether it was scaled to the film's size."""
        scaled = False
        size = (self.info.width, self.info.height)
        frame = display_coded(frame)
        if (frame.width, frame.height) != size:
            # the picture changes size mid-film (a broadcast switching format): scaled to
            # the film's first size, as ffmpeg does
            frame = frame.reformat(width=size[0], height=size[1], format=self.frame_format)
            scaled = True
        elif frame.format.name != self.frame_format:
            frame = frame.reformat(format=self.frame_format)
        # the luma plane itself, no copy: chroma of a gray film is unused
        return (plane_view(frame.planes[0]) if self.luma_only else frame.to_ndarray()), scaled

    def _seek(self, vin, target: int) -> None:
        """Seek so that decoding starts at a keyframe at or before ``target`` (a pts). Some
        demuxers (MPEG-TS) land after it, and decoding would then start at a later keyframe
        and drop every frame between: where the first keyframe found is past ``target``, seek
        again a second earlier, then two, four... no earlier than the stream's start, and at
        last to the file's first byte (where some demuxers, AVI without its index, land
        anywhere)."""
        at, step = target, max(1, round(1 / vin.time_base))
        floor = vin.start_time
        for _ in range(_SEEK_TRIES):
            if floor is not None and at < floor:
                at = floor
            try:
                self.inp.seek(at, stream=vin, backward=True)
            except av.error.FFmpegError:
                break  # before the start, or a stream that cannot seek by time
            key = _first_keyframe(self.inp, vin)
            # no keyframe at all from the landing on: it landed past the last one before
            # ``target`` (a TS whose only keyframe is its first)
            if key is not None and key <= target:
                self.inp.seek(at, stream=vin, backward=True)  # again: the check read packets
                return
            if floor is not None and at <= floor:
                break  # from the stream's start on, no keyframe at or before ``target``
            at, step = at - step, step * 2
        # the file's first byte: the frames before the one wanted are passed by
        self.inp.seek(0, unsupported_byte_offset=True)

    def run(self) -> None:
        try:
            vin = film_stream(self.inp)
            streams = [vin] + [s for s in self.inp.streams if s.index in self.passthrough]
            if self.info.shared_duration:
                streams = list(self.inp.streams)
            self._last, end, last_dts = None, self.opts.end, None
            empty = EmptyChunks(self.inp)
            self._reorder = Reorder(REORDER_DEPTH if vin.codec_context.has_b_frames else 0)
            self._finished = False
            if self.seek_pts is not None:
                self._seek(vin, self.seek_pts)
            for packet in demux(self.inp, *streams):
                if self.stop.is_set() or self._halt.is_set():
                    return
                idx = packet.stream.index
                self.end = later_end(self.end, packet)
                if idx == vin.index:
                    if self._finished:
                        continue
                    last_dts = check_continuous(self.src, packet, last_dts)
                    empty.see(packet)
                    if packet.size and packet.is_discard:
                        self.discarded += 1
                    if not self._hand_out(self._in_order(self._frames(packet)), end):
                        return
                elif idx in self.passthrough:
                    window = (self.opts.start, self.opts.end)
                    for item in passthrough_items(self.passthrough, packet, window):
                        self.put(item)
            if not self._finished:
                self._hand_out(self._in_order(self._reorder.flush()), end)
            self.discarded += empty.count  # an AVI's empty chunks hold, and are not lost
        except av.error.FFmpegError as e:
            reason = unseekable_reason(self.inp, self.src) if not self.decoded else None
            raise MediaError(self.src, reason or f"video decoding failed: {e}") from e
        finally:
            self.put(("end",))

    def _hand_out(self, timed: Iterator[tuple[int, np.ndarray]], end: float | None) -> bool:
        """Queue the frames within --start/--end (and from ``first_pts``); False when the
        run was stopped."""
        for pts, arr in timed:
            t = float(pts * self.info.time_base)
            if end is not None and t >= end - 1e-6:
                self._finished = True
                return True
            if self.first_pts is not None and pts < self.first_pts:
                continue
            if self._in_range(t):
                self.decoded += 1
                self.seen.append(pts)
                if not self.put(("frame", pts, arr)):
                    return False
        return True

    def __iter__(self) -> Iterator[tuple]:
        while True:
            item = self.get()
            if item[0] == "end":
                if self.error is not None:
                    raise self.error
                return
            yield item
