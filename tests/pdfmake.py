"""Scanned PDFs for tests, written by hand: one page per picture, as scanner software writes
them. ``xref_stream``: a PDF 1.5 file whose page objects sit in an object stream and whose
cross-reference is a stream (as Acrobat, Ghostscript and most phones write), else a classic
table. Pictures: gray or RGB uint8, stored as JPEG ("dct"), Flate with PNG predictors
("png"), plain Flate ("flate"), Flate inside ASCII85 ("a85") or LZW ("lzw"), or gray
indices into ``INDEXED_COLOURS`` ("indexed")."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np

# the palette of "indexed" pictures: entry i is (i, 255 - i, i // 2)
INDEXED_COLOURS = np.stack([np.arange(256), 255 - np.arange(256), np.arange(256) // 2], -1).astype(
    np.uint8
)


def _image_stream(a: np.ndarray, how: str, space: bytes = b"") -> tuple[bytes, bytes]:
    """(the dictionary's entries, the stream's bytes) of a picture."""
    h, w = a.shape[:2]
    space = space or (b"/DeviceGray" if a.ndim == 2 else b"/DeviceRGB")
    head = b"/Type/XObject/Subtype/Image/Width %d/Height %d/BitsPerComponent 8/ColorSpace %s" % (
        w,
        h,
        space,
    )
    if how == "dct":
        ok, buf = cv2.imencode(
            ".jpg", a if a.ndim == 2 else a[..., ::-1].copy(), [cv2.IMWRITE_JPEG_QUALITY, 98]
        )
        return head + b"/Filter/DCTDecode", buf.tobytes()
    if how == "png":  # each row led by its PNG filter byte (Up), as PDF's Predictor 12 codes it
        n = 1 if a.ndim == 2 else 3
        rows = a.reshape(h, w * n)
        up = np.diff(rows.astype(np.int16), axis=0, prepend=0).astype(np.uint8)
        raw = np.hstack([np.full((h, 1), 2, np.uint8), up]).tobytes()
        parms = b"/DecodeParms<</Predictor 12/Colors %d/Columns %d>>" % (n, w)
        return head + b"/Filter/FlateDecode" + parms, zlib.compress(raw)
    if how == "indexed":  # indices into a palette of 256 colours (as img2pdf writes a GIF's)
        table = INDEXED_COLOURS.tobytes().hex().encode()
        head = head.replace(space, b"[/Indexed/DeviceRGB 255<%s>]" % table)
        return head + b"/Filter/FlateDecode", zlib.compress(a.tobytes())
    if how == "a85":  # as ReportLab writes its pictures: Flate, then ASCII85 around it
        data = base64.a85encode(zlib.compress(a.tobytes()), wrapcol=72) + b"~>"
        return head + b"/Filter[/ASCII85Decode/FlateDecode]", data
    if how == "lzw":  # as 1990s scanner software did (the codes from libtiff's LZW, via Pillow)
        return head + b"/Filter/LZWDecode", _lzw(a)
    return head + b"/Filter/FlateDecode", zlib.compress(a.tobytes())


def _lzw(a: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="TIFF", compression="tiff_lzw")
    im = Image.open(buf)
    (offset,), (count,) = im.tag_v2[273], im.tag_v2[279]  # one strip: all of it
    return buf.getvalue()[offset : offset + count]


def write_pdf(
    path: Path,
    pictures: list[np.ndarray],
    how: str = "dct",
    xref_stream: bool = False,
    icc: bytes | None = None,
) -> Path:
    """``icc``: every picture's colour space an ICCBased one of this profile (compressed)."""
    n = len(pictures)
    # objects: 1 catalog, 2 pages, then per picture: page, content, image
    objs: dict[int, bytes] = {1: b"<</Type/Catalog/Pages 2 0 R>>"}
    kids = b" ".join(b"%d 0 R" % (3 + 3 * k) for k in range(n))
    objs[2] = b"<</Type/Pages/Count %d/Kids[%s]>>" % (n, kids)
    streams: dict[int, tuple[bytes, bytes]] = {}
    for k, a in enumerate(pictures):
        page, content, image = 3 + 3 * k, 4 + 3 * k, 5 + 3 * k
        h, w = a.shape[:2]
        objs[page] = (
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 %d %d]/Resources<</XObject<</Im%d %d 0 R>>>>/Contents %d 0 R>>"
            % (w, h, k, image, content)
        )
        streams[content] = (b"", b"q %d 0 0 %d 0 0 cm /Im%d Do Q" % (w, h, k))
        space = b""
        if icc:  # the profile: one stream after the pictures' objects
            comps = 1 if a.ndim == 2 else 3
            space = b"[/ICCBased %d 0 R]" % (3 + 3 * n)
            streams[3 + 3 * n] = (b"/N %d/Filter/FlateDecode" % comps, zlib.compress(icc))
        streams[image] = _image_stream(a, how, space)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    at: dict[int, int] = {}

    def put(num: int, body: bytes) -> None:
        at[num] = len(out)
        out.extend(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    for num, (d, data) in streams.items():
        put(num, b"<<" + d + b"/Length %d>>\nstream\n" % len(data) + data + b"\nendstream")
    if not xref_stream:
        for num, body in objs.items():
            put(num, body)
        size = max(at) + 1
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        out += b"".join(b"%010d 00000 n \n" % at[k] for k in range(1, size))
        out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, start)
        path.write_bytes(bytes(out))
        return path
    stm = max(max(objs), max(streams)) + 1  # the object stream holding the dictionaries
    pairs, body = b"", b""
    for num, obj in objs.items():
        pairs += b"%d %d " % (num, len(body))
        body += obj + b"\n"
    packed = zlib.compress(pairs + body)
    put(
        stm,
        b"<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n"
        % (len(objs), len(pairs), len(packed))
        + packed
        + b"\nendstream",
    )
    xref = stm + 1
    size = xref + 1
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    index = {num: k for k, num in enumerate(objs)}
    for num in range(1, size):
        if num in objs:
            rows.append(struct.pack(">BIH", 2, stm, index[num]))
        elif num == xref:
            rows.append(struct.pack(">BIH", 1, len(out), 0))
        else:
            rows.append(struct.pack(">BIH", 1, at[num], 0))
    table = b"".join(rows)
    start = len(out)
    out += b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Length %d>>\nstream\n" % (
        xref,
        size,
        len(table),
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start
    path.write_bytes(bytes(out))
    return path
