"""A stream's language into a MOV: FFmpeg's MOV muxer writes the old Macintosh language codes,
and knows some languages by their ISO 639-2 bibliographic code (ger, dut, chi) and others by
their terminology code (fra, ces, ron). Matroska writes the first kind, MP4 the second, so a
French track from an MKV ('fre') or a German one from an MP4 ('deu') lost its language in a
MOV. No model, no files.
"""

from __future__ import annotations

import functools
import io

import av
import numpy as np

# the ISO 639-2 languages whose bibliographic (B) and terminology (T) codes differ
_B_TO_T = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
    "tib": "bod", "wel": "cym",
}  # fmt: skip
_T_TO_B = {t: b for b, t in _B_TO_T.items()}


@functools.lru_cache(maxsize=64)
def _mov_keeps(code: str) -> bool:
    """Whether this FFmpeg's MOV muxer keeps the language ``code`` (asked of the muxer: one
    silent audio frame into memory and read back)."""
    buf = io.BytesIO()
    try:
        with av.open(buf, "w", format="mov") as out:
            a = out.add_stream("pcm_s16le", rate=8000)
            a.layout = "mono"
            a.metadata["language"] = code
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 64), np.int16), "s16", "mono")
            frame.sample_rate, frame.pts = 8000, 0
            out.mux(a.encode(frame))
            out.mux(a.encode())
        buf.seek(0)
        with av.open(buf, "r", format="mov") as back:
            return back.streams[0].metadata.get("language") == code
    except (av.error.FFmpegError, ValueError, IndexError):
        return False


def mov_language(code: str) -> str:
    """The spelling of ``code`` that a MOV keeps: the code itself, or its other ISO 639-2
    form where only that one is known to the muxer."""
    code = code.strip().lower()
    other = _B_TO_T.get(code) or _T_TO_B.get(code)
    if other is None or _mov_keeps(code) or not _mov_keeps(other):
        return code
    return other
