"""The objects of a PDF file, read and written: numbers, names, strings, arrays,
dictionaries, references and streams, found by their "N G obj" (and inside object streams),
not through the cross-reference table, so that a file whose table is damaged is still read.
No pictures, no model."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from colorcli.pdffilters import PdfError, full_name, unfilter


@dataclass(frozen=True)
class Ref:
    num: int
    gen: int = 0


class Name(str):
    """A PDF name (written /Name)."""


_WS = b" \t\r\n\f\x00"
_DELIM = b"()<>[]{}/%"
_OBJ = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b")
_TOKEN_END = re.compile(rb"[ \t\r\n\f\x00()<>\[\]{}/%]")
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_REF = re.compile(rb"[ \t\r\n\f\x00]*(\d+)[ \t\r\n\f\x00]+R(?![A-Za-z])")
_STREAM = re.compile(rb"[ \t\r\n\f]*stream(\r\n|\n|\r)")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
_MAX_DEPTH = 64


def _skip(data: bytes, i: int) -> int:
    """Past white space and comments."""
    n = len(data)
    while i < n:
        c = data[i]
        if c in _WS:
            i += 1
        elif c == 0x25:  # %: a comment to the end of the line
            while i < n and data[i] not in b"\r\n":
                i += 1
        else:
            break
    return i


def parse(data: bytes, i: int, depth: int = 0) -> tuple[Any, int]:
    """The object at ``data[i:]`` and where it ends. PdfError where it is not one."""
    if depth > _MAX_DEPTH:
        raise PdfError("objects nested too deep")
    i = _skip(data, i)
    if i >= len(data):
        raise PdfError("ends inside an object")
    c = data[i : i + 1]
    if data.startswith(b"<<", i):
        out: dict[str, Any] = {}
        i += 2
        while True:
            i = _skip(data, i)
            if data.startswith(b">>", i):
                return out, i + 2
            key, i = parse(data, i, depth + 1)
            if not isinstance(key, Name):
                raise PdfError("a dictionary key that is not a name")
            out[str(key)], i = parse(data, i, depth + 1)
    if c == b"[":
        items: list[Any] = []
        i += 1
        while True:
            i = _skip(data, i)
            if data.startswith(b"]", i):
                return items, i + 1
            item, i = parse(data, i, depth + 1)
            items.append(item)
    if c == b"/":
        m = _TOKEN_END.search(data, i + 1)
        end = m.start() if m else len(data)
        raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda g: bytes([int(g[1], 16)]), data[i + 1 : end])
        return Name(raw.decode("latin-1")), end
    if c == b"(":
        return _literal(data, i + 1)
    if c == b"<":
        end = data.find(b">", i)
        if end < 0:
            raise PdfError("a hex string without its end")
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", data[i + 1 : end])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()), end + 1
    m = _NUMBER.match(data, i)
    if m:
        if b"." not in m[0]:
            r = _REF.match(data, m.end())
            if r:
                return Ref(int(m[0]), int(r[1])), r.end()
            return int(m[0]), m.end()
        return float(m[0]), m.end()
    m = _TOKEN_END.search(data, i)
    end = m.start() if m else len(data)
    word = data[i:end]
    if word in (b"true", b"false"):
        return word == b"true", end
    if word == b"null":
        return None, end
    raise PdfError(f"unexpected {word[:20]!r}")


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    out, level, n = bytearray(), 1, len(data)
    while i < n:
        c = data[i]
        if c == 0x5C and i + 1 < n:  # backslash
            e = data[i + 1]
            if e in _ESCAPES:
                out += _ESCAPES[e]
                i += 2
            elif 0x30 <= e <= 0x37:
                m = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                out.append(int(m[0], 8) & 0xFF)
                i += 1 + len(m[0])
            elif e in b"\r\n":
                i += 3 if data[i + 1 : i + 3] == b"\r\n" else 2
            else:
                out.append(e)
                i += 2
            continue
        if c == 0x28:
            level += 1
        elif c == 0x29:
            level -= 1
            if level == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    raise PdfError("a string without its end")


def write(value: Any) -> bytes:
    """A value as PDF writes it."""
    if isinstance(value, Name):
        return b"/" + re.sub(
            rb"[^!-~]|[#()<>\[\]{}/%]", lambda g: b"#%02X" % g[0][0], value.encode("latin-1")
        )
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        return (b"%.6f" % value).rstrip(b"0").rstrip(b".")
    if isinstance(value, Ref):
        return b"%d %d R" % (value.num, value.gen)
    if isinstance(value, bytes):
        return b"<" + value.hex().encode() + b">"
    if isinstance(value, list):
        return b"[" + b" ".join(write(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<<" + b"".join(write(Name(k)) + b" " + write(v) for k, v in value.items()) + b">>"
    raise TypeError(f"no PDF form for {type(value).__name__}")


class PdfFile:
    """A PDF's objects, by number: the last "N G obj" of each in the file (an update appended
    replaces the object), then those inside object streams."""

    def __init__(self, data: bytes) -> None:
        if not data.lstrip()[:5] == b"%PDF-":
            raise PdfError("not a PDF (no %PDF- header)")
        self.data = data
        self.at: dict[int, tuple[int, int]] = {}  # number -> (gen, offset after "obj")
        self.start: dict[int, int] = {}  # number -> where its "N G obj" starts
        self._packed: dict[int, Any] = {}
        self._cache: dict[int, Any] = {}
        self._body: dict[int, int] = {}  # a stream object's number -> where its bytes start
        pos = 0
        while m := _OBJ.search(data, pos):
            num = int(m[1])
            self.at[num], self.start[num], pos = (int(m[2]), m.end()), m.start(), m.end()
            self._cache.pop(num, None)
            self._body.pop(num, None)
            try:
                value, end = parse(data, m.end())
            except PdfError:
                continue
            self._cache[num] = value
            body = _STREAM.match(data, end)
            if body and isinstance(value, dict):  # not searched: its bytes are no objects
                self._body[num] = body.end()
                pos = max(pos, _stream_end(data, body.end(), value.get("Length")))
        for num in self._body:
            if self._cache[num].get("Type") == "ObjStm":
                self._unpack(num)

    def _unpack(self, num: int) -> None:
        """The objects of an object stream (PDF 1.5) not found at the top level."""
        try:
            d, body = self.stream(num)
            raw = unfilter("FlateDecode", body) if self.filters(d) == ["FlateDecode"] else body
            first, count = int(self.get(d.get("First"))), int(self.get(d.get("N")))
            nums, i = [], 0
            for _ in range(count):
                n, i = parse(raw, i)
                off, i = parse(raw, i)
                nums.append((n, off))
            for n, off in nums:
                if n not in self.at and n not in self._packed:
                    self._packed[n] = parse(raw, first + off)[0]
        except (PdfError, ValueError, TypeError, zlib.error):
            return  # a damaged object stream: its objects are not found

    @property
    def packed(self) -> bool:
        """Whether any object was found only inside an object stream."""
        return bool(self._packed)

    def get(self, value: Any) -> Any:
        """``value`` with a reference followed (None where it leads nowhere)."""
        seen = 0
        while isinstance(value, Ref) and seen < 32:
            value = self.object(value.num)
            seen += 1
        return value

    def object(self, num: int) -> Any:
        if num in self._cache:
            return self._cache[num]
        if num in self.at:
            try:
                value = parse(self.data, self.at[num][1])[0]
            except PdfError:
                value = None
        else:
            value = self._packed.get(num)
        self._cache[num] = value
        return value

    def stream(self, num: int) -> tuple[dict, bytes]:
        """A stream object's dictionary and its bytes as stored (filters not undone), as
        the file's scan found them."""
        if num not in self._body:
            raise PdfError(f"object {num} is not a stream")
        d, start = self._cache[num], self._body[num]
        end = _stream_end(self.data, start, self.get(d.get("Length")))
        if end < 0:
            raise PdfError(f"object {num}: its stream has no end")
        return d, self.data[start:end]

    def filters(self, d: dict) -> list[str]:
        """The filters of a stream's dictionary ``d``, in order, their names spelled out."""
        chain = self.get(d.get("Filter"))
        chain = chain if isinstance(chain, list) else [chain] if chain else []
        return [full_name(str(self.get(f))) for f in chain]

    def decoded(self, ref: Any) -> bytes | None:
        """The bytes of the stream ``ref`` points to, every filter undone (a profile, a
        palette); None where it points to no stream; PdfError where they do not decode."""
        if not isinstance(ref, Ref) or ref.num not in self._body:
            return None
        d, body = self.stream(ref.num)
        for name in self.filters(d):
            body = unfilter(name, body)
        return body


def _stream_end(data: bytes, start: int, length: Any) -> int:
    """Where a stream's bytes that start at ``start`` end: ``length`` on, where "endstream"
    follows there, else (a wrong or indirect /Length) the first "endstream" after ``start``,
    without the line end before it; -1 where there is none."""
    if isinstance(length, int) and length >= 0:
        if data.startswith(b"endstream", _skip(data, start + length)):
            return start + length
    end = data.find(b"endstream", start)
    if end < 0:
        return -1
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    return end


__all__ = ["Name", "PdfError", "PdfFile", "Ref", "parse", "write"]
