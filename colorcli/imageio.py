"""Still-image files decoded (after :mod:`colorcli.imageprobe` has read the header), EXIF
orientation applied, the colour profile followed; encoding is ``colorcli.imagewrite``. No
models here.
"""

from __future__ import annotations

import dataclasses
import os
import re
import zlib
from pathlib import Path

import numpy as np

from colorcli.cstderr import captured
from colorcli.cutshort import (
    fill_value,
    jpeg_complete,
    mended_png,
    mended_raster,
    missing_band,
    truncation_note,
)
from colorcli.errors import MediaError
from colorcli.ffstill import FF_FORMATS, decode_tiff, gray_alpha_jp2
from colorcli.imageprobe import ImageInfo, probe_image
from colorcli.labtiff import decoded_to_srgb
from colorcli.options import MAX_MEGAPIXELS, MEGAPIXELS_CAP
from colorcli.otherstills import (
    read_dpx,
    read_ff_still,
    read_heif_image,
    read_pcd_image,
    read_xcf_image,
)
from colorcli.photometa import read_meta
from colorcli.picture import Image, apply_orientation, follow_profile
from colorcli.tiffmend import DECODED, undecoded
from colorcli.tiffmend import for_decoder as tiff_for_decoder
from colorcli.walkers import png_chunks

DEFAULT_MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000


# ---------------------------------------------------------------- decode / encode
def _to_supported_depth(a: np.ndarray, path: Path) -> tuple[np.ndarray, str | None]:
    """8 and 16 bits as they are; floating-point and 32-bit integer samples to 16 bits, with
    the value that stands for white found from the samples (``white_of``), colour and alpha
    each their own. Returns the pixels and, where white is not the format's own (1.0 for
    floats) or some samples are not numbers (NaN: read as black), the notice that says how
    they were read."""
    if a.dtype in (np.uint8, np.uint16):
        return a, None
    if a.dtype.kind not in "fiu":
        raise MediaError(path, f"unsupported sample format {a.dtype}")
    split = {2: 1, 4: 3}.get(a.shape[2] if a.ndim == 3 else 1)  # colour apart from alpha
    parts = [a] if split is None else [a[..., :split], a[..., split:]]
    out, note = [], None
    for i, part in enumerate(parts):
        white, hi = white_of(part)
        # float32, as the floats come (a float64 copy of a large scan took twice the memory)
        v = np.nan_to_num(part.astype(np.float32), nan=0.0, posinf=white, neginf=0.0)
        v *= np.float32(65535.0 / white)
        out.append(np.rint(np.clip(v, 0.0, 65535.0, out=v), out=v).astype(np.uint16))
        if i == 0 and (a.dtype.kind != "f" or white != 1.0):
            kind = (
                "floating-point" if a.dtype.kind == "f" else f"{a.dtype.itemsize * 8}-bit integer"
            )
            note = f"its {kind} samples run up to {hi:g}: read with {white:g} as white"
        if i == 0 and a.dtype.kind == "f" and (nans := np.count_nonzero(np.isnan(part))):
            nan = 100.0 * nans / part.size
            share = f"{nan:.2g}%" if nan >= 0.01 else "under 0.01%"
            said = f"{share} of its samples are not numbers (NaN): read as black"
            note = said if note is None else f"{note}; {said}"
    return (out[0] if len(out) == 1 else np.concatenate(out, axis=-1)), note


def white_of(v: np.ndarray) -> tuple[float, float]:
    """(the value that stands for white, the largest sample) of floating-point, 32-bit or
    signed samples. Floats of 0 to 1 (a median at most 1: an HDR picture's highlights over 1
    clip) are 1. Others take a usual white that their largest fills more than a quarter of:
    255, else 65535 (or a signed 16-bit type's 32767), as a tool writes an 8- or 16-bit
    picture wider (ImageJ's and numpy's floats of 0 to 255); else their largest itself (a
    12-bit camera's counts, a scale of the tool's own: stretched to it). Below 0 is black."""
    floats = v.dtype.kind == "f"
    finite = v[np.isfinite(v)] if floats else v
    if finite.size == 0:
        return 1.0, 0.0
    hi = float(finite.max())
    if floats and (hi <= FLOAT_OVER or float(np.median(finite)) <= 1.0):
        return 1.0, hi
    type_max = np.inf if floats else float(np.iinfo(v.dtype).max)
    whites = (255.0, min(65535.0, type_max))
    white = next((t for t in whites if t / 4 < hi <= t), hi)
    return max(white, 1.0), hi


