"""Pictures spread through a film's length, read once for what must hold for all of it: its
bars (``colorcli.filmbars``) and whether it is in colour in places (``colour_places``). No
model, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from colorcli.compose import area_shrunk
from colorcli.ffurl import ff_url
from colorcli.videoprobe import film_stream

SAMPLES = 12  # pictures looked at, spread evenly through the film
AHEAD = 250  # pictures decoded at most past a seek's landing to reach a sample's time
# the short side a sampled picture is kept at, at most: its bars, colour and levels need no
# more, and 12 pictures of an 8K film, with their lightness, held 2.8 GB through the whole run
SIDE = 1080


@dataclass(frozen=True)
class Sampled:
    """One picture of a film: its time (seconds from the film's start) and its (H, W, 3)
    uint8 RGB."""

    seconds: float
    rgb: np.ndarray


def sample_pictures(path: Path, count: int = SAMPLES) -> list[Sampled]:
    """``count`` pictures of a film file spread through its length, at most ``SIDE`` pixels
    on the short side (the keyframe before each
    point, or where an earlier point took it, the picture at the point; fewer where two
    points find the same). A point at most ``AHEAD`` pictures past the last one decoded is
    reached by decoding on, not by a seek back to a keyframe already decoded (a short film,
    or one of few keyframes, was decoded from its one keyframe once for each point). A file
    that cannot be sought (a raw stream, a damaged file): what was found before, maybe
    nothing."""
    out: list[Sampled] = []
    try:
        with av.open(ff_url(path)) as inp:
            vs = film_stream(inp)
            vs.thread_type = "AUTO"
            span = (vs.duration * vs.time_base) if vs.duration else None
            if span is None and inp.duration:
                span = inp.duration / 1e6
            if not span or vs.time_base is None:
                return []
            start = float(vs.start_time * vs.time_base) if vs.start_time else 0.0
            reach = AHEAD / float(vs.average_rate or 25)  # seconds decoding on may cover
            seen: set = set()
            frames, last = None, None  # the decoder's pictures from where it is; the last's time
            for k in range(count):
                at = start + float(span) * (k + 0.5) / count
                landing = frames is None or last is None or not 0 <= at - last <= reach
                if landing:
                    inp.seek(int(at / vs.time_base), stream=vs, backward=True)
                    frames = inp.decode(vs)
                frame = _picture_at(frames, vs, at, seen if landing else None)
                if frame is None:
                    frames = None
                    continue
                last = float(frame.pts * vs.time_base) if frame.pts is not None else None
                if frame.pts in seen:
                    continue
                seen.add(frame.pts)
                when = last - start if last is not None else at
                out.append(
                    Sampled(max(0.0, when), area_shrunk(frame.to_ndarray(format="rgb24"), SIDE))
                )
    except (av.error.FFmpegError, OSError, IndexError, ValueError):
        return out
    return out


def sample_film(path: Path, rate: float) -> list[Sampled]:
    """``SAMPLES`` pictures of a film: from a numbered-frame sequence's files
    (``sample_frames``; ``rate`` times them), else from the file (``sample_pictures``)."""
    from colorcli.framefiles import is_sequence

    return sample_frames(path, rate) if is_sequence(path) else sample_pictures(path)


def sample_frames(path: Path, rate: float, count: int = SAMPLES) -> list[Sampled]:
    """``count`` pictures of a numbered-frame sequence (``colorcli.framefiles``) spread
    through it, read from their files; a frame that cannot be read is passed over."""
    from colorcli.framefiles import frame_sequence

    pattern, first, n = frame_sequence(path)
    out: list[Sampled] = []
    for k in dict.fromkeys(min(n - 1, int((i + 0.5) * n / count)) for i in range(count)):
        try:
            with av.open(ff_url(pattern % (first + k))) as inp:
                frame = next(inp.decode(video=0), None)
        except (av.error.FFmpegError, OSError, ValueError):
            continue
        if frame is not None:
            out.append(Sampled(k / rate, area_shrunk(frame.to_ndarray(format="rgb24"), SIDE)))
    return out


def _picture_at(frames, vs, at: float, seen: set | None):
    """From ``frames`` (a decoder's pictures): after a seek (``seen``: the pictures already
    taken), the keyframe it landed on where no earlier point took it (one picture decoded: a
    long film's keyframes are seconds apart); else the first picture at or after ``at``
    seconds, decoding on (at most ``AHEAD`` pictures; then the last decoded); or None."""
    frame = None
    for n, f in enumerate(frames):
        frame = f
        if n == 0 and seen is not None and f.pts not in seen:
            break
        if n >= AHEAD or f.pts is None or float(f.pts * vs.time_base) >= at:
            break
    return frame


def colour_places(pictures: list[Sampled]) -> list[float]:
    """The times of the sampled pictures that are colour photographs (``incolour``: colours
    that vary apart from the lightness, not a tint such as a silent film's blue night)."""
    from colorcli.incolour import in_colour

    return [p.seconds for p in pictures if in_colour(p.rgb)]


def colour_note(src: Path, pictures: list[Sampled]) -> str | None:
    """The notice for a film in colour in places (a documentary's interviews among archive
    footage), what becomes of them left to the caller, or None. (One in colour at its opening is said by ``videoprobe``.)"""
    places = colour_places(pictures)
    if not places:
        return None
    times = list(dict.fromkeys(clock(t) for t in places))  # a short film's fall in one second
    at = ", ".join(times[:3]) + (", ..." if len(times) > 3 else "")
    return (
        f"{src}: in colour in places ({len(places)} of {len(pictures)} pictures sampled "
        f"through it, at {at})"
    )


def clock(seconds: float) -> str:
    """h:mm:ss of a time in a film."""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


__all__ = [
    "AHEAD",
    "SAMPLES",
    "Sampled",
    "clock",
    "colour_note",
    "colour_places",
    "sample_frames",
    "sample_film",
    "sample_pictures",
]
