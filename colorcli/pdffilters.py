"""The PDF stream filters that carry bytes rather than pictures, undone: Flate, LZW (1990s
scanner software), ASCII85 and ASCIIHex (what ReportLab and PostScript converters write),
RunLength. No pictures, no files."""

from __future__ import annotations

import base64
import re
import zlib
from typing import Any

from colorcli.errors import ColorcliError


class PdfError(ColorcliError, ValueError):
    """A PDF that cannot be read as one."""


CARRIERS = frozenset(
    {"FlateDecode", "LZWDecode", "ASCII85Decode", "ASCIIHexDecode", "RunLengthDecode"}
)
# the short names a PDF may use in inline images and some old writers' streams
_SHORT = {"Fl": "FlateDecode", "LZW": "LZWDecode", "A85": "ASCII85Decode"}
_SHORT.update(AHx="ASCIIHexDecode", RL="RunLengthDecode", DCT="DCTDecode")


def full_name(name: str) -> str:
    """A filter's name, its short form (inline images' "Fl", "A85"...) spelled out."""
    return _SHORT.get(name, name)


def unfilter(name: str, data: bytes, parms: dict[str, Any] | None = None) -> bytes:
    """``data`` with the filter ``name`` undone (its predictor, if any, left to the caller).
    PdfError where it does not decode."""
    try:
        if name == "FlateDecode":
            return zlib.decompressobj().decompress(data)
        if name == "ASCII85Decode":
            end = data.find(b"~>")
            body = re.sub(rb"\s", b"", data[: end if end >= 0 else len(data)])
            return base64.a85decode(body.removeprefix(b"<~"))
        if name == "ASCIIHexDecode":
            end = data.find(b">")
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", data[: end if end >= 0 else len(data)])
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        if name == "RunLengthDecode":
            return _run_length(data)
        if name == "LZWDecode":
            early = (parms or {}).get("EarlyChange", 1)
            early = early if early in (0, 1) else 1
            return _lzw(data, early)
    except (zlib.error, ValueError) as e:
        raise PdfError(f"damaged {name} data ({e})") from e
    raise PdfError(f"stored as {name}: left as it is")


def _run_length(data: bytes) -> bytes:
    out, i, n = bytearray(), 0, len(data)
    while i < n:
        c = data[i]
        if c == 128:  # the end
            break
        if c < 128:
            out += data[i + 1 : i + 2 + c]
            i += 2 + c
        else:
            out += data[i + 1 : i + 2] * (257 - c)
            i += 2
    return bytes(out)


def _lzw(data: bytes, early: int) -> bytes:
    """PDF's (and TIFF's) LZW: codes of 9 to 12 bits, most significant first; 256 clears
    the table, 257 ends; ``early``: the code width grows one code early (PDF's default)."""
    out = bytearray()
    table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
    width, buf, nbits, prev = 9, 0, 0, None
    for byte in data:
        buf, nbits = (buf << 8) | byte, nbits + 8
        while nbits >= width:
            nbits -= width
            code = (buf >> nbits) & ((1 << width) - 1)
            if code == 256:
                table, width, prev = table[:258], 9, None
                continue
            if code == 257:
                return bytes(out)
            if code < len(table):
                entry = table[code]
                if prev is not None and len(table) < 4096:
                    table.append(prev + entry[:1])
            elif code == len(table) and prev is not None:
                entry = prev + prev[:1]
                table.append(entry)
            else:
                raise ValueError("a code outside its table")
            out += entry
            prev = entry
            if len(table) + early >= (1 << width) and width < 12:
                width += 1
        buf &= (1 << nbits) - 1
    return bytes(out)


__all__ = ["CARRIERS", "PdfError", "full_name", "unfilter"]
