"""Text subtitles into a container that cannot take their codec, as ffmpeg converts them: each
cue decoded and written again in the text codec the container holds (MP4 and MOV: mov_text;
WebM: WebVTT; Matroska: SubRip). Their words and times are kept; ASS styling may not be.
No model, no video frames.
"""

from __future__ import annotations

from typing import Any

import av

# subtitle codecs whose cues are text (their decoders give ASS dialogue lines)
TEXT_CODECS = {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd"}
# the text codec each container takes
TEXT_TARGET = {"mp4": "mov_text", "mov": "mov_text", "webm": "webvtt", "matroska": "subrip"}


def can_retext(s, fmt: str) -> bool:
    """Whether the subtitle stream ``s`` is text that this PyAV can write again for ``fmt``
    (older PyAVs cannot encode subtitles)."""
    cc = s.codec_context
    name = getattr(getattr(cc, "codec", None), "canonical_name", None) if cc else None
    return (
        name in TEXT_CODECS
        and fmt in TEXT_TARGET
        and hasattr(cc, "decode2")
        and hasattr(cc, "encode_subtitle")
    )


class Retext:
    """One text subtitle stream's cues, decoded and encoded again into ``out``'s text codec:
    ``retext(packet)`` gives the packet to mux, or None for a cue that only clears the
    screen (MP4 writes those between cues; the next codec has its own) or that cannot be
    written again."""

    def __init__(self, out, s, fmt: str) -> None:
        self.decoder = s.codec_context
        self.decoder.open()  # its ASS header: the styles the encoder is given
        self.stream = out.add_stream(TEXT_TARGET[fmt])
        self.stream.codec_context.subtitle_header = self.decoder.subtitle_header
        self.stream.time_base = s.time_base

    def __call__(self, packet) -> Any:
        try:
            cues = self.decoder.decode2(packet)
            if cues is None or not len(cues.rects):
                return None
            new = self.stream.codec_context.encode_subtitle(cues)
        except (av.error.FFmpegError, ValueError, TypeError):
            return None
        new.pts, new.dts = packet.pts, packet.dts if packet.dts is not None else packet.pts
        new.duration, new.time_base = packet.duration, packet.time_base
        return new
