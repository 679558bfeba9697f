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
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from colorcli.compose import RgbRoute, compose_rgb, lightness
from colorcli.errors import MediaError
from colorcli.film import FilmColourer
from colorcli.filmbars import bars_of
from colorcli.filmsample import SAMPLES
from colorcli.imageprobe import ANIMATION_PIXELS, ImageInfo, gif_delays, probe_image
from colorcli.imagewrite import eight_bit
from colorcli.levels import film_levels
from colorcli.negative import Printer, film_curve
from colorcli.options import IMAGE_FORMATS, SMOOTH, VideoOptions
from colorcli.pages import write_whole
from colorcli.photometa import Meta, apply_meta, coloured_copy, read_meta
from colorcli.picture import in_srgb

ANIMATED = {"png", "webp"}  # output formats that hold an animation (GIF's 256 colours: no)
WEBP_QUALITY = 95  # an animated WebP's quality, as a still's (imagewrite)
GIF_SHORTEST = 100  # ms: what browsers show a GIF's frame of 10 ms or less for (an APNG's 0 is 0)


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
    meta: Meta = dataclasses.field(default_factory=Meta)  # the file's, to carry (photometa)


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
    """Every frame of an animated picture as sRGB (its colour profile followed), of one cut
    short or damaged part way the frames before the damage, with a note; MediaError naming
    the file where no frame can be decoded, or where all its frames together are over
    ``max_pixels`` (checked before decoding them)."""
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
        data = np.fromfile(path, np.uint8)
        ok, anim = cv2.imdecodeanimation(data.reshape(1, -1), 0, most)
    except cv2.error as e:
        raise MediaError(path, f"its animation cannot be decoded ({e.err})") from e
    decoded, durations = list(anim.frames), [int(d) for d in anim.durations]
    loop, background = int(anim.loop_count), tuple(anim.bgcolor)
    del anim  # the frames are held once, in ``decoded``, then in ``rgb``
    if not decoded:
        raise MediaError(path, f"its {info.format} animation cannot be decoded (damaged?)")
    if len(decoded) == most:
        raise MediaError(
            path,
            f"refused: its frames are over the limit of {max_pixels / 1e6:.0f} megapixels together",
        )
    notes = ()
    if not ok:
        n = len(decoded)
        notes = (
            f"damaged or cut short after {n} of its {info.frames} frames: the {n} read are coloured",
        )
    rgb, alpha = _split(decoded, path)
    meta = read_meta(path)  # its colour profile followed to sRGB, as a still's is
    if meta.icc or meta.gamma:
        for k, f in enumerate(rgb):
            rgb[k], note = in_srgb(f, meta)
        notes += (note,) if note else ()
    if info.format == "gif":
        durations = _gif_durations(memoryview(data), durations)
    return Frames(rgb, alpha, durations, loop, background, notes, meta)


def _gif_durations(data: memoryview, decoded: list[int]) -> list[int]:
    """A GIF's frames' durations in ms as browsers play them, from its bytes ``data``: each
    frame's own delay (OpenCV read a frame without one as 1000 ms), 100 ms where it says 0 or
    10 ms or nothing."""
    delays = gif_delays(data)
    ms = (
        [10 * d if d is not None else 0 for d in delays] if len(delays) >= len(decoded) else decoded
    )
    return [GIF_SHORTEST if d <= 10 else d for d in ms[: len(decoded)]]


def _split(decoded: list, path: Path) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """Decoded BGR(A) frames as RGB frames and their alpha (None where every frame is
    opaque), each decoded frame let go of as it is converted."""
    rgb, alpha = [], []
    for k in range(len(decoded)):
        f, decoded[k] = _eight_bit(decoded[k]), None
        if rgb and f.shape[:2] != rgb[0].shape[:2]:
            raise MediaError(path, "its frames are not all of one size")
        rgb.append(cv2.cvtColor(f, cv2.COLOR_BGRA2RGB if f.shape[2] == 4 else cv2.COLOR_BGR2RGB))
        alpha.append(np.ascontiguousarray(f[..., 3]) if f.shape[2] == 4 else None)
    if any(a is None for a in alpha) or all((a == 255).all() for a in alpha):
        return rgb, None
    return rgb, alpha


