"""What an image file's header says (format, size, EXIF orientation, bits, pages), read by
hand before any decoding: a decompression bomb (a small file that declares a gigapixel
image) is refused before pixel memory is allocated, and EXIF orientation is applied the same
way on every OpenCV build. Only headers are read: a TIFF's IFDs by seeking, never its pixels
(the containers' own structures are walked by ``colorcli.walkers``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from colorcli.errors import MediaError, missing
from colorcli.ffstill import FF_BMP, probe_ff_still
from colorcli.heif import probe_heif
from colorcli.heifboxes import is_heif
from colorcli.options import VIDEO_EXTS
from colorcli.photocd import probe_pcd
from colorcli.walkers import (
    PNG_SIGNATURE,
    TIFF_SIGNATURES,
    bmp_header,
    bytes_reader,
    file_reader,
    png_chunks,
    pnm_header,
    riff_chunk,
    riff_count,
    tiff_pages,
    tiff_tags,
)
from colorcli.xcf import SIGNATURE as XCF_SIGNATURE

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_CODESTREAM = b"\xff\x4f\xff\x51"  # SOC, then SIZ

# the pixels of all an animation's frames together that are coloured as an animation (each
# frame is held in memory, before and after colouring); beyond, its first frame as a still
ANIMATION_PIXELS = 250_000_000


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: format name, width, height, EXIF orientation (1..8), bits."""

    format: str
    width: int
    height: int
    orientation: int = 1
    bits: int = 8  # bits per sample where the header says (DPX, JPEG 2000: 8 to 16)
    # the largest sample value, where the decoder leaves samples short of their type's full
    # range (12-bit JPEG 2000 as 0..4095, a binary Netpbm's maxval); 0: full range
    top: int = 0
    pages: int = 1  # a multi-page TIFF's page count (the first page is the one read)
    frames: int = 1  # an animated GIF's frame count (the first frame is the one read)
    # a TIFF's alpha: its ExtraSamples (1: associated, premultiplied; 2: unassociated) and
    # its samples per pixel (2: gray and alpha)
    extra: int = 0
    samples: int = 0
    lab: int = 0  # a CIELab TIFF's photometric (8, 9): its L*a*b* read as sRGB on decoding
    # found on decoding: a colour profile not followed (colorcli.icc), damage the decoder met
    notes: tuple[str, ...] = ()

    @property
    def premultiplied(self) -> bool:
        """Whether this TIFF's colour comes out of decoding multiplied by its alpha: as stored
        where the alpha is associated (an unassociated one, which libtiff's RGBA reading
        multiplied in at 8 bits, is read as stored: ``colorcli.tiffsamples``)."""
        return self.format == "tiff" and self.samples == 4 and self.extra == 1

    @property
    def notices(self) -> tuple[str, ...]:
        """What a user should know about reading it."""
        notes = list(self.notes)
        if self.pages > 1:  # read_pages gives them all: a .tif output takes every page
            notes.append(
                f"{self.pages} pages: only the first is coloured (a .tif output keeps all)"
            )
        elif self.frames > 1:
            notes.append(
                f"an animation of {self.frames} frames: only the first is coloured (a .png or .webp output keeps all, up to {ANIMATION_PIXELS // 10**6} megapixels of frames together)"
            )
        return tuple(notes)


def _probe_tiff(f) -> ImageInfo:
    read = file_reader(f)
    tags = tiff_tags(read, 0, {256, 257, 274, 277, 338})
    if 256 not in tags or 257 not in tags:
        raise ValueError("damaged TIFF (no size tags)")
    o = tags.get(274, 1)
    return ImageInfo(
        "tiff", tags[256], tags[257], o if 1 <= o <= 8 else 1, pages=tiff_pages(read),
        extra=tags.get(338, 0), samples=tags.get(277, 0),
    )  # fmt: skip


