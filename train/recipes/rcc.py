"""Read the files out of a Qt binary resource file (``.rcc``, formats 1 to 3), for gather.py.

    python train/recipes/rcc.py FILE.rcc            # list what it holds

Layout (Qt's rcc): a 20-byte header ("qres", version, then the offsets of the tree, the data
and the names; version 3 adds a flags word), a tree of fixed-size entries (name offset, flags,
then a directory's child count and first child, or a file's locale and data offset; version 2
and later add an 8-byte modification time), names as a 16-bit length, a 32-bit hash and UTF-16
text, and each file's data as a 32-bit size and the bytes, zlib-compressed (after a 4-byte
length) when its entry says so.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

_DIR, _ZLIB, _ZSTD = 2, 1, 4


def read_rcc(path: Path) -> Iterator[tuple[str, bytes]]:
    """(path inside the resource, bytes) for every file of ``path``."""
    raw = Path(path).read_bytes()
    if raw[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt resource file")
    version, tree, data, names = struct.unpack(">4I", raw[4:20])
    if version not in (1, 2, 3):
        raise ValueError(f"{path}: rcc format {version} is not read here")
    size = 14 if version == 1 else 22

    def name(entry: int) -> str:
        at = names + struct.unpack(">I", raw[entry : entry + 4])[0]
        n = struct.unpack(">H", raw[at : at + 2])[0]
        return raw[at + 6 : at + 6 + 2 * n].decode("utf-16-be")

    def walk(index: int, prefix: str) -> Iterator[tuple[str, bytes]]:
        entry = tree + index * size
        flags = struct.unpack(">H", raw[entry + 4 : entry + 6])[0]
        here = f"{prefix}/{name(entry)}" if index else ""
        if flags & _DIR:
            count, first = struct.unpack(">2I", raw[entry + 6 : entry + 14])
            for child in range(first, first + count):
                yield from walk(child, here)
            return
        off = data + struct.unpack(">I", raw[entry + 10 : entry + 14])[0]
        n = struct.unpack(">I", raw[off : off + 4])[0]
        blob = raw[off + 4 : off + 4 + n]
        if flags & _ZSTD:
            return  # no zstd in the standard library; gcompris' resources are zlib
        yield here, zlib.decompress(blob[4:]) if flags & _ZLIB else blob

    yield from walk(0, "")


if __name__ == "__main__":
    for p, b in read_rcc(Path(sys.argv[1])):
        print(f"{len(b):>10}  {p}")
