"""Metadata in the headers of TIFF (classic and BigTIFF), JPEG 2000 and Photoshop files: the
resolution and the colour profile (and a Photoshop file's EXIF and XMP), read without the
pixels; and, in a TIFF or JPEG 2000 we write, its alpha named as what it is and its XMP.
Bytes only.
"""

from __future__ import annotations

import struct

from colorcli.walkers import bytes_reader, file_reader, tiff_layout

XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")  # the box an XMP packet goes in


def first_ifd(buf) -> tuple[str, int]:
    order = bytes(buf[:2])
    if order not in (b"II", b"MM"):
        raise ValueError("not a TIFF structure")
    e = "<" if order == b"II" else ">"
    if struct.unpack_from(e + "H", buf, 2)[0] != 42:  # BigTIFF (43): 64-bit offsets
        raise ValueError("not a classic TIFF structure")
    return e, struct.unpack_from(e + "I", buf, 4)[0]


def mark_alpha(tiff: bytes | bytearray) -> bytes | bytearray:
    """A classic TIFF whose pages of 2 or 4 samples (gray or RGB, and alpha) say that the
    last is an unassociated alpha (ExtraSamples 2). OpenCV writes no ExtraSamples: GIMP then
    asks what the channel is and Photoshop reads it as a mask, not as transparency. Each such
    page's IFD is written again at the end, with the tag, and what pointed to it points there."""

    def extra_samples(e: str, fields: dict, buf: bytearray) -> bytes | None:
        spp = struct.unpack_from(e + "H", fields[277], 8)[0] if 277 in fields else 0
        if spp in (2, 4) and 338 not in fields:
            return struct.pack(e + "HHIH", 338, 3, 1, 2) + bytes(2)
        return None

    return _with_entry(tiff, extra_samples, every_page=True)


def tiff_with_xmp(tiff: bytes | bytearray, xmp: bytes) -> bytes | bytearray:
    """A classic TIFF with ``xmp`` as its first page's XMP (tag 700), replacing any there;
    as it is where it is not one (a BigTIFF)."""

    def xmp_entry(e: str, fields: dict, buf: bytearray) -> bytes:
        fields.pop(700, None)
        buf += bytes(len(buf) % 2)
        at = len(buf)
        buf += xmp
        return struct.pack(e + "HHII", 700, 1, len(xmp), at)

    return _with_entry(tiff, xmp_entry, every_page=False)


def _with_entry(tiff: bytes | bytearray, entry, every_page: bool) -> bytes | bytearray:
    """``tiff`` with the IFD entry ``entry(e, fields, buf)`` gives (or None: none) added to
    its first page (or to every page): each page so changed has its IFD written again at the
    end, and what pointed to it points there. ``fields``: the page's entries by tag, which
    ``entry`` may take one out of; ``buf``: the file, which it may append its data to."""
    buf = bytearray(tiff)
    try:
        e, pos = first_ifd(buf)
        link, seen = 4, set()  # where the pointer to the IFD at ``pos`` sits
        while pos and pos not in seen:
            seen.add(pos)
            (count,) = struct.unpack_from(e + "H", buf, pos)
            entries = [bytes(buf[pos + 2 + 12 * i : pos + 14 + 12 * i]) for i in range(count)]
            after = pos + 2 + 12 * count
            (nxt,) = struct.unpack_from(e + "I", buf, after)
            fields = {struct.unpack_from(e + "H", x)[0]: x for x in entries}
            added = entry(e, fields, buf)
            if added is not None:
                entries = [*fields.values(), added]
                entries.sort(key=lambda x: struct.unpack_from(e + "H", x)[0])
                buf += bytes(len(buf) % 2)  # an IFD starts on a word boundary
                struct.pack_into(e + "I", buf, link, len(buf))
                after = len(buf) + 2 + 12 * len(entries)
                buf += struct.pack(e + "H", len(entries)) + b"".join(entries)
                buf += struct.pack(e + "I", nxt)
            if not every_page:
                break
            link, pos = after, nxt
    except (struct.error, ValueError, KeyError):
        return tiff
    return buf  # not bytes(buf): a 600 MB file would be copied once more


def jp2_with_xmp(jp2: bytes, xmp: bytes) -> bytes:
    """A JP2 file with ``xmp`` in an XMP box ('uuid' of the XMP UUID) right after its header
    box, replacing any there; as it is where no header box is found, or a box runs to the
    file's end before the codestream."""
    boxes = list(jp2_boxes(bytes_reader(jp2), 0, None))
    if not any(kind == b"jp2h" for kind, _, _ in boxes):
        return jp2
    out, pos = bytearray(), 0  # the boxes lie end to end from the file's start
    for kind, body, stop in boxes:
        if stop is None:
            if kind != b"jp2c":
                return jp2
            break
        if not (kind == b"uuid" and jp2[body : body + 16] == XMP_UUID):
            out += jp2[pos:stop]
        if kind == b"jp2h":
            out += struct.pack(">I4s", 24 + len(xmp), b"uuid") + XMP_UUID + xmp
        pos = stop
    return bytes(out) + jp2[pos:]


