"""A film written as numbered still frames, as film scanners and grading suites exchange them.

``OUT`` is a pattern such as ``out/%06d.tif``: 16-bit TIFF, DPX (10-bit when the input has at
most 10 bits, else 16) or PNG (16-bit when the input is deeper than 8). Frames are numbered as
the input's were (a sequence in) or from 0 (a film in). Each frame file is written atomically,
so a rerun resumes frame by frame: it keeps the frames that exist and starts colouring a few
frames before the first missing one, so the smoother and the keys are what a whole run's are.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numba
import numpy as np

from colorcli.atomic import Claim, check_folder_writable, sibling_base, write_bytes_atomic
from colorcli.compose import RgbRoute
from colorcli.errors import OutputPathError, write_failure
from colorcli.events import Event, Frames, Notice, VideoDone
from colorcli.film import AbPredictor, side_threads
from colorcli.filmjob import no_frames
from colorcli.filmreader import FilmReader
from colorcli.framefiles import frame_sequence, is_sequence
from colorcli.options import SEQUENCE_EXTS
from colorcli.runid import fingerprint
from colorcli.segments import WARMUP_FRAMES, differences, plan_segments
from colorcli.videoprobe import film_stream, open_input
from colorcli.workers import Worker


def check_sequence_output(dst: Path) -> None:
    """OutputPathError for a pattern without a frame number or with an unknown image type;
    MediaError naming it when its folder cannot be written."""
    if dst.suffix.lower() not in SEQUENCE_EXTS:
        raise OutputPathError(
            f"{dst}: numbered frames are written as .tif, .dpx or .png, not {dst.suffix!r}"
        )
    try:
        ok = dst.name % 1 != dst.name % 2
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise OutputPathError(f"{dst}: a frame pattern holds one %d or %0Nd (e.g. %06d.tif)")
    check_folder_writable(dst.parent, dst)


# beside a pattern's frames, hidden: what they were coloured from and how (``runid.fingerprint``
# less the encoder's settings, which frames do not use), so that a rerun resumes only the same
RECORD_MARK = ".colorcli-frames.json"
_ENCODER_KEYS = ("--codec", "--crf", "--preset", "--segment-seconds")


def record_of(dst: Path) -> Path:
    """The record of the frames a pattern ``dst`` names."""
    return dst.with_name(f".{sibling_base(dst.name)}{RECORD_MARK}")


def _keep_or_refuse(job, made: dict, kept: int) -> None:
    """OutputPathError where the ``kept`` frames already there were made otherwise than this
    run would make them (another film, the film as it was before a new export, another model
    or option): a rerun kept them and coloured only the missing ones, a film of two versions.
    Frames without a record (an older colorcli's, or made otherwise) are resumed as before."""
    if job.overwrite or not kept:
        return
    try:
        before = json.loads(record_of(job.dst).read_text())
    except (OSError, ValueError):
        return
    said = differences(before, made)
    if said:
        raise OutputPathError(
            f"{job.dst}: the {kept} frames there were coloured otherwise: {', '.join(said)}; --overwrite colours them all again, or give another folder"
        )


def _pix_fmt(ext: str, bit_depth: int) -> str:
    codec = SEQUENCE_EXTS[ext]
    if codec == "dpx":
        return "gbrp10le" if bit_depth <= 10 else "rgb48le"
    if codec == "png":
        return "rgb48be" if bit_depth > 8 else "rgb24"
    return "rgb48le"  # TIFF: 16 bits whatever came in


class _FrameFiles(Worker):
    """Composes, encodes and writes frames on a thread of its own (beside the network)."""

    def __init__(self, job, paths: list[Path], stop: threading.Event, depth: int) -> None:
        super().__init__(stop, depth, "colorcli-frames")
        ext = job.dst.suffix.lower()
        self.codec, self.paths, self.overwrite = SEQUENCE_EXTS[ext], paths, job.overwrite
        self.pix_fmt = _pix_fmt(ext, job.info.bit_depth)
        # composed at 16 bits: every output is deeper than 8
        self.route = RgbRoute(deep=True, keep=job.opts.keep_colour)
        self.threads = numba.get_num_threads()
        self.written = 0
        self.kept = 0  # of them, frames written as they came (--keep-colour)
        self.turns = job.info.turns  # a still holds no display rotation: frames go upright

    def _encoder(self, width: int, height: int):
        cc = av.CodecContext.create(self.codec, "w")
        cc.width, cc.height, cc.pix_fmt = width, height, self.pix_fmt
        cc.time_base = Fraction(1, 25)
        cc.open()
        return cc

    def run(self) -> None:
        numba.set_num_threads(self.threads)
        cc = None
        while True:
            item = self.get()
            if item[0] == "end":
                return
            _, index, payload, ab = item
            frame = self.route.new_frame(payload, ab)
            if self.turns:
                upright = np.ascontiguousarray(np.rot90(frame.to_ndarray(), self.turns))
                frame = av.VideoFrame.from_ndarray(upright, format=frame.format.name)
            frame = frame.reformat(format=self.pix_fmt)
            if cc is None:
                cc = self._encoder(frame.width, frame.height)
            frame.pts = index
            data = b"".join(bytes(p) for p in cc.encode(frame))
            cc = None if self.codec != "png" else cc  # TIFF and DPX encoders keep no state
            path = self.paths[index]
            try:
                write_bytes_atomic(path, data, overwrite=self.overwrite)
            except FileExistsError:
                continue  # another run wrote it meanwhile: its frame stands
            except OSError as e:
                raise write_failure(path, e) from e
            self.written += 1
            self.kept += ab is None

    def finish(self) -> None:
        self.put(("end",))
        self.thread.join()
        if self.error is not None:
            raise self.error


def colorize_to_sequence(job, colorizer: AbPredictor) -> Iterator[Event]:
    """Colour a prepared film into numbered frames; yields Notice, Frames and VideoDone."""
    t0 = time.perf_counter()
    opts = dataclasses.replace(job.opts, segment_seconds=0.0)
    plan = plan_segments(job.src, job.info.time_base, opts)
    if not plan.pts:
        raise no_frames(job.src, job.opts)
    base = 0
    if is_sequence(job.src):  # frame N of the scans comes out as frame N
        offset = round(float(plan.pts[0] * job.info.time_base) * opts.rate)
        base = frame_sequence(job.src)[1] + offset
    paths = [Path(str(job.dst) % (base + i)) for i in range(len(plan.pts))]
    todo = [i for i, p in enumerate(paths) if job.overwrite or not p.exists()]
    every = opts.keyframes_for(colorizer.device_type)
    made = {k: v for k, v in fingerprint(job, colorizer, every).items() if k not in _ENCODER_KEYS}
    made = json.loads(json.dumps(made))  # as a record reads back
    _keep_or_refuse(job, made, len(paths) - len(todo))
    if not todo:
        yield Notice(f"{job.dst}: all {len(paths)} frames are there already")
        yield VideoDone(0, time.perf_counter() - t0, 0, job.promised, 0, str(job.dst), None)
        return
    if len(todo) < len(paths):
        yield Notice(
            f"resuming: {len(paths) - len(todo)} of {len(paths)} frames are there and kept"
        )
    warm = max(0, todo[0] - max(WARMUP_FRAMES, 2 * every))
    wanted = set(todo)
    stop = threading.Event()
    with Claim(job.dst), side_threads(), contextlib.closing(open_input(job.src, opts.rate)) as inp:
        write_bytes_atomic(record_of(job.dst), (json.dumps(made, indent=1) + "\n").encode())
        film_stream(inp).thread_type = "AUTO"
        depth = colorizer.batch_size * every + 8
        route = RgbRoute(deep=True, keep=job.opts.keep_colour)
        reader = FilmReader(
            job.src, inp, job.info, route.decode_format, False, opts, {}, stop, depth
        )
        reader.seek_pts, reader.first_pts = plan.seek_pts(warm), plan.pts[warm]
        writer = _FrameFiles(job, paths, stop, depth)
        colourer = job.colourer(colorizer, route, every)
        try:
            writer.thread.start()
            reader.start()
            for item in reader:
                index = bisect.bisect_left(plan.pts, item[1])
                if index >= len(plan.pts) or plan.pts[index] != item[1]:
                    continue  # a frame the plan does not hold (outside --start/--end)
                ready = colourer.add(item[1], item[2], index)
                yield from _send(writer, ready, wanted, t0)
            yield from _send(writer, colourer.flush(), wanted, t0)
            writer.finish()
            if (changed := job.changed()) is not None:
                raise changed
        finally:
            stop.set()
            reader.join()
            writer.join()
    yield VideoDone(
        writer.written, time.perf_counter() - t0, 0, job.promised, reader.bad_packets,
        str(job.dst), kept=writer.kept,
    )  # fmt: skip


def _send(writer: _FrameFiles, ready, wanted: set[int], t0: float) -> Iterator[Event]:
    n = 0
    for c in ready:
        if c.index in wanted:  # warm-up frames and frames already there are not written
            writer.put(("frame", c.index, c.payload, c.ab))
            n += 1
    if n:
        yield Frames(n, time.perf_counter() - t0)
