"""A photo's own metadata, carried from the scan to its coloured copy. Bytes only, no pixels.

An archive's scans carry what an archivist wrote into them and what the scanner recorded: the
resolution (dots per inch: the print's real size), EXIF (date, scanner or camera, description,
artist, copyright), XMP and IPTC records, comments and PNG text. :func:`read_meta` collects them
from the input file's bytes and :func:`apply_meta` writes them into the encoded output:

- JPEG out: the JFIF density, EXIF, XMP, IPTC (APP13) and comments;
- PNG out: ``pHYs`` (the density), ``eXIf``, XMP, and the input's ``tEXt``/``zTXt``/``iTXt``
  and ``tIME`` chunks;
- TIFF out: the density (through OpenCV's TIFF options: :func:`tiff_params`);
- JPEG 2000 out: the density, as a capture resolution box (``resc``) in its header box.

The resolution and the profile of TIFF, JPEG 2000, WebP and Photoshop inputs (and a Photoshop
file's EXIF and XMP) are read from their headers by ``colorcli.headermeta``; a HEIF file's (a phone's HEIC, an AVIF) Exif, XMP and profile from
its items by ``colorcli.heifboxes``.

The EXIF orientation is written as 1 (the pixels were turned upright on reading). The colour
profile (ICC) is read, not carried: ``colorcli.icc`` follows it to sRGB on reading, and the
output is sRGB. A WebP takes EXIF and XMP (as chunks, a VP8X header saying so); nothing is
carried into BMP or DPX.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from colorcli.headermeta import (
    first_ifd,
    jp2_boxes,
    jp2_fields,
    jp2_with_xmp,
    psd_fields,
    tiff_fields,
    tiff_with_xmp,
)
from colorcli.heifboxes import heif_meta, is_heif
from colorcli.imageprobe import JP2_SIGNATURE
from colorcli.provenance import marked
from colorcli.walkers import (
    PNG_SIGNATURE,
    TIFF_SIGNATURES,
    bytes_reader,
    file_reader,
    png_chunk,
    png_chunks,
    riff_chunks,
)

_JPEG_APPS = (0xE1, 0xED, 0xFE)  # APP1 (EXIF, XMP), APP13 (IPTC), COM
_EXIF = b"Exif\x00\x00"
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt", b"tIME")
_PNG_XMP = b"XML:com.adobe.xmp"
_INCH = 0.0254  # metres


@dataclass
class Meta:
    """What a photo says about itself. ``dpi``: (x, y) dots per inch or None; ``exif``: the raw
    TIFF structure of its EXIF; ``xmp``: the XMP packet; ``jpeg``: other JPEG segments to
    carry as (marker, payload); ``png``: PNG text chunks to carry as (type, data); ``icc``:
    the embedded colour profile (read, followed to sRGB, not written); ``gamma``: a PNG's gAMA
    where neither an sRGB nor an iCCP chunk overrides it (read, followed, not written);
    ``coloured``: the copy's colour is a model's, which its XMP then says
    (``colorcli.provenance``; see ``coloured_copy``)."""

    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    jpeg: list[tuple[int, bytes]] = field(default_factory=list)
    png: list[tuple[bytes, bytes]] = field(default_factory=list)
    icc: bytes | None = None
    gamma: float | None = None
    coloured: bool = False

    def __bool__(self) -> bool:
        return bool(self.dpi or self.exif or self.xmp or self.jpeg or self.png or self.coloured)


def coloured_copy(meta: Meta | None) -> Meta:
    """The metadata of a photo's coloured copy: the input's (or none), marked as coloured."""
    return dataclasses.replace(meta or Meta(), coloured=True)


_JPEG_HEAD = 1 << 20  # bytes of a JPEG read for its segments (EXIF and XMP are each < 64 kB)


def read_meta(path: Path) -> Meta:
    """The metadata of a JPEG, PNG, TIFF, WebP, JPEG 2000, HEIF or PSD file (an empty Meta for
    anything else, or for a structure it cannot follow: metadata is never a reason to fail a
    photo). Pixel data is skipped over, not read."""
    try:
        with open(path, "rb") as f:
            sig = f.read(8)
            f.seek(0)
            if is_heif(f.read(256)):  # a phone's HEIC, an AVIF: their Exif, XMP and profile
                exif, xmp, icc = heif_meta(file_reader(f), os.fstat(f.fileno()).st_size)
                return Meta(exif=exif, xmp=xmp, icc=icc)
            f.seek(0)
            if sig[:2] == b"\xff\xd8":
                return _read_jpeg(f.read(_JPEG_HEAD))
            if sig == PNG_SIGNATURE:
                return _read_png(f)
            if sig[:4] in TIFF_SIGNATURES:
                dpi, icc, xmp = tiff_fields(f)
                return Meta(dpi=dpi, icc=icc, xmp=xmp)
            if sig[:4] == b"RIFF":
                return _read_webp(file_reader(f))
            if sig[:4] == b"8BPS":
                dpi, icc, exif, xmp = psd_fields(file_reader(f))
                return Meta(dpi=dpi, icc=icc, exif=exif, xmp=xmp)
            if sig == JP2_SIGNATURE[:8]:
                dpi, icc, xmp = jp2_fields(file_reader(f))
                return Meta(dpi=dpi, icc=icc, xmp=xmp)
    except (OSError, struct.error, IndexError, ValueError, zlib.error):
        pass
    return Meta()


def apply_meta(encoded: bytes | bytearray, fmt: str, meta: Meta) -> bytes | bytearray:
    """``encoded`` (a JPEG, PNG, TIFF, JPEG 2000 or WebP file's bytes) with ``meta`` written in
    (into a TIFF and a JPEG 2000 its XMP only, besides their density); other formats as they
    are."""
    if not meta:
        return encoded
    if meta.coloured:  # the scan's own XMP rather than none where the mark would not fit
        mark = marked(meta.xmp)
        fits = fmt != "jpeg" or len(_XMP) + len(mark) + 2 <= 0xFFFF
        meta = dataclasses.replace(meta, xmp=mark if fits else meta.xmp)
    if fmt == "tiff" and encoded[:4] in TIFF_SIGNATURES[:2] and meta.xmp:
        return tiff_with_xmp(encoded, meta.xmp)
    if fmt == "jp2" and encoded[:12] == JP2_SIGNATURE:
        encoded = _write_jp2(encoded, meta.dpi) if meta.dpi else encoded
        return jp2_with_xmp(encoded, meta.xmp) if meta.xmp else encoded
    if fmt == "jpeg" and encoded[:2] == b"\xff\xd8":
        return _write_jpeg(encoded, meta)
    if fmt == "png" and encoded[:8] == PNG_SIGNATURE:
        return _write_png(encoded, meta)
    if fmt == "webp" and encoded[:4] == b"RIFF" and encoded[8:12] == b"WEBP":
        return _write_webp(encoded, meta)
    return encoded


def _read_webp(read) -> Meta:
    """A WebP's profile, EXIF and XMP chunks (an animation's come after its frames)."""
    found: dict[bytes, bytes] = {}
    for kind, at, n in riff_chunks(read, 1 << 20):
        if kind in (b"ICCP", b"EXIF", b"XMP ") and kind not in found:
            found[kind] = read(at, min(n, 1 << 24))
    exif = found.get(b"EXIF")
    if exif is not None and exif.startswith(_EXIF):  # some writers keep JPEG's APP1 prefix
        exif = exif[len(_EXIF) :]
    return Meta(icc=found.get(b"ICCP"), exif=exif, xmp=found.get(b"XMP "))


# VP8X's flags (WebP container specification): ICC profile, alpha, EXIF, XMP, animation
_VP8X_ALPHA, _VP8X_EXIF, _VP8X_XMP = 0x10, 0x08, 0x04


def _webp_canvas(kind: bytes, body: bytes) -> tuple[int, int, bool]:
    """(width, height, has alpha) of a simple WebP's one image chunk (VP8 or VP8L)."""
    if kind == b"VP8L":  # signature 0x2f, then 14 + 14 bits of size less one, the alpha bit
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":  # a key frame's start code, then sizes
        w, h = struct.unpack_from("<HH", body, 6)
        return w & 0x3FFF, h & 0x3FFF, False
    raise ValueError("not a simple WebP image")


