"""Still-image files: probe headers, decode, apply EXIF orientation, encode. No models here.

Headers are read by hand before decoding so that a decompression bomb (a small file that
declares a gigapixel image) is refused before any pixel memory is allocated, and so that EXIF
orientation is applied the same way on every OpenCV build.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorcli.atomic import write_bytes_atomic
from colorcli.errors import MediaError
from colorcli.options import FORMAT_EXT, IMAGE_FORMATS
from colorcli.photometa import Meta, apply_meta, tiff_params

SIXTEEN_BIT = {"png", "tiff", "dpx"}
ALPHA = {"png", "tiff", "webp"}
DEFAULT_MAX_PIXELS = 250_000_000


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: format name, width, height, EXIF orientation (1..8), bits."""

    format: str
    width: int
    height: int
    orientation: int = 1
    bits: int = 8  # bits per sample where the header says (DPX: 8, 10, 12 or 16)
    pages: int = 1  # a multi-page TIFF's page count (the first page is the one read)

    @property
    def notices(self) -> tuple[str, ...]:
        """What a user should know about reading it."""
        if self.pages > 1:  # read_pages gives them all: a .tif output takes every page
            return (f"{self.pages} pages: only the first is coloured (a .tif output keeps all)",)
        return ()


@dataclass
class Image:
    """A decoded, upright image.

    pixels: (H, W) gray or (H, W, 3) RGB, uint8 or uint16. alpha: (H, W) of the same dtype or None.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    info: ImageInfo

    @property
    def rgb(self) -> np.ndarray:
        """The pixels as (H, W, 3) RGB: a gray image's one channel repeated."""
        return self.pixels if self.pixels.ndim == 3 else np.repeat(self.pixels[..., None], 3, -1)


# ---------------------------------------------------------------- header probing
def _tiff_tags(buf: bytes, base: int, wanted: set[int]) -> dict[int, int]:
    """Values of a few SHORT/LONG tags of the first IFD of a TIFF structure at ``base``."""
    order = buf[base : base + 2]
    if order not in (b"II", b"MM"):
        return {}
    e = "<" if order == b"II" else ">"
    (ifd,) = struct.unpack_from(e + "I", buf, base + 4)
    pos = base + ifd
    if pos + 2 > len(buf):
        return {}
    (count,) = struct.unpack_from(e + "H", buf, pos)
    out = {}
    for i in range(count):
        entry = pos + 2 + 12 * i
        if entry + 12 > len(buf):
            break
        tag, typ, _n = struct.unpack_from(e + "HHI", buf, entry)
        if tag in wanted:
            fmt = e + ("H" if typ == 3 else "I")
            (out[tag],) = struct.unpack_from(fmt, buf, entry + 8)
    return out


def _pages(buf: bytes) -> int:
    """How many IFDs (pages) a TIFF chains, up to 10,000."""
    e = "<" if buf[:2] == b"II" else ">"
    (pos,) = struct.unpack_from(e + "I", buf, 4)
    seen: set[int] = set()
    while 0 < pos < len(buf) - 2 and pos not in seen and len(seen) < 10_000:
        seen.add(pos)
        (count,) = struct.unpack_from(e + "H", buf, pos)
        if pos + 6 + 12 * count > len(buf):
            break
        (pos,) = struct.unpack_from(e + "I", buf, pos + 2 + 12 * count)
    return max(1, len(seen))


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
            if seg[:6] == b"Exif\x00\x00":
                orientation = _tiff_tags(seg, 6, {0x0112}).get(0x0112, 1)
        else:
            f.seek(length - 2, 1)


