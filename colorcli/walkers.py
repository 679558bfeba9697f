"""The structures image files are made of, walked by their own sizes, never their pixels:
a TIFF's IFDs (classic and BigTIFF), a PNG's chunks, a RIFF file's (WebP's) chunks, the headers
of BMP and Netpbm files; and readers of bytes at offsets, of a file or of memory.
"""

from __future__ import annotations

import itertools
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# reads ``n`` bytes at an offset: of a file (seeking) or of bytes in memory
Reader = Callable[[int, int], bytes]
# classic TIFF (42) and BigTIFF (43, "+"), in either byte order
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class TiffLayout:
    """Classic TIFF (32-bit offsets) or BigTIFF (64-bit: scans over 4 GB, slide scanners)."""

    e: str  # byte order for struct
    big: bool

    @property
    def count(self) -> str:  # an IFD's entry count
        return self.e + ("Q" if self.big else "H")

    @property
    def offset(self) -> str:
        return self.e + ("Q" if self.big else "I")

    @property
    def entry(self) -> int:  # bytes per IFD entry
        return 20 if self.big else 12


def tiff_layout(read: Reader, base: int) -> tuple[TiffLayout, int] | None:
    """The layout and first IFD's offset of a TIFF structure at ``base``; None where it is
    none, or its header is cut short (a file of a few bytes)."""
    head = read(base, 16)
    if head[:2] not in (b"II", b"MM") or len(head) < 8:
        return None
    e = "<" if head[:2] == b"II" else ">"
    (magic,) = struct.unpack_from(e + "H", head, 2)
    if magic == 43:  # BigTIFF: offset size 8, then the first IFD's 64-bit offset
        if len(head) < 16:
            return None
        return TiffLayout(e, True), struct.unpack_from(e + "Q", head, 8)[0]
    return TiffLayout(e, False), struct.unpack_from(e + "I", head, 4)[0]