def _probe_jp2(buf: bytes) -> ImageInfo:
    """JPEG 2000, as a JP2 file or a bare codestream: size and bits per sample from the
    codestream's SIZ segment (what decoders follow), else from the JP2 image header box."""
    at = buf.find(J2K_CODESTREAM)
    if at >= 0 and len(buf) >= at + 43:
        x, y, x0, y0 = struct.unpack_from(">IIII", buf, at + 8)
        w, h, bits = x - x0, y - y0, (buf[at + 42] & 0x7F) + 1
    else:
        at = buf.find(b"ihdr")
        if at < 4 or len(buf) < at + 15:
            raise ValueError("damaged JPEG 2000 (no image header)")
        h, w, _nc, bpc = struct.unpack_from(">IIHB", buf, at + 4)
        bits = 16 if bpc == 255 else (bpc & 0x7F) + 1
    return ImageInfo("jp2", w, h, bits=bits, top=(1 << bits) - 1 if 8 < bits < 16 else 0)


_GIF_READ = 64 << 20  # bytes of a GIF walked to count its frames


def _gif_frames(data: bytes) -> int:
    """How many images a GIF holds (an animation's frames)."""
    return max(len(gif_delays(data)), 1)


def gif_delays(data: bytes | memoryview) -> list[int | None]:
    """Each image's delay in a GIF (hundredths of a second, from the graphic control
    extension before it; None where it has none), its blocks walked, their sub-blocks skipped
    by their lengths."""

    def skip_sub_blocks(pos: int) -> int:
        while pos < len(data):
            n = data[pos]
            pos += 1 + n
            if n == 0:
                break
        return pos

    pos, delays, delay = 13, [], None
    if len(data) > 10 and data[10] & 0x80:  # a global colour table
        pos += 3 * (2 << (data[10] & 7))
    while pos < len(data):
        kind = data[pos]
        if kind == 0x21:  # an extension: its label, then sub-blocks
            if data[pos + 1 : pos + 3] == b"\xf9\x04" and pos + 7 <= len(data):
                delay = data[pos + 4] | data[pos + 5] << 8  # graphic control: the delay
            pos = skip_sub_blocks(pos + 2)
        elif kind == 0x2C and pos + 10 <= len(data):  # an image
            delays.append(delay)
            delay = None
            flags = data[pos + 9]
            pos += 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
            pos = skip_sub_blocks(pos + 1)  # the LZW code size, then the data
        else:  # the trailer, or something this walk cannot follow
            break
    return delays


def _probe_pnm(buf: bytes) -> ImageInfo:
    """Netpbm (P1 to P6: what SANE's scanimage writes): size and maxval from the text
    header. OpenCV stretches an ASCII file's samples of maxval under 256 itself, not
    the others'."""
    fields, _ = pnm_header(buf)
    bilevel = buf[1:2] in (b"1", b"4")
    w, h = fields[0], fields[1]
    maxval = 1 if bilevel else fields[2]
    if not 0 < maxval < 65536:
        raise ValueError(f"Netpbm maxval {maxval}")
    full = 255 if maxval < 256 else 65535
    stretched = buf[1:2] in (b"2", b"3") and maxval < 256  # by OpenCV
    top = 0 if bilevel or maxval == full or stretched else maxval
    return ImageInfo("pnm", w, h, bits=8 if maxval < 256 else 16, top=top)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _probe_jpeg(f) -> tuple[int, int, int]:
    """Walk JPEG segments up to the frame header: (width, height, EXIF orientation)."""
    f.seek(2)
    orientation = 1
    while True:
        b = f.read(1)
        if not b:
            raise ValueError("truncated JPEG header")
        if b != b"\xff":
            raise ValueError("damaged JPEG (bad marker)")
        m = f.read(1)
        while m == b"\xff":
            m = f.read(1)
        if not m:
            raise ValueError("truncated JPEG header")
        marker = m[0]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length
        lb = f.read(2)
        if len(lb) < 2:
            raise ValueError("truncated JPEG header")
        length = struct.unpack(">H", lb)[0]
        if marker in _SOF:
            seg = f.read(5)
            if len(seg) < 5:
                raise ValueError("truncated JPEG header")
            h, w = struct.unpack(">HH", seg[1:5])
            return w, h, orientation
        if marker == 0xDA:
            raise ValueError("damaged JPEG (no frame header)")
        if marker == 0xE1:
            seg = f.read(length - 2)
            if seg[:6] == b"Exif\x00\x00":  # not XMP, which APP1 also holds
                orientation = _exif_orientation(seg)
        else:
            f.seek(length - 2, 1)


