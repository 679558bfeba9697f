"""HEIF stills (a phone's HEIC, an AVIF) decoded: the primary picture's coded items through
FFmpeg's HEVC and AV1 decoders (PyAV), a grid's tiles put together, the file's crop, turn and
mirror applied, Y'CbCr to RGB by the file's own matrix and range. The boxes are walked by
``colorcli.heifboxes``; the colour profile is followed with the other formats' (imageio).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorcli.cutshort import fill_value
from colorcli.ffstill import decode_packet
from colorcli.heifboxes import CutShort, Item, Layout, heif_layout, item_bytes
from colorcli.walkers import Reader, file_reader

_DECODERS = {"hvc1": ("hevc", "hvcC"), "av01": ("libdav1d", "av1C")}
_DECODABLE = frozenset([*_DECODERS, "grid", "iden"])
_NAMES = {"hevc": "HEVC", "libdav1d": "AV1"}
_ALPHA_URNS = (b"urn:mpeg:hevc:2015:auxid:1", b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")
_MAX_DEPTH = 4  # derived items (grid, iden) over derived items: no camera nests deeper


class HeifError(ValueError):
    """A HEIF file that holds no picture colorize can decode (the reason in words)."""


@dataclass
class _Source:
    """A HEIF file being decoded: its reader, items and size; ``cut``: set where tiles at its
    end were missing (the file cut short) and were filled with mid-gray."""

    read: Reader
    layout: Layout
    size: int
    cut: bool = False


def probe_heif(f) -> tuple[int, int, int]:
    """(width, height, bits) of the primary picture of the open HEIF file ``f``, as shown.
    Raises ValueError (HeifError) for a file with no picture to decode."""
    read, size = file_reader(f), os.fstat(f.fileno()).st_size
    src = _Source(read, heif_layout(read, size), size)
    primary = src.layout.items[src.layout.primary]
    if primary.kind not in _DECODABLE:
        raise _not_supported(primary.kind)
    return (*_picture_size(src, primary), _bits(primary))


def read_heif(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str], bool]:
    """(pixels, alpha, notes, cut short) of a HEIF file's primary picture: (H, W, 3) RGB or
    (H, W) gray, uint8 or uint16 (deeper than 8 bits), upright; its alpha plane if it has one;
    whether the file ended inside it (a grid's missing tiles are then mid-gray). Raises
    HeifError, or OSError where the file cannot be read."""
    with open(path, "rb") as f:
        read, size = file_reader(f), os.fstat(f.fileno()).st_size
        try:
            src = _Source(read, heif_layout(read, size), size)
            return (*_decode_picture(src), src.cut)
        except CutShort as e:
            raise HeifError("truncated heif data (the file ends inside its picture)") from e
        except HeifError:
            raise
        except (ValueError, IndexError) as e:
            raise HeifError(f"damaged heif data ({e or 'its boxes do not add up'})") from e


def _picture_size(src: _Source, item: Item) -> tuple[int, int]:
    """(width, height) of ``item`` as shown: its crop and turn applied."""
    if item.kind == "grid":
        w, h = _grid(item_bytes(src.read, src.layout, item, src.size))[2:]
    else:
        ispe = item.prop("ispe")
        if ispe is None or len(ispe) < 12:
            raise HeifError(f"its picture (a {item.kind!r} item) has no size")
        w, h = int.from_bytes(ispe[4:8], "big"), int.from_bytes(ispe[8:12], "big")
    for kind, payload in item.props:
        if kind == "clap":
            top, bottom, left, right = _clap(payload, w, h)
            w, h = right - left, bottom - top
        elif kind == "irot" and payload[:1] and payload[0] & 1:
            w, h = h, w
    return w, h


def _bits(item: Item) -> int:
    """Bits per sample the file says its picture has (its ``pixi``), 8 where it is silent."""
    pixi = item.prop("pixi")
    return max(pixi[5 : 5 + pixi[4]], default=8) if pixi and len(pixi) > 5 else 8


def _decode_picture(src: _Source) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    primary = src.layout.items[src.layout.primary]
    pixels = _decode(src, primary, 0)
    alpha, notes = None, [note] if (note := _colour_note(src, primary)) else []
    for aux in src.layout.referring("auxl", primary.id):
        if any((aux.prop("auxC") or b"")[4:].startswith(u) for u in _ALPHA_URNS):
            try:
                a = _transform(_decode(src, aux, 0, alpha=True), primary)
            except CutShort:
                notes.append("its transparency is cut short: not kept")
                break
            if a.shape[:2] == pixels.shape[:2]:
                alpha = a.astype(pixels.dtype) if a.dtype == pixels.dtype else _depth(a, pixels)
            else:
                notes.append("its transparency is not the picture's size: not kept")
            break
    return pixels, alpha, notes


_WIDE = {9: "BT.2020", 11: "DCI-P3", 12: "Display P3"}  # nclx primaries, by H.273 code
_HDR = {16: "PQ", 18: "HLG"}  # nclx transfer characteristics


def _colour_note(src: _Source, primary: Item) -> str | None:
    """What the picture's nclx box says that is not followed (wide-gamut primaries, an HDR
    transfer) where no ICC profile says the colours instead; None where nothing is lost."""
    if src.layout.profiles(primary):  # the profile says the colours (and is followed)
        return None
    nclx = next((n for n in map(_nclx, src.layout.colour_items(primary)) if n), None)
    if nclx is None or (nclx[0] not in _WIDE and nclx[1] not in _HDR):
        return None
    if nclx[1] in _HDR:
        return f"HDR ({_HDR[nclx[1]]}) colours: read as if SDR, darker and flatter than shown"
    return f"{_WIDE[nclx[0]]} colours (its nclx box): read as sRGB, less saturated than shown"


def _depth(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    if like.dtype == np.uint16:
        return a.astype(np.uint16) * 257
    return (a >> 8).astype(np.uint8)


def _decode(src: _Source, item: Item, depth: int, alpha: bool = False) -> np.ndarray:
    """``item``'s pixels (``alpha``: its luma as an alpha plane) with its own crop, turn and
    mirror applied."""
    if depth > _MAX_DEPTH:
        raise HeifError("damaged heif data (its pictures refer to each other in a loop)")
    if item.kind in _DECODERS:
        a = _decode_coded(src, item, alpha)
    elif item.kind == "grid":
        a = _decode_grid(src, item, depth, alpha)
    elif item.kind == "iden":  # another item, turned or cropped
        refs = item.refs.get("dimg", [])
        if not refs or refs[0] not in src.layout.items:
            raise HeifError("damaged heif data (a derived picture with no source)")
        a = _decode(src, src.layout.items[refs[0]], depth + 1, alpha)
    else:
        raise _not_supported(item.kind)
    return _transform(a, item)


def _not_supported(kind: str) -> HeifError:
    what = {"iovl": "an overlay of pictures", "jpeg": "a JPEG inside HEIF"}.get(kind)
    return HeifError(f"its picture is {what or f'coded as {kind!r}'}: not supported")


def _transform(a: np.ndarray, item: Item) -> np.ndarray:
    """``a`` cropped, turned and mirrored by ``item``'s properties, in the file's order."""
    for kind, payload in item.props:
        if kind == "clap":
            top, bottom, left, right = _clap(payload, a.shape[1], a.shape[0])
            a = a[top:bottom, left:right]
        elif kind == "irot" and payload:  # quarter turns anticlockwise
            a = np.rot90(a, payload[0] & 3)
        elif kind == "imir" and payload:  # 0: top and bottom swapped; 1: left and right
            a = a[::-1] if payload[0] & 1 == 0 else a[:, ::-1]
    return np.ascontiguousarray(a)


def _clap(payload: bytes, w: int, h: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of a clean aperture (centred crop) of a w x h picture."""
    n = [int.from_bytes(payload[i : i + 4], "big", signed=i >= 16) for i in range(0, 32, 4)]
    if len(payload) < 32 or 0 in (n[1], n[3], n[5], n[7]):
        return 0, h, 0, w
    cw, ch = round(n[0] / n[1]), round(n[2] / n[3])
    left = round(n[4] / n[5] + (w - cw) / 2)
    top = round(n[6] / n[7] + (h - ch) / 2)
    left, top = min(max(left, 0), w - 1), min(max(top, 0), h - 1)
    return top, min(top + max(ch, 1), h), left, min(left + max(cw, 1), w)


