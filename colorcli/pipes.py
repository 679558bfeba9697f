"""A film arriving on a pipe: its opening is read twice, once probed as a file's is (its first
pictures: the display rotation, fields, transparency, colour; whether it has timestamps) and
once for the film; the pipe then goes on. No model, nothing written.

A pipe cannot be sought, so the bytes the first look reads are kept and handed again to the
second; the first look stops where the probe has what it needs or has read ``PEEK_BYTES``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import av

from colorcli.errors import MediaError
from colorcli.videoprobe import A_PHOTO, VideoInfo, info_of, one_picture

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


def open_pipe(stream, name: Path) -> tuple[av.container.InputContainer, VideoInfo | None]:
    """A film arriving on a pipe (any container FFmpeg can read without seeking), and its
    VideoInfo as ``info_of`` probes a file, its first pictures looked at (None where the
    first look within ``PEEK_BYTES`` could not tell: the film's own reading then says why)."""
    replay = Replay(stream)
    info, photo = None, False
    with contextlib.suppress(av.error.FFmpegError, OSError, ValueError, IndexError, MediaError):
        with av.open(replay, "r") as first:
            if not (photo := one_picture(first)):  # a photo is refused below, unprobed
                info = info_of(first, name)
    if photo:
        raise MediaError(name, A_PHOTO)
    replay.rewind()
    try:
        return av.open(replay, "r"), info
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaError(name, "not a video stream (no container FFmpeg can read)") from e


__all__ = ["PEEK_BYTES", "Replay", "open_pipe"]