def probe_image(path: Path | str) -> ImageInfo:
    """Read the header: format, size, orientation. Raises MediaError for anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            buf = f.read(1 << 16)
            if not buf:
                raise MediaError(path, "empty file")
            try:
                if buf[:8] == b"\x89PNG\r\n\x1a\n" and len(buf) >= 24:
                    w, h = struct.unpack(">II", buf[16:24])
                    return ImageInfo("png", w, h)
                if buf[:2] == b"\xff\xd8":
                    w, h, o = _probe_jpeg(f)
                    return ImageInfo("jpeg", w, h, o if 1 <= o <= 8 else 1)
                if buf[:2] == b"BM" and len(buf) >= 26:
                    w, h = struct.unpack("<ii", buf[18:26])
                    return ImageInfo("bmp", abs(w), abs(h))
                if buf[:4] == b"RIFF" and buf[8:12] == b"WEBP" and len(buf) >= 30:
                    chunk = buf[12:16]
                    if chunk == b"VP8 ":
                        w, h = struct.unpack("<HH", buf[26:30])
                        return ImageInfo("webp", w & 0x3FFF, h & 0x3FFF)
                    if chunk == b"VP8L":
                        bits = int.from_bytes(buf[21:25], "little")
                        return ImageInfo("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
                    if chunk == b"VP8X":
                        w = int.from_bytes(buf[24:27], "little") + 1
                        h = int.from_bytes(buf[27:30], "little") + 1
                        return ImageInfo("webp", w, h)
                if buf[:4] in (b"SDPX", b"XPDS") and len(buf) >= 804:
                    e = ">" if buf[:4] == b"SDPX" else "<"
                    w, h = struct.unpack_from(e + "II", buf, 772)
                    return ImageInfo("dpx", w, h, 1, buf[803] or 10)
                if buf[:4] in (b"II*\x00", b"MM\x00*"):
                    f.seek(0)
                    data = f.read()  # IFDs may sit anywhere; TIFF headers are read whole
                    tags = _tiff_tags(data, 0, {256, 257, 274})
                    if 256 in tags and 257 in tags:
                        o = tags.get(274, 1)
                        o = o if 1 <= o <= 8 else 1
                        return ImageInfo("tiff", tags[256], tags[257], o, pages=_pages(data))
                    raise ValueError("damaged TIFF (no size tags)")
            except (struct.error, ValueError, IndexError) as e:
                raise MediaError(path, f"not a readable image ({e})") from e
    except IsADirectoryError as e:
        raise MediaError(path, "is a folder") from e
    except PermissionError as e:
        raise MediaError(path, "permission denied") from e
    except FileNotFoundError as e:
        raise MediaError(path, "no such file") from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    raise MediaError(path, "not a supported image (jpg, png, tif, bmp, webp)")


# ---------------------------------------------------------------- decode / encode
def apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright according to the EXIF orientation tag (1..8)."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, -1)
    if orientation == 7:
        return a.swapaxes(0, 1)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(a, 1)
    return a


def _to_supported_depth(a: np.ndarray, path: Path) -> np.ndarray:
    if a.dtype in (np.uint8, np.uint16):
        return a
    if a.dtype.kind == "f":
        return np.rint(np.clip(np.nan_to_num(a), 0.0, 1.0) * 65535.0).astype(np.uint16)
    raise MediaError(path, f"unsupported sample format {a.dtype}")


def read_image(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Decode an image file into upright RGB or gray pixels (+ alpha).

    Palette images come out as RGB, CMYK JPEGs as RGB, 16-bit stays 16-bit. Raises MediaError
    naming the reason for unreadable, unsupported, damaged or oversized files.
    """
    import cv2

    path = Path(path)
    info = probe_image(path)
    if info.width <= 0 or info.height <= 0:
        raise MediaError(path, f"invalid size {info.width}x{info.height}")
    if info.width * info.height > max_pixels:
        raise MediaError(
            path,
            f"refused: {info.width}x{info.height} is {info.width * info.height / 1e6:.0f} megapixels, over the limit of {max_pixels / 1e6:.0f} (possible decompression bomb)",
        )
    if info.format == "dpx":
        return Image(_read_dpx(path), None, info)
    data = np.fromfile(path, np.uint8)
    if info.format == "jpeg":  # JPEG has no alpha; IMREAD_COLOR converts CMYK and YCCK
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION
    else:
        flags = cv2.IMREAD_UNCHANGED
    try:
        a = cv2.imdecode(data, flags)
    except cv2.error as e:  # OpenCV raises rather than returns None when it cannot allocate
        why = "out of memory while decoding" if "memory" in str(e).lower() else "cannot be decoded"
        raise MediaError(path, f"{why} ({e.err or e})") from e
    if a is None or a.size == 0:
        raise MediaError(path, f"damaged or truncated {info.format} data (cannot be decoded)")
    return _from_cv(a, path, info)


