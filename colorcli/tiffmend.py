"""A TIFF's bytes made into what OpenCV's decoder reads right, its IFD's values changed in a
copy in memory, never the file: one cut short (a stopped copy of a scan) to the whole strips or
rows of tiles it holds; one stored turned (its Orientation tag) left as stored, for the caller
to turn (OpenCV turned tiled ones wrong); uncompressed tiles Deflate-compressed (OpenCV read
none: "Invalid tile byte count"); a CIELab one's samples handed out as stored (as RGB or gray),
for ``colorcli.labtiff`` to read; a gray one with alpha called gray twice as wide, so that its
samples come out as stored (OpenCV read it as 8-bit gray without its alpha).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from colorcli.walkers import (
    TIFF_INTEGERS,
    TiffLayout,
    array_reader,
    tiff_entries,
    tiff_integers,
)

# tags: ImageWidth, ImageLength, BitsPerSample, Compression, Photometric, Orientation,
# RowsPerStrip, StripOffsets, StripByteCounts, PlanarConfiguration, TileWidth, TileLength,
# TileOffsets, TileByteCounts
WIDTH, LENGTH, BITS, COMPRESSION, PHOTOMETRIC, ORIENTATION = 256, 257, 258, 259, 262, 274
ROWS, STRIPS, STRIP_BYTES, SAMPLES, PLANAR, PREDICTOR = 278, 273, 279, 277, 284, 317
TILE_W, TILE_H, TILES, TILE_BYTES = 322, 323, 324, 325
_DEFLATE = 8
_LAB = (8, 9)  # CIELab, ICCLab: not within a JPEG stream (6, 7), whose own colours libjpeg sets
# compressions OpenCV's libtiff was seen to decode (none, CCITT RLE, Group 3 and 4 fax, LZW,
# old and new JPEG, Deflate, PackBits); with another, where it returns no picture or an empty
# one, the compression is named (an unknown scheme came back black, without a word)
DECODED = {1, 2, 3, 4, 5, 6, 7, 8, 32946, 32773}
_NAMES = {34925: "LZMA", 50000: "Zstandard", 50001: "WebP", 34712: "JPEG 2000", 34661: "JBIG",
          34887: "LERC", 32809: "ThunderScan", 32909: "PixarLog", 34676: "SGILog"}  # fmt: skip


@dataclass
class TiffForDecoder:
    """What :func:`for_decoder` made: the bytes to decode; for a TIFF cut short how many rows
    they hold (``held``) of the picture's ``height`` (None where it is whole); whether its
    Orientation was set to 1 (``as_stored``: OpenCV will not turn it; the caller does)."""

    data: np.ndarray
    held: int | None = None
    height: int | None = None
    as_stored: bool = False
    orientation: int = 1  # its Orientation tag (1..8; 1 where it has none, or another value)
    compression: int = 1
    lab: int = 0  # a CIELab TIFF's photometric (8 or 9), its samples decoded as stored; else 0
    # a gray TIFF with alpha: read as gray twice as wide (``samples_of`` pairs them again);
    # where its samples are differences (Predictor 2), how many pixels each run of them spans
    pairs: bool = False
    run: int = 0
    alpha_lost: bool = False  # one with alpha that could not be so read: 8-bit gray, no alpha
    inverted: bool = False  # gray stored with 0 as white (MinIsWhite), called MinIsBlack

    def samples_of(self, a: np.ndarray) -> np.ndarray:
        """OpenCV's decode of ``data`` as the TIFF's own samples: a gray TIFF with alpha,
        decoded as gray twice as wide, as (H, W, 2) gray and alpha, its differences summed;
        gray stored with 0 as white turned back into gray with 0 as black."""
        if self.pairs and a.ndim == 2 and a.shape[1] % 2 == 0:
            if self.run:
                a = a.copy()
                for start in range(0, a.shape[1], 2 * self.run):
                    part = a[:, start : start + 2 * self.run]
                    for k in (0, 1):  # each sample from the one before of its kind, wrapping
                        part[:, k::2] = np.cumsum(part[:, k::2], axis=1, dtype=a.dtype)
            a = a.reshape(a.shape[0], -1, 2)
        if self.inverted and a.dtype in (np.uint8, np.uint16):
            a = a.copy()
            gray = a if a.ndim == 2 else a[..., 0]
            np.subtract(np.iinfo(a.dtype).max, gray, out=gray)
        return a


def undecoded(compression: int) -> str:
    """Why a TIFF of a compression OpenCV gave no picture for is refused."""
    name = _NAMES.get(compression, "an unknown scheme")
    return f"tiff compressed with {name} (compression {compression}), which cannot be decoded here; save it uncompressed or with LZW or Deflate"


class _Ifd:
    """The first IFD of a TIFF in memory (its bytes, read a few at a time, never copied
    whole): its entries, their integer values, and changes to them."""

    def __init__(self, data: np.ndarray) -> None:
        self.read = array_reader(data)
        self.size = len(data)
        found = tiff_entries(self.read)
        self.lay: TiffLayout | None = found[0] if found else None
        self.tags: dict[int, tuple] = found[1] if found else {}

    def values(self, tag: int) -> tuple[list[int], int] | None:
        if self.lay is None or tag not in self.tags:
            return None
        return tiff_integers(self.read, self.lay, self.tags[tag])

    def first(self, tag: int, default: int) -> int:
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


def for_decoder(data: np.ndarray) -> TiffForDecoder:
    """The TIFF ``data`` (its bytes) as OpenCV should be given it: itself where nothing needs
    changing; else a copy cut to what it holds (``_cut``), its Orientation 1 (the caller turns
    the picture), its uncompressed tiles Deflate-compressed (``_deflate_tiles``)."""
    ifd = _Ifd(data)
    if ifd.lay is None or WIDTH not in ifd.tags or LENGTH not in ifd.tags:
        return TiffForDecoder(data)
    held, height, changes = _cut(ifd)
    orientation, compression = ifd.first(ORIENTATION, 1), ifd.first(COMPRESSION, 1)
    orientation = orientation if 1 <= orientation <= 8 else 1
    turn = ifd.change(ORIENTATION, 1) if orientation != 1 else None
    changes += [turn] if turn else []
    lab = _as_stored(ifd, compression)
    changes += [lab[1]] if lab else []
    pairs = _pairs(ifd, compression)
    changes += pairs[0] if pairs else []
    inverted = _white_is_zero(ifd, compression)
    changes += [inverted] if inverted else []
    tail = b""
    if TILES in ifd.tags and compression == 1:
        tiles = _deflate_tiles(data, ifd, held)
        if tiles is not None:
            changes, tail = changes + tiles[0], tiles[1]
    lost = ifd.first(SAMPLES, 1) == 2 and not pairs
    if not changes:
        return TiffForDecoder(
            data, orientation=orientation, compression=compression, alpha_lost=lost
        )
    mended = np.concatenate([data, np.frombuffer(tail, np.uint8)])  # the one copy
    for at, raw in changes:
        mended[at : at + len(raw)] = np.frombuffer(raw, np.uint8)
    turned, kind = turn is not None, lab[0] if lab else 0
    run = pairs[1] if pairs else 0
    return TiffForDecoder(
        mended, held, height, turned, orientation, compression, kind, bool(pairs), run, lost,
        inverted is not None,
    )  # fmt: skip


def _white_is_zero(ifd: _Ifd, compression: int) -> tuple[int, bytes] | None:
    """Gray of 8 or 16 bits stored with 0 as white (MinIsWhite): the change that calls it
    MinIsBlack, for the caller to invert (OpenCV read a 16-bit one as stored: a negative)."""
    if ifd.first(PHOTOMETRIC, 1) != 0 or compression in (6, 7):
        return None
    bits = (ifd.values(BITS) or ([0], 0))[0] or [0]
    return ifd.change(PHOTOMETRIC, 1) if bits[0] in (8, 16) else None


def _pairs(ifd: _Ifd, compression: int) -> tuple[list[tuple[int, bytes]], int] | None:
    """A gray TIFF with alpha (two samples a pixel, of 8 or 16 bits, interleaved) as a gray
    one twice as wide: (the changes, the width each run of differences spans, 0 where its
    samples are not differences); None where it is not one, or cannot be so read."""
    if ifd.first(SAMPLES, 1) != 2 or ifd.first(PLANAR, 1) != 1 or compression in (6, 7):
        return None
    bits = (ifd.values(BITS) or ([0], 0))[0] or [0]
    predictor = ifd.first(PREDICTOR, 1)
    if ifd.first(PHOTOMETRIC, 1) not in (0, 1, *_LAB) or bits[0] not in (8, 16):
        return None
    if any(b != bits[0] for b in bits) or predictor not in (1, 2):
        return None
    tiled, width = TILES in ifd.tags, ifd.first(WIDTH, 0)
    span = ifd.first(TILE_W, 0) if tiled else width
    changes = [ifd.change(WIDTH, 2 * width), ifd.change(SAMPLES, 1)]
    changes += [ifd.change(TILE_W, 2 * span)] if tiled else []
    changes += [ifd.change(PREDICTOR, 1)] if predictor == 2 else []
    single = ifd.one_value(BITS) if len(bits) > 1 else []
    if single is None or None in changes or span <= 0:
        return None
    return [*changes, *single], span if predictor == 2 else 0


def _as_stored(ifd: _Ifd, compression: int) -> tuple[int, tuple[int, bytes]] | None:
    """A CIELab TIFF of 8 or 16 bits: (its photometric, the change that calls it RGB, or gray
    where it holds L* alone), so that the decoder hands out its samples unconverted."""
    kind = ifd.first(PHOTOMETRIC, 1)
    if kind not in _LAB or compression in (6, 7):
        return None
    bits = (ifd.values(BITS) or ([8], 0))[0] or [8]
    if bits[0] not in (8, 16):
        return None
    change = ifd.change(PHOTOMETRIC, 2 if ifd.first(SAMPLES, 1) >= 3 else 1)
    return (kind, change) if change else None


def point_at_page(data: np.ndarray, ifd: int) -> None:
    """Make the TIFF ``data`` (its bytes, changed in place) begin with the page whose IFD lies
    at ``ifd``: a decoder then reads that page as the first (an album read page by page)."""
    big = data[2:4].tobytes() in (b"+\x00", b"\x00+")
    e = "<" if data[:2].tobytes() == b"II" else ">"
    at, code = (8, "Q") if big else (4, "I")
    data[at : at + struct.calcsize(code)] = np.frombuffer(struct.pack(e + code, ifd), np.uint8)


def _cut(ifd: _Ifd) -> tuple[int | None, int | None, list[tuple[int, bytes]]]:
    """A TIFF whose strips (or tiles) run past its end: its ImageLength cut to the rows the
    file holds (the whole strips, or rows of tiles; and of an uncompressed strip cut through,
    its whole rows). (rows held, rows the picture has, the changes); (None, None, []) where it
    is whole, holds no whole row, or keeps its colours in planes (a TIFF whose IFD comes after
    its picture, as libtiff writes it, loses its IFD with its end: that is refused before)."""
    width, height = ifd.first(WIDTH, 0), ifd.first(LENGTH, 0)
    tiled = TILES in ifd.tags
    offsets = ifd.values(TILES if tiled else STRIPS)
    counts = ifd.values(TILE_BYTES if tiled else STRIP_BYTES)
    if offsets is None or counts is None or len(offsets[0]) != len(counts[0]):
        return None, None, []
    if ifd.first(PLANAR, 1) != 1 or width <= 0 or height <= 0:
        return None, None, []
    whole = [o + c <= ifd.size for o, c in zip(offsets[0], counts[0], strict=True)]
    if all(whole):
        return None, None, []
    step = ifd.first(TILE_H, height) if tiled else min(ifd.first(ROWS, height), height)
    tile_w = ifd.first(TILE_W, width) if tiled else width
    if step <= 0 or tile_w <= 0:
        return None, None, []
    across = -(-width // tile_w)  # tiles in a row of them (a strip: 1)
    k = 0  # whole strips, or rows of tiles
    while (k + 1) * across <= len(whole) and all(whole[k * across : (k + 1) * across]):
        k += 1
    rows, changes = min(height, k * step), []
    raw = ifd.first(COMPRESSION, 1) == 1 and ifd.first(PHOTOMETRIC, 2) != 6  # YCbCr: blocks
    if not tiled and raw and k < len(whole) and rows < height:
        # an uncompressed strip cut through: its whole rows
        bits = (ifd.values(BITS) or ([1], 0))[0] or [1]  # a bilevel scan's 1 by default
        row_bytes = max(1, -(-width * sum(bits) // 8))
        more = min(step, height - rows, max(0, ifd.size - offsets[0][k]) // row_bytes)
        if more and (count := ifd.change(STRIP_BYTES, more * row_bytes, k)):
            rows, changes = rows + more, [count]
    length = ifd.change(LENGTH, rows) if rows else None
    if length is None:
        return None, None, []
    return rows, height, [*changes, length]


def _deflate_tiles(
    data: np.ndarray, ifd: _Ifd, held: int | None
) -> tuple[list[tuple[int, bytes]], bytes] | None:
    """The uncompressed tiles the file holds (those of the ``held`` rows) Deflate-compressed,
    to append to it: (the changes that point the tiles' offsets and byte counts at them and
    set Compression to Deflate, the bytes to append); None where a new value does not fit."""
    offsets, counts = ifd.values(TILES), ifd.values(TILE_BYTES)
    if offsets is None or counts is None or len(offsets[0]) != len(counts[0]):
        return None
    width, height = ifd.first(WIDTH, 0), held or ifd.first(LENGTH, 0)
    tile_w, tile_h = ifd.first(TILE_W, 0), ifd.first(TILE_H, 0)
    if tile_w <= 0 or tile_h <= 0:
        return None
    n = -(-width // tile_w) * -(-height // tile_h)
    if n > len(offsets[0]):
        return None
    changes, packed = [], []
    end = ifd.size
    for i in range(n):
        o, c = offsets[0][i], counts[0][i]
        packed.append(zlib.compress(data[o : o + c].tobytes(), 1))
        at, size = ifd.change(TILES, end, i), ifd.change(TILE_BYTES, len(packed[-1]), i)
        if at is None or size is None:
            return None
        changes += [at, size]
        end += len(packed[-1])
    compression = ifd.change(COMPRESSION, _DEFLATE)
    return (changes + [compression], b"".join(packed)) if compression else None
