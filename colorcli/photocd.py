"""Kodak Photo CD image pacs (.pcd: a family's prints and negatives scanned to disc, 1992-2004):
found by their signature, decoded by FFmpeg's decoder at the largest size the pac holds, their
PhotoYCC turned into display RGB, turned upright. Bytes and pixels only.

PhotoYCC (Kodak): luma and two chroma of video-coded R'G'B' (CCIR 709 primaries), luma stored
as 255 / 1.402 of it so that reference white sits at 182 and highlights above it keep their
detail up to 1.35 times white; chroma 111.40 (B' - luma) + 156 and 135.64 (R' - luma) + 137.
FFmpeg's decoder hands out luma as stored and chroma moved to centre on 128; its output is
read back through those formulas here, and the headroom above white is rolled off into the top
of the range rather than clipped.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.ffstill import decode_packet

SIGNATURE_AT, SIGNATURE = 0x800, b"PCD_IPI"
_ROTATION_AT = 0x0E02  # low two bits: the quarter turns that make the picture upright
_BASE_ONLY = 788_480  # bytes: a pac this short holds its 768 x 512 Base picture alone
# sizes by FFmpeg's lowres (0: 16Base, 1: 4Base, 2: Base)
SIZES = ((3072, 2048), (1536, 1024), (768, 512))
_KNEE = 0.9  # of reference white: tones above it are rolled off toward the stored top (1.402)


def probe_pcd(head: bytes, size: int) -> tuple[int, int, int] | None:
    """(width, height, quarter turns) of a Photo CD image pac from its first bytes (at least
    0x0E03) and its size in bytes, as it will be decoded (upright); None for anything else.
    ValueError for a disc's overview (its thumbnails), which is no picture of its own."""
    if head.startswith(b"PCD_OPA"):
        raise ValueError(
            "a Photo CD overview (thumbnails of the disc's pictures), not a picture: colour its IMG*.PCD image pacs"
        )
    if head[SIGNATURE_AT : SIGNATURE_AT + len(SIGNATURE)] != SIGNATURE or len(head) <= _ROTATION_AT:
        return None
    w, h = SIZES[2] if size <= _BASE_ONLY else SIZES[0]
    turns = head[_ROTATION_AT] & 3
    return (h, w, turns) if turns % 2 else (w, h, turns)


def read_pcd(data: bytes) -> tuple[np.ndarray, str | None]:
    """(H, W, 3) uint8 RGB of a Photo CD image pac's bytes, upright, and what to tell where
    its larger pictures could not be decoded (read at a smaller size). ValueError where no
    picture of it decodes."""
    import av

    tries = (2,) if len(data) <= _BASE_ONLY else (0, 1, 2)
    for lowres in tries:
        try:
            frames = decode_packet("photocd", data, options={"lowres": str(lowres)})
        except av.error.FFmpegError:
            continue
        if frames:
            rgb = _display(frames[0])
            turns = data[_ROTATION_AT] & 3 if len(data) > _ROTATION_AT else 0
            rgb = np.ascontiguousarray(np.rot90(rgb, {1: 1, 2: 2, 3: -1}.get(turns, 0)))
            note = None
            if lowres != tries[0]:
                w, h = SIZES[lowres]
                note = (
                    f"its larger pictures cannot be decoded (damaged or cut short): read at {w}x{h}"
                )
            return rgb, note
    raise ValueError("damaged or truncated Photo CD image pac (no picture of it decodes)")


def _display(frame) -> np.ndarray:
    """FFmpeg's yuv420p of a pac (luma as stored, chroma centred on 128) as 8-bit RGB:
    PhotoYCC's R'G'B' (1.0 at reference white), the headroom above ``_KNEE`` rolled off."""
    h, w = frame.height, frame.width
    planes = [np.frombuffer(p, np.uint8).reshape(-1, p.line_size) for p in frame.planes[:3]]
    luma = planes[0][:h, :w].astype(np.float32) * np.float32(1.402 / 255)
    c1, c2 = (
        cv2.resize(p[: h // 2, : w // 2], (w, h), interpolation=cv2.INTER_LINEAR)
        for p in planes[1:]
    )
    b = luma + (c1.astype(np.float32) - 128) / np.float32(111.40)
    r = luma + (c2.astype(np.float32) - 128) / np.float32(135.64)
    g = (luma - 0.299 * r - 0.114 * b) / np.float32(0.587)
    rgb = np.clip(np.dstack([r, g, b]), 0.0, None)
    top = np.float32(1.402)  # luma 255 as stored
    over = rgb > _KNEE
    t = np.minimum((rgb[over] - _KNEE) / (top - _KNEE), 1.0)
    power = (top - _KNEE) / (1.0 - _KNEE)  # the roll-off leaves the knee at slope 1
    rgb[over] = _KNEE + (1.0 - _KNEE) * (1.0 - (1.0 - t) ** power)
    return np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


__all__ = ["SIZES", "probe_pcd", "read_pcd"]
