"""A flat Photoshop file for tests: the header, image resources (a profile, the resolution,
XMP) and the flattened picture, raw or PackBits-compressed, 8 or 16 bits, as Photoshop
writes it with "maximize compatibility" (no layers here: readers take the flattened picture).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

MODES = {"gray": 1, "rgb": 3, "cmyk": 4}


def packbits(row: bytes) -> bytes:
    """PackBits: runs of 3 or more equal bytes as one repeat, the rest as literals."""
    out, i, n = bytearray(), 0, len(row)
    while i < n:
        j = i
        while j < n and j - i < 128 and row[j] == row[i]:
            j += 1
        if j - i >= 3:
            out += bytes([257 - (j - i), row[i]])
            i = j
            continue
        j = i
        while j < n and j - i < 128 and not (j + 2 < n and row[j] == row[j + 1] == row[j + 2]):
            j += 1
        out += bytes([j - i - 1]) + row[i:j]
        i = j
    return bytes(out)


def resource(rid: int, data: bytes) -> bytes:
    return b"8BIM" + struct.pack(">HHI", rid, 0, len(data)) + data + b"\x00" * (len(data) % 2)


def resolution(dpi: float) -> bytes:
    fixed = round(dpi * 65536)
    return resource(1005, struct.pack(">IHHIHH", fixed, 1, 1, fixed, 1, 1))


def write_psd(
    path: Path,
    samples: np.ndarray,
    mode: str = "rgb",
    rle: bool = False,
    resources: bytes = b"",
    noops: bool = False,
) -> Path:
    """Write (H, W) or (H, W, C) uint8 or uint16 samples as a flat PSD of ``mode``; channels
    beyond the mode's are extra (alpha) channels. ``noops``: each packed row ends with
    PackBits' no-op code (128), as ImageMagick writes it, and the first row has one inside."""
    h, w = samples.shape[:2]
    planes = [samples] if samples.ndim == 2 else [samples[..., k] for k in range(samples.shape[2])]
    depth = 16 if samples.dtype == np.uint16 else 8
    head = b"8BPS" + struct.pack(">H6xHIIHH", 1, len(planes), h, w, depth, MODES[mode])
    head += struct.pack(">I", 0)  # colour mode data
    head += struct.pack(">I", len(resources)) + resources
    head += struct.pack(">I", 0)  # layers and masks: none
    rows = [
        p.astype(">u2" if depth == 16 else np.uint8)[y].tobytes() for p in planes for y in range(h)
    ]
    if not rle:
        return _write(path, head + struct.pack(">H", 0) + b"".join(rows))
    packed = [packbits(r) + (b"\x80" if noops else b"") for r in rows]
    if noops:
        packed[0] = b"\x80" + packed[0]
    counts = b"".join(struct.pack(">H", len(p)) for p in packed)
    return _write(path, head + struct.pack(">H", 1) + counts + b"".join(packed))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
