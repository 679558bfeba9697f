"""Output pixels from full-resolution lightness and small ab: the RGB and the Y'CbCr routes.

The network's ab (already scaled by the saturation, see ``Colorizer.predict_ab``) is small; the
lightness is the input's own, at full resolution. Photos and most films take the RGB route
(L* of the input, ab upsampled, Lab -> sRGB with gamut mapping that keeps L). An 8-bit 4:2:0 film
takes the Y'CbCr route (:class:`Yuv420Route`), which never makes full-resolution RGB.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import av
import cv2
import numpy as np

from colorcli.kernels import (
    add_half_res,
    compose_rows_rgb8,
    compose_rows_rgb16,
    lab_to_rgb,
    lab_to_ycbcr,
    luma_l_table,
    rgb_to_l,
)

# AVColorSpace codes <-> the Y'CbCr matrices of colorcli.kernels.ycbcr
_SPACES = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}
SPACE_CODE = {"bt709": 1, "bt601": 6, "bt2020": 9}
_SWS_NAME = {"bt709": "ITU709", "bt601": "ITU601", "bt2020": "BT2020"}


# full-resolution work is done this many pixels at a time: a 100-megapixel scan took 7 GB
# at once (its L*, ab and Lab as whole float images), in strips it takes its input and output
STRIP_PIXELS = 1 << 22


def _strip_rows(w: int) -> int:
    """Rows of a strip of about ``STRIP_PIXELS`` pixels of a picture ``w`` wide."""
    return max(1, STRIP_PIXELS // max(w, 1))


@functools.cache
def _gray_l_table(dtype: str) -> np.ndarray:
    """L* of every code value of a gray image (R = G = B) of ``dtype`` (uint8 or uint16)."""
    codes = np.arange(np.iinfo(dtype).max + 1, dtype=dtype)
    return rgb_to_l(np.repeat(codes[:, None], 3, axis=1))


def lightness(image: np.ndarray) -> np.ndarray:
    """L* of an image. image: (H, W) or (H, W, 3) RGB, uint8 / uint16 / float in [0, 1].
    Returns (H, W) float32 in [0, 100] (a float NaN read as black, an infinity as black or
    white). Gray of 8 or 16 bits is looked up by code value;
    the rest is converted a strip at a time (no full-size float RGB or Lab)."""
    if image.ndim == 2 and image.dtype in (np.uint8, np.uint16):
        return _gray_l_table(image.dtype.name)[image]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"expected (H, W) or (H, W, 3) image, got shape {image.shape}")
    h, w = image.shape[:2]
    out = np.empty((h, w), np.float32)
    step = _strip_rows(w)
    for r in range(0, h, step):
        part = image[r : r + step]
        if part.dtype.kind == "f":  # a NaN or an infinity from a float array: black, white
            part = np.nan_to_num(part, nan=0.0, posinf=1.0, neginf=0.0)
        if part.ndim == 2:
            part = np.repeat(part[..., None], 3, axis=-1)
        out[r : r + step] = rgb_to_l(part)
    return out


def warm_kernels() -> None:
    """Load (or compile) the full-resolution kernels on a tiny picture now: loading one takes
    memory of LLVM's, which it cannot get once a huge scan holds nearly all there is, and
    then the process aborts ("LLVM ERROR: Unable to allocate section memory") instead of
    failing that one file with a MemoryError."""
    ab = np.zeros((1, 1, 2), np.float32)
    for dtype in (np.uint8, np.uint16):
        tiny = np.zeros((2, 2), dtype)
        compose_rgb(lightness(np.dstack([tiny] * 3)), ab, dtype)
        lightness(tiny)


def shrink_l(l_full: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 L* resized to ``shape`` (h, w): area averaging down, bilinear up."""
    h, w = shape
    interp = cv2.INTER_AREA if h < l_full.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(l_full, (w, h), interpolation=interp)


