"""A small HEIF writer for tests: pictures coded by PyAV's HEVC (x265) or AV1 (SVT-AV1)
encoder, as one item or a grid of tiles (as an iPhone writes), with the properties a phone or
an editor writes (turn, mirror, crop, nclx colour, ICC profile, Exif, alpha). The Y'CbCr is
made here, by a known matrix and range, so that a test knows what the file says.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

KR_KB = {1: (0.2126, 0.0722), 6: (0.299, 0.114), 9: (0.2627, 0.0593)}


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def ycbcr(rgb: np.ndarray, matrix: int, full: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-bit Y', and Cb, Cr at half size (4:2:0, box-averaged), of uint8 RGB."""
    x = rgb.astype(np.float64) / 255
    kr, kb = KR_KB[matrix]
    y = kr * x[..., 0] + (1 - kr - kb) * x[..., 1] + kb * x[..., 2]
    cb, cr = (x[..., 2] - y) / (2 * (1 - kb)), (x[..., 0] - y) / (2 * (1 - kr))
    h, w = y.shape
    cb, cr = (c.reshape(h // 2, 2, w // 2, 2).mean((1, 3)) for c in (cb, cr))
    if full:
        return tuple(
            np.clip(np.rint(v), 0, 255).astype(np.uint8)
            for v in (y * 255, cb * 255 + 128, cr * 255 + 128)
        )
    return tuple(np.clip(np.rint(v), 0, 255).astype(np.uint8) for v in (16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr))  # fmt: skip


def _nals(annex_b: bytes) -> list[bytes]:
    parts = annex_b.split(b"\x00\x00\x01")
    return [p.rstrip(b"\x00") for p in parts if p.strip(b"\x00")]


def _hvcc(extradata: bytes) -> bytes:
    """An HEVC decoder configuration record holding the encoder's VPS, SPS and PPS."""
    head = bytes([1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 93, 0xF0, 0, 0xFC, 0xFD, 0xF8, 0xF8])
    head += bytes([0, 0, 0x0F])  # frame rate; 4-byte NAL lengths
    arrays = []
    for kind in (32, 33, 34):
        units = [n for n in _nals(extradata) if (n[0] >> 1) & 0x3F == kind]
        arrays.append(bytes([0x80 | kind]) + struct.pack(">H", len(units)) + b"".join(
            struct.pack(">H", len(u)) + u for u in units))  # fmt: skip
    return head + bytes([len(arrays)]) + b"".join(arrays)


def encode(planes: tuple[np.ndarray, ...], codec: str) -> tuple[bytes, bytes]:
    """(configuration record, item bytes) of one picture: (Y',) or (Y', Cb, Cr) 4:2:0."""
    if codec == "hevc":
        return _encode(planes, codec)
    # SVT-AV1 makes the thread that opens it real-time (SCHED_FIFO 99, where it may: as root),
    # and every process started from it after inherits that: two training processes spinning
    # at that priority starved their own other threads, and the suite hung. Put back after.
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    log = os.environ.get("SVT_LOG")
    os.environ["SVT_LOG"] = "1"  # it prints its settings otherwise
    try:
        return _encode(planes, codec)
    finally:
        os.sched_setscheduler(0, policy, param)
        if log is None:
            del os.environ["SVT_LOG"]
        else:
            os.environ["SVT_LOG"] = log


def _encode(planes: tuple[np.ndarray, ...], codec: str) -> tuple[bytes, bytes]:
    import av
    from av.codec.context import Flags

    h, w = planes[0].shape
    if codec == "av1" and len(planes) == 1:  # SVT-AV1 codes 4:2:0 only: neutral chroma
        planes = (planes[0], *[np.full((h // 2, w // 2), 128, np.uint8)] * 2)
    name = {"hevc": "libx265", "av1": "libsvtav1"}[codec]
    cc = av.CodecContext.create(name, "w")
    fmt = "gray" if len(planes) == 1 else "yuv420p"
    cc.width, cc.height, cc.pix_fmt, cc.time_base = w, h, fmt, Fraction(1, 25)
    if codec == "hevc":
        cc.flags |= Flags.global_header
        cc.options = {"x265-params": "log-level=error:crf=8"}
    else:
        cc.options = {"crf": "8"}
    frame = av.VideoFrame(w, h, fmt)
    for plane, values in zip(frame.planes, planes, strict=True):
        view = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        view[: values.shape[0], : values.shape[1]] = values
    frame.pts = 0
    data = b"".join(bytes(p) for p in [*cc.encode(frame), *cc.encode(None)])
    if codec == "av1":  # drop the temporal delimiter; the sequence header stays in the item
        data = data[2:] if data[:2] == b"\x12\x00" else data
        return bytes([0x81, 0x00, 0x0C if len(planes) == 3 else 0x1C, 0]), data
    units = [n for n in _nals(data) if (n[0] >> 1) & 0x3F not in (32, 33, 34)]
    return _hvcc(bytes(cc.extradata)), b"".join(struct.pack(">I", len(u)) + u for u in units)


@dataclass
class Entry:
    """One item to write: id, type, bytes, whether they go in the meta box's idat, property
    boxes, references from it by type."""

    id: int
    kind: bytes
    data: bytes
    in_idat: bool = False
    props: list[bytes] = field(default_factory=list)
    refs: dict[bytes, list[int]] = field(default_factory=dict)
    hidden: bool = False  # a tile: not a picture of its own


def _properties(w, h, matrix, full, nclx, icc, irot, imir, clap) -> tuple[list, list, bytes]:
    """(colour boxes, transformation boxes, ispe) of a picture; ``nclx``: (primaries,
    transfer) of its nclx box, or None for none."""
    colour, turn = [], []
    if nclx:
        code = struct.pack(">HHHB", *nclx, matrix, 0x80 * full)
        colour.append(box(b"colr", b"nclx" + code))
    if icc:
        colour.append(box(b"colr", b"prof" + icc))
    if clap:
        cw, ch, dx, dy = clap
        turn.append(box(b"clap", struct.pack(">IIIIiIiI", cw, 1, ch, 1, dx, 1, dy, 1)))
    if irot:
        turn.append(box(b"irot", bytes([irot & 3])))
    if imir is not None:
        turn.append(box(b"imir", bytes([imir])))
    return colour, turn, full_box(b"ispe", 0, 0, struct.pack(">II", w, h))


def write_heif(
    path: Path,
    rgb: np.ndarray,
    *,
    tile: int | None = None,
    codec: str = "hevc",
    matrix: int = 6,
    full: bool = True,
    nclx: tuple[int, int] | None = (1, 13),
    gray: bool = False,
    irot: int = 0,
    imir: int | None = None,
    clap: tuple[int, int, int, int] | None = None,
    icc: bytes | None = None,
    exif: bytes | None = None,
    alpha: np.ndarray | None = None,
) -> Path:
    """Write uint8 RGB (H, W, 3; even sides) as a HEIF still: one coded item, or with
    ``tile`` a grid of tile x tile pictures (the last row and column padded); ``nclx``: its
    nclx box's (primaries, transfer), None for none; ``clap``:
    (width, height, horizontal offset, vertical offset) of a centred crop."""
    h, w = rgb.shape[:2]
    th, tw = (tile, tile) if tile else (h, w)
    rows, cols = -(-h // th), -(-w // tw)
    padded = np.pad(rgb, ((0, rows * th - h), (0, cols * tw - w), (0, 0)), mode="edge")
    coded = []
    for r in range(rows):
        for c in range(cols):
            planes = ycbcr(padded[r * th : (r + 1) * th, c * tw : (c + 1) * tw], matrix, full)
            coded.append(encode(planes[:1] if gray else planes, codec))
    kind, config = (b"hvc1", b"hvcC") if codec == "hevc" else (b"av01", b"av1C")
    colour, turn, ispe = _properties(w, h, matrix, full, nclx, icc, irot, imir, clap)
    tile_ispe = full_box(b"ispe", 0, 0, struct.pack(">II", tw, th))
    if tile:  # the grid's description in idat, as an iPhone writes it
        grid = bytes([0, 0, rows - 1, cols - 1]) + struct.pack(">HH", w, h)
        ids = list(range(2, 2 + len(coded)))
        items = [Entry(1, b"grid", grid, True, [ispe, *colour, *turn], {b"dimg": ids})]
        items += [
            Entry(i, kind, data, props=[box(config, cfg), tile_ispe, *colour], hidden=True)
            for i, (cfg, data) in zip(ids, coded, strict=True)
        ]
    else:
        cfg, data = coded[0]
        items = [Entry(1, kind, data, props=[box(config, cfg), ispe, *colour, *turn])]
    if alpha is not None:
        cfg, data = encode((alpha,), codec)
        urn = _ALPHA_URN[codec]
        props = [box(config, cfg), ispe, full_box(b"auxC", 0, 0, urn)]
        items.append(Entry(len(items) + 1, kind, data, props=props, refs={b"auxl": [1]}))
    if exif is not None:
        data = struct.pack(">I", 6) + b"Exif\x00\x00" + exif
        items.append(Entry(len(items) + 1, b"Exif", data, refs={b"cdsc": [1]}))
    return _write(path, items, b"heic" if codec == "hevc" else b"avif")


_ALPHA_URN = {
    "hevc": b"urn:mpeg:hevc:2015:auxid:1\x00",
    "av1": b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\x00",
}


def _write(path: Path, items: list[Entry], brand: bytes) -> Path:
    props: list[bytes] = []

    def index(p: bytes) -> int:
        if p not in props:
            props.append(p)
        return props.index(p) + 1

    assoc = [(i.id, [index(p) for p in i.props]) for i in items]
    ipma = struct.pack(">I", len(assoc)) + b"".join(
        struct.pack(">HB", iid, len(ix)) + bytes(0x80 | x for x in ix) for iid, ix in assoc)  # fmt: skip
    iprp = box(b"iprp", box(b"ipco", b"".join(props)) + full_box(b"ipma", 0, 0, ipma))
    infe = b"".join(
        full_box(b"infe", 2, int(i.hidden), struct.pack(">HH4s", i.id, 0, i.kind) + b"\x00")
        for i in items
    )
    iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(items)) + infe)
    refs = b"".join(
        box(k, struct.pack(">HH", i.id, len(to)) + b"".join(struct.pack(">H", t) for t in to))
        for i in items for k, to in i.refs.items()
    )  # fmt: skip
    iref = full_box(b"iref", 0, 0, refs) if refs else b""
    idat_items = [i for i in items if i.in_idat]
    idat = box(b"idat", b"".join(i.data for i in idat_items)) if idat_items else b""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x00\x00mif1" + brand + b"miaf")

    def meta(mdat_at: int) -> bytes:
        locs, file_off, idat_off = [], mdat_at + 8, 0
        for i in items:
            if i.in_idat:
                off, idat_off = idat_off, idat_off + len(i.data)
            else:
                off, file_off = file_off, file_off + len(i.data)
            locs.append(struct.pack(">HHHHII", i.id, int(i.in_idat), 0, 1, off, len(i.data)))
        iloc = full_box(
            b"iloc", 1, 0, bytes([0x44, 0x00]) + struct.pack(">H", len(items)) + b"".join(locs)
        )
        hdlr = full_box(b"hdlr", 0, 0, b"\x00" * 4 + b"pict" + b"\x00" * 13)
        pitm = full_box(b"pitm", 0, 0, struct.pack(">H", 1))
        return full_box(b"meta", 0, 0, hdlr + pitm + iloc + iinf + iref + iprp + idat)

    size = len(meta(0))
    mdat = box(b"mdat", b"".join(i.data for i in items if not i.in_idat))
    path.write_bytes(ftyp + meta(len(ftyp) + size) + mdat)
    return path
