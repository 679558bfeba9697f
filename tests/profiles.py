"""ICC colour profiles made by hand for the tests: gray and RGB matrix/TRC, version 2."""

from __future__ import annotations

import struct

import numpy as np


def curv(gamma: float | None = None, table: np.ndarray | None = None) -> bytes:
    """A 'curv' tone curve: a gamma, or a table of 0..1 samples."""
    if table is not None:
        t = np.asarray(np.rint(np.clip(table, 0, 1) * 65535), ">u2")
        return b"curv" + bytes(4) + struct.pack(">I", len(t)) + t.tobytes()
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def para(g: float, a: float, b: float, c: float, d: float) -> bytes:
    """A 'para' curve of type 3 (sRGB's shape): (aX + b)^g from d up, cX below."""
    fixed = struct.pack(">iiiii", *(round(v * 65536) for v in (g, a, b, c, d)))
    return b"para" + bytes(4) + struct.pack(">HH", 3, 0) + fixed


def xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + struct.pack(">iii", *(round(v * 65536) for v in (x, y, z)))


def profile(space: bytes, tags: list[tuple[bytes, bytes]], pcs: bytes = b"XYZ ") -> bytes:
    """A display profile of ``space`` (b"GRAY" or b"RGB "), connection space ``pcs`` (b"XYZ "
    or b"Lab "), with the media white point every profile has."""
    tags = [*tags, (b"wtpt", xyz(0.9642, 1.0, 0.8249))]
    body, table, start = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, data in tags:
        data += bytes(-len(data) % 4)
        table += sig + struct.pack(">II", start + len(body), len(data))
        body += data
    head = struct.pack(">I4sI4s4s4s", start + len(body), b"none", 0x02100000, b"mntr", space, pcs)
    head += bytes(12) + b"acsp"
    head += bytes(68 - len(head)) + struct.pack(">iii", 63190, 65536, 54061)  # D50
    return head + bytes(128 - len(head)) + struct.pack(">I", len(tags)) + table + body


def gray(trc: bytes, pcs: bytes = b"XYZ ") -> bytes:
    return profile(b"GRAY", [(b"kTRC", trc)], pcs)


def adobe_like() -> bytes:
    """Adobe RGB (1998)'s colorants (adapted to D50) and gamma 2.2."""
    colorants = [(0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446)]
    tags = [(n, curv(2.2)) for n in (b"rTRC", b"gTRC", b"bTRC")]
    tags += [(n, xyz(*c)) for n, c in zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants, strict=True)]
    return profile(b"RGB ", tags)
