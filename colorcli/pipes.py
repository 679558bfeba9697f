"""A film arriving on a pipe: its opening is read twice, once for what its first picture says
(its display rotation, whether it is interlaced or transparent or in colour: what a file's
probe reads from it) and once for the film; the pipe then goes on. No model, nothing written.

A pipe cannot be sought, so the bytes the first look reads are kept and handed again to the
second; the first look stops where it finds a picture or has read ``PEEK_BYTES``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import av

from colorcli.errors import MediaError
from colorcli.videoprobe import VideoInfo, _in_colour, _transparent, field_order, film_stream

PEEK_BYTES = 64 << 20  # the most of a pipe read twice (an MP4 whose index comes last: refused)


class Replay:
    """A pipe whose opening can be read again: what is read until ``rewind`` is kept (up to
    ``limit`` bytes: past them, the first reader is told the pipe ended), then handed out
    again before the pipe goes on."""

    def __init__(self, stream, limit: int = PEEK_BYTES) -> None:
        self.stream, self.limit = stream, limit
        self.kept = bytearray()
        self.at: int | None = None  # None: the first look; else where the replay is

    def read(self, n: int = -1) -> bytes:
        if self.at is None:
            if n < 0 or len(self.kept) + n > self.limit:
                return b""  # the first look has read all it may
            data = self.stream.read(n)
            self.kept += data
            return data
        if self.at < len(self.kept):
            end = len(self.kept) if n < 0 else self.at + n
            out = bytes(self.kept[self.at : end])
            self.at += len(out)
            if self.at >= len(self.kept):
                self.kept, self.at = bytearray(), 0  # all handed again: let it go
                self.limit = 0
            return out
        return self.stream.read(n)

    def rewind(self) -> None:
        self.at = 0


@dataclasses.dataclass(frozen=True)
class FirstPicture:
    rotation: int
    interlaced: bool
    transparent: bool
    coloured: bool | None


def open_pipe(stream, name: Path) -> tuple[av.container.InputContainer, FirstPicture | None]:
    """A film arriving on a pipe (any container FFmpeg can read without seeking), and what its
    first picture says (None where none was found within ``PEEK_BYTES``)."""
    replay = Replay(stream)
    first = None
    with contextlib.suppress(av.error.FFmpegError, OSError, ValueError, IndexError):
        with av.open(replay, "r") as c:
            if c.streams.video:
                v = film_stream(c)
                frame = next((f for p in c.demux(v) for f in p.decode()), None)
                if frame is not None:
                    first = FirstPicture(
                        int(frame.rotation or 0),
                        bool(frame.interlaced_frame),
                        _transparent(frame),
                        _in_colour(frame),
                    )
    replay.rewind()
    try:
        return av.open(replay, "r"), first
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaError(name, "not a video stream (no container FFmpeg can read)") from e


def with_first_picture(info: VideoInfo, first: FirstPicture | None, codec_order: int) -> VideoInfo:
    """A pipe's VideoInfo with what its first picture says (``codec_order``: the stream's field
    order, as ``videoprobe.field_order`` takes it)."""
    if first is None:
        return info
    return dataclasses.replace(
        info,
        rotation=first.rotation,
        fields=field_order(codec_order, first.interlaced, info.codec, info.height),
        transparent=first.transparent,
        in_colour=bool(first.coloured),
    )


__all__ = ["PEEK_BYTES", "FirstPicture", "Replay", "open_pipe", "with_first_picture"]
