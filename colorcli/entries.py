"""What an entry met while walking an archive is, when it is not a photo or a film to colour:
a system's or a NAS box's own folder or file, a named pipe or a device, a tracker module named
like a camcorder's film. No pictures read.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# folders that hold an operating system's or a NAS box's own files (thumbnails of every photo,
# recycle bins, indexes), never an archivist's photos
SYSTEM_FOLDERS = frozenset(
    {
        "@eaDir",  # Synology: thumbnails of every photo
        ".@__thumb",  # QNAP
        "#recycle",
        "#snapshot",
        "$RECYCLE.BIN",
        "System Volume Information",
        ".AppleDouble",
        ".Trashes",
        ".Spotlight-V100",
        ".fseventsd",
        ".TemporaryItems",
        ".DocumentRevisions-V100",
        ".thumbnails",
    }
)


def system_entry(name: str, folder: bool) -> bool:
    """A folder of SYSTEM_FOLDERS or a trash (.Trash, .Trash-1000), or a macOS resource file
    (._photo.jpg beside photo.jpg on a drive or share a Mac wrote: not a picture), or a Photo
    CD's OVERVIEW.PCD (thumbnails of the disc's pictures, which are its IMG*.PCD pacs)."""
    if folder:
        return name in SYSTEM_FOLDERS or name == ".Trash" or name.startswith(".Trash-")
    return name.startswith("._") or name.upper() == "OVERVIEW.PCD"


# the format tags of ProTracker's and its kin's modules (4, 6, 8... channels)
_TRACKER_TAG = re.compile(
    rb"M\.K\.|M!K!|M&K!|N\.T\.|FLT[48]|EXO[48]|CD[68]1|OKTA|OCTA|FA0[468]|TDZ\d|\dCHN|\d\dC[HN]"
)


def special_entry(src: Path) -> str | None:
    """What a name in a folder is when not a file (a named pipe, a socket, a device), or None
    (a file, or nothing there: a broken link's own run names that)."""
    try:
        mode = os.stat(src).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special entry"


def not_a_film(src: Path) -> bool:
    """A .mod that is an Amiga tracker's music (its four-letter format tag, "M.K.", "8CHN",
    "FLT4"..., at byte 1080), not a camcorder's MPEG-2 program stream (which opens with a
    pack header, 00 00 01 BA): not a film, and nothing to colour. Anything else is tried as a
    film, so a damaged recording is named, not passed over."""
    if src.suffix.lower() != ".mod":
        return False
    try:
        with open(src, "rb") as f:
            head = f.read(1084)
    except OSError:
        return False  # the film's own run names what is wrong with it
    return head[:4] != b"\x00\x00\x01\xba" and bool(_TRACKER_TAG.fullmatch(head[1080:1084]))