def _exif_orientation(exif: bytes) -> int:
    """The orientation (1..8) an EXIF block gives (a TIFF structure, after "Exif\\0\\0" or
    not); 1 where it gives none."""
    base = 6 if exif[:6] == b"Exif\x00\x00" else 0
    o = tiff_tags(bytes_reader(exif), base, {0x0112}).get(0x0112, 1)
    return o if 1 <= o <= 8 else 1


def _png_head(head: bytes) -> tuple[int, int]:
    """(orientation, frames) from the chunks in ``head`` before a PNG's pixels: its eXIf
    chunk's orientation (browsers turn a PNG by it, as a phone's or an editor's PNG may have
    one), and an animated PNG's frame count (its acTL chunk); 1 and 1 where it has none."""
    orientation = frames = None  # the first of each chunk counts
    for kind, body, _, _ in png_chunks(head):
        if kind == b"eXIf" and orientation is None:
            orientation = _exif_orientation(body)
        elif kind == b"acTL" and len(body) >= 4 and frames is None:
            frames = max(1, int.from_bytes(bytes(body[:4]), "big"))
        elif kind == b"IDAT":
            break
    return orientation or 1, frames or 1


def _webp_orientation(f) -> int:
    """The orientation of an extended WebP's EXIF chunk (usually after its pixels)."""
    exif = riff_chunk(file_reader(f), b"EXIF", 1 << 20)
    return _exif_orientation(exif) if exif else 1


def _probe_bmp(buf: bytes) -> ImageInfo:
    """A BMP's size; those OpenCV reads wrongly (an OS/2 1.x header, 16 bits a pixel) are
    given to FFmpeg's decoder (``ffstill.FF_BMP``)."""
    _, dib, w, h, bits, _ = bmp_header(buf)
    if dib == 12:  # OS/2 1.x
        return ImageInfo(FF_BMP, w, h)
    return ImageInfo(FF_BMP if bits == 16 else "bmp", abs(w), abs(h))


def _cut_header(buf: bytes) -> str | None:
    """The format whose signature ``buf`` (a whole file shorter than its header) begins
    with, or None: a file cut off inside its header."""
    for kind, signature, header in (
        ("PNG", PNG_SIGNATURE, 24),
        ("BMP", b"BM", 30),
        ("GIF", b"GIF8", 13),
        ("DPX", b"SDPX", 804),
        ("DPX", b"XPDS", 804),
        ("XCF", XCF_SIGNATURE, 26),
    ):
        if buf.startswith(signature) and len(buf) < header:
            return kind
    return None


