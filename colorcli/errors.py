"""Typed errors. ``str(error)`` is the one line the CLI prints; the CLI picks the exit code."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class ColorcliError(Exception):
    """Base of every error colorcli raises on purpose."""


class CheckpointError(ColorcliError):
    """A model file that is missing, damaged, unsafe or of an unknown format."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{path}: {reason}")


class MediaError(ColorcliError):
    """An input that cannot be read or an output that cannot be written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{path}: {reason}")


class TimesRestart(MediaError):
    """A film whose timestamps step back (recordings joined into one file): ``at`` seconds,
    where they restart, and by how many (``back``)."""

    def __init__(self, path: Path | str, at: float, back: float) -> None:
        self.at, self.back = at, back
        super().__init__(
            path,
            f"its timestamps jump back {back:.1f} s at {at:.1f} s (recordings joined into one file?); split it there and colour each part",
        )


NO_SPACE = "no space left on the device: free some and run the command again"


# a file past the largest its file system takes (or the process's file size limit)
TOO_LARGE = "too large a file for the disk it is written to (a FAT32 disk takes 4 GiB at most): write it to one formatted exFAT, NTFS, ext4 or APFS"


# a path with a part longer than a file name may be (255 bytes on most file systems): typed or
# pasted so, no such file can be there
NAME_TOO_LONG = "a name in this path is longer than a file name may be (255 bytes on most disks): no such file can be there"

# the program a film was piped into gone before its end (a player closed, `| head -c`)
PIPE_CLOSED = "the program reading the film stopped before its end (its pipe was closed): it got the beginning only"


class StopsTheRun(MediaError):
    """A failure to write that every output after would meet alike: a batch stops at it (what
    it finished kept) rather than fail file after file. ``before``: how the batch's last line
    says what happened ("N colorized before ...")."""

    before = "the run stopped"


class NoSpaceError(StopsTheRun):
    """The disk (or the user's quota) filled up while an output was written."""

    before = "before the disk filled up"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, NO_SPACE)


# write errors of a disk that failed or went away mid-run: a USB disk pulled out or asleep
# (EIO, ENODEV, ENXIO), a file system turned read-only after an error (EROFS), a network share
# gone (ESTALE, ENOTCONN, EHOSTDOWN). Each file after met them alike: a batch of thousands of
# photos failed one by one, each coloured first for nothing.
DISK_GONE = frozenset(
    {
        errno.EIO,
        errno.ENODEV,
        errno.ENXIO,
        errno.EROFS,
        errno.ESTALE,
        errno.ENOTCONN,
        errno.EHOSTDOWN,
    }
)


class DiskGoneError(StopsTheRun):
    """The disk an output was written to failed, turned read-only or went away."""

    before = "before its disk failed"

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(
            path,
            f"the disk it is written to failed or went away ({why}): nothing half-written is left under a final name",
        )


def out_of_space(e: BaseException) -> bool:
    """Whether ``e`` (an OSError, or FFmpeg's error for one) is a full disk or quota."""
    return getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


# what exFAT, FAT and NTFS disks (a USB stick, a Windows share, a camera card) refuse in a
# name, which Linux and macOS file names may hold: such a disk answers EINVAL, "Invalid argument"
FOREIGN_NAME_CHARS = ':*?"<>|\\'


def name_refused(path: Path | str, e: BaseException) -> str | None:
    """Why a disk refused ``path`` in words, where it answered EINVAL to a name holding
    characters exFAT, FAT and NTFS do not take; else None."""
    if getattr(e, "errno", None) != errno.EINVAL:
        return None
    held = sorted({c for part in Path(path).parts for c in part if c in FOREIGN_NAME_CHARS})
    if not held:
        return None
    return f"a name in its path holds {' '.join(held)}, which this disk does not take in names (exFAT, FAT and NTFS disks refuse {' '.join(FOREIGN_NAME_CHARS)}): rename it, or write to a disk formatted ext4, APFS or the like"


def write_failure(path: Path | str, e: BaseException, what: str | None = None) -> MediaError:
    """The error for ``e`` met writing ``path``: a full disk said in words (a run over an
    archive stops at it: every file after would fail alike), else ``what: e`` or "cannot
    write (its reason)"."""
    code = getattr(e, "errno", None)
    if out_of_space(e):
        return NoSpaceError(path)
    if code in DISK_GONE:
        return DiskGoneError(path, getattr(e, "strerror", None) or str(e))
    if code == errno.EFBIG:  # named by its temporary file otherwise
        return MediaError(path, TOO_LARGE)
    if code == errno.EPIPE:
        return MediaError(path, PIPE_CLOSED)
    if (refused := name_refused(path, e)) is not None:
        return MediaError(path, refused)
    if what is not None:
        return MediaError(path, f"{what}: {e}")
    return MediaError(path, f"cannot write ({getattr(e, 'strerror', None) or e})")


def missing(path: Path | str) -> MediaError:
    """The error for an input that is not there: a symbolic link says where it points (a
    photo or film moved away from under its link), anything else "no such file"."""
    p = Path(path)
    try:
        if p.is_symlink():
            return MediaError(path, f"a symbolic link to {os.readlink(p)}, which is not there")
    except OSError:  # a name longer than a file name may be: no such file either
        pass
    return MediaError(path, "no such file")


class OutputPathError(ColorcliError):
    """An output path that would overwrite an input or an existing file."""


class DeviceError(ColorcliError):
    """The requested device is not there, or the work does not fit on it."""


class ConfigError(ColorcliError):
    """An unknown or invalid setting."""
