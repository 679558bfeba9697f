"""Interlaced films stay interlaced: the output says which field is shown first, so players
deinterlace it as they did the input (tape captures, DV, broadcast, DVD).

Each frame is coloured whole (both fields, as the input's lightness has them); only the marks
change. Where they go depends on the encoder:
- x264 codes the frame as two fields (MBAFF) in the order its own parameters name;
- ProRes and FFV1 (its slice headers) read it from each frame's flags, which a ``setfield``
  filter sets;
- the container holds it too where it can (Matroska, MOV).
x265 and VP9 in PyAV cannot code fields; the output is marked only where the container can
(Matroska), with a notice.
"""

from __future__ import annotations

from fractions import Fraction

import av
import av.filter

# AVFieldOrder of an output whose first field shown is the top / the bottom one
_ORDER = {"tff": 2, "bff": 3}
_FLAGS = av.codec.context.Flags


def mark_fields(vout, codec: str, fields: str, options: dict[str, str]) -> list[str]:
    """Set up the output stream ``vout`` (not yet opened) for an interlaced film: ``fields``
    is "tff" or "bff" ("" does nothing). ``options``: the encoder's options, updated in place.
    Returns the notices."""
    if not fields:
        return []
    cc = vout.codec_context
    cc.field_order = _ORDER[fields]
    if codec == "libx264":
        cc.flags |= _FLAGS.interlaced_dct | _FLAGS.interlaced_me
        options["x264-params"] = f"{fields}=1"
    elif codec == "prores":
        cc.flags |= _FLAGS.interlaced_dct
    elif codec in ("libx265", "libvpx-vp9"):
        return [
            f"interlaced input ({fields}): {codec} cannot code fields, so players may show "
            "combing; use --codec libx264, prores or ffv1 to keep it interlaced"
        ]
    return []


class FieldMarker:
    """Sets each frame's interlaced and field-order flags (a ``setfield`` filter: the pixels
    are not touched) for encoders that read them from the frame (ProRes, FFV1)."""

    def __init__(self, fields: str, width: int, height: int, pix_fmt: str, time_base: Fraction):
        self.pix_fmt = pix_fmt
        self.graph = av.filter.Graph()
        src = self.graph.add_buffer(width=width, height=height, format=pix_fmt, time_base=time_base)
        setfield = self.graph.add("setfield", fields)
        sink = self.graph.add("buffersink")
        src.link_to(setfield)
        setfield.link_to(sink)
        self.graph.configure()

    def __call__(self, frame: av.VideoFrame, threads: int | None = None) -> av.VideoFrame:
        """``frame`` in the encoder's pixel format (converted here as the encoder would have
        done: a conversion there would drop the flags), marked."""
        if frame.format.name != self.pix_fmt:
            frame = frame.reformat(format=self.pix_fmt, threads=threads)
        pts, time_base = frame.pts, frame.time_base
        self.graph.push(frame)
        marked = self.graph.pull()
        marked.pts, marked.time_base = pts, time_base
        return marked


def needs_marker(codec: str, fields: str) -> bool:
    """Whether this encoder takes the field order from each frame."""
    return bool(fields) and codec in ("prores", "ffv1")


__all__ = ["FieldMarker", "mark_fields", "needs_marker"]
