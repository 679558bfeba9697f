"""Guidance for one photo: wanted colours (painted hints, points) turned into what a hint model
takes, at the network's resolution; only a hint's chroma counts, its lightness is the photo's."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from colorcli.colournames import near_names, parse_colour
from colorcli.errors import ConfigError, MediaError
from colorcli.kernels import lab_to_rgb, rgb_to_lab, soft_encode
from colorcli.kernels.lab import AB_NORM
from colorcli.words import counted

SIDECAR = ".hints.png"  # <stem>.hints.png beside a photo guides it in colorize dir
HINT_ALPHA = 128  # a hint image's pixel is a hint where its alpha is at least this
POINT_SIDE = 5  # a --hint point is a square this many network pixels wide
_GAMUT_TOL = 2.0  # ab units a gamut-mapped hint may lose without a notice


@dataclass(frozen=True)
class Guide:
    """Wanted colours for one image, at that image's full resolution.

    ab: (H, W, 2) float32 Lab ab, read only where ``mask`` > 0. mask: (H, W) float32 in
    [0, 1], the confidence of each hint (0: none). palette: (Q,) float32 distribution over the
    model's ab bins, or None. notices: what was changed on the way (gamut mapping).
    points: hints given as (x, y, (a, b)) in pixels of the image, drawn at network scale.
    """

    ab: np.ndarray | None = None
    mask: np.ndarray | None = None
    palette: np.ndarray | None = None
    points: tuple[tuple[float, float, tuple[float, float]], ...] = ()
    notices: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.mask is None and not self.points and self.palette is None


_AT = r"\s*(\d+|\d+(?:\.\d+)?%)\s*"
_POINT = re.compile(rf"{_AT},{_AT},(.+)")
POINT_FORM = (
    "X,Y,COLOUR: X and Y pixels of the input from its top left, or percentages of its width "
    "and height (50%); COLOUR #RRGGBB, #RGB or a CSS colour name (navy, olive, skyblue)"
)


def parse_point(text: str) -> tuple[int | float, int | float, tuple[int, int, int]]:
    """ "X,Y,COLOUR" -> (x, y, (r, g, b)): x and y an int (pixels) or, given as a percentage,
    a float share of the width or height (0 to 1); COLOUR as ``colournames.parse_colour``
    takes it. ConfigError naming the text otherwise."""
    m = _POINT.fullmatch(text)
    if m is None:
        raise ConfigError(f"--hint {text!r}: expected {POINT_FORM}")
    rgb = parse_colour(m.group(3))
    if rgb is None:
        near = near_names(m.group(3))
        also = f" (did you mean {' or '.join(near)}?)" if near else ""
        raise ConfigError(
            f"--hint {text!r}: {m.group(3).strip()!r} is not a colour{also}: use #RRGGBB, #RGB or a CSS colour name"
        )
    at = []
    for v in m.group(1, 2):
        if not v.endswith("%"):
            at.append(int(v))
        elif (share := float(v[:-1]) / 100) > 1:
            raise ConfigError(f"--hint {text!r}: {v} is past the picture's edge (0% to 100%)")
        else:
            at.append(share)
    return at[0], at[1], rgb


def _pixel(v: int | float, n: int) -> int:
    """A hint's coordinate in pixels of a side of ``n``: an int as it is, a float share of the
    side (1.0: its last pixel)."""
    return v if isinstance(v, int) else round(v * (n - 1))


def fit_chroma(lum: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, int]:
    """The largest part of each hint's chroma that its pixel's lightness can show in sRGB.

    lum: (N,) float32 L* of the photo's pixels; ab: (N, 2) float32 wanted ab. Returns the mapped
    ab (same hue, chroma reduced where needed) and how many lost more than a trace of it.
    """
    lab = np.concatenate([lum[:, None], ab], axis=1).astype(np.float32)
    back = rgb_to_lab(lab_to_rgb(lab))  # lab_to_rgb keeps L and hue, shrinks chroma to fit
    c_want = np.hypot(ab[:, 0], ab[:, 1])
    c_fit = np.minimum(np.hypot(back[:, 1], back[:, 2]), c_want)
    scale = np.where(c_want > 1e-6, c_fit / np.maximum(c_want, 1e-6), 0.0)[:, None]
    mapped = (ab * scale).astype(np.float32)
    return mapped, int(np.count_nonzero(c_want - c_fit > _GAMUT_TOL))


def guide_from_layer(
    rgb: np.ndarray, alpha: np.ndarray | None, l_full: np.ndarray, name: str = "hints"
) -> Guide:
    """A painted hint layer as a Guide for a photo of lightness ``l_full``.

    rgb: (h, w, 3) or (h, w) uint8 / uint16, any size (scaled to the photo); alpha: (h, w) of
    the same kind: pixels at least half opaque (128 of 255) are wanted colours, the rest no
    hint. l_full: (H, W) float32 L* of the photo. MediaError naming ``name`` without alpha.
    """
    if alpha is None:
        raise MediaError(
            name,
            "a hint image needs transparency: paint the colours on a transparent layer (pixels at least half opaque are hints)",
        )
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    h, w = l_full.shape
    notes: tuple[str, ...] = ()
    if rgb.shape[:2] != (h, w):
        from colorcli.refs import ASPECT_SLACK

        if abs(math.log(rgb.shape[0] / rgb.shape[1]) - math.log(h / w)) > ASPECT_SLACK:
            notes = (
                f"{name}: {rgb.shape[1]}x{rgb.shape[0]}, not the photo's shape ({w}x{h}): "
                "stretched onto it, so its hints may land beside their places (a cropped or "
                "resized canvas?)",
            )
        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_NEAREST)
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_NEAREST)
    on = alpha.astype(np.float32) / _full_scale(alpha) >= HINT_ALPHA / 255.0
    if not on.any():
        return Guide(notices=(*notes, f"{name}: no pixel is opaque enough to be a hint"))
    wanted = (rgb[on].astype(np.float32) / _full_scale(rgb))[None]
    ab_fit, lost = fit_chroma(l_full[on], rgb_to_lab(wanted)[0, :, 1:])
    ab = np.zeros((h, w, 2), np.float32)
    ab[on] = ab_fit
    if lost:
        notes += (
            f"{name}: {lost} hint pixels asked for more colour than their lightness can show; it was reduced to the most that fits",
        )
    return Guide(ab=ab, mask=on.astype(np.float32), notices=notes)


def _full_scale(a: np.ndarray) -> float:
    return 65535.0 if a.dtype == np.uint16 else 255.0


def guide_from_points(
    points: Sequence[tuple[int | float, int | float, tuple[int, int, int]]], l_full: np.ndarray
) -> Guide:
    """``--hint`` points (x, y, (r, g, b)) as a Guide; each is gamut-mapped at its pixel's L.
    x, y: pixels (int) or shares of the width and height (float: ``parse_point``)."""
    h, w = l_full.shape
    out, lost = [], 0
    for x_at, y_at, rgb in points:
        x, y = _pixel(x_at, w), _pixel(y_at, h)
        if not (0 <= x < w and 0 <= y < h):
            raise ConfigError(f"--hint {x},{y}: outside the {w}x{h} image")
        ab_want = rgb_to_lab(np.asarray([[rgb]], np.uint8))[0, :, 1:]
        ab_fit, n = fit_chroma(l_full[y : y + 1, x], ab_want)
        lost += n
        out.append((float(x), float(y), (float(ab_fit[0, 0]), float(ab_fit[0, 1]))))
    notes = ()
    if lost:
        notes = (
            f"--hint: {lost} of {counted(len(out), 'hint')} asked for more colour than their pixel's lightness can show; reduced to the most that fits",
        )
    return Guide(points=tuple(out), notices=notes)


def palette_of(ab: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Distribution of ab colours over the bins (nearest bin). ab: (..., 2) float32 Lab units;
    returns (Q,) float32 summing to 1."""
    flat = np.ascontiguousarray(ab.reshape(-1, 2), np.float32)
    idx, _ = soft_encode(flat, bins, 1, 5.0)
    hist = np.bincount(idx[:, 0], minlength=len(bins)).astype(np.float32)
    return hist / max(1.0, hist.sum())