FLOAT_OVER = 1.0 + 1.0 / 256  # a 0 to 1 picture's rounding may overshoot 1 a little


def read_image(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Decode an image file into upright RGB or gray pixels (+ alpha).

    Palette images come out as RGB, CMYK JPEGs as RGB, 16-bit stays 16-bit. Raises MediaError
    naming the reason for unreadable, unsupported, damaged or oversized files.
    """

    path = Path(path)
    info = probe_image(path)
    if info.width <= 0 or info.height <= 0:
        raise MediaError(path, f"invalid size {info.width}x{info.height}")
    if (pixels := info.width * info.height) > max_pixels:
        size = f"{info.width}x{info.height} is {pixels / 1e6:.0f} megapixels"
        if pixels > MEGAPIXELS_CAP * 1_000_000:  # no --max-megapixels can let it through
            raise MediaError(
                path,
                f"refused: {size}, over the most colorcli reads ({MEGAPIXELS_CAP}): a damaged header, or a decompression bomb",
            )
        raise MediaError(
            path,
            f"refused: {size}, over the limit of {max_pixels / 1e6:.0f} (a guard against decompression bombs: --max-megapixels raises it, to {MEGAPIXELS_CAP})",
        )
    if info.format == "dpx":
        return Image(read_dpx(path), None, info)
    if info.format == "heif":
        return read_heif_image(path, info)
    if info.format in FF_FORMATS:
        return read_ff_still(path, info)
    if info.format == "pcd":
        return read_pcd_image(path, info)
    if info.format == "xcf":
        return read_xcf_image(path, info)
    return follow_profile(decode_bytes(np.fromfile(path, np.uint8), path, info), read_meta(path))


def decode_bytes(data: np.ndarray, path: Path, info: ImageInfo) -> Image:
    """The picture OpenCV decodes from a file's bytes ``data`` (JPEG, PNG, TIFF, WebP, JPEG
    2000, BMP...), one cut short mended first and its notice in its info; not yet in sRGB."""
    import cv2

    bottom_up = False  # a BMP cut short holds the picture's bottom rows
    held = full = None  # a PNG or TIFF cut short: the rows it holds (a TIFF's decode: only
    as_stored = False  # those, of ``full``); a TIFF OpenCV is to leave as stored, for us to turn
    tiff = None
    if info.format == "png":
        data = _png_for_decoder(data, path)
        if (mended := mended_png(data)) is not None:
            data, held = np.frombuffer(mended[0], np.uint8), mended[1]
    elif info.format in ("bmp", "pnm") and (raster := mended_raster(data, info.format)):
        data, held, bottom_up = raster
    elif info.format == "tiff":
        stored, tiff = data, tiff_for_decoder(data)
        data, held, full, as_stored = tiff.data, tiff.held, tiff.height, tiff.as_stored
        info = dataclasses.replace(info, orientation=tiff.orientation)  # an album's page's own
    cut_short = held is not None or (info.format == "jpeg" and not jpeg_complete(data))
    if cut_short and held is None:  # OpenCV refuses a JPEG that runs out; ended, libjpeg
        data = np.concatenate([data, np.array([0xFF, 0xD9], np.uint8)])  # fills the rest
    if info.format == "jpeg":  # JPEG has no alpha; IMREAD_COLOR converts CMYK and YCCK
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION
    else:
        flags = cv2.IMREAD_UNCHANGED
    try:
        with captured() as said:  # libjpeg prints its warnings itself
            a = (
                cv2.imdecode(data, flags)
                if tiff is None
                else tiff.decode(lambda d: cv2.imdecode(d, flags))
            )
    except cv2.error as e:  # OpenCV raises rather than returns None when it cannot allocate
        why = "out of memory while decoding" if "memory" in str(e).lower() else "cannot be decoded"
        raise MediaError(path, f"{why} ({e.err or e})") from e
    said = [x for x in said if not HARMLESS_WARNINGS.search(x)]
    if tiff is not None and tiff.compression not in DECODED and (a is None or not a.any()):
        raise MediaError(path, undecoded(tiff.compression))
    if (a is None or a.size == 0) and tiff is not None:
        if tiff.refusal:
            raise MediaError(path, tiff.refusal)
        if tiff.few_bits and held is None and (a := decode_tiff(stored.tobytes())) is not None:
            tiff, as_stored = None, True  # FFmpeg's decoder reads what OpenCV refuses
    if a is None and info.format == "jp2":  # gray and alpha: OpenCV reads none
        a = gray_alpha_jp2(data.tobytes())
    if a is None or a.size == 0:
        why = f"cannot be decoded: {'; '.join(said)}" if said else "cannot be decoded"
        raise MediaError(path, f"damaged or truncated {info.format} data ({why})")
    if tiff is not None:  # samples OpenCV was given as stored (colorcli.tiffsamples)
        a = tiff.samples.apply(a)
        if tiff.samples.alpha_lost:
            info = dataclasses.replace(info, notes=(*info.notes, tiff.samples.alpha_lost))
    a, depth_note = _to_supported_depth(a, path)  # floats to 16 bits before a cut-short fill
    if depth_note:
        info = dataclasses.replace(info, notes=(*info.notes, depth_note))
    if info.top:  # OpenCV leaves 12-bit JPEG 2000 samples at 0..4095, and so on
        a = _full_scale(a, info.top)
    if tiff is not None and tiff.samples.lab:  # its samples as stored: L*, a*, b*
        lab = tiff.samples.lab
        a, info = decoded_to_srgb(a, lab), dataclasses.replace(info, lab=lab)
    if held is not None:
        a = _gray_beyond(a, held, full or a.shape[0], bottom_up)
    img = _from_cv(a, path, info, as_stored)
    note = None
    if cut_short:  # the decoder's warnings about the missing end say no more than this
        band = missing_band(img.pixels)
        img = dataclasses.replace(img, missing=band)
        note = truncation_note(info.format, band, img.pixels.shape)
    elif said:
        note = f"damaged {info.format} data ({'; '.join(said)}): coloured as far as it decodes"
    if note is not None:
        img = dataclasses.replace(img, info=dataclasses.replace(info, notes=(*info.notes, note)))
    return img


def file_size(path: Path | str) -> int:
    """``path``'s size in bytes, -1 where it cannot be read."""
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def still_arriving(path: Path | str, img: Image, size_at_read: int) -> MediaError | None:
    """The error for a photo cut short whose file changed size while it was coloured: a copy
    in progress (a sync, a download, a card still being read), not a damaged scan; it was
    written coloured in part, and a rerun took it for done. None otherwise."""
    if img.missing is None or (now := file_size(path)) == size_at_read:
        return None
    return MediaError(
        path,
        f"cut short and still growing while it was coloured ({size_at_read} bytes then, {now} now): a copy in progress? Not written: colour it again once it is complete",
    )


