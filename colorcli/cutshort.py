"""Photos cut short (a damaged card, a copy or download stopped part way): whether a JPEG's
bytes reach its end, a PNG mended so that its whole rows decode, and where the picture the
file lacks lies once decoded (a TIFF is mended in ``colorcli.tiffmend``).

OpenCV refuses both: a JPEG unless it ends with an end-of-image marker (libjpeg then decodes
as far as the bytes go and fills every block it lacks flat at mid-gray), a PNG whose pixel
data runs out ("libpng error: PNG input buffer is incomplete").
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from colorcli.walkers import PNG_SIGNATURE, bmp_header, png_chunk, png_chunks, pnm_header

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel of each PNG colour type

_LENGTHLESS = {0x01, 0xD8, *range(0xD0, 0xD8)}  # TEM, SOI, RSTn: JPEG markers without a length


def jpeg_complete(data: np.ndarray) -> bool:
    """Whether a JPEG's bytes reach its end-of-image marker, segment by segment and scan by
    scan (a photo cut short on a card or in a download does not; bytes after the end, a phone's
    motion clip, do not matter)."""
    n = len(data)
    ff = np.flatnonzero(data[:-1] == 0xFF)
    after = data[ff + 1]
    # where coded data ends: a 0xFF not followed by stuffing (0), fill (0xFF) or a restart
    marks = ff[(after != 0) & (after != 0xFF) & ((after < 0xD0) | (after > 0xD7))]
    i = 2  # after SOI
    while True:
        while i + 1 < n and data[i] == 0xFF and data[i + 1] == 0xFF:
            i += 1  # fill bytes before a marker
        if i + 1 >= n or data[i] != 0xFF:
            return False
        kind = int(data[i + 1])
        if kind == 0xD9:
            return True
        if kind in _LENGTHLESS:
            i += 2
            continue
        if i + 3 >= n:
            return False
        i += 2 + (int(data[i + 2]) << 8 | int(data[i + 3]))
        if kind == 0xDA:  # a scan: its coded data runs to the next marker
            k = int(np.searchsorted(marks, i))
            if k == len(marks):
                return False
            i = int(marks[k])


def missing_band(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the widest band along one edge of a decoded, upright
    picture that is flat at mid-gray (:func:`fill_value`: libjpeg's fill, and ours for a PNG):
    the part a file cut short lacks (at the bottom as stored; on another edge once turned
    upright). None where there is none."""
    flat = pixels == fill_value(pixels.dtype)
    if flat.ndim == 3:
        flat = flat.all(axis=2)
    h, w = flat.shape
    rows, cols = flat.all(axis=1), flat.all(axis=0)
    runs = {
        "bottom": _run(rows[::-1]), "top": _run(rows), "right": _run(cols[::-1]), "left": _run(cols),
    }  # fmt: skip
    side = max(runs, key=runs.get)
    n = runs[side]
    if n == 0:
        return None
    return {
        "bottom": (h - n, h, 0, w), "top": (0, n, 0, w), "right": (0, h, w - n, w), "left": (0, h, 0, n),
    }[side]  # fmt: skip


def fill_value(dtype) -> int:
    """Mid-gray, as libjpeg fills the blocks a JPEG lacks: 128, or 128 * 257 at 16 bits."""
    return 128 if np.dtype(dtype) == np.uint8 else 128 * 257


def _run(flags: np.ndarray) -> int:
    """How many of ``flags`` are true from its start."""
    false = np.flatnonzero(~flags)
    return int(false[0]) if len(false) else len(flags)


def truncation_note(
    fmt: str, band: tuple[int, int, int, int] | None, shape: tuple[int, ...]
) -> str:
    """What a user is told of a photo cut short."""
    head = f"truncated {fmt} data (the file ends inside its picture)"
    if band is None:  # a progressive JPEG's first scans cover it all: only detail is lost
        return f"{head}: coloured as far as it decodes"
    top, bottom, left, right = band
    share = (bottom - top) * (right - left) / (shape[0] * shape[1])
    said = "under 1%" if share < 0.005 else f"{share:.0%}"  # one row of 300 is not "0%"
    return f"{head}: {said} of the picture is missing and left gray; the rest is coloured"


