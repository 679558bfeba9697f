"""The decoded picture every reader hands out (``Image``: upright pixels, alpha, what the
file says of itself), how stored pixels are turned upright, and how a file's colour profile
is followed into sRGB. No file reading, no model."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from colorcli.icc import gamma_profile, parse, to_srgb, unfollowed
from colorcli.imageprobe import ImageInfo
from colorcli.photometa import Meta


@dataclass
class Image:
    """A decoded, upright image.

    pixels: (H, W) gray or (H, W, 3) RGB, uint8 or uint16. alpha: (H, W) of the same dtype or None.
    meta: what the file says about itself (``colorcli.photometa``), read with its pixels: its
    colour profile is already followed, the rest is for the coloured copy to carry.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    info: ImageInfo
    meta: Meta = field(default_factory=Meta)
    # (top, bottom, left, right): where a JPEG or PNG cut short holds no picture
    # (colorcli.cutshort)
    missing: tuple[int, int, int, int] | None = None

    @property
    def rgb(self) -> np.ndarray:
        """The pixels as (H, W, 3) RGB: a gray image's one channel repeated."""
        return self.pixels if self.pixels.ndim == 3 else np.repeat(self.pixels[..., None], 3, -1)

    @property
    def present_alpha(self) -> np.ndarray | None:
        """The alpha with the part the file lacks transparent: a hint layer cut short gives no
        hints there (its missing rows read as opaque gray, as a photo's should show)."""
        if self.alpha is None or self.missing is None:
            return self.alpha
        top, bottom, left, right = self.missing
        alpha = self.alpha.copy()
        alpha[top:bottom, left:right] = 0
        return alpha

    def gray_where_missing(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` (this image coloured) with the part its file lacks left as read: gray, not
        a colour guessed for a flat fill."""
        if self.missing is None:
            return rgb
        top, bottom, left, right = self.missing
        rgb = rgb.copy()
        rgb[top:bottom, left:right] = self.rgb[top:bottom, left:right].astype(rgb.dtype)
        return rgb


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


def follow_profile(img: Image, meta: Meta) -> Image:
    """``img`` with its file's ``meta``, its pixels re-encoded as sRGB where the file embeds
    a colour profile that says they are something else (``colorcli.icc``); a CIELab TIFF's
    (already sRGB, from its L*a*b*) whatever its profile says."""
    if img.info.lab:
        return dataclasses.replace(img, meta=meta)
    pixels, note = in_srgb(img.pixels, meta)
    info = (
        img.info if note is None else dataclasses.replace(img.info, notes=(*img.info.notes, note))
    )
    return dataclasses.replace(img, pixels=pixels, info=info, meta=meta)


def in_srgb(pixels: np.ndarray, meta: Meta) -> tuple[np.ndarray, str | None]:
    """Pixels (gray or RGB) re-encoded as sRGB where ``meta``'s colour profile (or a PNG's
    gAMA alone) says they are something else; and what to tell where a profile is embedded
    that cannot be followed."""
    profile = parse(meta.icc) if meta.icc else None
    if meta.gamma and not meta.icc:  # a PNG's gAMA alone
        profile = gamma_profile(meta.gamma, "GRAY" if pixels.ndim == 2 else "RGB ")
    out = pixels if profile is None else to_srgb(pixels, profile)
    return out, (unfollowed(meta.icc) if meta.icc and profile is None else None) or None


__all__ = ["Image", "apply_orientation", "follow_profile", "in_srgb"]
