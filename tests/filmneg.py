"""Scanned negatives simulated from a photo's gray (for tests and bench/negative.py): a film's
S-shaped curve of density over log exposure (toe and shoulder, not the straight line that
``colorcli.negative`` assumes), base and fog, grain, a colour negative's orange mask, a
scanner that exposes for the base, a black film holder around the frame."""

from __future__ import annotations

import numpy as np

DMAX, SLOPE, MID = 2.2, 0.5, -1.0  # the curve: density range, steepness, mid log exposure


def _curve(log_h: np.ndarray) -> np.ndarray:
    """Density over log10 exposure: a logistic S (gamma about 0.63 at its middle)."""
    return DMAX / (1.0 + np.power(10.0, -SLOPE * (log_h - MID)))


def negative_scan(
    gray: np.ndarray,
    exposure: float = 1.0,
    base: float = 0.25,
    mask: tuple[float, float, float] | None = None,
    grain: float = 0.0,
    bits: int = 8,
    holder: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """The scan of the negative a camera would make of ``gray`` ((H, W) uint8, sRGB-coded):
    ``exposure`` times the light, ``base`` density of base and fog, ``mask`` densities of a
    colour negative's orange mask (R, G, B; None: black-and-white film, one channel),
    ``grain`` density noise, the scanner's exposure putting the base at 90% of white, coded
    sRGB in ``bits`` (8 or 16), ``holder`` pixels of black holder at each edge.
    Returns (H, W) or (H, W, 3) uint8 / uint16."""
    v = gray.astype(np.float64) / 255.0
    y = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    log_h = np.log10(np.maximum(y * exposure, 1e-4))
    d = base + _curve(log_h) - _curve(np.array(-4.0))
    if grain:
        d = d + np.random.default_rng(seed).normal(0.0, grain, d.shape)
    if mask is not None:
        d = d[..., None] + np.asarray(mask, np.float64)
    t = np.clip(0.9 * np.power(10.0, -(d - base)), 0.0, 1.0)
    coded = np.where(t <= 0.0031308, 12.92 * t, 1.055 * t ** (1 / 2.4) - 0.055)
    top = 255 if bits == 8 else 65535
    out = np.rint(coded * top).astype(np.uint8 if bits == 8 else np.uint16)
    if holder:
        out[:holder], out[-holder:], out[:, :holder], out[:, -holder:] = 0, 0, 0, 0
    return out


def write_film(path, frames: list[np.ndarray], rate=25) -> None:
    """Gray (H, W) or RGB (H, W, 3) uint8 frames as an x264 film (4:2:0, CRF 12)."""
    import av

    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        s.options = {"crf": "12"}
        for f in frames:
            rgb = np.dstack([f] * 3) if f.ndim == 2 else f
            for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def negative_clip(path, n: int = 12, size: tuple[int, int] = (96, 128), rate: int = 25):
    """A film of negatives (``write_film``): ``tests.media.frame_picture``'s moving gradient,
    each frame ``negative_scan``'s picture of it; returns ``path``."""
    from tests.media import frame_picture

    h, w = size
    write_film(path, [negative_scan(frame_picture(i, h, w)) for i in range(n)], rate)
    return path
