"""A finished film's pixel aspect ratio, written into its Matroska, WebM or AVI header where the
muxer did not write it. No model here.

FFmpeg's Matroska and AVI muxers take the ratio from the stream, which PyAV cannot set; only
codecs that carry it themselves (H.264, H.265) kept it there, so an anamorphic DV or DVD film
coloured to FFV1, ProRes or VP9 came out squeezed. The ratio is added to the header in place:
the bytes it needs come out of the padding the muxer leaves before the first cluster (Matroska:
an EBML Void) or before the frames (AVI: a JUNK chunk), so no frame moves and no index changes.
Files without such padding are left as they are (the caller says so).
"""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av

from colorcli.ffurl import ff_url
from colorcli.videoprobe import VideoInfo

# EBML element ids
_SEGMENT, _SEEKHEAD, _SEEK_POSITION, _CLUSTER = 0x18538067, 0x114D9B74, 0x53AC, 0x1F43B675
_TRACKS, _TRACK_ENTRY, _TRACK_TYPE, _VIDEO = 0x1654AE6B, 0xAE, 0x83, 0xE0
_DISPLAY = (0x54B0, 0x54BA, 0x54B2)  # DisplayWidth, DisplayHeight, DisplayUnit
_VOID, _CRC32 = 0xEC, 0xBF
_SEEK = 0x4DBB
_HEADER_LIMIT = 64 << 20  # a header larger than this (attachments) is left alone
_SELF_DESCRIBING = ("libx264", "libx265")  # codecs whose streams say their pixel shape


class _Element:
    """One EBML element of a buffer: id, where it starts, its header length and data size."""

    __slots__ = ("eid", "start", "head", "size")

    def __init__(self, eid: int, start: int, head: int, size: int) -> None:
        self.eid, self.start, self.head, self.size = eid, start, head, size

    @property
    def body(self) -> int:
        return self.start + self.head

    @property
    def end(self) -> int:
        return self.body + self.size


def _vint(b: bytes, i: int, marker: bool) -> tuple[int, int]:
    """(value, length) of the EBML variable-length number at ``i`` (an id keeps its marker)."""
    if i >= len(b) or b[i] == 0:
        raise ValueError("not EBML")
    n = 9 - b[i].bit_length()
    if i + n > len(b):
        raise ValueError("truncated")
    v = b[i] if marker else b[i] & (0xFF >> n)
    for k in range(1, n):
        v = (v << 8) | b[i + k]
    return v, n


def _children(b: bytes, start: int, end: int, stop: int | None = None) -> list[_Element]:
    """The elements from ``start`` to ``end`` (up to and including one with id ``stop``)."""
    out, i = [], start
    while i < end:
        eid, n = _vint(b, i, True)
        size, m = _vint(b, i + n, False)
        if size == (1 << (7 * m)) - 1:  # unknown size: only a Segment or Cluster has one
            size = end - i - n - m
        out.append(_Element(eid, i, n + m, size))
        if eid == stop:
            break
        i += n + m + size
    return out


def _id_bytes(eid: int) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big")


def _size_bytes(size: int, length: int = 0) -> bytes:
    """``size`` as an EBML number of ``length`` bytes (0: as few as it needs)."""
    need = 1
    while size >= (1 << (7 * need)) - 1:
        need += 1
    length = max(length, need)
    return ((1 << (7 * length)) | size).to_bytes(length, "big")


def _element(eid: int, data: bytes, length: int = 0) -> bytes:
    return _id_bytes(eid) + _size_bytes(len(data), length) + data


