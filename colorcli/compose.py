"""Output pixels from full-resolution lightness and small ab: the RGB and the Y'CbCr routes.

The network's ab (already scaled by the saturation, see ``Colorizer.predict_ab``) is small; the
lightness is the input's own, at full resolution. Photos and most films take the RGB route
(L* of the input, ab upsampled, Lab -> sRGB with gamut mapping that keeps L). An 8-bit 4:2:0 film
takes the Y'CbCr route (:class:`Yuv420Route`), which never makes full-resolution RGB.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np

from colorcli.kernels import (
    add_half_res,
    compose_rgb8,
    lab_to_rgb,
    lab_to_ycbcr,
    luma_l_table,
    rgb_to_l,
)

# AVColorSpace codes <-> the Y'CbCr matrices of colorcli.kernels.ycbcr
_SPACES = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}
SPACE_CODE = {"bt709": 1, "bt601": 6, "bt2020": 9}
_SWS_NAME = {"bt709": "ITU709", "bt601": "ITU601", "bt2020": "BT2020"}


def lightness(image: np.ndarray) -> np.ndarray:
    """L* of an image. image: (H, W) or (H, W, 3) RGB, uint8 / uint16 / float in [0, 1].
    Returns (H, W) float32 in [0, 100]."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected (H, W) or (H, W, 3) image, got shape {image.shape}")
    return rgb_to_l(image)


def shrink_l(l_full: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 L* resized to ``shape`` (h, w): area averaging down, bilinear up."""
    h, w = shape
    interp = cv2.INTER_AREA if h < l_full.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(l_full, (w, h), interpolation=interp)


def upsample_ab(ab_small: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h', w', 2) float32 ab resized bilinearly to (h, w, 2)."""
    ab = cv2.resize(ab_small, (w, h), interpolation=cv2.INTER_LINEAR)
    return ab.reshape(h, w, 2)  # cv2 drops a trailing axis of size 1 on 1-pixel edges


def compose_rgb(l_full: np.ndarray, ab_small: np.ndarray, dtype: np.dtype = np.uint8) -> np.ndarray:
    """Join full-resolution L with upsampled ab.

    l_full: (H, W) float32 L*. ab_small: (h, w, 2) float32. Returns (H, W, 3) RGB of
    ``dtype`` (uint8, uint16 or float32 in [0, 1]); its L* equals l_full within quantization.
    """
    h, w = l_full.shape
    ab = upsample_ab(ab_small, h, w)
    if dtype == np.uint8:
        return compose_rgb8(l_full, ab, 1.0)
    lab = np.empty((h, w, 3), np.float32)
    lab[..., 0] = l_full
    lab[..., 1:] = ab
    rgb = lab_to_rgb(lab)
    return np.rint(rgb * 65535.0).astype(np.uint16) if dtype == np.uint16 else rgb


def plane_view(plane) -> np.ndarray:
    """A frame plane as a writable (height, width) uint8 array over its buffer (no copy); the
    array keeps the frame alive."""
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[
        : plane.height, : plane.width
    ]


@dataclass(frozen=True)
class RgbRoute:
    """Films decoded to RGB (8- or 16-bit): L* of each frame, the RGB compose, RGB frames out.

    The payload a frame carries from decode to compose is its (H, W) float32 L*.
    """

    deep: bool

    luma_only = False
    color_tags = None  # the encoder keeps the input's tags

    @property
    def decode_format(self) -> str:
        return "rgb48le" if self.deep else "rgb24"

    def split(self, arr: np.ndarray, net_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """A decoded (H, W, 3) frame -> (payload, L* at the network's size)."""
        l_full = lightness(arr)
        return l_full, shrink_l(l_full, net_shape)

    def new_frame(self, payload: np.ndarray, ab_small: np.ndarray) -> av.VideoFrame:
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
        matrix = _SPACES.get(int(cc.colorspace or 2)) or ("bt709" if cc.height >= 720 else "bt601")
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


def pick_route(cc, deep: bool, out_pix_fmt: str) -> RgbRoute | Yuv420Route:
    """8-bit 4:2:0 in and out (the common case) stays in Y'CbCr; everything else is RGB."""
    if not deep and cc.pix_fmt in ("yuv420p", "yuvj420p") and out_pix_fmt == "yuv420p":
        return Yuv420Route.for_stream(cc)
    return RgbRoute(deep)
