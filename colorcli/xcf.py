"""GIMP's own files (.xcf, versions 0 to 12+): the picture a restorer saved, made from its
layers as GIMP shows it when every visible layer is blended normally (layer order, offsets,
opacity, layer masks, hidden groups); 8- and 16-bit gray, RGB and indexed images. What GIMP
would show otherwise (other blend modes, a group's own mode) is said in a notice. No model."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from colorcli.xcfblend import NORMAL_MODES, Layer, blend, grouped

SIGNATURE = b"gimp xcf "
TILE = 64
# property types (GIMP's xcf.txt)
_END, _COLORMAP, _OPACITY, _MODE, _VISIBLE, _APPLY_MASK = 0, 1, 6, 7, 8, 11
_FLOATING, _OFFSETS, _COMPRESSION, _GROUP_ITEM, _FLOAT_OPACITY = 5, 15, 17, 29, 33
_RESOLUTION, _PARASITES, _ITEM_PATH, _COMPOSITE_SPACE = 19, 21, 30, 36
_PRECISION_BITS = {100: 8, 150: 8, 200: 16, 250: 16}  # version 7+ (and 5-6)
_V4_PRECISION_BITS = {0: 8, 1: 16}
_CHANNELS = {0: 3, 1: 4, 2: 1, 3: 2, 4: 1, 5: 2}  # a layer's kind: its samples a pixel


class XcfError(ValueError):
    """A GIMP file that cannot be read as one (or of a kind not read)."""


@dataclass
class _Reader:
    data: bytes
    version: int
    canvas: tuple[int, int]  # (w, h): only what of each layer lies on it is read
    notes: list[str] = field(default_factory=list)

    def u32(self, at: int) -> int:
        return struct.unpack_from(">I", self.data, at)[0]

    def pointer(self, at: int) -> tuple[int, int]:
        """A file offset (32 bits before version 11, 64 after) and where the next one is."""
        if self.version >= 11:
            return struct.unpack_from(">Q", self.data, at)[0], at + 8
        return self.u32(at), at + 4

    def pointers(self, at: int) -> tuple[list[int], int]:
        out = []
        while True:
            p, at = self.pointer(at)
            if p == 0:
                return out, at
            if p >= len(self.data):
                raise XcfError("damaged GIMP file (a pointer past its end)")
            out.append(p)

    def properties(self, at: int) -> tuple[dict[int, bytes], int]:
        props: dict[int, bytes] = {}
        while True:
            kind, size = struct.unpack_from(">II", self.data, at)
            at += 8
            if kind == _END:
                return props, at
            if kind == _COLORMAP:  # its size field was written wrong by old GIMPs
                size = 4 + 3 * self.u32(at)
            if at + size > len(self.data):
                raise XcfError("damaged GIMP file (a property past its end)")
            props[kind] = self.data[at : at + size]
            at += size


def _version(data: bytes) -> int:
    tag = data[9:13]
    if tag == b"file":
        return 0
    if tag[:1] == b"v" and tag[1:].isdigit():
        return int(tag[1:])
    raise XcfError("not a GIMP file (no version)")


def _rle(data: bytes, at: int, count: int) -> tuple[bytes, int]:
    """``count`` bytes of one channel of an RLE tile, and where its next channel starts."""
    out = bytearray()
    while len(out) < count:
        n = data[at]
        at += 1
        if n <= 127:  # a run of one byte: short, or long with its count in two bytes
            if n == 127:
                n, at = (data[at] << 8) | data[at + 1], at + 2
            else:
                n += 1
            out += bytes([data[at]]) * n
            at += 1
        else:  # a run of bytes as they are: long (128) or short
            if n == 128:
                n, at = (data[at] << 8) | data[at + 1], at + 2
            else:
                n = 256 - n
            out += data[at : at + n]
            at += n
        if at > len(data):
            raise XcfError("damaged GIMP file (a tile cut short)")
    return bytes(out[:count]), at


def _tiles(r: _Reader, level: int, bpp: int, compression: int, window: tuple) -> np.ndarray:
    """The part ``window`` (x0, y0, x1, y1, in the level's pixels) of a level as bytes:
    (y1 - y0, x1 - x0, bpp) uint8, from the 64 x 64 tiles it touches (a layer reaching far
    past the canvas is never decoded whole)."""
    w, h = r.u32(level), r.u32(level + 4)
    tiles, _ = r.pointers(level + 8)
    cols, rows = -(-w // TILE), -(-h // TILE)
    if len(tiles) < cols * rows:
        raise XcfError("damaged GIMP file (tiles missing)")
    x0, y0, x1, y1 = window
    out = np.zeros((y1 - y0, x1 - x0, bpp), np.uint8)
    for ty in range(y0 // TILE, -(-y1 // TILE)):
        for tx in range(x0 // TILE, -(-x1 // TILE)):
            k = ty * cols + tx
            th, tw = min(TILE, h - ty * TILE), min(TILE, w - tx * TILE)
            end = tiles[k + 1] if k + 1 < len(tiles) else len(r.data)
            tile = _tile(r.data, tiles[k], end, th * tw, bpp, compression).reshape(th, tw, bpp)
            # where the tile and the window meet, in each one's pixels
            a, b = max(ty * TILE, y0), min(ty * TILE + th, y1)
            c, d = max(tx * TILE, x0), min(tx * TILE + tw, x1)
            out[a - y0 : b - y0, c - x0 : d - x0] = tile[
                a - ty * TILE : b - ty * TILE, c - tx * TILE : d - tx * TILE
            ]
    return out


def _tile(data: bytes, at: int, end: int, n: int, bpp: int, compression: int) -> np.ndarray:
    """One tile's ``n`` pixels of ``bpp`` bytes, interleaved, as stored from ``at``."""
    if compression == 1:
        planes = []
        for _ in range(bpp):
            plane, at = _rle(data, at, n)
            planes.append(np.frombuffer(plane, np.uint8))
        tile = np.stack(planes, -1)
    elif compression == 2:
        try:
            raw = zlib.decompressobj().decompress(data[at:end], n * bpp)
        except zlib.error as e:
            raise XcfError(f"damaged GIMP file ({e})") from e
        tile = np.frombuffer(raw, np.uint8)
    elif compression == 0:
        tile = np.frombuffer(data[at : at + n * bpp], np.uint8)
    else:
        raise XcfError(f"a GIMP file compressed in a way not read ({compression})")
    if tile.size != n * bpp:
        raise XcfError("damaged GIMP file (a tile cut short)")
    return tile


def _samples(raw: np.ndarray, bits: int) -> np.ndarray:
    """Bytes (h, w, bpp) as samples in [0, 1]: (h, w, channels) float32."""
    if bits == 16:
        v = raw.reshape(*raw.shape[:2], -1, 2).astype(np.uint16)
        return ((v[..., 0] << 8) | v[..., 1]).astype(np.float32) / 65535.0
    return raw.astype(np.float32) / 255.0


def _hierarchy(
    r: _Reader, at: int, bits: int, compression: int, size: tuple[int, int], channels: int,
    window: tuple,
) -> np.ndarray:  # fmt: skip
    """The ``window`` of a layer or mask of ``size`` (w, h) and ``channels``, its size and
    depth checked against what its hierarchy and first level say."""
    w, h, bpp = struct.unpack_from(">III", r.data, at)
    levels, _ = r.pointers(at + 12)
    if not levels or (w, h) != size or bpp != channels * bits // 8:
        raise XcfError("damaged GIMP file (a layer's pixels are not of its size)")
    if (r.u32(levels[0]), r.u32(levels[0] + 4)) != size:
        raise XcfError("damaged GIMP file (a layer's pixels are not of its size)")
    return _samples(_tiles(r, levels[0], bpp, compression, window), bits)


def _layer(r: _Reader, at: int) -> Layer:
    """A layer's header and properties; its pixels are read later (``_pixels``), once it is
    known to show (a layer in a hidden group is never decoded)."""
    w, h, kind = struct.unpack_from(">III", r.data, at)
    name_len = r.u32(at + 12)
    props, at = r.properties(at + 16 + name_len)
    layer = Layer(w, h, kind)
    if _OFFSETS in props:
        layer.x, layer.y = struct.unpack(">ii", props[_OFFSETS][:8])
    if _FLOAT_OPACITY in props:
        layer.opacity = struct.unpack(">f", props[_FLOAT_OPACITY][:4])[0]
    elif _OPACITY in props:
        layer.opacity = struct.unpack(">I", props[_OPACITY][:4])[0] / 255.0
    if _VISIBLE in props:
        layer.visible = struct.unpack(">I", props[_VISIBLE][:4])[0] != 0
    if _MODE in props:
        layer.mode = struct.unpack(">I", props[_MODE][:4])[0]
    if _COMPOSITE_SPACE in props:  # negative: its mode's own space when saved ("auto")
        layer.space = abs(struct.unpack(">i", props[_COMPOSITE_SPACE][:4])[0])
    if _APPLY_MASK in props:
        layer.apply_mask = struct.unpack(">I", props[_APPLY_MASK][:4])[0] != 0
    layer.group = _GROUP_ITEM in props
    raw_path = props.get(_ITEM_PATH, b"")
    layer.path = struct.unpack(f">{len(raw_path) // 4}I", raw_path[: len(raw_path) // 4 * 4])
    layer.floating = _FLOATING in props  # a selection being moved: anchored by GIMP, not here
    layer.hierarchy, at = r.pointer(at)
    layer.mask_at, _ = r.pointer(at)
    return layer


def _pixels(r: _Reader, layer: Layer, bits: int, compression: int, cmap: np.ndarray) -> None:
    """A layer that shows: the part of it on the canvas (the rest is never shown) decoded,
    its mask too, and its place and size made that part's."""
    if layer.group or layer.floating or not layer.visible or layer.hierarchy == 0:
        return
    if layer.kind not in _CHANNELS:
        raise XcfError(f"damaged GIMP file (a layer of unknown kind {layer.kind})")
    w, h = layer.width, layer.height
    cw, ch = r.canvas
    x0, y0 = max(0, -layer.x), max(0, -layer.y)
    x1, y1 = min(w, cw - layer.x), min(h, ch - layer.y)
    if x1 <= x0 or y1 <= y0:
        return
    window = (x0, y0, x1, y1)
    px = _hierarchy(r, layer.hierarchy, bits, compression, (w, h), _CHANNELS[layer.kind], window)
    if layer.kind in (4, 5):  # indexed: its colour map's colours, its alpha apart
        idx = np.clip(np.rint(px[..., 0] * 255).astype(int), 0, len(cmap) - 1)
        # GIMP shows an indexed layer's alpha as all or nothing (128 and up: opaque)
        alpha = (px[..., 1:] >= 128 / 255).astype(np.float32)
        px = np.concatenate([cmap[idx], alpha], -1) if len(cmap) else px
    layer.pixels = px
    if layer.mask_at and layer.apply_mask:  # a channel: its own properties, then its pixels
        name_len = r.u32(layer.mask_at + 8)
        _, mat = r.properties(layer.mask_at + 12 + name_len)
        mh_at, _ = r.pointer(mat)
        layer.mask = _hierarchy(r, mh_at, bits, compression, (w, h), 1, window)[..., 0]
    layer.x, layer.y, layer.width, layer.height = layer.x + x0, layer.y + y0, x1 - x0, y1 - y0


def _colormap(props: dict[int, bytes]) -> np.ndarray:
    raw = props.get(_COLORMAP)
    if not raw:
        return np.zeros((0, 3), np.float32)
    n = struct.unpack(">I", raw[:4])[0]
    return np.frombuffer(raw[4 : 4 + 3 * n], np.uint8).reshape(n, 3).astype(np.float32) / 255.0


@dataclass(frozen=True)
class Xcf:
    """A GIMP file's picture: gray (H, W) or RGB (H, W, 3) at ``bits`` (8 or 16), ``alpha``
    where it is not opaque all over; ``dpi``, its colour profile (``icc``), whether its
    samples are linear light (GIMP 2.10's linear precisions), what to tell."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    bits: int
    dpi: tuple[float, float] | None
    icc: bytes | None
    linear: bool
    notes: tuple[str, ...]


def _parasite(raw: bytes, want: bytes) -> bytes | None:
    """The payload of the parasite named ``want`` in a PROP_PARASITES payload."""
    at = 0
    while at + 4 <= len(raw):
        n = struct.unpack_from(">I", raw, at)[0]
        name = raw[at + 4 : at + 4 + n].rstrip(b"\0")
        at += 4 + n
        if at + 8 > len(raw):
            return None
        size = struct.unpack_from(">I", raw, at + 4)[0]
        if name == want:
            return raw[at + 8 : at + 8 + size]
        at += 8 + size
    return None


def read_xcf(data: bytes) -> Xcf:
    """A GIMP file's picture (``Xcf``): its visible layers blended as GIMP's normal mode
    does. XcfError for a file that is none, damaged, or of a kind not read (floating-point
    or 32-bit precision)."""
    if not data.startswith(SIGNATURE) or len(data) < 26:
        raise XcfError("not a GIMP file")
    version = _version(data)
    w, h = struct.unpack_from(">II", data, 14)
    r = _Reader(data, version, (w, h))
    try:
        return _read(r)
    except (struct.error, IndexError, OverflowError) as e:  # a pointer past its end
        raise XcfError("damaged GIMP file (cut short)") from e


def _read(r: _Reader) -> Xcf:
    (w, h), base = r.canvas, r.u32(22)
    at = 26
    bits, precision = 8, 150
    if r.version >= 4:
        precision = r.u32(at)
        at += 4
        table = _V4_PRECISION_BITS if r.version == 4 else _PRECISION_BITS
        if precision not in table:
            raise XcfError("a floating-point or 32-bit GIMP image: not read (export it as TIFF)")
        bits = table[precision]
    linear = r.version >= 5 and precision in (100, 200)
    props, at = r.properties(at)
    compression = props.get(_COMPRESSION, b"\x00")[0]
    cmap = _colormap(props)
    offsets, _ = r.pointers(at)
    layers = grouped([_layer(r, p) for p in offsets], r.notes)
    for la in layers:
        _pixels(r, la, bits, compression, cmap)
    gray = base == 1
    rgb, alpha = blend(layers, w, h, gray, linear)
    if any(la.pixels is not None and la.mode not in NORMAL_MODES for la in layers):
        r.notes.append("layers of other blend modes are blended as normal ones")
    scale = 65535 if bits == 16 else 255
    dtype = np.uint16 if bits == 16 else np.uint8
    pixels = np.rint(rgb * scale).astype(dtype)
    pixels = pixels[..., 0] if gray else pixels
    a = None if alpha.min() >= 1.0 else np.rint(alpha * scale).astype(dtype)
    dpi = None
    if len(props.get(_RESOLUTION, b"")) >= 8:
        x, y = struct.unpack(">ff", props[_RESOLUTION][:8])
        dpi = (x, y) if x > 0 and y > 0 else None
    icc = _parasite(props.get(_PARASITES, b""), b"icc-profile")
    return Xcf(pixels, a, bits, dpi, icc, linear, tuple(r.notes))


__all__ = ["SIGNATURE", "Xcf", "XcfError", "read_xcf"]