def _uint(eid: int, value: int) -> bytes:
    return _element(eid, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _master(b: bytes, el: _Element, parts: list[bytes]) -> bytes:
    """``el`` rebuilt around ``parts`` (its children's bytes), its CRC-32 recomputed if it has
    one, its size field as long as before where the new size fits."""
    first = _children(b, el.body, el.end)[:1]
    if first and first[0].eid == _CRC32:
        rest = b"".join(parts[1:])
        parts = [_element(_CRC32, struct.pack("<I", zlib.crc32(rest))), rest]
    data = b"".join(parts)
    eid_len = len(_id_bytes(el.eid))
    return _element(el.eid, data, el.head - eid_len)


def _void(total: int) -> bytes:
    """An EBML Void of ``total`` bytes (0, or 2 and more)."""
    if total == 0:
        return b""
    length = 1 if total - 2 < 127 else 8
    return _element(_VOID, bytes(total - 1 - length), length)


def _display(width: int, height: int, sar: Fraction, webm: bool) -> list[bytes]:
    """Matroska: the display aspect ratio itself (DisplayUnit 3, as FFmpeg writes it); WebM,
    which has no DisplayUnit: the display width in pixels."""
    if webm:
        return [_uint(_DISPLAY[0], round(width * sar)), _uint(_DISPLAY[1], height)]
    dar = (Fraction(width, height) * sar).limit_denominator(1 << 20)
    return [
        _uint(_DISPLAY[0], dar.numerator),
        _uint(_DISPLAY[1], dar.denominator),
        _uint(_DISPLAY[2], 3),
    ]


def _new_tracks(b: bytes, tracks: _Element, display: list[bytes]) -> bytes | None:
    """The Tracks element with ``display`` in its first video track's Video element, the
    display elements there before left out."""
    entries = _children(b, tracks.body, tracks.end)
    parts = [b[e.start : e.end] for e in entries]
    for k, entry in enumerate(entries):
        kids = _children(b, entry.body, entry.end) if entry.eid == _TRACK_ENTRY else []
        kind = [b[c.body : c.end] for c in kids if c.eid == _TRACK_TYPE]
        if not kind or int.from_bytes(kind[0], "big") != 1:
            continue
        inner = []
        for c in kids:
            if c.eid == _VIDEO:
                video = [
                    b[g.start : g.end] for g in _children(b, c.body, c.end) if g.eid not in _DISPLAY
                ]
                inner.append(_master(b, c, video + display))
            else:
                inner.append(b[c.start : c.end])
        parts[k] = _master(b, entry, inner)
        return _master(b, tracks, parts)
    return None


def _fix_seek_positions(b: bytearray, seg: _Element, moved: dict[int, int]) -> bool:
    """Point every SeekHead entry at where its element now lies (``moved``: old to new
    position, counted from the Segment's data); False where a new position does not fit."""
    for head in _children(b, seg.body, len(b), _CLUSTER):
        if head.eid != _SEEKHEAD:
            continue
        for seek in _children(b, head.body, head.end):
            for pos in _children(b, seek.body, seek.end) if seek.eid == _SEEK else []:
                if pos.eid != _SEEK_POSITION:
                    continue
                old = int.from_bytes(b[pos.body : pos.end], "big")
                new = moved.get(old, old)
                if new.bit_length() > 8 * pos.size:
                    return False
                b[pos.body : pos.end] = new.to_bytes(pos.size, "big")
        parts = [bytes(b[k.start : k.end]) for k in _children(b, head.body, head.end)]
        b[head.start : head.end] = _master(bytes(b), head, parts)
    return True


def _relaid(b: bytes, seg: _Element, top: list[_Element], old: _Element, new: bytes):
    """``b`` with the level-1 element ``old`` replaced by ``new``, the difference taken from a
    Void on the same level (the elements between them move; the SeekHead follows them)."""
    for void in (e for e in top if e.eid == _VOID):
        room = (void.end - void.start) - (len(new) - (old.end - old.start))
        if room == 1:  # a Void is 2 bytes at least: one more byte of size takes the one
            eid_len = len(_id_bytes(old.eid))
            n = _vint(new, eid_len, False)[1]
            if n == 8:
                continue
            new, room = _element(old.eid, new[eid_len + n :], n + 1), 0
        if room < 0:
            continue
        lo, hi = min(void.start, old.start), max(void.end, old.end)
        out, moved = bytearray(), {}
        for e in top:
            if lo <= e.start and e.end <= hi and e is not void:
                moved[e.start - seg.body] = lo + len(out) - seg.body
                out += new if e is old else b[e.start : e.end]
        patched = bytearray(b[:lo]) + out + _void(room) + b[hi:]
        if _fix_seek_positions(patched, seg, moved):
            return bytes(patched)
    return None


def _matroska(b: bytes, width: int, height: int, sar: Fraction, webm: bool) -> bytes | None:
    """``b`` (a Matroska file's bytes before its first cluster) with the ratio written in, the
    same length; None where it cannot be."""
    seg = next((e for e in _children(b, 0, len(b), _SEGMENT) if e.eid == _SEGMENT), None)
    if seg is None:
        return None
    top = _children(b, seg.body, len(b), _CLUSTER)
    tracks = next((e for e in top if e.eid == _TRACKS), None)
    new = None if tracks is None else _new_tracks(b, tracks, _display(width, height, sar, webm))
    return None if new is None else _relaid(b, seg, top, tracks, new)


def _matroska_head(f: BinaryIO) -> int:
    """Where a Matroska file's first cluster starts (its header ends), from the element
    headers alone; 0 if it has none."""
    f.seek(0)
    head = f.read(64)
    seg = next((e for e in _children(head, 0, len(head), _SEGMENT) if e.eid == _SEGMENT), None)
    if seg is None:
        return 0
    at = seg.body
    while True:
        f.seek(at)
        peek = f.read(12)
        if len(peek) < 2:
            return 0
        eid, n = _vint(peek, 0, True)
        size, m = _vint(peek, n, False)
        if eid == _CLUSTER:
            return at
        at += n + m + size


def _riff_chunks(b: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(fourcc, start, length with header and padding) of the RIFF chunks in ``b[start:end]``;
    a list's fourcc is its type (``hdrl``, ``strl``)."""
    out, i = [], start
    while i + 8 <= end:
        size = struct.unpack_from("<I", b, i + 4)[0]
        tag = b[i + 8 : i + 12] if b[i : i + 4] == b"LIST" else b[i : i + 4]
        out.append((tag, i, 8 + size + (size & 1)))
        i += 8 + size + (size & 1)
    return out


def _vprp(width: int, height: int, sar: Fraction, rate: float, fields: int) -> bytes:
    """An OpenDML video properties chunk: the frame's display aspect ratio and its fields."""
    dar = (Fraction(width, height) * sar).limit_denominator(0xFFFF)
    while dar.numerator > 0xFFFF:  # a ratio too wide for 16 bits: the nearest that fits
        dar = Fraction(dar.numerator // 2, max(1, dar.denominator // 2))
    head = [0, 0, round(rate), width, height, (dar.numerator << 16) | dar.denominator]
    body = struct.pack("<9I", *head, width, height, fields)
    for k in range(fields):  # each field's height and width, coded and valid, and offsets
        body += struct.pack("<8I", height // fields, width, height // fields, width, 0, 0, 0, k)
    return b"vprp" + struct.pack("<I", len(body)) + body


def _avi(b: bytes, chunk: bytes) -> bytes | None:
    """``b`` (an AVI file's bytes before its ``movi`` list) with ``chunk`` at the end of the
    video stream's header list, the same length: a later JUNK chunk gives up the bytes (the
    chunks between move, and the lists' sizes follow). None where it cannot be."""
    if b[:4] != b"RIFF" or b[8:12] != b"AVI ":
        return None
    lists, flat = [], []  # (start, end) of every list; every chunk, lists' contents included

    def walk(start: int, end: int) -> None:
        for tag, at, length in _riff_chunks(b, start, end):
            flat.append((tag, at, length))
            if b[at : at + 4] == b"LIST":
                lists.append((at, at + length))
                walk(at + 12, at + length)

    walk(12, len(b))
    strl = next((c for c in flat if c[0] == b"strl" and b[c[1] + 20 : c[1] + 24] == b"vids"), None)
    if strl is None or any(c[0] == b"vprp" and strl[1] < c[1] < sum(strl[1:]) for c in flat):
        return None
    at = strl[1] + strl[2]
    fits = [
        c for c in flat
        if c[0] == b"JUNK" and c[1] >= at and (c[2] == len(chunk) or c[2] >= len(chunk) + 8)
    ]  # fmt: skip
    if not fits:
        return None
    _, junk, length = fits[0]
    rest = length - len(chunk)
    filler = b"JUNK" + struct.pack("<I", rest - 8) + bytes(rest - 8) if rest else b""
    out = bytearray(b[:at] + chunk + b[at:junk] + filler + b[junk + length :])
    for lo, hi in lists:  # a list that now holds the chunk, or no longer the padding
        grow = (lo < at <= hi) - (lo < junk < hi)
        if grow:
            lo += len(chunk) if at <= lo < junk else 0  # where the list now starts
            size = struct.unpack_from("<I", out, lo + 4)[0]
            struct.pack_into("<I", out, lo + 4, size + grow * len(chunk))
    return bytes(out)


def _avi_head(f: BinaryIO) -> int:
    """Where an AVI file's ``movi`` list starts (its header ends); 0 if it has none."""
    f.seek(12)
    while True:
        at = f.tell()
        peek = f.read(12)
        if len(peek) < 12:
            return 0
        if peek[:4] == b"LIST" and peek[8:12] == b"movi":
            return at
        size = struct.unpack_from("<I", peek, 4)[0]
        f.seek(at + 8 + size + (size & 1))


def write_pixel_aspect(path: Path, fmt: str, info: VideoInfo) -> bool:
    """Write ``info.sar`` into the finished film at ``path`` (a ``matroska``, ``webm`` or
    ``avi`` file) in place; False where its header has no room or ``fmt`` is another."""
    sar = info.sar
    if sar is None or fmt not in ("matroska", "webm", "avi"):
        return False
    with open(path, "r+b") as f:
        try:  # a header this cannot walk is left as it is
            end = _avi_head(f) if fmt == "avi" else _matroska_head(f)
            if not 0 < end <= _HEADER_LIMIT:
                return False
            f.seek(0)
            b = f.read(end)
            if fmt == "avi":
                fields = 2 if info.fields else 1
                new = _avi(b, _vprp(info.width, info.height, sar, float(info.rate or 25), fields))
            else:
                new = _matroska(b, info.width, info.height, sar, fmt == "webm")
        except (ValueError, struct.error):
            return False
        if new is None or len(new) != len(b):
            return False
        f.seek(0)
        f.write(new)
    return True


def kept_pixel_aspect(path: Path, sar: Fraction) -> bool:
    """Whether the film at ``path`` reads back with pixels of this shape (within the 1%
    that WebM's whole-pixel display width allows)."""
    try:
        with av.open(ff_url(path)) as c:
            got = c.streams.video[0].sample_aspect_ratio
    except (av.error.FFmpegError, OSError, IndexError):
        return False
    return bool(got) and abs(got / sar - 1) < 0.01


def carry_pixel_aspect(path: Path, fmt: str, info: VideoInfo) -> str | None:
    """Make sure the finished film at ``path`` shows its pixels as the input's (non-square:
    DV, DVD, anamorphic scans); a notice where it cannot."""
    if info.sar is None or kept_pixel_aspect(path, info.sar):
        return None
    try:
        if write_pixel_aspect(path, fmt, info) and kept_pixel_aspect(path, info.sar):
            return None
    except OSError:
        pass
    return (
        f"its pixel aspect ratio ({info.sar.numerator}:{info.sar.denominator}) could not be "
        f"written into {path.suffix}: players will show square pixels"
    )


def pipe_pixel_aspect(info: VideoInfo, codec: str | None) -> str | None:
    """A notice where non-square pixels leave on a pipe in a codec that cannot say so (what
    is streamed cannot be written into afterwards)."""
    if info.sar is None or codec in _SELF_DESCRIBING:
        return None
    return (
        f"its pixel aspect ratio ({info.sar.numerator}:{info.sar.denominator}) cannot go onto "
        f"a pipe with {codec}: players will show square pixels (--codec libx264 carries it)"
    )
