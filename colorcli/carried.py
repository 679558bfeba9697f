"""What a film's output carries of the input besides its streams' packets: each stream's
tags and flags, the global tags, chapters (clipped to a --start/--end section), attachments
(a Matroska film's subtitle fonts), a section's own timecode; and the notice for a video
stream left out. Each function returns the notices it has. No model, no video frames."""

from __future__ import annotations

import contextlib
import math
import re

import av

from colorcli.provenance import WORDS
from colorcli.timecode import shift_timecode
from colorcli.videoprobe import film_rate

# tags that describe the old encode, not the stream (Matroska's statistics, the encoder)
_STALE_TAG = re.compile(
    r"(DURATION|NUMBER_OF_\w+|BPS|_STATISTICS_\w+|ENCODER|MAJOR_BRAND|MINOR_VERSION|"
    r"COMPATIBLE_BRANDS)(-\w+)?$",
    re.I,
)
CHAPTER_FORMATS = {"matroska", "webm", "mp4", "mov"}  # containers that hold chapters
ATTACHMENT_FORMATS = {"matroska"}


def carry_tags(dst, src) -> None:
    """A stream's language, title and other tags, and its disposition, onto its output. An
    MP4's or MOV's track title is its 'name' (Matroska shows a track by its 'title')."""
    with contextlib.suppress(AttributeError, ValueError, TypeError):
        tags = {k: v for k, v in src.metadata.items() if not _STALE_TAG.match(k)}
        if not tags.get("title") and tags.get("name"):
            tags["title"] = tags.pop("name")
        dst.metadata.update(tags)
    with contextlib.suppress(AttributeError, ValueError, TypeError):
        dst.disposition = src.disposition


def carry_global_tags(out, inp) -> None:
    """The input container's tags onto the output's, less those of the old encode, and the
    words that say the film was coloured (``colorcli.provenance``) in its 'comment' tag, or
    in its 'description' where the input has a comment of its own (neither is replaced)."""
    with contextlib.suppress(AttributeError, ValueError, TypeError):
        tags = {k: v for k, v in inp.metadata.items() if not _STALE_TAG.match(k)}
        out.metadata.update(tags)
        free = [k for k in ("comment", "description") if not any(t.lower() == k for t in tags)]
        if free:
            out.metadata[free[0]] = WORDS


def left_out(s, film: int) -> str:
    """The notice for a video stream beside the film (another camera angle, a cover picture):
    only the film is coloured and written."""
    cc = s.codec_context
    what = "cover picture" if s.disposition & av.stream.Disposition.attached_pic else "video stream"
    shape = f" {cc.width}x{cc.height}" if cc is not None and cc.width else ""
    name = (cc.name if cc is not None else None) or "?"
    return f"{what} {s.index} ({name}{shape}) left out: only the film (stream {film}) is coloured"


def section_timecode(out, film, video, timecode: str, start: float) -> list[str]:
    """A section (--start) begins later in the master, and so does its timecode: an editor
    conforming the coloured section by timecode puts it where it came from. ``film``: the
    output's video stream; ``video``: the input's."""
    rate = film_rate(video)
    if rate is None:
        return []
    origin = float(video.start_time * video.time_base) if video.start_time else 0.0
    frames = max(0, math.ceil((start - origin) * rate - 1e-6))  # the first frame shown
    moved = shift_timecode(timecode, frames, rate)
    if moved is None:
        return [f"its timecode {timecode} is kept as it is: not one that can be counted"]
    with contextlib.suppress(AttributeError, ValueError, TypeError):
        film.metadata["timecode"] = moved
        if "timecode" in out.metadata:  # MXF's, from the input's container
            out.metadata["timecode"] = moved
    return []


def copy_chapters(out, inp, fmt: str, ext: str, window) -> list[str]:
    """The input's chapters within the --start/--end ``window`` (seconds), clipped to it."""
    try:
        chapters = inp.chapters()
    except (AttributeError, ValueError, av.error.FFmpegError):
        return []
    start, end = window
    kept = []
    for ch in chapters:
        tb = ch["time_base"]
        lo, hi = ch["start"], ch["end"]
        if start is not None:
            lo = max(lo, round(start / tb)) if hi * tb > start else None
        if end is not None and lo is not None:
            hi = min(hi, round(end / tb)) if lo * tb < end else None
        if lo is not None and hi is not None:
            kept.append({**ch, "start": lo, "end": hi, "id": len(kept) + 1})
    if kept and fmt not in CHAPTER_FORMATS:
        return [f"{len(kept)} chapters dropped: not supported by .{ext} (use .mkv)"]
    if kept:
        out.set_chapters(kept)
    return []


def copy_attachments(out, inp, fmt: str, ext: str) -> list[str]:
    """The input's attachments (fonts, covers), where the output's container holds them."""
    files = [s for s in inp.streams if s.type == "attachment"]
    if files and fmt not in ATTACHMENT_FORMATS:
        names = ", ".join(getattr(s, "name", None) or str(s.index) for s in files)
        return [f"attachments dropped ({names}): not supported by .{ext} (use .mkv)"]
    notices = []
    for s in files:
        try:
            out.add_attachment(s.name, s.mimetype, bytes(s.data))
        except (AttributeError, ValueError, TypeError, av.error.FFmpegError):
            notices.append(f"attachment {s.name or s.index} could not be copied")
    return notices
