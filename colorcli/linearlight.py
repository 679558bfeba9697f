"""Film frames that hold scene-linear light (OpenEXR) brought to sRGB's curve, as every other
input is coded, so that their lightness reads as the picture shows it.

FFmpeg's EXR decoder did this itself when asked (its ``apply_trc`` option, which
``videoprobe.film_stream`` still sets); the FFmpeg in PyAV 19 leaves the frames linear whatever
it is asked, and says so in the frame's transfer characteristic. Read as code values, such a
frame is far too dark (a light of 0.216, L* 54, came out as L* 23).
"""

from __future__ import annotations

import av
import numpy as np

from colorcli.icc import srgb_encode

LINEAR = 8  # AVCOL_TRC_LINEAR
SRGB = 13  # AVCOL_TRC_IEC61966_2_1
# float sample layouts FFmpeg decodes scene-linear pictures to -> (native layout, colour planes)
FLOAT_LAYOUTS = {
    "gbrpf32le": ("gbrpf32le", 3),
    "gbrpf32be": ("gbrpf32le", 3),
    "gbrapf32le": ("gbrapf32le", 3),
    "gbrapf32be": ("gbrapf32le", 3),
    "grayf32le": ("grayf32le", 1),
    "grayf32be": ("grayf32le", 1),
}


def display_coded(frame: av.VideoFrame) -> av.VideoFrame:
    """``frame`` itself, or, where it holds linear light in floats, the same picture with its
    colour sRGB-encoded (clipped to [0, 1]; an alpha plane as it is), timed as it was."""
    layout = FLOAT_LAYOUTS.get(frame.format.name)
    if layout is None or frame.color_trc != LINEAR:
        return frame
    native, colours = layout
    a = frame.to_ndarray().astype("<f4")
    if a.ndim == 2:
        a = srgb_encode(a).astype("<f4")
    else:
        a[..., :colours] = srgb_encode(a[..., :colours])
    out = av.VideoFrame.from_ndarray(np.ascontiguousarray(a), format=native)
    out.pts, out.time_base = frame.pts, frame.time_base
    out.color_trc = SRGB
    return out


__all__ = ["display_coded"]