def merge(a: Guide | None, b: Guide | None) -> Guide | None:
    """Both guides' hints; where both hint a pixel, ``b``'s. Notices of both are kept, an
    empty guide's too (a layer with no opaque pixel says so)."""
    if a is None or a.empty or b is None or b.empty:
        full = b if a is None or a.empty else a
        notes = (a.notices if a else ()) + (b.notices if b else ())
        if full is not None and not full.empty:
            return replace(full, notices=notes)
        return Guide(notices=notes) if notes else None
    ab, mask = a.ab, a.mask
    if b.mask is not None:
        if mask is None:
            ab, mask = b.ab, b.mask
        else:
            take = b.mask > 0
            ab, mask = np.where(take[..., None], b.ab, ab), np.where(take, b.mask, mask)
    palette = b.palette if b.palette is not None else a.palette
    return Guide(ab, mask, palette, a.points + b.points, a.notices + b.notices)


def crop_guide(guide: Guide, y0: int, y1: int, x0: int, x1: int) -> Guide | None:
    """The guide of rows y0:y1 and columns x0:x1 of its image (its hints there, moved to that
    part's pixels), or None when a hint lies outside them: a margin the user gave a colour
    is theirs to colour, so it is not cut (``colorcli.borders``)."""
    if guide.mask is not None:
        inside = guide.mask[y0:y1, x0:x1]
        if np.count_nonzero(guide.mask) != np.count_nonzero(inside):
            return None
    if any(not (x0 <= x < x1 and y0 <= y < y1) for x, y, _ in guide.points):
        return None
    return replace(
        guide,
        ab=None if guide.ab is None else guide.ab[y0:y1, x0:x1],
        mask=None if guide.mask is None else guide.mask[y0:y1, x0:x1],
        points=tuple((x - x0, y - y0, ab) for x, y, ab in guide.points),
    )