# what libjpeg warns of in photos that decode whole: bytes after the last scan (some cameras
# and editors write them into every photo; a notice for each would bury the damaged ones)
HARMLESS_WARNINGS = re.compile(r"extraneous bytes before marker 0xd9", re.IGNORECASE)


def _gray_beyond(a: np.ndarray, held: int, height: int, bottom_up: bool = False) -> np.ndarray:
    """``a`` made ``height`` rows tall, the rows past its first ``held`` (what a file cut
    short lacks, and the row cut through) gray and opaque; with ``bottom_up``, the rows
    above its last ``held``."""
    out = np.empty((height, *a.shape[1:]), a.dtype)
    kept, lost = (slice(height - held, None), slice(0, height - held)) if bottom_up else (
        slice(0, held), slice(held, None))  # fmt: skip
    out[kept] = a[kept]
    out[lost] = fill_value(a.dtype)
    if a.ndim == 3 and a.shape[2] in (2, 4):
        out[lost, :, -1] = np.iinfo(a.dtype).max
    return out


def _png_for_decoder(png: np.ndarray, path: Path) -> np.ndarray:
    """A PNG's bytes as OpenCV is to see them, checked first, so that libpng has nothing to
    print straight to the terminal beside our one line: a critical chunk (the pixels) that
    fails its checksum is a MediaError here ("libpng error: IDAT: CRC error" came before
    ours); a damaged ancillary chunk is left out, as libpng would, and so is the iCCP chunk,
    whose profile is read apart (libpng checks it and says what it finds: "libpng warning:
    iCCP: known incorrect sRGB profile", from a common old Photoshop profile)."""
    cut = []
    for kind, _, start, end in png_chunks(png):  # a chunk cut off: the decoder says so
        stored = int.from_bytes(png[end - 4 : end].tobytes(), "big")
        damaged = zlib.crc32(png[start + 4 : end - 4]) != stored
        if damaged and kind[:1].isupper():
            name = kind.decode("latin-1", "replace")
            raise MediaError(path, f"damaged png data (its {name} chunk fails its checksum)")
        if damaged or kind == b"iCCP":
            cut.append((start, end))
    if not cut:
        return png
    ends = [0] + [b for _, b in cut]
    return np.concatenate(
        [png[e:a] for e, (a, _) in zip(ends, cut, strict=False)] + [png[ends[-1] :]]
    )