def _eight_bit(frame: np.ndarray) -> np.ndarray:
    """A decoded frame as (H, W, 3 or 4) uint8 BGR(A)."""
    frame = eight_bit(frame)
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    return frame


def colour_frames(
    colorizer,
    rgb: list[np.ndarray],
    reference: np.ndarray | None = None,
    smooth: float = SMOOTH,
    progress: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """The frames coloured in order as a film's (every frame seen by the network, colour
    smoothed between frames and reset at cuts, bars kept in their tone where the colorizer
    looks for margins), or each after ``reference`` where one is given. The frames are taken
    out of ``rgb`` as they are coloured (it is left empty): a long animation is not held
    twice over. ``progress(k)``: k more frames coloured."""
    n = len(rgb)
    out: list[np.ndarray | None] = [None] * n
    colourer = None
    if reference is None:
        step = max(1, n // SAMPLES)
        if colorizer.negative and n:  # scanned negatives: one print for every frame
            printer = Printer(film_curve(rgb[::step]))
            for i, f in enumerate(rgb):  # one at a time: the animation is not held twice
                rgb[i] = printer(f)
        lums = [lightness(f) for f in rgb[::step]]
        bars = bars_of(lums) if colorizer.margins else None
        colourer = FilmColourer(
            colorizer, RgbRoute(deep=False), 1, smooth, VideoOptions.sigma_l, bars=bars,
            levels=film_levels(lums, bars),
        )  # fmt: skip

    def composed(ready: list) -> None:
        for c in ready:
            out[c.index] = compose_rgb(c.payload, c.ab)
        if progress is not None and ready:
            progress(len(ready))

    for i in range(n):
        frame, rgb[i] = rgb[i], None
        if colourer is not None:
            composed(colourer.add(i, frame, i))
            continue
        out[i] = colorizer.colorize_like(frame, reference)
        if progress is not None:
            progress(1)
    if colourer is not None:
        composed(colourer.flush())
    rgb.clear()
    return out  # type: ignore[return-value]


def encode_frames(frames: Frames, fmt: str) -> bytes:
    """The frames as an animated PNG or WebP file's bytes. Each frame is made BGR(A), as
    OpenCV takes it, in its own memory (``frames`` is left in BGR order)."""
    anim = cv2.Animation()
    for k, f in enumerate(frames.rgb):
        cv2.cvtColor(f, cv2.COLOR_RGB2BGR, dst=f)
        if frames.alpha is not None:
            frames.rgb[k] = np.dstack([f, frames.alpha[k]])
    anim.frames, anim.durations = frames.rgb, frames.durations
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
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Colour every frame of the animated picture ``src`` into ``dst`` (an animated PNG or
    WebP by its extension, written whole, then renamed); returns the frame count and what the
    user is to be told. MediaError names a file at fault. ``progress(k, n)``: k more of its n
    frames coloured."""
    fmt = IMAGE_FORMATS[dst.suffix.lower()]
    frames = read_frames(src, max_pixels)
    n = len(frames.rgb)
    step = None if progress is None else (lambda k: progress(k, n))
    coloured = dataclasses.replace(
        frames, rgb=colour_frames(colorizer, frames.rgb, reference, progress=step)
    )
    # an APNG's EXIF, text and resolution carried, as a still's are
    meta = coloured_copy(frames.meta)  # and marked as a coloured copy
    write_whole(dst, lambda: apply_meta(encode_frames(coloured, fmt), fmt, meta), overwrite)
    said = f"an animation of {n} frames: every frame coloured, into an animated {fmt}"
    return n, (said, *frames.notes)


__all__ = ["ANIMATED", "Frames", "colorize_animation", "colour_frames", "encode_frames"]
__all__ += ["is_animation", "read_frames"]