def guide_net(guide: Guide, full_hw: tuple[int, int], net_hw: tuple[int, int]) -> np.ndarray:
    """The guide at the network's input resolution: (3, h, w) float32, mask * ab / 110 and
    the mask.

    Each network pixel takes the mask-weighted mean colour of the hints it covers and the
    highest confidence among them, so a one-pixel hint in a large scan still counts whole.
    """
    h, w = net_hw
    out = np.zeros((3, h, w), np.float32)
    if guide.mask is not None:
        mask = guide.mask.astype(np.float32)
        k = max(1, math.ceil(max(full_hw[0] / h, full_hw[1] / w)))
        peak = cv2.dilate(mask, np.ones((k, k), np.uint8)) if k > 1 else mask
        inter = cv2.INTER_AREA if k > 1 else cv2.INTER_LINEAR
        summed = cv2.resize(guide.ab * mask[..., None], (w, h), interpolation=inter)
        frac = cv2.resize(mask, (w, h), interpolation=inter)
        has = frac > 1e-6
        out[:2] = np.where(has, summed.transpose(2, 0, 1) / np.maximum(frac, 1e-6), 0.0)
        out[2] = np.where(has, cv2.resize(peak, (w, h), interpolation=cv2.INTER_NEAREST), 0.0)
    sy, sx = h / full_hw[0], w / full_hw[1]
    r = POINT_SIDE // 2
    for x, y, ab in guide.points:
        cy, cx = min(h - 1, int(y * sy)), min(w - 1, int(x * sx))
        y0, x0 = max(0, cy - r), max(0, cx - r)
        out[0, y0 : cy + r + 1, x0 : cx + r + 1] = ab[0]
        out[1, y0 : cy + r + 1, x0 : cx + r + 1] = ab[1]
        out[2, y0 : cy + r + 1, x0 : cx + r + 1] = 1.0
    out[:2] *= out[2:] / AB_NORM  # premultiplied by the mask
    return out


__all__ = [
    "SIDECAR",
    "Guide",
    "crop_guide",
    "fit_chroma",
    "guide_from_points",
    "guide_from_layer",
    "guide_net",
    "merge",
    "palette_of",
    "parse_point",
]
