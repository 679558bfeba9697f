"""HEIF's boxes (a phone's HEIC, an AVIF) walked to what a still's primary picture is made of:
its items (one coded picture, or a grid of tiles as an iPhone writes), where their coded bytes
lie, their properties (size, crop, turn, mirror, colour) and references, and the file's Exif,
XMP and colour profile. Bytes only, by seeking: nothing is decoded (``colorcli.heif`` does).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from colorcli.walkers import Reader

# ftyp brands of HEIF stills: HEVC-coded (heic...), AV1-coded (avif), and the generic ones
HEIF_BRANDS = frozenset(b"heic heix heim heis mif1 mif2 miaf MiHE MiHA MiHB avif avio".split())
_MAX_ITEMS = 1 << 16  # more items than any camera writes: a damaged count, not a still


class CutShort(ValueError):
    """An item whose bytes run past the end of the file (a copy stopped part way)."""


@dataclass
class Item:
    """One item of a HEIF file: ``kind`` its type ("hvc1", "av01", "grid", "iden", "Exif",
    "mime"...); ``extents``: (offset, length) of its bytes, in the file or, with ``in_idat``,
    in the meta box's idat; ``props``: its properties as (type, payload) in the order the
    file associates them (transformations apply in that order); ``refs``: references from
    it, by type ("dimg": a grid's tiles, "auxl": the picture an alpha plane belongs to...)."""

    id: int
    kind: str = ""
    hidden: bool = False
    content_type: str = ""
    in_idat: bool = False
    extents: list[tuple[int, int]] = field(default_factory=list)
    props: list[tuple[str, bytes]] = field(default_factory=list)
    refs: dict[str, list[int]] = field(default_factory=dict)

    def prop(self, kind: str) -> bytes | None:
        """The payload of its first property of type ``kind``."""
        return next((p for k, p in self.props if k == kind), None)


@dataclass
class Layout:
    """A HEIF file's items, its primary item's id, and where its idat box's bytes begin."""

    items: dict[int, Item]
    primary: int
    idat: int = -1

    def referring(self, kind: str, to: int) -> list[Item]:
        """The items with a ``kind`` reference to item ``to`` (an alpha plane's "auxl")."""
        return [i for i in self.items.values() if to in i.refs.get(kind, ())]

    def colour_items(self, item: Item) -> list[Item]:
        """``item`` and its first tile: where a picture's colour boxes sit (a grid's may be
        on its tiles only)."""
        first = item.refs.get("dimg", [])[:1]
        return [item, *(self.items[i] for i in first if i in self.items)]

    def profiles(self, item: Item) -> list[bytes]:
        """The ICC profiles in ``item``'s colour boxes (its own, then its first tile's)."""
        return [p[4:] for i in self.colour_items(item) for k, p in i.props
                if k == "colr" and p[:4] in (b"prof", b"rICC")]  # fmt: skip


def is_heif(head: bytes) -> bool:
    """Whether a file's first bytes are a HEIF still's ftyp box."""
    if head[4:8] != b"ftyp" or len(head) < 16:
        return False
    size = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, size - 3, 4)]
    return any(b in HEIF_BRANDS for b in brands)


