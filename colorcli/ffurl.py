"""A file's path as FFmpeg must be given it: FFmpeg reads a name with a colon before its first
slash (``take:2.mp4``, ``clip:1.mkv``) as a protocol and a resource (``take`` and ``2.mp4``),
and fails with "not a video file"; such a name goes to it as an absolute path."""

from __future__ import annotations

import os


def ff_url(path: str | os.PathLike[str]) -> str:
    """``path`` as FFmpeg opens it: as it is, or absolute where its first part holds a colon."""
    text = os.fspath(path)
    if ":" in text.split("/", 1)[0]:
        return os.path.abspath(text)
    return text
