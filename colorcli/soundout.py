"""A sound track made again where the output's container cannot copy it: which codec
(lossless where the input is and the container has one), which channel layout, which sample
format; where no codec of the container takes the track's channels in one track, each
channel goes into a mono track of its own. And ``SoundClock``, which times decoded frames by
their samples. No pictures, no files."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

# what audio a container cannot copy is transcoded to, and at which rate (None: the input's)
# (AVI: PCM, as a capture card writes it; the AAC of an MP4 has no standard place there)
AUDIO_TARGET = {
    "webm": ("libopus", 48000),
    "mxf": ("pcm_s16le", 48000),
    "avi": ("pcm_s16le", None),
}
# lossless sound a container cannot copy stays lossless where it has a lossless codec, in
# order of preference: a capture's PCM into MP4 or MOV is ALAC (Apple's; QuickTime, VLC and
# FFmpeg play it), not AAC; FLAC where ALAC takes no such layout (MP4), and in Matroska
LOSSLESS_TARGET = {"mp4": ("alac", "flac"), "mov": ("alac",), "matroska": ("flac",)}
_LOSSLESS = {"truehd", "mlp", "wavpack", "tta", "ape", "flac", "alac"}  # and every pcm_*
# the layout an unnamed channel order is written as (the channels kept in their order),
# then others of that count that some encoders take instead (ALAC: 4.0, not quad)
_LAYOUTS = {
    1: ("mono",),
    2: ("stereo",),
    3: ("2.1", "3.0"),
    4: ("quad", "4.0"),
    5: ("5.0", "5.0(side)"),
    6: ("5.1", "5.1(side)"),
    7: ("6.1", "7.0"),
    8: ("7.1", "7.1(wide)"),
}
# named layouts that differ only in where their surrounds are said to stand (beside the
# listener or behind): a DVD's or broadcast's AC-3 5.1 decodes as 5.1(side), which Opus
# does not take (each channel went into a mono track of its own: a player played the front
# left alone); the surrounds are written as the kin's, one for one
_KIN = {
    "5.1(side)": "5.1",
    "5.1": "5.1(side)",
    "5.0(side)": "5.0",
    "5.0": "5.0(side)",
    "quad(side)": "quad",
    "quad": "quad(side)",
    "7.1(wide-side)": "7.1",
}


@dataclass(frozen=True)
class Remake:
    """How a track is made again: ``tracks`` 1 (the whole track, in ``layout``), or one mono
    track per channel (``layout`` "mono"), each in ``codec`` at ``rate`` in ``format``."""

    codec: str
    rate: int
    layout: str
    format: str
    tracks: int
    lossless: bool
    relabel: str = ""  # "5.1(side) as 5.1": a named layout written as its kin (_KIN)


def _format(codec: str, deep: bool) -> str:
    """The encoder's sample format: 32 bits where the input has more than 16, else 16 (the
    lossless ones), else its first."""
    names = [f.name for f in (av.Codec(codec, "w").audio_formats or ())]
    for want in (("s32p", "s32") if deep else ()) + ("s16p", "s16"):
        if want in names:
            return want
    return names[0] if names else "s16"


def _opens(codec: str, rate: int, layout: str, fmt: str) -> bool:
    """Whether the encoder takes this layout, rate and format (ALAC refuses quad and 7.1,
    Opus 2.1; an encoder refused at the first frame failed the whole film)."""
    with contextlib.suppress(av.error.FFmpegError, ValueError, TypeError):
        cc = av.CodecContext.create(codec, "w")
        cc.sample_rate, cc.layout, cc.format = rate, layout, fmt
        cc.open()
        return True
    return False


def remake_for(cc, name: str | None, fmt: str) -> Remake:
    """How the input track of codec context ``cc`` (codec ``name``) goes into a container
    of FFmpeg format ``fmt`` that cannot copy it. A named layout is kept as it is, or as its
    kin (side surrounds as back ones, or back as side), never remixed; an unnamed one is
    written as a layout of its count, channels in order."""
    lossless = fmt in LOSSLESS_TARGET and (name or "").startswith(("pcm_", *_LOSSLESS))
    target, rate = AUDIO_TARGET.get(fmt, ("aac", None))
    codecs = LOSSLESS_TARGET[fmt] if lossless else (target,)
    rate = rate or cc.sample_rate
    n = len(cc.layout.channels)
    own = cc.layout.name
    named = own and own != f"{n} channels"
    kin = (_KIN[own],) if own in _KIN else ()
    layouts = (own, *kin) if named else _LAYOUTS.get(n, ())
    deep = cc.format is not None and cc.format.bytes > 2
    for codec in codecs:
        sample_fmt = _format(codec, deep)
        for layout in layouts:
            if _opens(codec, rate, layout, sample_fmt):
                relabel = f"{own} as {layout}" if named and layout != own else ""
                return Remake(codec, rate, layout, sample_fmt, 1, lossless, relabel)
    return Remake(codecs[0], rate, "mono", _format(codecs[0], deep), n, lossless)


def mono_frames(frame: av.AudioFrame, fmt: str) -> list[av.AudioFrame]:
    """An interleaved (packed) frame's channels, each a mono frame in ``fmt`` with the
    frame's time. Packed, as PyAV reads no more than 8 planes of a planar frame (a
    16-channel capture crashed the process)."""
    n = len(frame.layout.channels)
    samples = frame.to_ndarray().reshape(-1, n)
    out = []
    for k in range(n):
        m = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[:, k])[None], format=fmt, layout="mono"
        )
        m.sample_rate, m.pts, m.time_base = frame.sample_rate, frame.pts, frame.time_base
        out.append(m)
    return out


class SoundClock:
    """A transcoded track's decoded frames, each timed in samples (1 / its rate) and then
    resampled. A frame without a time, or one whose time does not move on past the end of
    the frame before (RealMedia's packets after the first of a block; FFmpeg's .rm files,
    which time every sound packet 0), follows the frame before: the encoders and muxers
    refuse times that do not rise, and before, such a track failed the film ('Invalid
    argument') or was written all at one instant. Times that jump ahead (a gap) are kept.
    Where the rate changes part way (a broadcast's next programme), the times go on from
    where the frames before ended, in seconds."""

    def __init__(self, resample: Callable, trusted: bool = True) -> None:
        self.resample = resample
        self.trusted = trusted  # whether its packets' own times may place them (not RealMedia)
        self.next: Fraction | None = None  # where the frame after the last one starts (s)

    def __call__(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        rate = frame.sample_rate
        at = None
        if frame.pts is not None and frame.time_base is not None:
            at = round(frame.pts * frame.time_base * rate)
        follow = None if self.next is None else math.ceil(self.next * rate)
        if at is None or (follow is not None and at < follow):
            at = follow if follow is not None else 0
        frame.pts, frame.time_base = at, Fraction(1, rate)
        self.next = Fraction(at + frame.samples, rate)
        return self.resample(frame)


class Resampling:
    """Decoded sound frames resampled to one ``format``, ``layout`` and ``rate``, whatever
    theirs: where a track's own change part way (a broadcast recording's stereo programme
    followed by a 5.1 one, or its rate), the resampler is flushed and set up again. PyAV's
    refuses a frame unlike its first ("Frame does not match AudioResampler setup"): that
    failed the whole film with an unexpected error."""

    def __init__(self, format: str, layout, rate: int) -> None:
        self.setup = {"format": format, "layout": layout, "rate": rate}
        self._resampler: av.AudioResampler | None = None
        self._input: tuple | None = None  # what the resampler was set up for

    def __call__(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        theirs = (frame.format.name, frame.layout.name, frame.layout.nb_channels, frame.sample_rate)
        out = []
        if self._resampler is not None and theirs != self._input:
            out = list(self._resampler.resample(None))  # what it still holds
            self._resampler = None
        if self._resampler is None:
            self._resampler, self._input = av.AudioResampler(**self.setup), theirs
        return out + list(self._resampler.resample(frame))
