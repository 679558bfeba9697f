"""Readers of the stills OpenCV does not decode, each through its own module: a phone's HEIC
or AVIF, FFmpeg's stills (Photoshop, PCX, Targa, SGI, Sun raster), GIMP files, Kodak Photo
CD image pacs, DPX frames. Each returns the picture (``colorcli.picture.Image``) with its
profile followed, or raises MediaError naming the file and the problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from colorcli.cutshort import missing_band, truncation_note
from colorcli.errors import MediaError
from colorcli.ffstill import decode_ff_still
from colorcli.ffurl import ff_url
from colorcli.heif import HeifError, read_heif
from colorcli.imageprobe import ImageInfo
from colorcli.photocd import read_pcd
from colorcli.photometa import Meta, read_meta
from colorcli.picture import Image, follow_profile
from colorcli.xcf import XcfError, read_xcf


def read_heif_image(path: Path, info: ImageInfo) -> Image:
    """A phone's HEIC or an AVIF (``colorcli.heif``), its profile followed; one cut short
    among its tiles is coloured as far as its tiles go, the rest gray."""
    try:
        pixels, alpha, notes, cut = read_heif(path)
    except HeifError as e:
        raise MediaError(path, str(e)) from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    img = Image(pixels, alpha, info)
    if cut:
        band = missing_band(pixels)
        img.missing = band
        notes.insert(0, truncation_note("heif", band, pixels.shape))
    img.info = dataclasses.replace(info, notes=(*info.notes, *notes))
    return follow_profile(img, read_meta(path))


def read_ff_still(path: Path, info: ImageInfo) -> Image:
    """A Photoshop file's flattened picture, a PCX, Targa, SGI or Sun raster file
    (``colorcli.ffstill``), its profile followed."""
    try:
        pixels, alpha, note = decode_ff_still(path, info.format)
    except ValueError as e:
        raise MediaError(path, str(e)) from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    if note:  # a Photoshop file's channels left out
        info = dataclasses.replace(info, notes=(*info.notes, note))
    return follow_profile(Image(pixels, alpha, info), read_meta(path))


def read_xcf_image(path: Path, info: ImageInfo) -> Image:
    """A GIMP file's visible layers, blended (``colorcli.xcf``)."""
    try:
        x = read_xcf(path.read_bytes())
    except XcfError as e:
        raise MediaError(path, str(e)) from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    info = dataclasses.replace(info, bits=x.bits, notes=(*info.notes, *x.notes))
    # its profile followed (a linear one where GIMP 2.10 kept its samples in linear light)
    meta = Meta(dpi=x.dpi, icc=x.icc, gamma=1.0 if x.linear and not x.icc else None)
    return follow_profile(Image(x.pixels, x.alpha, info), meta)


def read_pcd_image(path: Path, info: ImageInfo) -> Image:
    """A Kodak Photo CD image pac (``colorcli.photocd``), at the largest size it decodes."""
    try:
        pixels, note = read_pcd(path.read_bytes())
    except ValueError as e:
        raise MediaError(path, str(e)) from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    notes = (*info.notes, note) if note else info.notes
    return Image(pixels, None, dataclasses.replace(info, notes=notes))


def read_dpx(path: Path) -> np.ndarray:
    """A DPX frame (OpenCV has no DPX codec; FFmpeg's) as (H, W, 3) uint16 RGB."""
    import av

    try:
        with av.open(ff_url(path)) as c:
            frame = next(c.decode(video=0))
            return np.ascontiguousarray(frame.to_ndarray(format="rgb48le"))
    except (av.error.FFmpegError, StopIteration) as e:
        raise MediaError(path, "damaged or truncated dpx data (cannot be decoded)") from e


__all__ = ["read_dpx", "read_ff_still", "read_heif_image", "read_pcd_image", "read_xcf_image"]
