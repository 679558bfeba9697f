"""How a film's stored pictures are shown: its display rotation as quarter turns, the shape of
its pixels, and a stored frame turned and made square as a player shows it. No model, no
files."""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import av
import av.sidedata.sidedata
import cv2
import numpy as np


def quarter_turns(rotation: float | None) -> int:
    """A display rotation (degrees counterclockwise, as ``VideoFrame.rotation`` reads it) as
    quarter turns counterclockwise, 0 to 3, for ``np.rot90``: a phone's portrait film is
    stored on its side with -90. A rotation between quarters is taken as none."""
    if not rotation or rotation % 90:
        return 0
    return int(rotation // 90) % 4


def _rotation(m: tuple[int, ...]) -> float:
    """The rotation of a display matrix (9 integers, FFmpeg's layout), in degrees
    counterclockwise, as ``av_display_rotation_get`` (PyAV's ``VideoFrame.rotation``) reads it."""
    s0, s1 = math.hypot(m[0], m[3]), math.hypot(m[1], m[4])
    if not (s0 and s1):
        return 0.0
    return -math.degrees(math.atan2(m[1] / s1, m[0] / s0))


def display_of(frame: av.VideoFrame) -> tuple[int, tuple[int, ...] | None]:
    """(rotation, mirror): the frame's display rotation in whole degrees counterclockwise (as
    ``VideoFrame.rotation`` reads it, rounded), and its display matrix where that matrix
    mirrors the picture (None where it does not). A mirror
    (a front camera's film, a flip set in an editor) was read by FFmpeg as a rotation, a
    horizontal one as a half turn: the film was coloured upside down and written to be shown
    so. The rotation here is of the picture unmirrored (the matrix with its first column
    negated), so the network sees it upright, mirrored at most (colour does not mind); the
    matrix itself goes to the output as it came."""
    try:  # (side data of a kind this PyAV has no name for fails to iterate: asked by kind)
        sd = frame.side_data.get(av.sidedata.sidedata.Type.DISPLAYMATRIX)
    except (ValueError, KeyError):
        sd = None
    raw = bytes(sd) if sd is not None else b""
    if len(raw) != 36:
        return 0, None
    m = struct.unpack("<9i", raw)
    if m[0] * m[4] - m[1] * m[3] >= 0:
        return round(_rotation(m)), None
    return round(_rotation((-m[0], m[1], m[2], -m[3], m[4], m[5], -m[6], m[7], m[8]))), m


def keep_display(
    stream: av.video.stream.VideoStream, rotation: int, mirror: tuple[int, ...] | None
) -> None:
    """Give an output ``stream`` the input's display: its mirroring matrix as it came
    (``display_of``), else its rotation."""
    if mirror is not None:
        stream.set_display_matrix(list(mirror))
    elif rotation:
        stream.set_display_rotation(rotation)


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


__all__ = ["as_shown", "display_of", "keep_display", "pixel_shape", "quarter_turns"]