def tiff_tags(read: Reader, base: int, wanted: set[int]) -> dict[int, int]:
    """Values of a few SHORT/LONG tags of the first IFD of a TIFF structure at ``base``."""
    found = tiff_layout(read, base)
    if found is None:
        return {}
    lay, ifd = found
    size = struct.calcsize(lay.count)
    count_bytes = read(base + ifd, size)
    if len(count_bytes) < size:
        return {}
    (count,) = struct.unpack(lay.count, count_bytes)
    entries = read(base + ifd + size, lay.entry * min(count, 4096))
    value_at = 12 if lay.big else 8
    kinds = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8: the value sits left in its field
    out = {}
    for i in range(len(entries) // lay.entry):
        tag, typ = struct.unpack_from(lay.e + "HH", entries, lay.entry * i)
        if tag in wanted and typ in kinds:
            at = lay.entry * i + value_at
            (out[tag],) = struct.unpack_from(lay.e + kinds[typ], entries, at)
    return out


# SHORT, LONG, LONG8: struct code and size of each value
TIFF_INTEGERS = {3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
# TIFF tags read and changed by name: ImageWidth, ImageLength, BitsPerSample, Compression,
# Photometric, StripOffsets, Orientation, SamplesPerPixel, RowsPerStrip, StripByteCounts,
# PlanarConfiguration, Predictor, TileWidth, TileLength, TileOffsets, TileByteCounts, InkSet,
# ExtraSamples, SampleFormat
WIDTH, LENGTH, BITS, COMPRESSION, PHOTOMETRIC, STRIPS = 256, 257, 258, 259, 262, 273
ORIENTATION, SAMPLES, ROWS, STRIP_BYTES, PLANAR, PREDICTOR = 274, 277, 278, 279, 284, 317
TILE_W, TILE_H, TILES, TILE_BYTES, INK_SET, EXTRA = 322, 323, 324, 325, 332, 338
SAMPLE_FORMAT = 339


def tiff_entries(read: Reader, base: int = 0) -> tuple[TiffLayout, dict[int, tuple]] | None:
    """The layout and the entries of the first IFD of a TIFF structure at ``base``: tag ->
    (type, count, where its value field lies, from ``base``). None where the IFD is cut off."""
    found = tiff_layout(read, base)
    if found is None:
        return None
    lay, ifd = found
    size, wide = struct.calcsize(lay.count), lay.e + ("Q" if lay.big else "I")
    count_bytes = read(base + ifd, size)
    if len(count_bytes) < size:
        return None
    (count,) = struct.unpack(lay.count, count_bytes)
    table = read(base + ifd + size, lay.entry * count)
    if len(table) < lay.entry * count:
        return None
    out = {}
    for i in range(count):
        tag, typ = struct.unpack_from(lay.e + "HH", table, lay.entry * i)
        (n,) = struct.unpack_from(wide, table, lay.entry * i + 4)
        out[tag] = (typ, n, ifd + size + lay.entry * i + (12 if lay.big else 8))
    return lay, out


def tiff_integers(
    read: Reader, lay: TiffLayout, entry: tuple, base: int = 0
) -> tuple[list[int], int] | None:
    """The SHORT/LONG/LONG8 values of an IFD entry (``tiff_entries``) and where they lie (from
    ``base``); None for another type, or values cut off."""
    typ, n, field = entry
    if typ not in TIFF_INTEGERS or n > 1 << 24:
        return None
    code, size = TIFF_INTEGERS[typ]
    at = field
    if n * size > (8 if lay.big else 4):  # not in the entry: its field holds their offset
        (at,) = struct.unpack(lay.offset, read(base + field, struct.calcsize(lay.offset)))
    raw = read(base + at, n * size)
    if len(raw) < n * size:
        return None
    return list(struct.unpack(lay.e + code * n, raw)), at


class TiffIfd:
    """The first IFD of a TIFF (its bytes read a few at a time through ``read``; ``size``
    of them in all): its entries, their integer values, and changes to them."""

    def __init__(self, read: Reader, size: int) -> None:
        self.read, self.size = read, size
        found = tiff_entries(read)
        self.lay: TiffLayout | None = found[0] if found else None
        self.tags: dict[int, tuple] = found[1] if found else {}

    def values(self, tag: int) -> tuple[list[int], int] | None:
        """``tag``'s values and where they lie; None where it has none."""
        if self.lay is None or tag not in self.tags:
            return None
        return tiff_integers(self.read, self.lay, self.tags[tag])

    def first(self, tag: int, default: int) -> int:
        """``tag``'s first value, else ``default``."""
        got = self.values(tag)
        return got[0][0] if got and got[0] else default

    def one_value(self, tag: int) -> list[tuple[int, bytes]] | None:
        """The changes that leave ``tag`` its first value alone (its count 1, the value in
        the entry); None where it has none."""
        got = self.values(tag)
        if self.lay is None or got is None or not got[0]:
            return None
        field = self.tags[tag][2]
        count = struct.pack(self.lay.offset, 1)
        code, _ = TIFF_INTEGERS[self.tags[tag][0]]
        value = struct.pack(self.lay.e + code, got[0][0])
        return [(field - len(count), count), (field, value)]

    def change(self, tag: int, value: int, i: int = 0) -> tuple[int, bytes] | None:
        """(where, bytes): ``value`` as ``tag``'s ``i``-th value; None where it cannot be
        (no such tag or value, another type, a value its type cannot hold)."""
        got = self.values(tag)
        if self.lay is None or got is None or i >= len(got[0]):
            return None
        code, size = TIFF_INTEGERS[self.tags[tag][0]]
        if not 0 <= value < 1 << (8 * size):
            return None
        return got[1] + i * size, struct.pack(self.lay.e + code, value)


def tiff_ifds(read: Reader) -> list[int]:
    """Where each IFD (page) a TIFF chains lies, up to 10,000; the chain ends at an IFD cut
    off or seen before."""
    found = tiff_layout(read, 0)
    if found is None:
        return []
    lay, pos = found
    size, link = struct.calcsize(lay.count), struct.calcsize(lay.offset)
    seen: list[int] = []
    known: set[int] = set()  # a chain that loops back ends (looked up, not searched)
    while pos > 0 and pos not in known and len(seen) < 10_000:
        count_bytes = read(pos, size)
        if len(count_bytes) < size:
            break
        seen.append(pos)
        known.add(pos)
        (count,) = struct.unpack(lay.count, count_bytes)
        nxt = read(pos + size + lay.entry * count, link)
        if len(nxt) < link:
            break
        (pos,) = struct.unpack(lay.offset, nxt)
    return seen


def tiff_pages(read: Reader) -> int:
    """How many IFDs (pages) a TIFF chains, up to 10,000 (1 at the least)."""
    return max(1, len(tiff_ifds(read)))


def file_reader(f) -> Reader:
    """A Reader of an open binary file, by seeking."""

    def read(offset: int, n: int) -> bytes:
        f.seek(offset)
        return f.read(n)

    return read


def bytes_reader(buf: bytes) -> Reader:
    """A Reader of bytes in memory."""
    return lambda offset, n: buf[offset : offset + n]


def array_reader(data) -> Reader:
    """A Reader of a file's bytes held in a numpy array (a few copied out at a time)."""
    return lambda offset, n: data[offset : offset + n].tobytes()


def png_chunks(data) -> Iterator[tuple[bytes, Any, int, int]]:
    """(type, body, start, end) of each whole chunk of a PNG's bytes (or uint8 array), up to
    its IEND; a chunk cut off ends the walk."""
    pos = 8
    while pos + 12 <= len(data):
        end = pos + 12 + int.from_bytes(bytes(data[pos : pos + 4]), "big")
        if end > len(data):
            return
        kind = bytes(data[pos + 4 : pos + 8])
        yield kind, data[pos + 8 : end - 4], pos, end
        if kind == b"IEND":
            return
        pos = end


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: its length, type, body and checksum."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def riff_chunks(read: Reader, most: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, where its body lies, its size) of a RIFF file's (a WebP's) first ``most``
    chunks, walked by their sizes, their bodies not read."""
    pos, end = 12, int.from_bytes(read(4, 4), "little") + 8  # the RIFF size
    for _ in range(most):
        head = read(pos, 8)
        if len(head) < 8 or pos >= end:
            return
        n = int.from_bytes(head[4:8], "little")
        yield head[:4], pos + 8, n
        pos += 8 + n + (n & 1)


def riff_count(read: Reader, kind: bytes, most: int = 1 << 20) -> int:
    """How many ``kind`` chunks a RIFF file (an animated WebP's ANMF frames) holds (of its
    first ``most``)."""
    return sum(k == kind for k, _, _ in riff_chunks(read, most))


def riff_chunk(read: Reader, kind: bytes, limit: int = 1 << 24) -> bytes | None:
    """The body (its first ``limit`` bytes) of a RIFF file's (a WebP's) first ``kind``
    chunk, among its first 64."""
    for k, at, n in riff_chunks(read, 64):
        if k == kind:
            return read(at, min(n, limit))
    return None


def bmp_header(buf: bytes) -> tuple[int, int, int, int, int, int]:
    """(where the pixel rows start, the info header's size, width, height (below 0: the top
    row stored first), bits a pixel, compression) of a BMP; an OS/2 1.x info header (12
    bytes) holds its size in 16 bits and no compression."""
    start, dib = struct.unpack_from("<II", buf, 10)
    if dib == 12:
        w, h, _, bits = struct.unpack_from("<HHHH", buf, 18)
        return start, dib, w, h, bits, 0
    w, h, _, bits, compression = struct.unpack_from("<iiHHI", buf, 18)
    return start, dib, w, h, bits, compression


def pnm_header(buf: bytes) -> tuple[list[int], int]:
    """A Netpbm file's header numbers (width, height and, but for a bitmap, its maxval) and
    where its samples start (one whitespace byte after the last number), from its first
    4096 bytes, comments passed over."""
    head = buf[:4096]
    text = re.sub(rb"#[^\n]*", lambda m: b" " * len(m.group()), head)  # offsets kept
    n = 2 if head[1:2] in (b"1", b"4") else 3
    tokens = list(itertools.islice(re.finditer(rb"\S+", text), n + 1))
    if len(tokens) < n + 1:
        raise ValueError("truncated Netpbm header")
    return [int(t.group()) for t in tokens[1:]], tokens[-1].end() + 1