def read_pages(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Image]:
    """Every page of a multi-page TIFF (an album scanned into one file), each as
    :func:`read_image` gives the first; the limit on pixels holds for all pages together."""
    import cv2

    path = Path(path)
    info = probe_image(path)
    if info.format != "tiff" or info.pages < 2:
        return [read_image(path, max_pixels)]
    data = np.fromfile(path, np.uint8)
    try:
        ok, pages = cv2.imdecodemulti(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as e:
        raise MediaError(path, f"cannot be decoded ({e.err or e})") from e
    if not ok or not pages:
        raise MediaError(path, "damaged or truncated tiff data (cannot be decoded)")
    if sum(p.shape[0] * p.shape[1] for p in pages) > max_pixels:
        raise MediaError(
            path,
            f"refused: its {len(pages)} pages are over the limit of {max_pixels / 1e6:.0f} megapixels together",
        )
    return [_from_cv(p, path, info) for p in pages]


def _from_cv(a: np.ndarray, path: Path, info: ImageInfo) -> Image:
    """OpenCV's decoded array as an Image: supported depth, alpha apart, RGB, upright."""
    a = _to_supported_depth(a, path)
    alpha = None
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = np.ascontiguousarray(a[..., 3])
        a = a[..., :3]
    elif a.ndim == 3 and a.shape[2] == 2:
        alpha = np.ascontiguousarray(a[..., 1])
        a = a[..., 0]
    if a.ndim == 3:
        if a.shape[2] != 3:
            raise MediaError(path, f"unsupported channel count {a.shape[2]}")
        a = a[..., ::-1]  # BGR -> RGB
    a = np.ascontiguousarray(apply_orientation(a, info.orientation))
    if alpha is not None:
        alpha = np.ascontiguousarray(apply_orientation(alpha, info.orientation))
    return Image(a, alpha, info)


def _read_dpx(path: Path) -> np.ndarray:
    """A DPX frame (OpenCV has no DPX codec; FFmpeg's) as (H, W, 3) uint16 RGB."""
    import av

    try:
        with av.open(str(path)) as c:
            frame = next(c.decode(video=0))
            return np.ascontiguousarray(frame.to_ndarray(format="rgb48le"))
    except (av.error.FFmpegError, StopIteration) as e:
        raise MediaError(path, "damaged or truncated dpx data (cannot be decoded)") from e


def _encode_dpx(rgb: np.ndarray, bits: int) -> bytes:
    """(H, W, 3) RGB as DPX: 10-bit where the source was (film scans), else 16 or 8."""
    from fractions import Fraction

    import av

    deep = rgb.dtype == np.uint16
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), "rgb48le" if deep else "rgb24")
    pix = "gbrp10le" if deep and bits <= 10 else ("rgb48le" if deep else "rgb24")
    cc = av.CodecContext.create("dpx", "w")
    cc.width, cc.height, cc.pix_fmt, cc.time_base = frame.width, frame.height, pix, Fraction(1, 1)
    frame = frame.reformat(format=pix)
    frame.pts = 0
    return b"".join(bytes(p) for p in [*cc.encode(frame), *cc.encode(None)])


def encode_image(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    fmt: str,
    quality: int = 95,
    bits: int = 8,
    meta: Meta | None = None,
) -> bytes:
    """Encode (H, W, 3) RGB (+ (H, W) alpha) as ``fmt`` bytes.

    16-bit is kept for png, tiff and dpx and reduced to 8-bit elsewhere (dpx keeps 10 bits
    where ``bits`` says the source had them); alpha is kept for png, tiff and webp and dropped
    for jpeg, bmp and dpx. ``meta``: the input's own metadata, written in where the format
    takes it (``colorcli.photometa``).
    """
    import cv2

    if fmt == "dpx":
        return _encode_dpx(rgb, bits)

    if rgb.dtype == np.uint16 and fmt not in SIXTEEN_BIT:
        rgb = (rgb.astype(np.uint32) * 255 + 32767) // 65535
        rgb = rgb.astype(np.uint8)
        if alpha is not None:
            alpha = ((alpha.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if alpha is not None and fmt in ALPHA:
        bgr = np.dstack([bgr, alpha.astype(bgr.dtype)])
    params: list[int] = []
    if fmt == "jpeg":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif fmt == "webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    elif fmt == "tiff":
        params = tiff_params(meta)
    ok, buf = cv2.imencode(FORMAT_EXT[fmt], bgr, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode {fmt}")
    return apply_meta(buf.tobytes(), fmt, meta) if meta is not None else buf.tobytes()


def write_image(
    path: Path | str,
    rgb: np.ndarray,
    alpha: np.ndarray | None = None,
    fmt: str | None = None,
    overwrite: bool = True,
    bits: int = 8,
    meta: Meta | None = None,
) -> Path:
    """Encode and write atomically (temporary sibling, then rename). ``fmt`` defaults to the
    extension's format; ``meta``: the input's metadata to carry. Raises MediaError when the
    file cannot be written."""
    path = Path(path)
    fmt = fmt or IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MediaError(
            path, f"unknown image extension {path.suffix!r} (use jpg, png, tif, bmp, webp or dpx)"
        )
    try:
        data = encode_image(rgb, alpha, fmt, bits=bits, meta=meta)
        return write_bytes_atomic(path, data, overwrite=overwrite)
    except FileExistsError as e:
        raise MediaError(path, "exists already (use --overwrite)") from e
    except OSError as e:
        raise MediaError(path, f"cannot write ({e.strerror or e})") from e