def _full_scale(a: np.ndarray, top: int) -> np.ndarray:
    """Samples of 0..``top`` stretched to the full range of their type."""
    full = np.iinfo(a.dtype).max
    scaled = (np.minimum(a, top).astype(np.uint32) * full + top // 2) // top
    return scaled.astype(a.dtype)


def _from_cv(a: np.ndarray, path: Path, info: ImageInfo, as_stored: bool = False) -> Image:
    """OpenCV's decoded array, at a supported depth already (``_to_supported_depth``), as an
    Image: alpha apart, RGB, upright. ``as_stored``: a TIFF OpenCV did not turn
    (``colorcli.tiffmend``)."""
    alpha = None
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = np.ascontiguousarray(a[..., 3])
        a = a[..., :3]
        if info.premultiplied:
            a = _unpremultiply(a, alpha)
    elif a.ndim == 3 and a.shape[2] == 2:
        alpha = np.ascontiguousarray(a[..., 1])
        a = a[..., 0]
        if info.format == "tiff" and info.extra == 1:  # gray multiplied by its alpha, stored
            a = _unpremultiply(a[..., None], alpha)[..., 0]
    if a.ndim == 3:
        if a.shape[2] != 3:
            raise MediaError(path, f"unsupported channel count {a.shape[2]}")
        a = a[..., ::-1]  # BGR -> RGB
    turn = 1 if not as_stored and _turned_by_decoder(a, info) else info.orientation
    a = np.ascontiguousarray(apply_orientation(a, turn))
    if alpha is not None:
        alpha = np.ascontiguousarray(apply_orientation(alpha, turn))
    return Image(a, alpha, info)


def _turned_by_decoder(a: np.ndarray, info: ImageInfo) -> bool:
    """Whether OpenCV turned the pixels upright itself: its TIFF decoder does, by the
    Orientation tag, whatever the flags (OpenCV 4.10 and 5.1: a TIFF stored on its side was
    turned twice). Where the turn swaps the sides, the decoded shape tells."""
    if info.format != "tiff" or info.orientation == 1:
        return False
    if info.orientation >= 5 and info.width != info.height:
        return a.shape[:2] == (info.width, info.height)
    return True


def _unpremultiply(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Colour multiplied by its alpha, divided back (where the alpha is 0 it stays)."""
    full = np.iinfo(colour.dtype).max
    a = alpha.astype(np.float32)[..., None]
    out = np.where(a > 0, colour * (full / np.maximum(a, 1)), colour)
    return np.minimum(np.rint(out), full).astype(colour.dtype)