def boxes(read: Reader, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """(type, payload start, payload end) of each box between ``start`` and ``end``."""
    pos = start
    while pos + 8 <= end:
        head = read(pos, 16)
        if len(head) < 8:
            return
        size, kind = struct.unpack_from(">I4s", head)
        body = pos + 8
        if size == 1:  # a 64-bit size follows the type
            if len(head) < 16:
                return
            size, body = struct.unpack_from(">Q", head, 8)[0], pos + 16
        elif size == 0:  # to the end
            size = end - pos
        if size < body - pos or pos + size > end:
            raise ValueError(f"damaged HEIF ({kind.decode('latin-1')} box runs past its end)")
        yield kind.decode("latin-1"), body, pos + size
        pos += size


def _uint(b: bytes, at: int, n: int) -> int:
    return int.from_bytes(b[at : at + n], "big") if n else 0


def heif_layout(read: Reader, size: int) -> Layout:
    """The items of the HEIF file of ``size`` bytes. Raises ValueError where its boxes are
    damaged or it holds no picture (a sequence, a file with no primary item)."""
    meta = next(((a, b) for k, a, b in boxes(read, 0, size) if k == "meta"), None)
    if meta is None:
        raise ValueError("a HEIF file with no meta box (an image sequence, not a still)")
    items: dict[int, Item] = {}
    primary, idat = None, -1
    sub = {k: (a, b) for k, a, b in boxes(read, meta[0] + 4, meta[1])}
    if "pitm" in sub:
        b = read(sub["pitm"][0], 8)
        primary = _uint(b, 4, 2) if b[0] == 0 else _uint(b, 4, 4)
    if "iinf" in sub:
        _read_iinf(read, *sub["iinf"], items)
    if "iloc" in sub:
        start, end = sub["iloc"]
        _read_iloc(read(start, end - start), items)
    if "iref" in sub:
        _read_iref(read, *sub["iref"], items)
    if "iprp" in sub:
        _read_iprp(read, *sub["iprp"], items)
    if "idat" in sub:
        idat = sub["idat"][0]
    if primary is None or primary not in items:
        raise ValueError("a HEIF file with no primary picture")
    return Layout(items, primary, idat)


def _read_iinf(read: Reader, start: int, end: int, items: dict[int, Item]) -> None:
    version = read(start, 1)[0]
    first = start + (6 if version == 0 else 8)
    for kind, a, b in boxes(read, first, end):
        if kind != "infe":
            continue
        body = read(a, min(b - a, 4096))
        version, flags = body[0], _uint(body, 1, 3)
        if version < 2:  # the first edition's entries name files, not pictures
            continue
        width = 2 if version == 2 else 4
        item_id = _uint(body, 4, width)
        at = 4 + width + 2
        item = items.setdefault(item_id, Item(item_id))
        item.kind, item.hidden = body[at : at + 4].decode("latin-1"), bool(flags & 1)
        strings = body[at + 4 :].split(b"\x00")
        if item.kind == "mime" and len(strings) > 1:
            item.content_type = strings[1].decode("latin-1")
        if len(items) > _MAX_ITEMS:
            raise ValueError("damaged HEIF (too many items)")


def _read_iloc(b: bytes, items: dict[int, Item]) -> None:
    version = b[0]
    off_size, len_size = b[4] >> 4, b[4] & 15
    base_size, index_size = b[5] >> 4, (b[5] & 15 if version in (1, 2) else 0)
    id_size = 4 if version == 2 else 2
    count, at = (_uint(b, 6, 2), 8) if version < 2 else (_uint(b, 6, 4), 10)
    for _ in range(min(count, _MAX_ITEMS)):
        item_id = _uint(b, at, id_size)
        at += id_size
        method = 0
        if version in (1, 2):
            method, at = _uint(b, at, 2) & 15, at + 2
        at += 2  # data_reference_index: 0, this file
        base, at = _uint(b, at, base_size), at + base_size
        extents, at = _uint(b, at, 2), at + 2
        item = items.setdefault(item_id, Item(item_id))
        item.in_idat = method == 1
        if method == 2:  # bytes of another item: no camera writes it
            raise ValueError("a HEIF picture built from another item's bytes (unsupported)")
        for _ in range(extents):
            at += index_size
            off, at = _uint(b, at, off_size), at + off_size
            length, at = _uint(b, at, len_size), at + len_size
            item.extents.append((base + off, length))
        if at > len(b):
            raise ValueError("damaged HEIF (its item locations run past their box)")


def _read_iref(read: Reader, start: int, end: int, items: dict[int, Item]) -> None:
    width = 2 if read(start, 1)[0] == 0 else 4
    for kind, a, b in boxes(read, start + 4, end):
        body = read(a, b - a)
        src = _uint(body, 0, width)
        n = _uint(body, width, 2)
        to = [_uint(body, width + 2 + i * width, width) for i in range(n)]
        if src in items:
            items[src].refs.setdefault(kind, []).extend(to)


def _read_iprp(read: Reader, start: int, end: int, items: dict[int, Item]) -> None:
    sub = list(boxes(read, start, end))
    ipco = next(((a, b) for k, a, b in sub if k == "ipco"), None)
    if ipco is None:
        return
    # properties numbered from 1; a big one (an ICC profile, a codec's configuration) is
    # read whole, as it is small beside the pictures
    props = [(k, read(a, b - a)) for k, a, b in boxes(read, *ipco)]
    for kind, a, b in sub:
        if kind != "ipma":
            continue
        body = read(a, b - a)
        version, flags = body[0], _uint(body, 1, 3)
        id_size, wide = (2 if version < 1 else 4), bool(flags & 1)
        at, count = 8, _uint(body, 4, 4)
        for _ in range(min(count, _MAX_ITEMS)):
            item_id, at = _uint(body, at, id_size), at + id_size
            n, at = body[at], at + 1
            for _ in range(n):
                code = _uint(body, at, 2 if wide else 1)
                at += 2 if wide else 1
                index = code & (0x7FFF if wide else 0x7F)
                if 1 <= index <= len(props) and item_id in items:
                    items[item_id].props.append(props[index - 1])


def item_bytes(read: Reader, layout: Layout, item: Item, size: int) -> bytes:
    """The bytes of ``item``: its extents joined. Raises ValueError where they lie past the
    end of the file of ``size`` bytes (a file cut short)."""
    base = layout.idat if item.in_idat else 0
    if any(base + off + n > size for off, n in item.extents):
        raise CutShort(f"item {item.id}'s bytes run past the end of the file")
    return b"".join(read(base + off, n) for off, n in item.extents)


def heif_meta(read: Reader, size: int) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(Exif as its TIFF structure, XMP packet, ICC profile) of a HEIF file's primary picture
    (the profile of the picture, else of its first tile)."""
    layout = heif_layout(read, size)
    primary = layout.items[layout.primary]
    exif = xmp = None
    for item in layout.referring("cdsc", primary.id):
        if item.kind == "Exif" and exif is None:
            data = item_bytes(read, layout, item, size)
            at = 4 + _uint(data, 0, 4)  # the offset of its TIFF header, after the offset
            at += 6 if data[at : at + 6] == b"Exif\x00\x00" else 0  # some writers count 0
            exif = data[at:] if data[at : at + 2] in (b"II", b"MM") else None
        elif item.kind == "mime" and "rdf+xml" in item.content_type and xmp is None:
            xmp = item_bytes(read, layout, item, size)
    return exif, xmp, next((p for p in layout.profiles(primary) if p), None)


__all__ = [
    "HEIF_BRANDS",
    "CutShort",
    "Item",
    "Layout",
    "boxes",
    "heif_layout",
    "heif_meta",
    "is_heif",
    "item_bytes",
]