def shrunk_to(l_full: np.ndarray, side: int) -> np.ndarray:
    """(H, W) L* area-averaged down to ``side`` pixels on its short side, as float32; as it is
    (as float32) where no larger."""
    return area_shrunk(np.asarray(l_full, np.float32), side)


def area_shrunk(image: np.ndarray, side: int) -> np.ndarray:
    """An (H, W) or (H, W, C) picture area-averaged down to ``side`` pixels on its short
    side, of its own type; as it is where no larger."""
    h, w = image.shape[:2]
    if min(h, w) <= side:
        return image
    k = side / min(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def upsample_ab(ab_small: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h', w', 2) float32 ab resized bilinearly to (h, w, 2)."""
    ab = cv2.resize(ab_small, (w, h), interpolation=cv2.INTER_LINEAR)
    return ab.reshape(h, w, 2)  # cv2 drops a trailing axis of size 1 on 1-pixel edges


class _AbRows:
    """Rows of ``ab_small`` resized bilinearly to (h, w), as :func:`upsample_ab` gives them
    (cv2's mapping: row y samples (y + 0.5) * h' / h - 0.5, clamped at the edges), made a
    strip at a time: the width is resized once, each strip's rows are blended from it. A
    picture of one strip (a film's frame) is resized whole, by cv2, which is faster."""

    def __init__(self, ab_small: np.ndarray, h: int, w: int) -> None:
        self.whole = upsample_ab(ab_small, h, w) if h * w <= STRIP_PIXELS else None
        if self.whole is not None:
            return
        hs = ab_small.shape[0]
        self.wide = upsample_ab(ab_small, hs, w)  # (h', w, 2): full width, the net's rows
        y = (np.arange(h, dtype=np.float64) + 0.5) * (hs / h) - 0.5
        y = np.clip(y, 0, hs - 1)
        self.lo = np.floor(y).astype(np.intp)
        self.hi = np.minimum(self.lo + 1, hs - 1)
        self.frac = (y - self.lo).astype(np.float32)[:, None, None]

    def compose(self, lum: np.ndarray, r0: int, r1: int, dtype: np.dtype) -> np.ndarray:
        """8- or 16-bit sRGB (``dtype``) of rows r0:r1 (their L* ``lum``), the ab rows
        blended as they are composed (``compose_rows_rgb8`` / ``16``): a 12-megapixel 8-bit
        scan's rows took 1.6 s built first, a 48-megapixel 16-bit one's 7.2 s."""
        if self.whole is not None:
            lo = hi = np.arange(r0, r1)
            wide, frac = self.whole, np.zeros(r1 - r0, np.float32)
        else:
            wide, lo, hi, frac = self.wide, self.lo[r0:r1], self.hi[r0:r1], self.frac[r0:r1]
        if dtype == np.uint8:
            return compose_rows_rgb8(lum, wide, lo, hi, frac)
        return compose_rows_rgb16(lum, wide, lo, hi, frac)

    def rows(self, r0: int, r1: int) -> np.ndarray:
        if self.whole is not None:
            return self.whole[r0:r1]
        f = self.frac[r0:r1]
        lo, hi = self.wide[self.lo[r0:r1]], self.wide[self.hi[r0:r1]]
        return lo + (hi - lo) * f


def compose_rgb(l_full: np.ndarray, ab_small: np.ndarray, dtype: np.dtype = np.uint8) -> np.ndarray:
    """Join full-resolution L with upsampled ab, a strip at a time.

    l_full: (H, W) float32 L*. ab_small: (h, w, 2) float32. Returns (H, W, 3) RGB of
    ``dtype`` (uint8, uint16 or float32 in [0, 1]); its L* equals l_full within quantization.
    """
    h, w = l_full.shape
    dtype = np.dtype(dtype)
    out = np.empty((h, w, 3), dtype if dtype in (np.uint8, np.uint16) else np.float32)
    ab_rows, step = _AbRows(ab_small, h, w), _strip_rows(w)
    for r in range(0, h, step):
        lum, r1 = l_full[r : r + step], min(h, r + step)
        if dtype in (np.uint8, np.uint16):
            out[r:r1] = ab_rows.compose(lum, r, r1, dtype)
            continue
        ab = ab_rows.rows(r, r1)
        out[r:r1] = lab_to_rgb(np.concatenate([lum[..., None], ab], axis=-1))
    return out


def plane_view(plane) -> np.ndarray:
    """A frame plane as a writable (height, width) uint8 array over its buffer (no copy); the
    array keeps the frame alive."""
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[
        : plane.height, : plane.width
    ]


@dataclass(frozen=True)
class RgbRoute:
    """Films decoded to RGB (8- or 16-bit): L* of each frame, the RGB compose, RGB frames out.

    The payload a frame carries from decode to compose is its (H, W) float32 L*; with ``keep``
    (``--keep-colour``), (L*, the decoded RGB), the RGB written as it came where no ab is given
    (a scene already in colour) and let go of (None) where its scene is to be coloured.
    """

    deep: bool
    keep: bool = False

    luma_only = False
    color_tags = None  # the encoder keeps the input's tags

    @property
    def decode_format(self) -> str:
        return "rgb48le" if self.deep else "rgb24"

    def split(self, arr: np.ndarray, net_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """A decoded (H, W, 3) frame -> (payload, L* at the network's size)."""
        l_full = lightness(arr)
        return (l_full, arr) if self.keep else l_full, shrink_l(l_full, net_shape)

    def new_frame(self, payload, ab_small: np.ndarray | None) -> av.VideoFrame:
        """The output frame: ``payload``'s L* with ``ab_small``; with ``keep`` and no ab, the
        frame's own RGB."""
        if self.keep:
            payload, rgb = payload
            if ab_small is None:
                return av.VideoFrame.from_ndarray(rgb, self.decode_format)
        rgb = compose_rgb(payload, ab_small, np.uint16 if self.deep else np.uint8)
        return av.VideoFrame.from_ndarray(rgb, self.decode_format)

    def to_rgb8(self, frame: av.VideoFrame) -> np.ndarray:
        return frame.to_ndarray(format="rgb24")


@dataclass(frozen=True)
class Yuv420Route:
    """Colorize 8-bit 4:2:0 frames without leaving Y'CbCr.

    The payload is the frame's luma plane (a view, no copy): the network's L comes from it shrunk
    to network size; the output keeps it (plus the small correction that holds L* where there is
    colour, see ``colorcli.kernels.ycbcr``) and gets chroma planes computed at chroma
    resolution. No full-resolution RGB is ever made: that saves a YUV->RGB conversion, an
    RGB->L pass, a full-resolution Lab->RGB compose and an RGB->YUV conversion per frame.
    """

    height: int
    width: int
    matrix: str  # "bt601" | "bt709" | "bt2020"
    full_range: bool
    decode_format: str = "yuv420p"  # the stream's own (yuvj420p too): decoded as it is

    luma_only = True

    @classmethod
    def for_stream(cls, cc) -> Yuv420Route:
        """Matrix and range from the stream's tags; untagged: BT.709 from 720 lines up, else
        BT.601 (what players assume)."""
        matrix = _SPACES.get(int(cc.colorspace or 2)) or untagged_matrix(cc.height)
        full = cc.pix_fmt == "yuvj420p" or int(cc.color_range or 0) == 2
        return cls(cc.height, cc.width, matrix, full, cc.pix_fmt)

    @property
    def color_tags(self) -> tuple[int, int]:
        """(AVColorSpace, AVColorRange) of the frames this route writes."""
        return SPACE_CODE[self.matrix], 2 if self.full_range else 1

    def split(self, y: np.ndarray, net_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """A frame's (H, W) luma plane -> (payload: the plane, L* at the network's size)."""
        nh, nw = net_shape
        small = y
        # exact 2x box averages while the frame is at least twice the network's size (OpenCV's
        # fastest path), then bilinear for the last factor below 2
        while small.shape[0] >= 2 * nh and small.shape[1] >= 2 * nw:
            h2, w2 = small.shape[0] // 2, small.shape[1] // 2
            small = cv2.resize(small[: 2 * h2, : 2 * w2], (w2, h2), interpolation=cv2.INTER_AREA)
        if small.shape != (nh, nw):
            small = cv2.resize(small, (nw, nh), interpolation=cv2.INTER_LINEAR)
        return y, cv2.LUT(small, luma_l_table(self.full_range))

    def compose(
        self, y: np.ndarray, ab_small: np.ndarray, out: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> None:
        """Write an output frame: the input's luma (L* kept) with chroma from ``ab_small``.

        y: (H, W) uint8 luma plane of the input (a strided view of a frame's plane is fine).
        out: the (Y', Cb, Cr) planes to write, such as views of a new frame's planes.
        """
        hc, wc = self.height // 2, self.width // 2
        yc = cv2.resize(y, (wc, hc), interpolation=cv2.INTER_AREA)
        ab = upsample_ab(ab_small, hc, wc)
        # the chroma codes go straight into the frame's planes when their rows are unpadded
        direct = out[1].flags.c_contiguous and out[2].flags.c_contiguous
        chroma = out[1:] if direct else (np.empty((hc, wc), np.uint8), np.empty((hc, wc), np.uint8))
        y_new, _, _ = lab_to_ycbcr(
            cv2.LUT(yc, luma_l_table(self.full_range)),
            ab,
            1.0,
            self.matrix,
            self.full_range,
            out=(np.empty((hc, wc), np.float32), *chroma),
        )
        if not direct:
            out[1][...] = chroma[0]
            out[2][...] = chroma[1]
        lo, hi = (0, 255) if self.full_range else (16, 235)
        # the luma a gray pixel of that L* has is clip(yc): the difference is what colour needs,
        # added to the full-resolution luma in one pass
        cv2.subtract(y_new, np.clip(yc, lo, hi).astype(np.float32), dst=y_new)
        add_half_res(y, y_new, out=out[0])

    def new_frame(self, y: np.ndarray, ab_small: np.ndarray) -> av.VideoFrame:
        """A yuv420p frame composed in place (no intermediate array), tagged with the matrix
        and range its chroma was computed for."""
        vf = av.VideoFrame(self.width, self.height, "yuv420p")
        self.compose(y, ab_small, out=tuple(plane_view(p) for p in vf.planes))
        vf.colorspace, vf.color_range = self.color_tags
        return vf

    def to_rgb8(self, frame: av.VideoFrame) -> np.ndarray:
        """8-bit RGB of an output frame, decoded with its own matrix and range (for --stats)."""
        return frame.to_ndarray(
            format="rgb24",
            src_colorspace=_SWS_NAME[self.matrix],
            src_color_range="JPEG" if self.full_range else "MPEG",
        )


def untagged_matrix(height: int) -> str:
    """The Y'CbCr matrix players assume of a film that names none: BT.709 from 720 lines up,
    else BT.601."""
    return "bt709" if height >= 720 else "bt601"


def pick_route(
    cc, deep: bool, out_pix_fmt: str, keep: bool = False, rgb: bool = False
) -> RgbRoute | Yuv420Route:
    """8-bit 4:2:0 in and out (the common case) stays in Y'CbCr; everything else is RGB, and so
    is a film whose scenes in colour are kept (``keep``: their frames written as decoded) and
    one asked for in RGB (``rgb``: a negative's frames are printed from it)."""
    if keep:
        return RgbRoute(deep, keep=True)
    if rgb:
        return RgbRoute(deep)
    if not deep and cc.pix_fmt in ("yuv420p", "yuvj420p") and out_pix_fmt == "yuv420p":
        return Yuv420Route.for_stream(cc)
    return RgbRoute(deep)
