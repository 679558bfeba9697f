"""GIMP files for tests, written as GIMP writes them (its xcf.txt): a header, the image's
properties, layers (top first) each with its properties, a hierarchy of 64 x 64 tiles, RLE-
or zlib-coded, and an optional layer mask. ``version`` 3 (32-bit pointers, 8-bit, no
precision) or 11 (64-bit pointers, a precision field: 8- or 16-bit gamma)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Layer:
    pixels: np.ndarray  # (h, w, channels) uint8 or uint16: gray, gray+alpha, RGB or RGBA
    x: int = 0
    y: int = 0
    opacity: int = 255
    visible: bool = True
    mask: np.ndarray | None = None  # (h, w) of the layer's dtype
    group: bool = False  # a layer group (its pixels: transparent, as its projection is GIMP's)
    path: tuple[int, ...] = ()  # its place in a group (PROP_ITEM_PATH; GIMP writes none at the top)
    mode: int = 28  # GIMP 2.10's normal (0: the legacy one)
    space: int | None = None  # PROP_COMPOSITE_SPACE as GIMP writes it (-1: auto, linear)


def _rle(plane: bytes) -> bytes:
    """GIMP's RLE of one byte channel: runs of 3+ equal bytes, else literal runs."""
    out, i, n = bytearray(), 0, len(plane)
    while i < n:
        j = i
        while j < n and plane[j] == plane[i] and j - i < 300:
            j += 1
        if j - i >= 3:
            count = j - i
            out += (
                bytes([count - 1, plane[i]])
                if count <= 127
                else bytes([127, count >> 8, count & 255, plane[i]])
            )
            i = j
            continue
        j = i
        while (
            j < n and j - i < 127 and not (j + 2 < n and plane[j] == plane[j + 1] == plane[j + 2])
        ):
            j += 1
        j = max(j, i + 1)
        out += bytes([256 - (j - i)]) + plane[i:j]
        i = j
    return bytes(out)


def _tile_bytes(tile: np.ndarray, compression: int) -> bytes:
    """A tile (th, tw, channels) as GIMP stores it: big-endian samples, interleaved (zlib)
    or one byte channel after another (RLE)."""
    raw = (
        tile.astype(">u2").view(np.uint8).reshape(*tile.shape[:2], -1)
        if tile.dtype == np.uint16
        else tile
    )
    if compression == 2:
        return zlib.compress(np.ascontiguousarray(raw).tobytes())
    if compression == 0:
        return np.ascontiguousarray(raw).tobytes()
    return b"".join(_rle(np.ascontiguousarray(raw[..., k]).tobytes()) for k in range(raw.shape[-1]))


class _Writer:
    def __init__(self, version: int) -> None:
        self.version, self.out = version, bytearray()

    def ptr(self, value: int) -> bytes:
        return struct.pack(">Q" if self.version >= 11 else ">I", value)

    def hierarchy(self, px: np.ndarray, compression: int) -> int:
        h, w = px.shape[:2]
        bpp = px.shape[2] * px.dtype.itemsize
        tiles = [px[y : y + 64, x : x + 64] for y in range(0, h, 64) for x in range(0, w, 64)]
        datas = [_tile_bytes(t, compression) for t in tiles]
        level_at = len(self.out)
        level = struct.pack(">II", w, h)
        body_at = level_at + len(level) + len(self.ptr(0)) * (len(tiles) + 1)
        offs = []
        for d in datas:
            offs.append(body_at)
            body_at += len(d)
        self.out += level + b"".join(self.ptr(o) for o in offs) + self.ptr(0) + b"".join(datas)
        at = len(self.out)
        self.out += struct.pack(">III", w, h, bpp) + self.ptr(level_at) + self.ptr(0)
        return at


def _prop(kind: int, payload: bytes) -> bytes:
    return struct.pack(">II", kind, len(payload)) + payload


def write_xcf(
    path: Path,
    width: int,
    height: int,
    layers: list[Layer],
    version: int = 11,
    compression: int = 1,
    dpi: float | None = None,
    icc: bytes | None = None,
    precision: int | None = None,
    colormap: np.ndarray | None = None,
) -> Path:
    """Layers top first; the image's base type from the first layer's channels."""
    w = _Writer(version)
    first = layers[0].pixels
    gray = first.shape[2] <= 2
    deep = first.dtype == np.uint16
    header = (
        b"gimp xcf "
        + (b"v%03d" % version if version else b"file")  # version 0's tag
        + b"\0"
        + struct.pack(">III", width, height, 2 if colormap is not None else 1 if gray else 0)
    )
    if version >= 4:
        header += struct.pack(">I", precision or (250 if deep else 150))
    image_props = _prop(17, bytes([compression]))
    if colormap is not None:  # an indexed image: its layers hold indices into it
        image_props += _prop(
            1, struct.pack(">I", len(colormap)) + colormap.astype(np.uint8).tobytes()
        )
    if dpi:
        image_props += _prop(19, struct.pack(">ff", dpi, dpi))
    if icc:  # a parasite: its name (a string), flags, size, payload
        name = b"icc-profile\0"
        parasite = struct.pack(">I", len(name)) + name + struct.pack(">II", 1, len(icc)) + icc
        image_props += _prop(21, parasite)
    image_props += _prop(0, b"")
    pointer_size = 8 if version >= 11 else 4
    w.out += header + image_props
    table_at = len(w.out)
    w.out += b"\0" * pointer_size * (len(layers) + 2)  # the layer pointers, then no channels
    layer_at = []
    for la in layers:
        h_at = w.hierarchy(la.pixels, compression)
        mask_at = 0
        if la.mask is not None:
            m_h = w.hierarchy(la.mask[..., None], compression)
            mask_at = len(w.out)
            w.out += (
                struct.pack(">II", la.pixels.shape[1], la.pixels.shape[0])
                + struct.pack(">I", 5)
                + b"mask\0"
            )
            w.out += _prop(0, b"") + w.ptr(m_h)
        kind = {1: 2, 2: 3, 3: 0, 4: 1}[la.pixels.shape[2]] + (2 if colormap is not None else 0)
        props = _prop(15, struct.pack(">ii", la.x, la.y)) + _prop(6, struct.pack(">I", la.opacity))
        props += _prop(8, struct.pack(">I", int(la.visible))) + _prop(7, struct.pack(">I", la.mode))
        props += _prop(11, struct.pack(">I", 1 if la.mask is not None else 0))
        if la.space is not None:
            props += _prop(36, struct.pack(">i", la.space))
        if la.group:
            props += _prop(29, b"")
        if la.path:
            props += _prop(30, struct.pack(f">{len(la.path)}I", *la.path))
        props += _prop(0, b"")
        layer_at.append(len(w.out))
        h, wd = la.pixels.shape[:2]
        w.out += struct.pack(">III", wd, h, kind) + struct.pack(">I", 6) + b"layer\0" + props
        w.out += w.ptr(h_at) + w.ptr(mask_at)
    table = b"".join(w.ptr(a) for a in layer_at) + w.ptr(0) + w.ptr(0)
    w.out[table_at : table_at + len(table)] = table
    path.write_bytes(bytes(w.out))
    return path
