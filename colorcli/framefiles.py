"""A film as numbered still frames (a scanner's DPX or TIFF, a telecine's PNG): whether a
path names one, and its pattern, first number and count. No decoding."""

from __future__ import annotations

import os
import re
from pathlib import Path

from colorcli.errors import MediaError
from colorcli.options import VIDEO_CONTAINERS

# what film scanners write (archives' lossless JPEG 2000 frames among them), and what
# telecine services deliver small-gauge film as
FRAME_EXTS = (
    ".dpx",
    ".tif",
    ".tiff",
    ".png",
    ".exr",
    ".jp2",
    ".j2c",
    ".j2k",
    ".jpg",
    ".jpeg",
    ".bmp",
)
_PATTERN = re.compile(r"%0?(\d*)d")


def is_sequence(path: Path) -> bool:
    """A numbered-frame pattern (``scans/%06d.dpx``) or a folder of numbered frames; a film
    whose own name holds a % (``reel 100%.mp4``) is a film."""
    try:
        return path.is_dir() or ("%" in path.name and not path.is_file())
    except OSError:  # a name longer than a file name may be: no frames, no film
        return False


def frames_out(dst: Path) -> bool:
    """Whether the output ``dst`` is a pattern of numbered frames (``out/%06d.tif``), not a film
    whose name holds a % (``restored 100%.mkv``)."""
    return "%" in dst.name and dst.suffix.lower() not in VIDEO_CONTAINERS


def frame_sequence(path: Path) -> tuple[str, int, int]:
    """(pattern, first number, frame count) of a numbered-frame pattern or folder; MediaError
    for no frames, or a gap in the numbering (the demuxer would stop at it)."""
    if "%" in path.name:
        m = _PATTERN.search(path.name)
        if m is None:
            raise MediaError(path, "a frame pattern needs %d or %0Nd (for example %06d.dpx)")
        head, tail = path.name[: m.start()], path.name[m.end() :]
        digits = rf"\d{{{m.group(1)}}}" if m.group(1) else r"\d+"
        rx = re.compile(re.escape(head) + f"({digits})" + re.escape(tail) + "$")
        folder, pattern = path.parent, str(path)
        names = os.listdir(folder) if folder.is_dir() else []
    else:
        folder, names = path, sorted(os.listdir(path))
        groups: dict[tuple[str, int, str], int] = {}
        for n in names:
            m = re.match(r"(.*?)(\d+)(\.[A-Za-z0-9]+)$", n)
            if m and m.group(3).lower() in FRAME_EXTS and not n.startswith("."):
                key = (m.group(1), len(m.group(2)), m.group(3))
                groups[key] = groups.get(key, 0) + 1
        if not groups:
            raise MediaError(
                path, "is a folder with no numbered frames (dpx, tif, png, exr, jp2, jpg, bmp)"
            )
        head, width, tail = max(groups, key=groups.get)
        rx = re.compile(re.escape(head) + rf"(\d{{{width}}})" + re.escape(tail) + "$")
        pattern = str(path / f"{head}%0{width}d{tail}")
    numbers = sorted(int(m.group(1)) for n in names if (m := rx.match(n)))
    if not numbers:
        raise MediaError(path, "no frames match this pattern")
    gaps = [a + 1 for a, b in zip(numbers, numbers[1:], strict=False) if b != a + 1]
    if gaps:
        raise MediaError(
            path,
            f"frame {gaps[0]} is missing: a numbered sequence must have no gaps ({len(numbers)} frames found)",
        )
    return pattern, numbers[0], len(numbers)
