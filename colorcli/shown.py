"""How a film's stored pictures are shown: its display rotation as quarter turns, the shape of
its pixels, and a stored frame turned and made square as a player shows it. No model, no
files."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np


def quarter_turns(rotation: float | None) -> int:
    """A display rotation (degrees counterclockwise, as ``VideoFrame.rotation`` reads it) as
    quarter turns counterclockwise, 0 to 3, for ``np.rot90``: a phone's portrait film is
    stored on its side with -90. A rotation between quarters is taken as none."""
    if not rotation or rotation % 90:
        return 0
    return int(rotation // 90) % 4


def pixel_shape(v: av.video.stream.VideoStream) -> Fraction | None:
    """The stream's sample aspect ratio (its container's, else its codec's); None: square."""
    sar = v.sample_aspect_ratio or v.codec_context.sample_aspect_ratio
    return Fraction(sar) if sar and sar != 1 and 0.1 < sar < 10 else None


def as_shown(px: np.ndarray, turns: int, sar: Fraction | None) -> np.ndarray:
    """A stored frame as a player shows it: its pixels made square (``sar``: a pixel's width
    over its height; a DVD's 720 x 480 of 4:3 is shown 640 x 480) and turned ``turns`` quarter
    turns counterclockwise (a phone's portrait film)."""
    if sar is not None:
        h, w = px.shape[:2]
        wide = max(1, round(w * sar))
        shrink = cv2.INTER_AREA if wide < w else cv2.INTER_CUBIC
        px = cv2.resize(px, (wide, h), interpolation=shrink)
    return np.ascontiguousarray(np.rot90(px, turns)) if turns else px


__all__ = ["as_shown", "pixel_shape", "quarter_turns"]