def tiff_fields(f) -> tuple[tuple[float, float] | None, bytes | None, bytes | None]:
    """(dpi, ICC profile, XMP) of a TIFF file's first IFD (classic or BigTIFF): XResolution /
    YResolution (RATIONAL) and ResolutionUnit as dpi, the InterColorProfile, and the XMP
    packet (tag 700: an archive's catalogue record); the header, that IFD and those fields
    are read, not the scan's pixels."""
    read = file_reader(f)
    found = tiff_layout(read, 0)
    if found is None:
        raise ValueError("not a TIFF structure")
    lay, ifd = found
    size, word = struct.calcsize(lay.count), struct.calcsize(lay.offset)
    (count,) = struct.unpack(lay.count, read(ifd, size))
    entries = read(ifd + size, lay.entry * min(count, 4096))
    res, unit, icc, xmp = {}, 2, None, None
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
        elif tag == 700 and typ in (1, 7) and 0 < n < (1 << 24):
            xmp = value(n)
    x, y = res.get(282), res.get(283)
    if unit not in (2, 3) or not x or not y:
        return None, icc, xmp  # no unit (1): an aspect ratio, not a size
    return ((x * 2.54, y * 2.54) if unit == 3 else (x, y)), icc, xmp


def jp2_boxes(read, start: int, end: int | None):
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


def jp2_fields(read) -> tuple[tuple[float, float] | None, bytes | None, bytes | None]:
    """(dpi, ICC profile, XMP) of a JP2 file: the scan's resolution (its 'resc' capture box,
    else 'resd', as dots per inch) and its colour profile (its 'colr' box, by ICC: methods 2
    and 3), from the header box, and the packet of its XMP box (before or after the
    codestream, whose pixels are passed over unread)."""
    icc, dpi, xmp = None, None, None
    for kind, body, stop in jp2_boxes(read, 0, None):
        if stop is None:
            break
        if kind == b"uuid" and stop - body < (1 << 24) and read(body, 16) == XMP_UUID:
            xmp = read(body + 16, stop - body - 16)
        if kind != b"jp2h":
            continue
        found: dict[bytes, bytes] = {}
        for inner, b, s in jp2_boxes(read, body, stop):
            if s is None:
                break
            if inner == b"res ":
                found.update((k, read(bb, ss - bb)) for k, bb, ss in jp2_boxes(read, b, s) if ss)
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
    return dpi, icc, xmp


_PSD_RESOURCES = 1 << 24  # bytes of a Photoshop file's image resources read (thumbnails aside)


def psd_fields(read) -> tuple[tuple[float, float] | None, bytes | None, bytes | None, bytes | None]:
    """(dpi, ICC profile, EXIF as its TIFF structure, XMP) of a Photoshop file, from its image
    resources: ResolutionInfo (1005), the ICC profile (1039), EXIF data 1 (1058), XMP (1060)."""
    head = read(0, 30)
    if head[:4] != b"8BPS" or len(head) < 30:
        return None, None, None, None
    at = 30 + struct.unpack_from(">I", head, 26)[0]  # past the colour mode data
    (size,) = struct.unpack(">I", read(at, 4))
    data = read(at + 4, min(size, _PSD_RESOURCES))
    found, i = {}, 0
    while i + 12 <= len(data) and data[i : i + 4] in (b"8BIM", b"MeSa", b"AgHg", b"PHUT", b"DCSR"):
        (rid,) = struct.unpack_from(">H", data, i + 4)
        name = 1 + data[i + 6]
        name += name % 2  # a Pascal string padded to even
        (n,) = struct.unpack_from(">I", data, i + 6 + name)
        start = i + 10 + name
        found.setdefault(rid, data[start : start + n])
        i = start + n + n % 2
    dpi = None
    if len(res := found.get(1005, b"")) >= 16:
        h, h_unit, _, v, v_unit, _ = struct.unpack_from(">IHHIHH", res)
        per_inch = [
            x / 65536 * (2.54 if unit == 2 else 1.0) for x, unit in ((h, h_unit), (v, v_unit))
        ]
        dpi = tuple(per_inch) if min(per_inch) > 0 else None
    exif = found.get(1058)
    exif = exif if exif and exif[:2] in (b"II", b"MM") else None
    return dpi, found.get(1039) or None, exif, found.get(1060) or None
