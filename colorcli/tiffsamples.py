"""A TIFF's samples where OpenCV's libtiff converts them wrongly or not at all: the IFD changes
(in ``colorcli.tiffmend``'s copy in memory) that have it hand them out as stored, and those
samples turned into what they mean. CIELab (read lighter and tinted; ICCLab and L* alone
refused), gray with alpha (8-bit gray without its alpha), gray with 0 as white (a 16-bit one a
negative), CMYK (16-bit refused as damaged; 8-bit given an opaque alpha), colours under an
unassociated alpha (multiplied by it), 16-bit floats (refused), and planes stored one after the
other (16-bit ones scrambled), each decoded on its own. Bytes and pixels only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from colorcli.walkers import (
    BITS,
    EXTRA,
    INK_SET,
    PHOTOMETRIC,
    PLANAR,
    PREDICTOR,
    SAMPLE_FORMAT,
    SAMPLES,
    STRIP_BYTES,
    STRIPS,
    TIFF_INTEGERS,
    TILE_BYTES,
    TILE_W,
    TILES,
    WIDTH,
    TiffIfd,
)

Change = tuple[int, bytes]  # bytes to write at an offset of the TIFF
_LAB = (8, 9)  # CIELab, ICCLab
_JPEG = (6, 7)  # within a JPEG stream, whose own colours libjpeg sets: left to it
# what a TIFF with alpha that cannot be read as stored (``_pairs``) is told: gray, palette
_ALPHA_LOST = (
    "gray with transparency: read as 8-bit gray, its transparency is not kept",
    "palette colours with transparency: read as colours, its transparency is not kept",
)


@dataclass(frozen=True)
class Samples:
    """What is to be done with the samples OpenCV hands out (``apply``), and what to tell."""

    lab: int = 0  # a CIELab TIFF's photometric (8 or 9): its L*a*b* (colorcli.labtiff)
    # gray with alpha, read as gray twice as wide; where its samples are differences
    # (Predictor 2), how many pixels each run of them spans
    pairs: bool = False
    run: int = 0
    inverted: bool = False  # gray stored with 0 as white, called MinIsBlack
    cmyk: int = 0  # a CMYK TIFF's bits (16: its inks handed out as stored, called RGB)
    half: bool = False  # 16-bit floating point samples, called unsigned integers
    alpha_lost: str = ""  # one with alpha that cannot be read as stored: what to tell

    def apply(self, a: np.ndarray) -> np.ndarray:
        """OpenCV's decode as the TIFF's own samples: gray with alpha, decoded as gray twice
        as wide, as (H, W, 2), its differences summed; CMYK as BGR; gray stored with 0 as
        white as gray with 0 as black; half floats as floats. A CIELab TIFF's stay L*a*b*
        (``colorcli.labtiff`` reads them)."""
        if self.pairs and a.ndim == 2 and a.shape[1] % 2 == 0:
            if self.run:
                a = a.copy()
                for start in range(0, a.shape[1], 2 * self.run):
                    part = a[:, start : start + 2 * self.run]
                    for k in (0, 1):  # each sample from the one before of its kind, wrapping
                        part[:, k::2] = np.cumsum(part[:, k::2], axis=1, dtype=a.dtype)
            a = a.reshape(a.shape[0], -1, 2)
        if self.cmyk and a.ndim == 3 and a.shape[2] == 4:  # at 8 bits, libtiff's RGBA
            a = a[..., :3] if self.cmyk == 8 else _inks_to_bgr(a)
        if self.inverted and a.dtype in (np.uint8, np.uint16):
            a = a.copy()
            gray = a if a.ndim == 2 else a[..., 0]
            np.subtract(np.iinfo(a.dtype).max, gray, out=gray)
        if self.half and a.dtype == np.uint16:  # OpenCV refused them ("sample_format")
            a = a.view(np.float16).astype(np.float32)
        return a


def as_stored(ifd: TiffIfd, compression: int, planar: bool) -> tuple[list[Change], Samples]:
    """The changes that have OpenCV hand out a TIFF's samples as stored where its own
    reading of them is wrong, and what to do with them then. ``planar``: its planes are to
    be decoded one at a time (``planes``), its alpha among them."""
    lab, pairs = _lab(ifd, compression), _pairs(ifd, compression)
    inverted, (cmyk, to_rgb) = _white_is_zero(ifd, compression), _cmyk(ifd, compression)
    half = _half(ifd)
    changes = [c for c in (lab and lab[1], inverted, to_rgb, _straight(ifd)) if c]
    changes += (pairs[0] if pairs else []) + (half or [])
    lost = ""
    if not pairs and ifd.first(SAMPLES, 1) == 2 and not planar:
        lost = _ALPHA_LOST[ifd.first(PHOTOMETRIC, 1) == 3]
    samples = Samples(
        lab=lab[0] if lab else 0,
        pairs=bool(pairs),
        run=pairs[1] if pairs else 0,
        inverted=inverted is not None,
        cmyk=cmyk,
        half=half is not None,
        alpha_lost=lost,
    )
    return changes, samples


def planes(ifd: TiffIfd, compression: int) -> list[list[Change]]:
    """A gray-and-alpha or RGB(A) TIFF of 8 or 16 bits stored plane by plane (its
    PlanarConfiguration 2: a scanner's or GDAL's band interleave): for each plane the changes
    that make the TIFF that plane alone, as gray (its strips or tiles, one sample a pixel);
    [] for any other."""
    count, bits = ifd.first(SAMPLES, 1), _bits(ifd)
    if ifd.first(PLANAR, 1) != 2 or not 2 <= count <= 4 or compression in _JPEG:
        return []
    if ifd.first(PHOTOMETRIC, 1) not in (0, 1, 2) or bits[0] not in (8, 16):
        return []
    if any(b != bits[0] for b in bits):
        return []
    where, sizes = (TILES, TILE_BYTES) if TILES in ifd.tags else (STRIPS, STRIP_BYTES)
    common = [ifd.change(SAMPLES, 1), ifd.change(PLANAR, 1), ifd.change(PHOTOMETRIC, 1)]
    single = _one_sample(ifd)
    out = []
    for k in range(count):
        own = [_part(ifd, where, k, count), _part(ifd, sizes, k, count)]
        if None in common or single is None or None in own:
            return []
        out.append([*common, *single, *own[0], *own[1]])
    return out


def _one_sample(ifd: TiffIfd) -> list[Change] | None:
    """The changes that leave the tags of one value per sample (BitsPerSample, SampleFormat)
    one value, for a TIFF made one sample a pixel (libtiff warned of the others); None where
    one cannot be."""
    out = []
    for tag in (BITS, SAMPLE_FORMAT):
        got = ifd.values(tag)
        if got is not None and len(got[0]) > 1:
            single = ifd.one_value(tag)
            if single is None:
                return None
            out += single
    return out


def _part(ifd: TiffIfd, tag: int, k: int, parts: int) -> list[Change] | None:
    """The changes that make ``tag``'s values its ``k``-th of ``parts`` equal runs (a
    plane's strips or tiles): its count, and where they lie (or, where so few fit in the
    entry, the values themselves)."""
    got = ifd.values(tag)
    if ifd.lay is None or got is None or not got[0] or len(got[0]) % parts:
        return None
    n, (code, size) = len(got[0]) // parts, TIFF_INTEGERS[ifd.tags[tag][0]]
    room = 8 if ifd.lay.big else 4  # bytes of values an entry holds itself
    field = ifd.tags[tag][2]
    count = struct.pack(ifd.lay.offset, n)
    if n * size <= room:
        value = struct.pack(ifd.lay.e + code * n, *got[0][k * n : (k + 1) * n])
    else:
        value = struct.pack(ifd.lay.offset, got[1] + k * n * size)
    return [(field - len(count), count), (field, value.ljust(room, b"\0"))]


def _bits(ifd: TiffIfd) -> list[int]:
    return (ifd.values(BITS) or ([0], 0))[0] or [0]


def _half(ifd: TiffIfd) -> list[Change] | None:
    """Gray or RGB of 16-bit floating point samples (HDR tools', Krita's), not stored as
    differences of floats: the changes that call them unsigned integers, for ``apply`` to
    read as the floats they are (OpenCV refused them: "damaged or truncated")."""
    if ifd.first(SAMPLE_FORMAT, 1) != 3 or _bits(ifd)[0] != 16 or ifd.first(PREDICTOR, 1) == 3:
        return None
    got = ifd.values(SAMPLE_FORMAT)
    each = [ifd.change(SAMPLE_FORMAT, 1, i) for i in range(len(got[0]))] if got else [None]
    return None if None in each else each


def _straight(ifd: TiffIfd) -> Change | None:
    """An 8-bit RGBA TIFF whose alpha is unassociated: the change that calls it unspecified,
    so that libtiff hands out its colours as stored, not multiplied by the alpha (divided
    back, they lost up to 255 / (2 alpha) codes: 13 at an alpha of 10)."""
    if ifd.first(PHOTOMETRIC, 1) != 2 or ifd.first(SAMPLES, 1) != 4 or _bits(ifd)[0] != 8:
        return None
    return ifd.change(EXTRA, 0) if ifd.first(EXTRA, 0) == 2 else None


def _lab(ifd: TiffIfd, compression: int) -> tuple[int, Change] | None:
    """A CIELab TIFF of 8 or 16 bits: (its photometric, the change that calls it RGB, or gray
    where it holds L* alone), so that the decoder hands out its samples unconverted."""
    kind = ifd.first(PHOTOMETRIC, 1)
    if kind not in _LAB or compression in _JPEG or _bits(ifd)[0] not in (8, 16):
        return None
    change = ifd.change(PHOTOMETRIC, 2 if ifd.first(SAMPLES, 1) >= 3 else 1)
    return (kind, change) if change else None


def _pairs(ifd: TiffIfd, compression: int) -> tuple[list[Change], int] | None:
    """A gray TIFF with alpha (two samples a pixel, of 8 or 16 bits, interleaved) as a gray
    one twice as wide: (the changes, the width each run of differences spans, 0 where its
    samples are not differences); None where it is not one, or cannot be so read."""
    if ifd.first(SAMPLES, 1) != 2 or ifd.first(PLANAR, 1) != 1 or compression in _JPEG:
        return None
    bits, predictor = _bits(ifd), ifd.first(PREDICTOR, 1)
    if ifd.first(PHOTOMETRIC, 1) not in (0, 1, *_LAB) or bits[0] not in (8, 16):
        return None
    if any(b != bits[0] for b in bits) or predictor not in (1, 2):
        return None
    tiled, width = TILES in ifd.tags, ifd.first(WIDTH, 0)
    span = ifd.first(TILE_W, 0) if tiled else width
    changes = [ifd.change(WIDTH, 2 * width), ifd.change(SAMPLES, 1)]
    changes += [ifd.change(TILE_W, 2 * span)] if tiled else []
    changes += [ifd.change(PREDICTOR, 1)] if predictor == 2 else []
    single = _one_sample(ifd)
    if single is None or None in changes or span <= 0:
        return None
    return [*changes, *single], span if predictor == 2 else 0


def _white_is_zero(ifd: TiffIfd, compression: int) -> Change | None:
    """Gray of 8 or 16 bits stored with 0 as white (MinIsWhite): the change that calls it
    MinIsBlack, for ``Samples.apply`` to invert (OpenCV read a 16-bit one as stored)."""
    if ifd.first(PHOTOMETRIC, 1) != 0 or compression in _JPEG:
        return None
    return ifd.change(PHOTOMETRIC, 1) if _bits(ifd)[0] in (8, 16) else None


def _cmyk(ifd: TiffIfd, compression: int) -> tuple[int, Change | None]:
    """A CMYK TIFF of four samples: (its bits, the change that calls a 16-bit one RGB with
    an extra sample, which OpenCV then hands out as stored: it refused it as damaged); (0,
    None) for any other."""
    if ifd.first(PHOTOMETRIC, 1) != 5 or ifd.first(SAMPLES, 1) != 4 or ifd.first(INK_SET, 1) != 1:
        return 0, None
    bits = _bits(ifd)[0]
    if bits == 8:
        return 8, None
    if bits != 16 or compression in _JPEG:
        return 0, None
    change = ifd.change(PHOTOMETRIC, 2)
    return (16, change) if change else (0, None)


def _inks_to_bgr(a: np.ndarray) -> np.ndarray:
    """CMYK samples as OpenCV hands them out (Y, M, C, K) as BGR, as libtiff turns 8-bit
    ones: each colour (1 - ink) (1 - black), no profile."""
    top = float(np.iinfo(a.dtype).max)
    out = np.empty((*a.shape[:2], 3), a.dtype)
    for r in range(0, a.shape[0], 512):
        part = a[r : r + 512].astype(np.float32)
        white = (top - part[..., 3:]) / top
        out[r : r + 512] = np.rint((top - part[..., :3]) * white)
    return out


__all__ = ["Change", "Samples", "as_stored", "planes"]