def _grid(data: bytes) -> tuple[int, int, int, int]:
    """(rows, columns, width, height) of a grid item's bytes."""
    if len(data) < 8:
        raise HeifError("damaged heif data (its grid is cut short)")
    wide = data[1] & 1
    n = 4 if wide else 2
    w, h = (int.from_bytes(data[4 + i * n : 4 + (i + 1) * n], "big") for i in range(2))
    return data[2] + 1, data[3] + 1, w, h


def _decode_grid(src: _Source, item: Item, depth: int, alpha: bool) -> np.ndarray:
    """A grid's tiles put together. Where the file ends among them (a copy stopped part way),
    the rows of tiles from the first one missing are mid-gray, as libjpeg fills a JPEG cut
    short, and ``src.cut`` says so; with not one whole row it is refused."""
    rows, cols, w, h = _grid(item_bytes(src.read, src.layout, item, src.size))
    ids = item.refs.get("dimg", [])
    if len(ids) != rows * cols or any(i not in src.layout.items for i in ids):
        raise HeifError(f"damaged heif data (a {rows}x{cols} grid with {len(ids)} tiles)")
    tiles = []
    for i in ids:
        try:
            tiles.append(_decode(src, src.layout.items[i], depth + 1, alpha))
        except CutShort:
            if len(tiles) < cols:
                raise
            src.cut = True
            break
    th, tw = tiles[0].shape[:2]
    if th * rows < h or tw * cols < w:
        raise HeifError(f"damaged heif data (its tiles do not cover its {w}x{h} picture)")
    canvas = np.full((th * rows, tw * cols, *tiles[0].shape[2:]), fill_value(tiles[0].dtype),
                     tiles[0].dtype)  # fmt: skip
    for k, tile in enumerate(tiles[: len(tiles) // cols * cols]):
        if tile.shape != tiles[0].shape or tile.dtype != canvas.dtype:
            raise HeifError("damaged heif data (its grid's tiles differ in size or depth)")
        r, c = divmod(k, cols)
        canvas[r * th : (r + 1) * th, c * tw : (c + 1) * tw] = tile
    return canvas[:h, :w]


def _decode_coded(src: _Source, item: Item, alpha: bool) -> np.ndarray:
    import av

    codec, config_box = _DECODERS[item.kind]
    data = item_bytes(src.read, src.layout, item, src.size)
    try:
        frames = decode_packet(codec, data, item.prop(config_box))
    except (av.error.FFmpegError, ValueError) as e:
        why = getattr(e, "strerror", None) or e
        raise HeifError(f"damaged heif data (its {_NAMES[codec]} does not decode: {why})") from e
    if not frames:
        raise HeifError(f"damaged heif data (its {_NAMES[codec]} does not decode)")
    a = _to_array(frames[0], _nclx(item), alpha)
    ispe = item.prop("ispe")  # the coded picture may be padded beyond what is shown
    if ispe and len(ispe) >= 12:
        w, h = int.from_bytes(ispe[4:8], "big"), int.from_bytes(ispe[8:12], "big")
        if 0 < w <= a.shape[1] and 0 < h <= a.shape[0]:
            a = a[:h, :w]
    return a


def _nclx(item: Item) -> tuple[int, int, int, bool] | None:
    """(primaries, transfer, matrix, full range) of the item's nclx colour box, if any."""
    for kind, p in item.props:
        if kind == "colr" and p[:4] == b"nclx" and len(p) >= 11:
            return (*(int.from_bytes(p[i : i + 2], "big") for i in (4, 6, 8)), bool(p[10] >> 7))
    return None


def _to_array(frame, nclx: tuple[int, int, int, bool] | None, alpha: bool = False) -> np.ndarray:
    """A decoded frame as RGB (or gray, for a monochrome picture), 8 or 16 bits, by the
    nclx box's matrix and range where it has one, else by what the bitstream says; with
    ``alpha``, its luma plane as it is. Computed
    here in floating point (swscale's 8-bit path was 0.4 levels further from the source)."""
    name = frame.format.name
    depth = frame.format.components[0].bits
    planes = [_plane(p, depth) for p in frame.planes]
    full = nclx[3] if nclx else (int(frame.color_range) == 2 or name.startswith("yuvj"))
    code = nclx[2] if nclx else int(frame.colorspace or 2)
    top = (1 << depth) - 1
    if alpha:  # an alpha plane's codes are its values, whatever range the bitstream says
        return _full_range(planes[0], depth, True)
    if name.startswith("gray"):
        return _full_range(planes[0], depth, full)
    if name.startswith("gbr"):  # the planes hold G, B, R as they are
        rgb = np.dstack([planes[2], planes[0], planes[1]])
        return rgb if depth == 8 else _scaled(rgb.astype(np.float32) / top, 65535)
    if code == 0:  # identity matrix in Y'CbCr planes (lossless 4:4:4): G, B, R
        return _ycbcr_to_rgb(planes, depth, full, None)
    return _ycbcr_to_rgb(planes, depth, full, _KR_KB.get(code, _KR_KB[6]))


# (Kr, Kb) of the Y'CbCr matrices, by H.273 code: BT.709, BT.601, FCC, SMPTE 240M, BT.2020
_KR_KB = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 5: (0.299, 0.114), 6: (0.299, 0.114),
          7: (0.212, 0.087), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}  # fmt: skip
_STRIP = 1 << 20  # pixels converted at a time


def _plane(plane, depth: int) -> np.ndarray:
    dtype = np.uint8 if depth <= 8 else np.dtype("<u2")
    a = np.frombuffer(plane, dtype).reshape(-1, plane.line_size // np.dtype(dtype).itemsize)
    return a[: plane.height, : plane.width]


def _scaled(unit: np.ndarray, top: int) -> np.ndarray:
    return np.rint(np.clip(unit, 0.0, 1.0) * top).astype(np.uint8 if top == 255 else np.uint16)


def _full_range(y: np.ndarray, depth: int, full: bool) -> np.ndarray:
    """A luma plane as gray of 0..1 scaled to 8 or 16 bits."""
    unit = 1 << (depth - 8)
    lo, span = (0, (1 << depth) - 1) if full else (16 * unit, 219 * unit)
    return _scaled((y.astype(np.float32) - lo) / span, 255 if depth == 8 else 65535)


def _ycbcr_to_rgb(
    planes: list[np.ndarray], depth: int, full: bool, k: tuple[float, float] | None
) -> np.ndarray:
    """Y'CbCr planes (chroma at any subsampling, brought to the luma's size) as RGB."""
    import cv2

    y = planes[0]
    h, w = y.shape
    cb, cr = (cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) if c.shape != y.shape
              else c for c in planes[1:3])  # fmt: skip
    unit = 1 << (depth - 8)
    y_lo, y_span, c_span = (0, (1 << depth) - 1, (1 << depth) - 1) if full else (
        16 * unit, 219 * unit, 224 * unit)  # fmt: skip
    mid = 128 * unit
    out = np.empty((h, w, 3), np.uint8 if depth == 8 else np.uint16)
    rows = max(1, _STRIP // w)
    for r in range(0, h, rows):
        yy = (y[r : r + rows].astype(np.float32) - y_lo) / y_span
        u = (cb[r : r + rows].astype(np.float32) - mid) / c_span
        v = (cr[r : r + rows].astype(np.float32) - mid) / c_span
        if k is None:  # identity: the planes hold G, B, R, each scaled as Y' is
            u, v = ((c[r : r + rows].astype(np.float32) - y_lo) / y_span for c in (cb, cr))
            rgb = np.dstack([v, yy, u])
        else:
            kr, kb = k
            red = yy + 2 * (1 - kr) * v
            blue = yy + 2 * (1 - kb) * u
            green = (yy - kr * red - kb * blue) / (1 - kr - kb)
            rgb = np.dstack([red, green, blue])
        out[r : r + rows] = _scaled(rgb, 255 if depth == 8 else 65535)
    return out


__all__ = ["HeifError", "probe_heif", "read_heif"]
