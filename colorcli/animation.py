"""Animated pictures (GIF, APNG, animated WebP): every frame coloured as a film's frames are
(scene cuts, temporal smoothing, bars), and written again as an animation with each frame's
own duration and the loop count.

An old film's clip kept as a GIF was coloured as one still: its first frame, the rest of the
animation lost from the output. A GIF cannot hold a coloured picture's shades (256 colours),
so it becomes an animated PNG, as its still would become a PNG; an APNG and an animated WebP
keep their format.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from colorcli.atomic import write_bytes_atomic
from colorcli.compose import RgbRoute, compose_rgb, lightness
from colorcli.errors import MediaError, write_failure
from colorcli.film import FilmColourer
from colorcli.filmbars import SAMPLES, bars_of
from colorcli.imageprobe import ANIMATION_PIXELS, ImageInfo, probe_image
from colorcli.options import IMAGE_FORMATS, SMOOTH, VideoOptions

ANIMATED = {"png", "webp"}  # output formats that hold an animation (GIF's 256 colours: no)
WEBP_QUALITY = 95
GIF_SHORTEST = 100  # ms: what browsers show a GIF's frame of 10 ms or less for (an APNG's 0 is 0)  # an animated WebP's quality, as its still's


@dataclasses.dataclass
class Frames:
    """An animation's frames, as (H, W, 3) uint8 RGB with (H, W) uint8 alpha or None (the
    same for every frame), each frame's duration in milliseconds and the loop count (0:
    forever)."""

    rgb: list[np.ndarray]
    alpha: list[np.ndarray] | None
    durations: list[int]
    loop: int
    background: tuple[float, float, float, float]
    notes: tuple[str, ...] = ()  # what reading found (frames lost to damage)


def is_animation(info: ImageInfo, out_fmt: str) -> bool:
    """Whether a picture is coloured as an animation: it has more than one frame, is upright
    as stored (an EXIF turn is the still's way), its frames together are within
    ``ANIMATION_PIXELS`` and its output format holds an animation."""
    pixels = info.frames * info.width * info.height
    return (
        info.frames > 1
        and info.orientation == 1
        and out_fmt in ANIMATED
        and pixels <= ANIMATION_PIXELS
    )


def read_frames(path: Path, max_pixels: int = ANIMATION_PIXELS) -> Frames:
    """Every frame of an animated picture (of one cut short or damaged part way, the frames
    before the damage, with a note); MediaError naming the file where no frame can be
    decoded, or where all its frames together are over ``max_pixels`` (checked before
    decoding them)."""
    info = probe_image(path)
    if info.frames * info.width * info.height > max_pixels:
        raise MediaError(
            path,
            f"refused: its {info.frames} frames are over the limit of {max_pixels / 1e6:.0f} megapixels together",
        )
    # at most one frame past the limit: a GIF's frames are counted in its first 64 MiB only
    most = max_pixels // max(1, info.width * info.height) + 1
    try:
        # one row: OpenCV 4.12's WebP decoder refuses a column of bytes
        ok, anim = cv2.imdecodeanimation(np.fromfile(path, np.uint8).reshape(1, -1), 0, most)
    except cv2.error as e:
        raise MediaError(path, f"its animation cannot be decoded ({e.err})") from e
    if not anim.frames:
        raise MediaError(path, f"its {info.format} animation cannot be decoded (damaged?)")
    if len(anim.frames) == most:
        raise MediaError(
            path,
            f"refused: its frames are over the limit of {max_pixels / 1e6:.0f} megapixels together",
        )
    notes = ()
    if not ok:
        n = len(anim.frames)
        notes = (
            f"damaged or cut short after {n} of its {info.frames} frames: the {n} read are coloured",
        )
    frames = [_eight_bit(f) for f in anim.frames]
    shape = frames[0].shape[:2]
    if any(f.shape[:2] != shape for f in frames):
        raise MediaError(path, "its frames are not all of one size")
    rgb = [np.ascontiguousarray(f[..., 2::-1]) for f in frames]
    alpha = None
    if all(f.shape[2] == 4 for f in frames) and any((f[..., 3] < 255).any() for f in frames):
        alpha = [np.ascontiguousarray(f[..., 3]) for f in frames]
    durations = [int(d) for d in anim.durations]
    if info.format == "gif":  # as browsers play a GIF: a frame of 0 or 10 ms is shown 100 ms
        durations = [GIF_SHORTEST if d <= 10 else d for d in durations]
    return Frames(rgb, alpha, durations, int(anim.loop_count), tuple(anim.bgcolor), notes)


def _eight_bit(frame: np.ndarray) -> np.ndarray:
    """A decoded frame as (H, W, 3 or 4) uint8 BGR(A)."""
    if frame.dtype == np.uint16:
        frame = ((frame.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    return frame


def colour_frames(
    colorizer, rgb: list[np.ndarray], reference: np.ndarray | None = None, smooth: float = SMOOTH
) -> list[np.ndarray]:
    """The frames coloured in order as a film's (every frame seen by the network, colour
    smoothed between frames and reset at cuts, bars kept in their tone where the colorizer
    looks for margins), or each after ``reference`` where one is given."""
    if reference is not None:
        return [colorizer.colorize_like(f, reference) for f in rgb]
    step = max(1, len(rgb) // SAMPLES)
    bars = bars_of([lightness(f) for f in rgb[::step]]) if colorizer.margins else None
    colourer = FilmColourer(
        colorizer, RgbRoute(deep=False), 1, smooth, VideoOptions.sigma_l, bars=bars
    )
    out: list[np.ndarray | None] = [None] * len(rgb)
    for ready in (*(colourer.add(i, f, i) for i, f in enumerate(rgb)), colourer.flush()):
        for c in ready:
            out[c.index] = compose_rgb(c.payload, c.ab)
    return out  # type: ignore[return-value]


def encode_frames(frames: Frames, fmt: str) -> bytes:
    """The frames as an animated PNG or WebP file's bytes."""
    anim = cv2.Animation()
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in frames.rgb]
    if frames.alpha is not None:
        bgr = [np.dstack([f, a]) for f, a in zip(bgr, frames.alpha, strict=True)]
    anim.frames, anim.durations = bgr, frames.durations
    anim.loop_count, anim.bgcolor = frames.loop, frames.background
    params = [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY] if fmt == "webp" else []
    ok, buf = cv2.imencodeanimation("." + fmt, anim, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode an animated {fmt}")
    return buf.tobytes()


def colorize_animation(
    colorizer,
    src: Path,
    dst: Path,
    overwrite: bool,
    max_pixels: int = ANIMATION_PIXELS,
    reference: np.ndarray | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Colour every frame of the animated picture ``src`` into ``dst`` (an animated PNG or
    WebP by its extension, written whole, then renamed); returns the frame count and what the
    user is to be told. MediaError names a file at fault."""
    fmt = IMAGE_FORMATS[dst.suffix.lower()]
    frames = read_frames(src, max_pixels)
    coloured = dataclasses.replace(frames, rgb=colour_frames(colorizer, frames.rgb, reference))
    try:
        write_bytes_atomic(dst, encode_frames(coloured, fmt), overwrite=overwrite)
    except FileExistsError as e:
        raise MediaError(dst, "exists already (use --overwrite)") from e
    except OSError as e:
        raise write_failure(dst, e) from e
    n = len(frames.rgb)
    said = f"an animation of {n} frames: every frame coloured, into an animated {fmt}"
    return n, (said, *frames.notes)


__all__ = ["ANIMATED", "Frames", "colorize_animation", "colour_frames", "encode_frames"]
__all__ += ["is_animation", "read_frames"]