def _write_webp(encoded: bytes, meta: Meta) -> bytes:
    """A WebP file's bytes with ``meta``'s EXIF (upright) and XMP as chunks at its end, its
    VP8X header saying so (one made for a simple WebP); as they are where the file is not
    one this can follow. The density has no place in a WebP."""
    exif = _upright(meta.exif) if meta.exif else None
    if not (exif or meta.xmp):
        return encoded
    read = bytes_reader(encoded)
    chunks = [
        (kind, read(at, n))
        for kind, at, n in riff_chunks(read, 1 << 20)
        if kind not in (b"EXIF", b"XMP ")
    ]
    try:
        if chunks and chunks[0][0] == b"VP8X":
            head = bytearray(chunks[0][1])
        else:
            w, h, alpha = _webp_canvas(*chunks[0]) if len(chunks) == 1 else (0, 0, False)
            if not w:
                return encoded
            head = bytearray(struct.pack("<I", _VP8X_ALPHA if alpha else 0))
            head += (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    except (ValueError, struct.error, IndexError):
        return encoded
    head[0] |= (_VP8X_EXIF if exif else 0) | (_VP8X_XMP if meta.xmp else 0)
    chunks = [(b"VP8X", bytes(head))] + [c for c in chunks if c[0] != b"VP8X"]
    chunks += [(b"EXIF", exif)] * bool(exif) + [(b"XMP ", meta.xmp)] * bool(meta.xmp)
    body = b"".join(k + struct.pack("<I", len(d)) + d + b"\0" * (len(d) & 1) for k, d in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _write_jp2(encoded: bytes, dpi: tuple[float, float]) -> bytes:
    """A JP2 file's bytes with a resolution superbox holding ``dpi`` as its capture
    resolution appended to its header box ('jp2h'); as they are where that box is not found,
    is long-form, or already says a resolution."""
    read = bytes_reader(encoded)
    for kind, body, stop in jp2_boxes(read, 0, None):
        if kind != b"jp2h":
            continue
        if stop is None or encoded[body - 4 : body] != b"jp2h":  # to the end, or long-form
            return encoded
        if any(inner == b"res " for inner, _, _ in jp2_boxes(read, body, stop)):
            return encoded
        res = _jp2_box(b"res ", _jp2_box(b"resc", _jp2_resolution(dpi)))
        return encoded[: body - 8] + _jp2_box(b"jp2h", encoded[body:stop] + res) + encoded[stop:]
    return encoded


def _jp2_box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _jp2_resolution(dpi: tuple[float, float]) -> bytes:
    """A 'resc' box's body: vertical, then horizontal pixels per metre, each as N / D x 10^E
    (N and D 16 bits, E a signed byte). A metre is 5000 / 127 inches: with D = 127 a whole
    number of dots per inch is kept exactly."""
    parts = []
    for v in (dpi[1], dpi[0]):
        exp = 0
        while v * 5000 / 10**exp > 65535:
            exp += 1
        parts.append((max(1, round(v * 5000 / 10**exp)), exp))
    (vn, ve), (hn, he) = parts
    return struct.pack(">HHHHbb", vn, 127, hn, 127, ve, he)


def tiff_params(meta: Meta | None) -> list[int]:
    """OpenCV TIFF writing options that keep the density."""
    if meta is None or meta.dpi is None:
        return []
    import cv2

    x, y = (max(1, round(v)) for v in meta.dpi)
    return [cv2.IMWRITE_TIFF_RESUNIT, 2, cv2.IMWRITE_TIFF_XDPI, x, cv2.IMWRITE_TIFF_YDPI, y]


# ---------------------------------------------------------------- JPEG
def _jpeg_segments(data: bytes):
    """(marker, payload) of each segment before the image data (SOS)."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return
        (n,) = struct.unpack_from(">H", data, pos + 2)
        yield marker, data[pos + 4 : pos + 2 + n]
        pos += 2 + n


_ICC_JPEG = b"ICC_PROFILE\x00"


def _read_jpeg(data: bytes) -> Meta:
    meta = Meta()
    icc: dict[int, bytes] = {}  # a profile over 64 kB comes in numbered APP2 pieces
    for marker, payload in _jpeg_segments(data):
        if marker == 0xE2 and payload.startswith(_ICC_JPEG) and len(payload) > 14:
            icc[payload[12]] = payload[14:]
        if marker == 0xE0 and payload[:5] == b"JFIF\x00" and len(payload) >= 12:
            unit, x, y = struct.unpack_from(">BHH", payload, 7)
            if unit in (1, 2) and x and y:
                meta.dpi = (x * 2.54, y * 2.54) if unit == 2 else (float(x), float(y))
        elif marker == 0xE1 and payload.startswith(_EXIF):
            meta.exif = payload[len(_EXIF) :]
        elif marker == 0xE1 and payload.startswith(_XMP):
            meta.xmp = payload[len(_XMP) :]
        elif marker in _JPEG_APPS:
            meta.jpeg.append((marker, payload))
    meta.icc = b"".join(icc[k] for k in sorted(icc)) or None
    return meta


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        return b""  # too long for one segment: left out rather than split
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _write_jpeg(encoded: bytes, meta: Meta) -> bytes:
    """SOI, the output's own APP0 (density set), then the carried segments, then the rest."""
    pos, head = 2, b""
    if encoded[2:4] == b"\xff\xe0":  # OpenCV's JFIF APP0
        (n,) = struct.unpack_from(">H", encoded, 4)
        app0 = bytearray(encoded[4 : 4 + n])
        if meta.dpi is not None and app0[2:7] == b"JFIF\x00":
            struct.pack_into(">BHH", app0, 9, 1, *(min(0xFFFF, round(v)) for v in meta.dpi))
        head, pos = b"\xff\xe0" + bytes(app0), 4 + n
    carried = []
    if meta.exif is not None:
        carried.append(_segment(0xE1, _EXIF + _upright(meta.exif)))
    if meta.xmp is not None:
        carried.append(_segment(0xE1, _XMP + meta.xmp))
    carried += [_segment(m, p) for m, p in meta.jpeg]
    return encoded[:2] + head + b"".join(carried) + encoded[pos:]


# ---------------------------------------------------------------- PNG
def _read_png(f) -> Meta:
    """Walk a PNG file's chunks, reading the bodies of those carried and seeking past the rest."""
    meta, srgb = Meta(), False
    f.seek(8)
    while True:
        head = f.read(8)
        if len(head) < 8 or head[4:] == b"IEND":
            break
        n, kind = struct.unpack(">I", head[:4])[0], head[4:]
        if kind == b"sRGB":
            srgb = True
        if kind not in (b"pHYs", b"eXIf", b"iCCP", b"gAMA") + _PNG_TEXT:
            f.seek(n + 4, 1)
            continue
        body = f.read(n)
        f.seek(4, 1)
        if kind == b"gAMA" and len(body) == 4:
            meta.gamma = struct.unpack(">I", body)[0] / 100000 or None
        elif kind == b"pHYs" and len(body) == 9:
            x, y, unit = struct.unpack(">IIB", body)
            if unit == 1 and x and y:
                meta.dpi = (x * _INCH, y * _INCH)
        elif kind == b"eXIf":
            meta.exif = body
        elif kind == b"iCCP":  # name, 0, method 0, the zlib-compressed profile
            meta.icc = zlib.decompress(body.split(b"\x00", 1)[1][1:])
        elif _is_xmp(kind, body) and body[len(_PNG_XMP) + 1] == 0:
            # uncompressed: language, translated keyword, then the packet
            meta.xmp = body[len(_PNG_XMP) + 3 :].split(b"\x00", 2)[2]
        else:
            meta.png.append((kind, body))
    if srgb or meta.icc:  # they say what the colours are; gAMA only stands in for them
        meta.gamma = None
    return meta


def _is_xmp(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.startswith(_PNG_XMP + b"\x00")


def _write_png(encoded: bytes, meta: Meta) -> bytes:
    """The carried chunks right after IHDR (the output's own pHYs, if any, replaced)."""
    chunks = list(png_chunks(encoded))
    ihdr_end = chunks[0][3]
    carried = []
    if meta.dpi is not None:
        ppm = (max(1, round(v / _INCH)) for v in meta.dpi)
        carried.append(png_chunk(b"pHYs", struct.pack(">IIB", *ppm, 1)))
    if meta.exif is not None:
        carried.append(png_chunk(b"eXIf", _upright(meta.exif)))
    if meta.xmp is not None:
        carried.append(png_chunk(b"iTXt", _PNG_XMP + b"\x00\x00\x00\x00\x00" + meta.xmp))
    carried += [png_chunk(k, b) for k, b in meta.png]
    rest = b"".join(
        encoded[a:b] for kind, _, a, b in chunks[1:] if not (kind == b"pHYs" and meta.dpi)
    )
    return encoded[:ihdr_end] + b"".join(carried) + rest


# ---------------------------------------------------------------- TIFF structures
def _upright(tiff: bytes) -> bytes:
    """An EXIF TIFF structure with its orientation tag (0x0112) set to 1 and no thumbnail
    (the link to the second IFD, which holds the gray scan's, is cut)."""
    buf = bytearray(tiff)
    try:
        e, pos = first_ifd(buf)
        (count,) = struct.unpack_from(e + "H", buf, pos)
        for i in range(count):
            entry = pos + 2 + 12 * i
            tag, typ = struct.unpack_from(e + "HH", buf, entry)
            if tag == 0x0112 and typ == 3:
                struct.pack_into(e + "H", buf, entry + 8, 1)
        struct.pack_into(e + "I", buf, pos + 2 + 12 * count, 0)
    except (struct.error, ValueError):
        pass
    return bytes(buf)
