"""Scanned PDFs (what a printer's, a scanner's or a phone's "scan to PDF" makes of an album):
the photos and scans a PDF holds as image objects, read (JPEG, JPEG 2000, and gray, RGB or
8-bit indexed samples behind any chain of ``colorcli.pdffilters``, their ICC profile
followed), and their coloured pictures written back as an update
appended to the file's own bytes, so that its pages, text, OCR layer, bookmarks and the rest
stay as they were. Objects: ``colorcli.pdfobjects``. No model here."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from colorcli.cstderr import captured
from colorcli.icc import parse as parse_icc
from colorcli.icc import to_srgb
from colorcli.imageio import HARMLESS_WARNINGS
from colorcli.pdffilters import CARRIERS, unfilter
from colorcli.pdfobjects import Name, PdfError, PdfFile, Ref, parse, write
from colorcli.provenance import WORDS
from colorcli.walkers import png_chunk

_ENCRYPT = re.compile(rb"/Encrypt[ \t\r\n]*(\d+[ \t\r\n]+\d+[ \t\r\n]+R|<<)")
MIN_SIDE = 64  # smaller images are icons and rules, not scans: left as they are
_GRAY_SPACES = {"DeviceGray", "CalGray"}
_RGB_SPACES = {"DeviceRGB", "CalRGB"}
# what an image object's dictionary keeps when its picture is replaced
_REPLACED = {"Filter", "DecodeParms", "Length", "ColorSpace", "BitsPerComponent", "Decode", "DL"}


@dataclass
class PdfImage:
    """An image object: its number and generation, its dictionary, and why it is left as
    it is (None: a picture to colour)."""

    num: int
    gen: int
    d: dict
    why: str | None = None
    lossy: bool = True  # stored lossy (JPEG): written as JPEG again, else Flate
    note: str | None = None  # what to tell of a picture read (damaged data)


@dataclass
class ScannedPdf:
    data: bytes
    pdf: PdfFile
    images: list[PdfImage] = field(default_factory=list)


def _components(pdf: PdfFile, space: Any) -> int | None:
    """How many samples a pixel of a colour space has, for gray and RGB ones; else None."""
    space = pdf.get(space)
    if isinstance(space, Name):
        return 1 if space in _GRAY_SPACES else 3 if space in _RGB_SPACES else None
    if isinstance(space, list) and space:
        kind = str(pdf.get(space[0]))
        if kind in _GRAY_SPACES | _RGB_SPACES:  # [/CalGray <<...>>], [/CalRGB <<...>>]
            return 1 if kind in _GRAY_SPACES else 3
        if kind == "ICCBased" and len(space) > 1:
            profile = pdf.get(space[1])  # the profile stream's dictionary
            n = pdf.get(profile.get("N")) if isinstance(profile, dict) else None
            return n if n in (1, 3) else None
    return None


def _profile(pdf: PdfFile, space: Any) -> bytes | None:
    """The ICC profile of an ICCBased colour space, or None for any other space or one that
    cannot be read."""
    space = pdf.get(space)
    if not (isinstance(space, list) and len(space) > 1 and pdf.get(space[0]) == "ICCBased"):
        return None
    try:
        return pdf.decoded(space[1])
    except (PdfError, ValueError):
        return None


def _png_wrap(body: bytes, w: int, h: int, bits: int, n: int) -> bytes:
    """Flate data with PNG predictors (PDF's Predictor >= 10) as the PNG file they are."""
    ihdr = struct.pack(">IIBBBBB", w, h, bits, 0 if n == 1 else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


def _decode(pdf: PdfFile, num: int) -> tuple[np.ndarray, bool]:
    """An image object's pixels and whether it was stored lossy; PdfError why not."""
    import cv2

    d, body = pdf.stream(num)
    filters = pdf.filters(d)
    parms = pdf.get(d.get("DecodeParms"))
    parms = [pdf.get(p) for p in parms] if isinstance(parms, list) else [parms]
    parms = [p if isinstance(p, dict) else {} for p in parms]
    parms += [{}] * (len(filters) - len(parms))
    w, h = int(pdf.get(d.get("Width")) or 0), int(pdf.get(d.get("Height")) or 0)
    for name, p in zip(filters[:-1], parms, strict=False):  # ASCII85 around Flate, say
        body = unfilter(name, body, p)
    last = filters[-1] if filters else None
    if last in ("DCTDecode", "JPXDecode"):
        a = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_UNCHANGED)
        if a is None:
            raise PdfError("its JPEG or JPEG 2000 data does not decode")
        if a.ndim == 3 and a.shape[2] == 4:
            raise PdfError("CMYK or with transparency: left as it is")
        return (a if a.ndim == 2 else np.ascontiguousarray(a[..., ::-1])), last == "DCTDecode"
    if last is not None and last not in CARRIERS:
        raise PdfError(f"stored as {last}: left as it is")
    palette = _palette(pdf, d.get("ColorSpace"))
    n = 1 if palette is not None else _components(pdf, d.get("ColorSpace"))
    bits = pdf.get(d.get("BitsPerComponent"))
    if n is None or bits not in ((8,) if palette is not None else (8, 16)):
        raise PdfError("not 8- or 16-bit gray or RGB, nor 8-bit indexed: left as it is")
    predictor = int(pdf.get(parms[-1].get("Predictor", 1)) or 1) if filters else 1
    if predictor >= 10:  # PNG's row filters: the samples as the PNG file they are
        zipped = (
            body if last == "FlateDecode" else zlib.compress(unfilter(last, body, parms[-1]), 1)
        )
        a = cv2.imdecode(
            np.frombuffer(_png_wrap(zipped, w, h, bits, n), np.uint8), cv2.IMREAD_UNCHANGED
        )
        if a is None:
            raise PdfError("its compressed samples do not decode")
        return _colours(palette, a if a.ndim == 2 else np.ascontiguousarray(a[..., ::-1])), False
    raw = unfilter(last, body, parms[-1]) if last is not None else body
    dtype = np.dtype(">u2") if bits == 16 else np.dtype(np.uint8)
    need = w * h * n * dtype.itemsize
    if w <= 0 or h <= 0 or len(raw) < need:
        raise PdfError("its samples are cut short")
    a = np.frombuffer(raw[:need], dtype).reshape(h, w, n).astype(dtype.newbyteorder("="))
    if predictor == 2:  # TIFF's: each sample the difference from the one to its left
        a = np.cumsum(a, axis=1, dtype=a.dtype)
    return _colours(palette, a[..., 0] if n == 1 else a), False


def _palette(pdf: PdfFile, space: Any) -> np.ndarray | None:
    """An Indexed colour space's colours, (entries, 1 or 3) uint8, over a gray or RGB base
    (img2pdf's palette PNGs, some scanners' 8-bit gray); None for any other space."""
    space = pdf.get(space)
    if not (isinstance(space, list) and len(space) == 4 and pdf.get(space[0]) == "Indexed"):
        return None
    nb, hival, lookup = _components(pdf, space[1]), pdf.get(space[2]), space[3]
    if nb is None or not isinstance(hival, int) or not 0 <= hival <= 255:
        return None
    table = pdf.decoded(lookup)  # a stream
    table = pdf.get(lookup) if table is None else table  # or a string, direct or not
    if not isinstance(table, bytes):
        return None
    table = table[: (hival + 1) * nb].ljust((hival + 1) * nb, b"\0")
    return np.frombuffer(table, np.uint8).reshape(hival + 1, nb)


def _colours(palette: np.ndarray | None, a: np.ndarray) -> np.ndarray:
    """Samples as they are, or an indexed picture's indices as its palette's colours."""
    if palette is None:
        return a
    out = palette[np.minimum(a, len(palette) - 1)]
    return out[..., 0] if palette.shape[1] == 1 else out


def read_scanned_pdf(data: bytes, max_pixels: int) -> ScannedPdf:
    """The image objects of a PDF, each marked with why it is left as it is, or not (a scan
    or photo we can read and write back: at least MIN_SIDE on each side, not a mask, not
    remapped, at most ``max_pixels``); none decoded yet (``pictures``). PdfError for a file
    that is no PDF, or an encrypted one."""
    pdf = PdfFile(data)
    # in a trailer: the last one, or a linearized file's first-page one at its start
    if _ENCRYPT.search(data[:65536]) or _ENCRYPT.search(data[-65536:]):
        raise PdfError("an encrypted PDF: not read (save a copy without its password)")
    masks: set[int] = set()
    found: list[tuple[int, dict]] = []
    for num in sorted(pdf.at):
        d = pdf.object(num)  # parsed when the file was scanned (a palette may run long)
        if not isinstance(d, dict) or pdf.get(d.get("Subtype")) != "Image":
            continue
        for key in ("SMask", "Mask"):
            if isinstance(d.get(key), Ref):
                masks.add(d[key].num)
        found.append((num, d))
    out = ScannedPdf(data, pdf)
    for num, d in found:
        im = PdfImage(num, pdf.at[num][0], d)
        out.images.append(im)
        w, h = pdf.get(d.get("Width")), pdf.get(d.get("Height"))
        if num in masks or pdf.get(d.get("ImageMask")):
            im.why = "a mask"
        elif not isinstance(w, int) or not isinstance(h, int) or min(w, h) < MIN_SIDE:
            im.why = "too small to be a scan"
        elif d.get("Decode") is not None:
            im.why = "its samples are remapped (/Decode): left as it is"
        elif w * h > max_pixels:
            im.why = f"over the limit of {max_pixels / 1e6:g} megapixels"
    return out


def pictures(doc: ScannedPdf) -> Iterator[tuple[PdfImage, np.ndarray]]:
    """Each picture to colour with its pixels ((H, W) gray or (H, W, 3) RGB, uint8 or
    uint16), decoded one at a time (a scanned book of hundreds of pages is never held
    whole); one that does not decode gets its ``why`` and is passed by, one decoded from
    damaged data its ``note``."""
    for im in doc.images:
        if im.why is not None:
            continue
        try:
            with captured() as said:  # libjpeg and libpng print their warnings
                pixels, im.lossy = _decode(doc.pdf, im.num)
        except (PdfError, ValueError) as e:
            im.why = str(e)
            continue
        said = [x for x in said if not HARMLESS_WARNINGS.search(x)]
        if said:
            im.note = f"damaged data ({'; '.join(said)}): coloured as far as it decodes"
        icc = _profile(doc.pdf, im.d.get("ColorSpace"))
        if icc and (profile := parse_icc(icc)) is not None:  # as a PDF viewer shows it
            pixels = to_srgb(pixels, profile)
        yield im, pixels


def encode_picture(rgb: np.ndarray, lossy: bool) -> tuple[bytes, str, int]:
    """A coloured picture as an image stream: (bytes, filter, bits); JPEG again where it was
    stored lossy, else Flate (16 bits kept)."""
    import cv2

    if lossy:
        rgb8 = rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8)
        ok, buf = cv2.imencode(
            ".jpg", np.ascontiguousarray(rgb8[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95]
        )
        if not ok:
            raise PdfError("OpenCV could not encode a JPEG")
        return buf.tobytes(), "DCTDecode", 8
    bits = 16 if rgb.dtype == np.uint16 else 8
    return (
        zlib.compress(rgb.astype(">u2" if bits == 16 else np.uint8).tobytes(), 6),
        "FlateDecode",
        bits,
    )


def updated_pdf(doc: ScannedPdf, coloured: dict[int, tuple[bytes, str, int]]) -> bytes:
    """The PDF's own bytes with an update appended: each image object in ``coloured``
    (number -> ``encode_picture`` of its coloured picture, of its size) replaced, the rest
    as it was."""
    data = doc.data
    out = bytearray(data if data.endswith((b"\n", b"\r")) else data + b"\n")
    offsets: dict[int, tuple[int, int]] = {}
    for im in doc.images:
        if im.num not in coloured:
            continue
        body, filt, bits = coloured[im.num]
        d = {k: v for k, v in im.d.items() if k not in _REPLACED}
        d.update(
            ColorSpace=Name("DeviceRGB"), BitsPerComponent=bits, Filter=Name(filt), Length=len(body)
        )
        offsets[im.num] = (len(out), im.gen)
        out += b"%d %d obj\n" % (im.num, im.gen) + write(d) + b"\nstream\n" + body
        out += b"\nendstream\nendobj\n"
    # its information dictionary says its pictures were coloured (colorcli.provenance)
    _append_xref(doc, out, offsets, {"Colourised": WORDS.encode()})
    return bytes(out)


def _last_xref(doc: ScannedPdf) -> tuple[int, dict]:
    """Where the file's last cross-reference section starts, and its trailer dictionary."""
    data = doc.data
    m = list(re.finditer(rb"startxref[ \t\r\n]+(\d+)", data[-4096:]))
    if not m:
        raise PdfError("damaged PDF (no startxref)")
    at = int(m[-1][1])
    if data.startswith(b"xref", at):
        t = data.find(b"trailer", at)
        if t < 0:
            raise PdfError("damaged PDF (no trailer)")
        return at, parse(data, t + 7)[0]
    mo = re.compile(rb"\d+[ \t\r\n]+\d+[ \t\r\n]+obj").match(data, at)
    if not mo:
        raise PdfError("damaged PDF (its startxref points nowhere)")
    return at, parse(data, mo.end())[0]


def _append_xref(
    doc: ScannedPdf, out: bytearray, offsets: dict[int, tuple[int, int]], info: dict | None = None
) -> None:
    """A cross-reference section for the objects appended, of the kind the file's last one
    is (a table, or a stream), pointing back to it (/Prev); ``info``: entries its information
    dictionary gains beside what it held (appended again as a new object, which it names)."""
    try:
        prev, trailer = _last_xref(doc)
    except (PdfError, ValueError):
        trailer = None
    if not isinstance(trailer, dict) or not isinstance(trailer.get("Root"), Ref):
        _whole_table(doc, out, offsets)  # a table that points nowhere: one made anew, of all
        return
    size = doc.pdf.get(trailer.get("Size"))
    size = max(size if isinstance(size, int) else 0, max(offsets, default=0) + 1)
    keep = {k: trailer[k] for k in ("Root", "Info", "ID") if k in trailer}
    if info is not None:
        held = doc.pdf.get(trailer.get("Info"))
        offsets = {**offsets, size: (len(out), 0)}
        out += b"%d 0 obj\n" % size + write({**(held if isinstance(held, dict) else {}), **info})
        out += b"\nendobj\n"
        keep["Info"], size = Ref(size, 0), size + 1
    if doc.data.startswith(b"xref", prev):
        table = b"xref\n0 1\n0000000000 65535 f \n"  # the free list's head, as readers expect
        for num in sorted(offsets):
            off, gen = offsets[num]
            table += b"%d 1\n%010d %05d n \n" % (num, off, gen)
        start = len(out)
        out += table + b"trailer\n" + write({**keep, "Size": size, "Prev": prev})
        out += b"\nstartxref\n%d\n%%%%EOF\n" % start
        return
    num_x = size  # the xref stream is an object of its own
    start = len(out)
    rows = sorted(offsets) + [num_x]
    offsets = {**offsets, num_x: (start, 0)}
    body = b"".join(struct.pack(">BIH", 1, offsets[n][0], offsets[n][1]) for n in rows)
    index: list[Any] = [x for n in rows for x in (n, 1)]
    d = {**keep, "Type": Name("XRef"), "Size": size + 1, "Prev": prev, "W": [1, 4, 2]}
    d.update(Index=index, Length=len(body))
    out += b"%d 0 obj\n" % num_x + write(d) + b"\nstream\n" + body + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % start


def _whole_table(doc: ScannedPdf, out: bytearray, offsets: dict[int, tuple[int, int]]) -> None:
    """A cross-reference table of every object found by its own header (the file's own table
    damaged), the appended ones where they now are, and a trailer naming its catalogue."""
    pdf = doc.pdf
    if pdf.packed:
        raise PdfError("damaged PDF (its cross-reference points nowhere, and objects are packed)")
    roots = [
        n
        for n in pdf.at
        if (o := pdf.object(n)) and isinstance(o, dict) and o.get("Type") == "Catalog"
    ]
    if not roots:
        raise PdfError("damaged PDF (no cross-reference and no catalogue)")
    where = {n: (pdf.start[n], gen) for n, (gen, _) in pdf.at.items()}
    where.update(offsets)
    size = max(where) + 1
    rows = [b"0000000000 65535 f \n"] + [
        b"%010d %05d n \n" % where[n] if n in where else b"0000000000 00000 f \n"
        for n in range(1, size)
    ]
    start = len(out)
    out += b"xref\n0 %d\n" % size + b"".join(rows)
    trailer = {"Size": size, "Root": Ref(max(roots), pdf.at[max(roots)][0])}
    out += b"trailer\n" + write(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % start


__all__ = [
    "MIN_SIDE",
    "PdfImage",
    "ScannedPdf",
    "encode_picture",
    "pictures",
    "read_scanned_pdf",
    "updated_pdf",
]