def mended_png(png: np.ndarray) -> tuple[bytes, int] | None:
    """A PNG whose pixel data runs out, made whole for the decoder: (the new file's bytes, how
    many of its rows the file holds). The rows it lacks (and the one cut through) are zeros,
    for the caller to mark. None where the PNG is whole, interlaced (its passes spread what
    is missing over the whole picture) or holds no whole row."""
    chunks = list(png_chunks(png))
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] == b"IEND":
        return None
    head = bytes(chunks[0][1])
    if len(head) != 13 or head[12] != 0 or head[9] not in _CHANNELS:
        return None
    width, height = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:8], "big")
    stride = 1 + (width * _CHANNELS[head[9]] * head[8] + 7) // 8  # a filter byte, then samples
    data = b"".join(bytes(body) for kind, body, _, _ in chunks if kind == b"IDAT")
    tail = chunks[-1][3]  # a chunk cut off after the last whole one: what it holds counts
    if bytes(png[tail + 4 : tail + 8]) == b"IDAT":
        data += bytes(png[tail + 8 :])
    try:
        raw = zlib.decompressobj().decompress(data, height * stride)
    except zlib.error:  # damaged, not only short
        return None
    rows = min(height, len(raw) // stride)
    if rows == 0:
        return None
    raw = raw[: rows * stride] + bytes((height - rows) * stride)
    before = [png_chunk(k, bytes(b)) for k, b, _, _ in chunks if k not in (b"IDAT", b"IEND")]
    idat = png_chunk(b"IDAT", zlib.compress(raw, 1))
    return PNG_SIGNATURE + b"".join(before) + idat + png_chunk(b"IEND", b""), rows


def mended_raster(data: np.ndarray, fmt: str) -> tuple[np.ndarray, int, bool] | None:
    """An uncompressed BMP or binary Netpbm whose rows run out, made whole for the decoder
    (OpenCV refuses both): (its bytes padded with zeros, how many of the picture's rows the
    file holds, whether those are its bottom rows: a BMP stored bottom row first). None where
    the file is whole, compressed, ASCII, or holds no whole row."""
    head = data[:4096].tobytes()
    try:
        layout = _bmp_rows(head) if fmt == "bmp" else _pnm_rows(head) if fmt == "pnm" else None
    except (ValueError, IndexError, struct.error):
        return None
    if layout is None:
        return None
    start, stride, height, bottom_up = layout
    need = start + stride * height
    held = (len(data) - start) // stride if stride > 0 else 0
    if len(data) >= need or held <= 0:
        return None
    padded = np.zeros(need, np.uint8)
    padded[: len(data)] = data
    return padded, held, bottom_up


def _bmp_rows(head: bytes) -> tuple[int, int, int, bool] | None:
    """(where the pixel rows start, bytes a row, rows, stored bottom first) of an uncompressed
    BMP with a Windows header (an OS/2 1.x one goes to FFmpeg's decoder)."""
    start, dib, w, h, bits, compression = bmp_header(head)
    if dib < 40:
        return None
    if compression not in (0, 3) or bits not in (1, 4, 8, 24, 32) or w <= 0 or h == 0:
        return None  # run-length coded, JPEG or PNG inside: no rows to count
    return start, (w * bits + 31) // 32 * 4, abs(h), h > 0


def _pnm_rows(head: bytes) -> tuple[int, int, int, bool] | None:
    """The same for a binary Netpbm (P4 bitmap, P5 gray, P6 colour), top row first."""
    kind = head[:2]
    if kind not in (b"P4", b"P5", b"P6"):
        return None
    fields, start = pnm_header(head)
    w, h = fields[0], fields[1]
    if kind == b"P4":
        stride = (w + 7) // 8
    else:
        stride = w * (1 if kind == b"P5" else 3) * (1 if fields[2] < 256 else 2)
    return start, stride, h, False
