"""Still images encoded and written: RGB (and alpha) to each output format's bytes, the
input's metadata written in, the file written atomically. No models here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from colorcli.atomic import write_bytes_atomic
from colorcli.errors import MediaError, write_failure
from colorcli.headermeta import mark_alpha
from colorcli.options import FORMAT_EXT, IMAGE_FORMATS, WRITABLE_NAMES
from colorcli.photometa import Meta, apply_meta, tiff_params

SIXTEEN_BIT = {"png", "tiff", "dpx", "jp2"}
ALPHA = {"png", "tiff", "webp", "jp2"}
# a TIFF is written without compression where LZW (OpenCV's default) would leave a sample of
# its rows at more than this share of their size: on a grainy 16-bit scan LZW made the file
# larger (294 MB against 288 for a 48-megapixel one) and took 5.6 s where none takes 0.7
TIFF_LZW_PAYS = 0.9
TIFF_SAMPLE_ROWS = 64  # rows from the middle of the picture tried with LZW


def alpha_note(alpha: np.ndarray | None, fmt: str) -> str | None:
    """What a user is told where a photo's transparency does not go into ``fmt`` (jpeg, bmp,
    dpx); None where it goes, or where the photo has none or is opaque throughout."""
    if alpha is None or fmt in ALPHA or alpha.min() == np.iinfo(alpha.dtype).max:
        return None
    return f"its transparency is not kept in {fmt} (--format png keeps it)"


def eight_bit(pixels: np.ndarray) -> np.ndarray:
    """16-bit pixels as 8-bit, each rounded to the nearest level; 8-bit ones as they are."""
    if pixels.dtype != np.uint16:
        return pixels
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


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
) -> bytes | bytearray:
    """Encode (H, W, 3) RGB (+ (H, W) alpha) as ``fmt`` bytes.

    16-bit is kept for png, tiff, dpx and jp2 and reduced to 8-bit elsewhere (dpx keeps 10
    bits where ``bits`` says the source had them); alpha is kept for png, tiff, webp and jp2
    and dropped for jpeg, bmp and dpx. ``meta``: the input's own metadata, written in where
    the format takes it (``colorcli.photometa``).
    """
    import cv2

    if fmt == "dpx":
        return _encode_dpx(rgb, bits)

    if rgb.dtype == np.uint16 and fmt not in SIXTEEN_BIT:
        rgb = eight_bit(rgb)
        if alpha is not None:
            alpha = eight_bit(alpha)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if alpha is not None and fmt in ALPHA:
        bgr = np.dstack([bgr, alpha.astype(bgr.dtype)])
    params: list[int] = []
    if fmt == "jpeg":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif fmt == "webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    elif fmt == "tiff":
        params = tiff_params(meta) + tiff_packing(bgr)
    elif fmt == "jp2":  # lossless, as archives keep their masters
        params = [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1000]
    ok, buf = cv2.imencode(FORMAT_EXT[fmt], bgr, params)
    if not ok and fmt == "jp2":  # OpenJPEG wants more pixels than its levels halve
        buf, ok = np.frombuffer(_small_jp2(bgr), np.uint8), True
    if not ok:
        raise ValueError(f"OpenCV could not encode {fmt}")
    # each copy of a large scan let go as soon as the next is made: a 100-megapixel 16-bit
    # TIFF held its pixels, their BGR copy and the file four times over (4.2 GB at the peak)
    four = bgr.shape[-1] == 4
    del bgr
    data: bytes | bytearray = buf.tobytes()
    del buf
    if fmt == "tiff" and four:
        data = mark_alpha(data)
    return apply_meta(data, fmt, meta) if meta is not None else data


def tiff_packing(bgr: np.ndarray) -> list[int]:
    """OpenCV's option for an uncompressed TIFF where LZW does not pay on a sample of the
    picture's middle rows (``TIFF_LZW_PAYS``); none (LZW) otherwise."""
    import cv2

    h = bgr.shape[0]
    mid = max(0, h // 2 - TIFF_SAMPLE_ROWS // 2)
    sample = np.ascontiguousarray(bgr[mid : mid + TIFF_SAMPLE_ROWS])
    ok, buf = cv2.imencode(".tif", sample)
    if ok and len(buf) <= TIFF_LZW_PAYS * sample.nbytes:
        return []
    return [cv2.IMWRITE_TIFF_COMPRESSION, 1]


def _small_jp2(bgr: np.ndarray) -> bytes:
    """A lossless JP2 of ``bgr`` (BGR or BGRA, 8 or 16 bits) from FFmpeg's own JPEG 2000
    encoder (5/3 wavelet): OpenCV's OpenJPEG refused a picture under 32 pixels on a side."""
    import av

    deep = bgr.dtype == np.uint16
    rgb = np.ascontiguousarray(np.dstack([bgr[..., 2::-1], bgr[..., 3:]]))
    fmt = {(3, False): "rgb24", (4, False): "rgba", (3, True): "rgb48le", (4, True): "rgba64le"}
    pix = fmt[rgb.shape[2], deep]
    cc = av.CodecContext.create("jpeg2000", "w")
    cc.width, cc.height, cc.pix_fmt, cc.time_base = rgb.shape[1], rgb.shape[0], pix, 1
    cc.options = {"pred": "dwt53", "format": "jp2"}
    frame = av.VideoFrame.from_ndarray(rgb, format=pix)
    frame.pts = 0
    return b"".join(bytes(p) for p in [*cc.encode(frame), *cc.encode(None)])


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
            path,
            f"cannot write a {path.suffix!r} image (use {WRITABLE_NAMES})",
        )
    try:
        data = encode_image(rgb, alpha, fmt, bits=bits, meta=meta)
        return write_bytes_atomic(path, data, overwrite=overwrite)
    except FileExistsError as e:
        raise MediaError(path, "exists already (use --overwrite)") from e
    except OSError as e:
        raise write_failure(path, e) from e