def probe_image(path: Path | str) -> ImageInfo:
    """Read the header: format, size, orientation. Raises MediaError for anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            buf = f.read(1 << 16)
            if not buf:
                raise MediaError(path, "empty file")
            try:
                if (info := _by_signature(path, f, buf)) is not None:
                    return info
            except (struct.error, ValueError, IndexError) as e:
                raise MediaError(path, f"not a readable image ({e})") from e
    except IsADirectoryError as e:
        raise MediaError(path, "is a folder") from e
    except PermissionError as e:
        raise MediaError(path, "permission denied") from e
    except FileNotFoundError as e:
        raise missing(path) from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    if (kind := _cut_header(buf)) is not None:
        raise MediaError(path, f"not a readable image (its {kind} header is cut short)")
    if path.suffix.lower() in VIDEO_EXTS:  # a film given where a photo goes
        raise MediaError(path, "a film, not a photo (`colorize video` takes films)")
    raise MediaError(
        path,
        "not a supported image (jpg, png, tif, bmp, webp, jp2, heic, avif, gif, pnm, psd, xcf, pcx, tga, pcd)",
    )


def _by_signature(path: Path, f, buf: bytes) -> ImageInfo | None:
    """The header of the format whose signature ``buf`` (the file's first 64 KiB, ``f``
    open on it) starts with, or None where none matches."""
    if buf[:8] == PNG_SIGNATURE and len(buf) >= 24:
        w, h = struct.unpack(">II", buf[16:24])
        if buf[12:16] != b"IHDR" or not (0 < w < 1 << 31 and 0 < h < 1 << 31):
            # what follows the signature is not a PNG's header: no size to trust
            raise MediaError(path, "not a readable image (its PNG header is damaged)")
        orientation, frames = _png_head(buf)
        return ImageInfo("png", w, h, orientation, frames=frames)
    if buf[:2] == b"\xff\xd8":
        w, h, o = _probe_jpeg(f)
        return ImageInfo("jpeg", w, h, o)
    if buf[:2] == b"BM" and len(buf) >= 30:
        return _probe_bmp(buf)
    if buf[:4] == b"RIFF" and buf[8:12] == b"WEBP" and len(buf) >= 30:
        return _probe_webp(f, buf)
    if buf[:4] in (b"SDPX", b"XPDS") and len(buf) >= 804:
        e = ">" if buf[:4] == b"SDPX" else "<"
        w, h = struct.unpack_from(e + "II", buf, 772)
        return ImageInfo("dpx", w, h, 1, buf[803] or 10)
    if buf[:4] in TIFF_SIGNATURES:
        return _probe_tiff(f)
    if buf.startswith((JP2_SIGNATURE, J2K_CODESTREAM)):
        return _probe_jp2(buf)
    if is_heif(buf):  # a phone's HEIC, an AVIF
        w, h, bits = probe_heif(f)
        return ImageInfo("heif", w, h, bits=bits)
    if buf[:6] in (b"GIF87a", b"GIF89a") and len(buf) >= 13:
        w, h = struct.unpack_from("<HH", buf, 6)
        f.seek(0)
        return ImageInfo("gif", w, h, frames=_gif_frames(f.read(_GIF_READ)))
    if buf.startswith(XCF_SIGNATURE) and len(buf) >= 26:  # GIMP's own
        w, h = struct.unpack_from(">II", buf, 14)
        return ImageInfo("xcf", w, h)
    if (pcd := probe_pcd(buf, os.fstat(f.fileno()).st_size)) is not None:
        return ImageInfo("pcd", pcd[0], pcd[1])  # a Photo CD image pac
    if (found := probe_ff_still(buf, path.suffix.lower())) is not None:
        fmt, w, h, bits = found  # PSD, PCX, Targa, SGI, Sun raster
        return ImageInfo(fmt, w, h, bits=bits)
    if len(buf) > 2 and buf[:1] == b"P" and buf[1:2] in b"123456" and buf[2:3].isspace():
        return _probe_pnm(buf)
    return None


def _probe_webp(f, buf: bytes) -> ImageInfo | None:
    """A WebP's size (and, in its extended form, orientation and frames), or None for a
    first chunk of no known kind."""
    chunk = buf[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", buf[26:30])
        return ImageInfo("webp", w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L":
        bits = int.from_bytes(buf[21:25], "little")
        return ImageInfo("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        o = _webp_orientation(f)
        w = int.from_bytes(buf[24:27], "little") + 1
        h = int.from_bytes(buf[27:30], "little") + 1
        animated = buf[20] & 0x02  # its frames: ANMF chunks
        n = riff_count(file_reader(f), b"ANMF") if animated else 1
        return ImageInfo("webp", w, h, o, frames=max(n, 1))
    return None


__all__ = ["ImageInfo", "probe_image"]
