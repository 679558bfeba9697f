"""A photo's own metadata, carried from the scan to its coloured copy. Bytes only, no pixels.

An archive's scans carry what an archivist wrote into them and what the scanner recorded: the
resolution (dots per inch: the print's real size), EXIF (date, scanner or camera, description,
artist, copyright), XMP and IPTC records, comments and PNG text. :func:`read_meta` collects them
from the input file's bytes and :func:`apply_meta` writes them into the encoded output:

- JPEG out: the JFIF density, EXIF, XMP, IPTC (APP13) and comments;
- PNG out: ``pHYs`` (the density), ``eXIf``, XMP, and the input's ``tEXt``/``zTXt``/``iTXt``
  and ``tIME`` chunks;
- TIFF out: the density (through OpenCV's TIFF options: :func:`tiff_params`).

The EXIF orientation is written as 1 (the pixels were turned upright on reading). The colour
profile (ICC) is read, not carried: ``colorcli.icc`` follows it to sRGB on reading, and the
output is sRGB. Nothing is carried into WebP, BMP or DPX.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from colorcli.imageprobe import JP2_SIGNATURE, file_reader, tiff_layout

_JPEG_APPS = (0xE1, 0xED, 0xFE)  # APP1 (EXIF, XMP), APP13 (IPTC), COM
_EXIF = b"Exif\x00\x00"
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt", b"tIME")
_PNG_XMP = b"XML:com.adobe.xmp"
_INCH = 0.0254  # metres


@dataclass
class Meta:
    """What a photo says about itself. ``dpi``: (x, y) dots per inch or None; ``exif``: the raw
    TIFF structure of its EXIF; ``xmp``: the XMP packet; ``jpeg``: other JPEG segments to
    carry as (marker, payload); ``png``: PNG text chunks to carry as (type, data); ``icc``:
    the embedded colour profile (read, followed to sRGB, not written)."""

    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    jpeg: list[tuple[int, bytes]] = field(default_factory=list)
    png: list[tuple[bytes, bytes]] = field(default_factory=list)
    icc: bytes | None = None

    def __bool__(self) -> bool:
        return bool(self.dpi or self.exif or self.xmp or self.jpeg or self.png)


_JPEG_HEAD = 1 << 20  # bytes of a JPEG read for its segments (EXIF and XMP are each < 64 kB)


def read_meta(path: Path) -> Meta:
    """The metadata of a JPEG, PNG or TIFF file (an empty Meta for anything else, or for a
    structure it cannot follow: metadata is never a reason to fail a photo). Pixel data is
    skipped over, not read."""
    try:
        with open(path, "rb") as f:
            sig = f.read(8)
            f.seek(0)
            if sig[:2] == b"\xff\xd8":
                return _read_jpeg(f.read(_JPEG_HEAD))
            if sig == _PNG_SIG:
                return _read_png(f)
            if sig[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # BigTIFF: +
                dpi, icc = _tiff_fields(f)
                return Meta(dpi=dpi, icc=icc)
            if sig[:4] == b"RIFF":
                return Meta(icc=_webp_icc(f.read(1 << 20)))
            if sig == JP2_SIGNATURE[:8]:
                return _read_jp2(file_reader(f))
    except (OSError, struct.error, IndexError, ValueError, zlib.error):
        pass
    return Meta()


def apply_meta(encoded: bytes, fmt: str, meta: Meta) -> bytes:
    """``encoded`` (a JPEG or PNG file's bytes) with ``meta`` written in; other formats as
    they are."""
    if not meta:
        return encoded
    if fmt == "jpeg" and encoded[:2] == b"\xff\xd8":
        return _write_jpeg(encoded, meta)
    if fmt == "png" and encoded[:8] == _PNG_SIG:
        return _write_png(encoded, meta)
    return encoded


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
def _png_chunks(data: bytes):
    """(type, body, start, end) of each chunk of an encoded PNG."""
    pos = 8
    while pos + 12 <= len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        yield kind, data[pos + 8 : pos + 8 + n], pos, pos + 12 + n
        if kind == b"IEND":
            return
        pos += 12 + n


def _read_png(f) -> Meta:
    """Walk a PNG file's chunks, reading the bodies of those carried and seeking past the rest."""
    meta = Meta()
    f.seek(8)
    while True:
        head = f.read(8)
        if len(head) < 8:
            return meta
        n, kind = struct.unpack(">I", head[:4])[0], head[4:]
        if kind == b"IEND":
            return meta
        if kind not in (b"pHYs", b"eXIf", b"iCCP") + _PNG_TEXT:
            f.seek(n + 4, 1)
            continue
        body = f.read(n)
        f.seek(4, 1)
        if kind == b"pHYs" and len(body) == 9:
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


def _is_xmp(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.startswith(_PNG_XMP + b"\x00")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _write_png(encoded: bytes, meta: Meta) -> bytes:
    """The carried chunks right after IHDR (the output's own pHYs, if any, replaced)."""
    chunks = list(_png_chunks(encoded))
    ihdr_end = chunks[0][3]
    carried = []
    if meta.dpi is not None:
        ppm = (max(1, round(v / _INCH)) for v in meta.dpi)
        carried.append(_chunk(b"pHYs", struct.pack(">IIB", *ppm, 1)))
    if meta.exif is not None:
        carried.append(_chunk(b"eXIf", _upright(meta.exif)))
    if meta.xmp is not None:
        carried.append(_chunk(b"iTXt", _PNG_XMP + b"\x00\x00\x00\x00\x00" + meta.xmp))
    carried += [_chunk(k, b) for k, b in meta.png]
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
        e, pos = _first_ifd(buf)
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


def mark_alpha(tiff: bytes) -> bytes:
    """A classic TIFF whose pages of 2 or 4 samples (gray or RGB, and alpha) say that the
    last is an unassociated alpha (ExtraSamples 2). OpenCV writes no ExtraSamples: GIMP then
    asks what the channel is and Photoshop reads it as a mask, not as transparency. Each such
    page's IFD is written again at the end, with the tag, and what pointed to it points there."""
    buf = bytearray(tiff)
    try:
        e, pos = _first_ifd(buf)
        link, seen = 4, set()  # where the pointer to the IFD at ``pos`` sits
        while pos and pos not in seen:
            seen.add(pos)
            (count,) = struct.unpack_from(e + "H", buf, pos)
            entries = [bytes(buf[pos + 2 + 12 * i : pos + 14 + 12 * i]) for i in range(count)]
            after = pos + 2 + 12 * count
            (nxt,) = struct.unpack_from(e + "I", buf, after)
            fields = {struct.unpack_from(e + "H", x)[0]: x for x in entries}
            spp = struct.unpack_from(e + "H", fields[277], 8)[0] if 277 in fields else 0
            if spp in (2, 4) and 338 not in fields:
                entries.append(struct.pack(e + "HHIH", 338, 3, 1, 2) + bytes(2))
                entries.sort(key=lambda x: struct.unpack_from(e + "H", x)[0])
                buf += bytes(len(buf) % 2)  # an IFD starts on a word boundary
                struct.pack_into(e + "I", buf, link, len(buf))
                after = len(buf) + 2 + 12 * len(entries)
                buf += struct.pack(e + "H", len(entries)) + b"".join(entries)
                buf += struct.pack(e + "I", nxt)
            link, pos = after, nxt
    except (struct.error, ValueError):
        return tiff
    return bytes(buf)


def _first_ifd(buf) -> tuple[str, int]:
    order = bytes(buf[:2])
    if order not in (b"II", b"MM"):
        raise ValueError("not a TIFF structure")
    e = "<" if order == b"II" else ">"
    if struct.unpack_from(e + "H", buf, 2)[0] != 42:  # BigTIFF (43): 64-bit offsets
        raise ValueError("not a classic TIFF structure")
    return e, struct.unpack_from(e + "I", buf, 4)[0]


def _tiff_fields(f) -> tuple[tuple[float, float] | None, bytes | None]:
    """(dpi, ICC profile) of a TIFF file's first IFD (classic or BigTIFF): XResolution /
    YResolution (RATIONAL) and ResolutionUnit as dpi, and the InterColorProfile; the header,
    that IFD and those fields are read, not the scan's pixels."""
    read = file_reader(f)
    found = tiff_layout(read, 0)
    if found is None:
        raise ValueError("not a TIFF structure")
    lay, ifd = found
    size, word = struct.calcsize(lay.count), struct.calcsize(lay.offset)
    (count,) = struct.unpack(lay.count, read(ifd, size))
    entries = read(ifd + size, lay.entry * min(count, 4096))
    res, unit, icc = {}, 2, None
    for at in range(0, len(entries) - lay.entry + 1, lay.entry):
        tag, typ = struct.unpack_from(lay.e + "HH", entries, at)
        (n,) = struct.unpack_from(lay.offset, entries, at + 4)
        field = entries[at + 4 + word : at + lay.entry]  # the value, or where it is

        def value(nbytes: int, field: bytes = field) -> bytes:
            return (
                field[:nbytes]
                if nbytes <= word
                else read(struct.unpack(lay.offset, field)[0], nbytes)
            )

        if tag in (282, 283) and typ == 5:
            num, den = struct.unpack(lay.e + "II", value(8))
            res[tag] = num / den if den else 0.0
        elif tag == 296 and typ == 3:
            (unit,) = struct.unpack_from(lay.e + "H", field)
        elif tag == 34675 and typ == 7 and 128 <= n < (1 << 24):
            icc = value(n)
    x, y = res.get(282), res.get(283)
    if unit not in (2, 3) or not x or not y:
        return None, icc  # no unit (1): an aspect ratio, not a size
    return ((x * 2.54, y * 2.54) if unit == 3 else (x, y)), icc


def _boxes(read, start: int, end: int | None):
    """(type, content start, content end) of the JPEG 2000 boxes from ``start`` to ``end``
    (None: the file's end), their payloads not read."""
    pos = start
    while end is None or pos + 8 <= end:
        head = read(pos, 16)
        if len(head) < 8:
            return
        size, kind = struct.unpack_from(">I4s", head)
        body = pos + 8
        if size == 1:  # a 64-bit length follows
            (size,) = struct.unpack_from(">Q", head, 8)
            body = pos + 16
        if size == 0:  # to the end of the file (or of its superbox)
            yield kind, body, end
            return
        if pos + size < body:
            return  # damaged
        yield kind, body, pos + size
        pos += size


def _read_jp2(read) -> Meta:
    """A JP2 file's colour profile (its 'colr' box, by ICC: methods 2 and 3) and the scan's
    resolution (its 'resc' capture box, else 'resd', as dots per inch), from the header box."""
    icc, dpi = None, None
    for kind, body, stop in _boxes(read, 0, None):
        if kind == b"jp2c" or stop is None:
            break
        if kind != b"jp2h":
            continue
        found: dict[bytes, bytes] = {}
        for inner, b, s in _boxes(read, body, stop):
            if s is None:
                break
            if inner == b"res ":
                found.update((k, read(bb, ss - bb)) for k, bb, ss in _boxes(read, b, s) if ss)
            elif inner == b"colr":
                found[inner] = read(b, min(s - b, 1 << 24))
        colr = found.get(b"colr", b"")
        if len(colr) > 3 and colr[0] in (2, 3):
            icc = colr[3:]
        for res in (found.get(b"resc"), found.get(b"resd")):
            if res is not None and len(res) >= 10:
                vn, vd, hn, hd, ve, he = struct.unpack(">HHHHbb", res[:10])
                if vd and hd and vn and hn:  # pixels per metre, as dots per inch
                    dpi = (hn / hd * 10.0**he * 0.0254, vn / vd * 10.0**ve * 0.0254)
                    break
    return Meta(dpi=dpi, icc=icc)


def _webp_icc(data: bytes) -> bytes | None:
    """The ICCP chunk of an extended WebP file."""
    pos = 12
    while pos + 8 <= len(data):
        kind, (n,) = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)
        if kind == b"ICCP":
            return data[pos + 8 : pos + 8 + n]
        pos += 8 + n + (n & 1)
    return None
