"""Join a film's finished segments into one file: packets copied, nothing re-encoded.

The video packets of the segments (each segment is OUT's own container, so its time base and
codec tags are what OUT takes) go into one stream made from the first segment's; every pts is
kept as encoded. A decode timestamp the segment's container did not keep (Matroska stores none
for the first packets of each segment) or one that would run backwards at a join is set just
after the one before, never past its pts. The input's audio, subtitle and data streams are
copied (or transcoded) once, interleaved by time with the video, with the global metadata.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av

from colorcli.copies import StreamCopies, passthrough_items
from colorcli.errors import MediaError, write_failure
from colorcli.ffurl import ff_url
from colorcli.filmout import m2ts_options, muxer_options
from colorcli.packets import demux, end_film
from colorcli.pixelaspect import carry_pixel_aspect
from colorcli.segments import Plan, WorkFolder
from colorcli.shown import keep_display
from colorcli.videoio import VideoMux, clock_origin, frame_clock, keep_pixel_ratio
from colorcli.videoprobe import VideoInfo, open_input


def _first_times(path: Path) -> tuple[Fraction, int, Fraction, tuple[int | None, int | None]]:
    """A segment's time base, its first picture's time, how far its decode times run ahead
    of its pictures (x264's B-frames: two frames; a segment of a few frames may have none),
    and its last picture's time and last decode time. An AVI segment's pictures are in the
    chunks of their ticks (no B-frames: ``videoio.VideoMux``), and its presentation times are
    the reader's guesses: its decode times are taken."""
    try:
        with av.open(ff_url(path)) as c:
            s = c.streams.video[0]
            avi = c.format.name == "avi"
            pts, dts = [], []
            for p in c.demux(s):
                if p.size:
                    pts.append(p.dts if avi else p.pts)
                    dts.append(p.dts)
    except av.error.FFmpegError as e:
        raise MediaError(path, f"segment cannot be read ({e}); rerun with --restart") from e
    first = min((t for t in pts if t is not None), default=0)
    lead = max(0, first - dts[0]) if dts and dts[0] is not None else 0
    top = max((t for t in pts if t is not None), default=None)
    return s.time_base, first, lead * s.time_base, (top, dts[-1] if dts else None)


def _video_packets(
    work: WorkFolder, plan: Plan, vout, time_base: Fraction, origin: float = 0.0
) -> Iterator[tuple[float, int, object]]:
    """(seconds, order, packet) of every segment's video, decode order, dts made monotonic;
    ``origin``: the input time the output's clock starts from (AVI: the film's start)."""
    held = [seg for seg in plan.segments if not work.empty(seg.index)]
    times = {seg.index: _first_times(work.segment(seg.index)) for seg in held}
    # every segment's decode times lead its pictures as far as the most leading one's, as
    # one encode's do: where a segment of a few frames had no B-frames, the next one's
    # decode times fell behind its last and were crowded after it, and MP4 then counted the
    # film short by that lead (a slideshow of 10 s as 6 s)
    lead = max((t[2] for t in times.values()), default=Fraction(0))
    # the film's last picture is shown as long as the input shows it (the encoder gave it one
    # frame at the film's average rate: a variable-rate film's held last picture was cut short)
    final = held[-1].index if held and held[-1].first + held[-1].count == len(plan.pts) else None
    last: int | None = None
    order = 0
    for seg in held:
        path = work.segment(seg.index)
        tb, first_time, own_lead, (top, last_dts) = times[seg.index]
        # a record from before first_pts was kept: the plan's first frame
        want = work.read_record(seg.index).get("first_pts", plan.pts[seg.first])
        # ticks to add so that its first frame shows at ``want`` seconds: 0 where the
        # container kept absolute times (MP4, Matroska), the segment's start where it
        # begins every file at zero (MXF counts edit units)
        shift = round((want * time_base - origin) / tb) - first_time
        early = round((lead - own_lead) / tb)
        hold = None  # (the last picture's pts, how long it is shown, the last decode time)
        if seg.index == final and plan.last_duration and top is not None:
            hold = (top, round(plan.last_duration * time_base / tb), last_dts)
        try:
            c = av.open(ff_url(path))
        except av.error.FFmpegError as e:
            raise MediaError(path, f"segment cannot be read ({e}); rerun with --restart") from e
        with c:
            s = c.streams.video[0]
            for p in c.demux(s):
                if not p.size:
                    continue
                if hold is not None:
                    end_film(p, *hold)
                if p.pts is not None:
                    p.pts += shift
                dts = None if p.dts is None else p.dts + shift - early
                if dts is None or (last is not None and dts <= last):
                    dts = p.pts if last is None else last + 1
                if p.pts is not None and dts > p.pts:
                    raise MediaError(
                        path,
                        "its decode timestamps cannot follow the segment before; rerun with --restart",
                    )
                p.dts, last = dts, dts
                p.stream = vout
                order += 1
                yield float(dts * s.time_base) + origin, order, p


def _input_items(inp, copies: StreamCopies, window) -> Iterator[tuple[float, int, object]]:
    """(seconds, order, item) of the input's copied streams within the --start/--end window."""
    streams = [s for s in inp.streams if s.index in copies.passthrough]
    if not streams:
        return
    order = 0
    for packet in demux(inp, *streams):
        order += 1
        for item in passthrough_items(copies.passthrough, packet, window):
            p = item[2]
            t = p.dts if item[0] == "packet" else p.pts
            yield (float(t * p.time_base) if t is not None else 0.0), order, item


def join_segments(
    src: Path, tmp: Path, dst: Path, fmt: str, info: VideoInfo, work: WorkFolder, plan: Plan,
    window: tuple[float | None, float | None], rate: float = 24.0,
) -> list[str]:  # fmt: skip
    """Write the joined film to ``tmp`` (renamed by the caller); returns the notices."""
    held = [s.index for s in plan.segments if not work.empty(s.index)]
    if not held:
        raise MediaError(src, "no video frames could be decoded")
    first = work.segment(held[0])
    try:
        options = {**muxer_options(fmt, info.time_base), **m2ts_options(dst)}
        out = av.open(ff_url(tmp), "w", format=fmt, options=options)
    except (av.error.FFmpegError, OSError) as e:
        raise MediaError(dst, f"cannot write ({e})") from e
    try:
        with av.open(ff_url(first)) as c0, contextlib.closing(open_input(src, rate)) as inp:
            vout = out.add_stream_from_template(c0.streams.video[0])
            # what this muxer made of the input's time base (MXF: one over the frame rate)
            vout.time_base = c0.streams.video[0].time_base
            # the stream's frame rate, as one encode writes it: MXF's edit rate and MOV's
            # timecode track are made from it (without it: "fps 12800 is too large")
            if info.rate:
                vout.codec_context.framerate = info.rate
            keep_display(vout, info.rotation, info.mirror)
            keep_pixel_ratio(vout, info)  # ProRes: MOV holds it
            copies = StreamCopies(out, inp, fmt, dst.suffix.lstrip("."), vout, window)
            origin = 0.0
            if frame_clock(fmt, info):  # AVI counts frames from its clock's origin, and leads
                origin = clock_origin(inp, info, window[0])  # sound that starts later by silence
                copies.audio_origin = origin
            video = _video_packets(work, plan, vout, info.time_base, origin)
            others = ((t, o, ("copy", item)) for t, o, item in _input_items(inp, copies, window))
            video_mux = VideoMux(out, vout, frame_clock(fmt, info) is not None)
            for _, _, item in heapq.merge(
                ((t, 2 * o, ("video", p)) for t, o, p in video),
                ((t, 2 * o + 1, x) for t, o, x in others),
                key=lambda e: (e[0], e[1]),
            ):
                if item[0] == "video":
                    video_mux.mux(item[1])
                else:
                    copies.mux(*item[1])
            copies.flush()
        out.close()
        out = None
        shape = carry_pixel_aspect(tmp, fmt, info)
        return copies.notices + ([shape] if shape else [])
    except av.error.FFmpegError as e:
        raise write_failure(dst, e, "joining the segments failed") from e
    finally:
        if out is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                out.close()
