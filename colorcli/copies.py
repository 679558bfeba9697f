"""The input's audio, subtitle and data streams in a film's output: copied packet for packet
where the container takes the codec, audio transcoded where it does not. No model, no video."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import av

from colorcli.videoprobe import film_stream

# audio codecs each container takes as a packet copy; FFmpeg's own list is wider than what
# writes a valid file (PCM in MP4 fails at the trailer), so MP4, MOV, AVI and WebM are explicit
AUDIO_COPY = {
    "mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    "mov": {"aac", "mp3", "ac3", "eac3", "alac"}
    | {f"pcm_s{b}{e}" for b in (16, 24) for e in ("le", "be")},
    "avi": {"mp3", "ac3", "pcm_s16le", "pcm_u8"},
    "webm": {"opus", "vorbis"},
    "mpegts": {"aac", "mp2", "mp3", "ac3", "eac3", "opus"},
    "mxf": {"pcm_s16le", "pcm_s24le"},
}
# what audio a container cannot copy is transcoded to, and at which rate (None: the input's)
AUDIO_TARGET = {"webm": ("libopus", 48000), "mxf": ("pcm_s16le", 48000)}
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 6: "5.1", 8: "7.1"}


class StreamCopies:
    """The input's audio, subtitle and data streams in an output: copied packet for packet
    where the container takes the codec, audio transcoded where it does not (aac, opus for
    webm), the rest dropped; each decision a notice. ``passthrough``: stream index -> None
    (packets copied) or the resampler its decoded audio goes through."""

    def __init__(self, out, inp: av.container.InputContainer, fmt: str, ext: str) -> None:
        self.out, self.notices = out, []
        self.copy_map: dict[int, Any] = {}
        self.transcode: dict[int, Any] = {}
        self.passthrough: dict[int, Callable | None] = {}
        video = film_stream(inp).index
        for s in inp.streams:
            if s.index != video and s.type in ("audio", "subtitle", "data"):
                self._add(s, fmt, ext)
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            out.metadata.update({k: v for k, v in inp.metadata.items() if k.lower() != "encoder"})

    def _add(self, s, fmt: str, ext: str) -> None:
        # the codec's own name, not its decoder's (MPEG audio decodes with "mp3float")
        cc = s.codec_context
        name = (getattr(cc.codec, "canonical_name", None) or cc.name) if cc is not None else None
        supported = self.out.supported_codecs
        # FFmpeg's own list is incomplete for some muxers (MPEG-TS): ours, where we have one
        ok = (
            name in AUDIO_COPY[fmt]
            if s.type == "audio" and fmt in AUDIO_COPY
            else name in supported
        )
        if s.type == "audio" and fmt == "mxf":
            ok = ok and s.codec_context.sample_rate == 48000  # MXF takes 48 kHz PCM only
        if name and ok:
            try:
                self.copy_map[s.index] = self.out.add_stream_from_template(s)
                self.passthrough[s.index] = None
                return
            except (ValueError, av.error.FFmpegError):
                pass
        if s.type != "audio" or s.codec_context is None:
            self.notices.append(
                f"{s.type} stream {s.index} ({name}) dropped: not supported by .{ext}"
            )
            return
        target, rate = AUDIO_TARGET.get(fmt, ("aac", None))
        a = self.out.add_stream(target, rate=rate or s.codec_context.sample_rate)
        # a named layout for the channel count: muxers refuse unnamed channel orders
        a.layout = _LAYOUTS.get(len(s.codec_context.layout.channels), "stereo")
        resampler = av.AudioResampler(
            format=a.codec_context.format.name, layout=a.layout, rate=a.codec_context.sample_rate
        )
        self.transcode[s.index] = a
        self.passthrough[s.index] = resampler.resample
        self.notices.append(
            f"audio stream {s.index} ({name}) cannot be copied into .{ext}: transcoding to {target}"
        )

    def mux(self, kind: str, idx: int, item) -> None:
        """A ("packet", index, packet) or ("audio", index, frame) item of the reader's."""
        if kind == "packet":
            item.stream = self.copy_map[idx]
            self.out.mux(item)
        else:
            for p in self.transcode[idx].encode(item):
                self.out.mux(p)

    def flush(self) -> None:
        for a in self.transcode.values():
            for p in a.encode(None):
                self.out.mux(p)
