"""Carry predicted colour from one frame to the next along the motion of its lightness.

Film moves little from frame to frame, and its colours move with its objects. Between two
network passes, the ab of the previous frame is warped onto the current one by dense optical
flow computed on the lightness (DIS, OpenCV) at the ab grid's size: a few hundred microseconds
per frame instead of a network pass. Used by ``colorize video --keyframes K``: the network sees
every K-th frame and every scene cut; the frames between are propagated.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_u8(lum: np.ndarray) -> np.ndarray:
    """L* in [0, 100] as the 8-bit picture DIS flow takes."""
    return np.clip(lum * 2.55 + 0.5, 0, 255).astype(np.uint8)


def dense_flow(dis, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
    """DIS flow (h, w, 2) float32 from 8-bit ``frm`` to ``to``. A picture under ``SAFE_SIDE``
    on a side is padded to it (its edges repeated) and the flow cut back: OpenCV 5.1's DIS
    crashed the process (a segmentation fault, no error) on a fresh picture 12 to 31 lines
    tall and a few hundred wide (a film 8 times wider than tall at a small --size), and
    refused one a few lines tall. None (zeros) where it still refuses."""
    h, w = frm.shape[:2]
    pad = ((0, max(0, SAFE_SIDE - h)), (0, max(0, SAFE_SIDE - w)))
    if pad[0][1] or pad[1][1]:
        frm, to = (np.pad(x, pad, mode="edge") for x in (frm, to))
    try:
        return np.ascontiguousarray(dis.calc(frm, to, None)[:h, :w])
    except cv2.error:
        if min(h, w) >= SAFE_SIDE:
            raise
        return np.zeros((h, w, 2), np.float32)


SAFE_SIDE = 48  # sides under 32 crashed DIS (measured on 8 to 31 lines); 48 leaves a margin


class FlowPropagator:
    """Warp ab from frame t-1 to frame t along the optical flow of L*.

    ``__call__(ab_prev, l_prev, l_cur)``: ab_prev (h, w, 2) float32 ab of frame t-1; l_prev and
    l_cur (h, w) float32 L* of frames t-1 and t at the same size. Returns (h, w, 2) float32.
    """

    def __init__(self) -> None:
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    def flow(self, l_prev: np.ndarray, l_cur: np.ndarray) -> np.ndarray:
        """Backward flow: for each pixel of the current frame, where it was in the previous."""
        return dense_flow(self.dis, to_u8(l_cur), to_u8(l_prev))

    def __call__(self, ab_prev: np.ndarray, l_prev: np.ndarray, l_cur: np.ndarray) -> np.ndarray:
        h, w = l_cur.shape
        if l_prev.shape != (h, w) or ab_prev.shape[:2] != (h, w):
            raise ValueError(
                f"shapes differ: ab {ab_prev.shape}, L {l_prev.shape} and {l_cur.shape}"
            )
        if min(h, w) < 8:  # too small for a flow: keep the colours in place
            return np.ascontiguousarray(ab_prev, np.float32)
        if self._grid is None or self._grid[0].shape != (h, w):
            gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
            self._grid = (gx, gy)
        f = self.flow(l_prev, l_cur)
        return cv2.remap(
            np.ascontiguousarray(ab_prev, np.float32),
            self._grid[0] + f[..., 0],
            self._grid[1] + f[..., 1],
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        ).reshape(h, w, 2)


__all__ = ["FlowPropagator", "to_u8"]
