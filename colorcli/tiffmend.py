"""A TIFF's bytes made into what OpenCV's decoder reads right, its IFD's values changed in a
copy in memory, never the file: one cut short (a stopped copy of a scan) to the whole strips or
rows of tiles it holds; one stored turned (its Orientation tag) left as stored, for the caller
to turn (OpenCV turned tiled ones wrong); uncompressed tiles Deflate-compressed (OpenCV read
none: "Invalid tile byte count"); samples OpenCV's libtiff converts wrongly handed out as stored
(``colorcli.tiffsamples``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from colorcli.tiffsamples import Change, Samples, as_stored, planes
from colorcli.walkers import (
    BITS,
    COMPRESSION,
    LENGTH,
    ORIENTATION,
    PHOTOMETRIC,
    PLANAR,
    PREDICTOR,
    ROWS,
    SAMPLE_FORMAT,
    SAMPLES,
    STRIP_BYTES,
    STRIPS,
    TILE_BYTES,
    TILE_H,
    TILE_W,
    TILES,
    WIDTH,
    TiffIfd,
    array_reader,
)

_DEFLATE = 8
# compressions OpenCV's libtiff was seen to decode (none, CCITT RLE, Group 3 and 4 fax, LZW,
# old and new JPEG, Deflate, PackBits); with another, where it returns no picture or an empty
# one, the compression is named (an unknown scheme came back black, without a word)
DECODED = {1, 2, 3, 4, 5, 6, 7, 8, 32946, 32773}
_NAMES = {34925: "LZMA", 50000: "Zstandard", 50001: "WebP", 34712: "JPEG 2000", 34661: "JBIG",
          34887: "LERC", 32809: "ThunderScan", 32909: "PixarLog", 34676: "SGILog"}  # fmt: skip


_FLOAT_DIFFERENCES = "16-bit floating-point samples stored as differences (predictor 3) are not read: save it with 16-bit integer or 32-bit float samples"


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
    samples: Samples = Samples()  # what to do with the samples decoded (colorcli.tiffsamples)
    # a TIFF stored plane by plane: the changes that make ``data`` each plane alone, as gray
    planes: list[list[Change]] = field(default_factory=list)
    few_bits: bool = False  # 2 or 4 bits a sample (OpenCV refuses them; FFmpeg's decoder reads)
    refusal: str | None = None  # why it is not read, where OpenCV gives nothing and we know

    def decode(self, decoder: Callable[[np.ndarray], np.ndarray | None]) -> np.ndarray | None:
        """What ``decoder`` makes of ``data``; of a TIFF stored plane by plane, each plane
        decoded on its own (OpenCV read 16-bit ones scrambled) and the planes joined in
        OpenCV's order (BGR, then alpha). None where a plane gives no picture, or another
        size."""
        if not self.planes:
            return decoder(self.data)
        got = []
        for changes in self.planes:
            for at, raw in changes:
                self.data[at : at + len(raw)] = np.frombuffer(raw, np.uint8)
            plane = decoder(self.data)
            if plane is None or plane.ndim != 2 or (got and plane.shape != got[0].shape):
                return None
            got.append(plane)
        order = [2, 1, 0, *range(3, len(got))] if len(got) >= 3 else range(len(got))
        return np.dstack([got[i] for i in order])


def undecoded(compression: int) -> str:
    """Why a TIFF of a compression OpenCV gave no picture for is refused."""
    name = _NAMES.get(compression, "an unknown scheme")
    return f"tiff compressed with {name} (compression {compression}), which cannot be decoded here; save it uncompressed or with LZW or Deflate"


def for_decoder(data: np.ndarray) -> TiffForDecoder:
    """The TIFF ``data`` (its bytes) as OpenCV should be given it: itself where nothing needs
    changing; else a copy cut to what it holds (``_cut``), its Orientation 1 (the caller turns
    the picture), its uncompressed tiles Deflate-compressed (``_deflate_tiles``), its samples
    to be handed out as stored and its planes one at a time (``colorcli.tiffsamples``)."""
    ifd = TiffIfd(array_reader(data), len(data))
    if ifd.lay is None or WIDTH not in ifd.tags or LENGTH not in ifd.tags:
        return TiffForDecoder(data)
    held, height, changes = _cut(ifd)
    orientation, compression = ifd.first(ORIENTATION, 1), ifd.first(COMPRESSION, 1)
    orientation = orientation if 1 <= orientation <= 8 else 1
    turn = ifd.change(ORIENTATION, 1) if orientation != 1 else None
    changes += [turn] if turn else []
    planar = bool(planes(ifd, compression))
    stored, samples = as_stored(ifd, compression, planar)
    bits, kind = ifd.first(BITS, 1), ifd.first(SAMPLE_FORMAT, 1)
    told = {"few_bits": bits in (2, 4) and kind == 1, "refusal": None}
    if bits == 16 and kind == 3 and ifd.first(PREDICTOR, 1) == 3:
        told["refusal"] = _FLOAT_DIFFERENCES
    changes += stored
    tail = b""
    if TILES in ifd.tags and compression == 1:
        tiles = _deflate_tiles(data, ifd, held)
        if tiles is not None:
            changes, tail = changes + tiles[0], tiles[1]
    if not changes and not planar:
        return TiffForDecoder(
            data, orientation=orientation, compression=compression, samples=samples, **told
        )
    mended = np.concatenate([data, np.frombuffer(tail, np.uint8)])  # the one copy
    for at, raw in changes:
        mended[at : at + len(raw)] = np.frombuffer(raw, np.uint8)
    by_plane = planes(TiffIfd(array_reader(mended), len(mended)), compression)  # as mended
    turned = turn is not None
    return TiffForDecoder(
        mended, held, height, turned, orientation, compression, samples, by_plane, **told
    )


def point_at_page(data: np.ndarray, ifd: int) -> None:
    """Make the TIFF ``data`` (its bytes, changed in place) begin with the page whose IFD lies
    at ``ifd``: a decoder then reads that page as the first (an album read page by page)."""
    big = data[2:4].tobytes() in (b"+\x00", b"\x00+")
    e = "<" if data[:2].tobytes() == b"II" else ">"
    at, code = (8, "Q") if big else (4, "I")
    data[at : at + struct.calcsize(code)] = np.frombuffer(struct.pack(e + code, ifd), np.uint8)


def _cut(ifd: TiffIfd) -> tuple[int | None, int | None, list[tuple[int, bytes]]]:
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
    data: np.ndarray, ifd: TiffIfd, held: int | None
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
    n *= ifd.first(SAMPLES, 1) if ifd.first(PLANAR, 1) == 2 else 1  # each plane's tiles
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
