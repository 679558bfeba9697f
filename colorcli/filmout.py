"""A coloured film's output checked before any work (extension, codec, the input itself, a
folder it cannot write), and what its muxer and encoder are given: container options, pixel
format. No model, no pixels.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter

from colorcli.atomic import check_name, check_writable
from colorcli.compose import SPACE_CODE, untagged_matrix
from colorcli.errors import OutputPathError
from colorcli.linearlight import LINEAR, SRGB
from colorcli.options import CONTAINER_CODECS, SEQUENCE_EXTS, VIDEO_CONTAINERS


def check_output(src: Path, dst: Path, codec: str, overwrite: bool) -> str:
    """The muxer for ``dst``; OutputPathError for an unknown extension, the input itself, an
    existing file without ``overwrite``, a codec the container cannot hold, or a folder that
    cannot be written (checked now, before any work)."""
    fmt = VIDEO_CONTAINERS.get(dst.suffix.lower())
    if fmt is None:
        frames = ""
        if dst.suffix.lower() in SEQUENCE_EXTS:  # a still's: numbered frames are one way
            pattern = dst.with_name(f"{dst.stem}_%06d{dst.suffix}")
            frames = f"; or, for numbered .tif, .dpx or .png frames, a pattern such as {pattern}"
        if src.suffix.lower() in (".gif", ".png", ".apng", ".webp"):  # colorcli.animation's
            frames += f"; an animation such as {src.name} is coloured into an animated .png or .webp by colorize image (or dir)"
        raise OutputPathError(
            f"{dst}: unknown video extension {dst.suffix!r} (use {', '.join(sorted(VIDEO_CONTAINERS))}){frames}"
        )
    check_name(dst)
    if src.exists() and (dst.resolve() == src.resolve() or (dst.exists() and dst.samefile(src))):
        raise OutputPathError(f"output {dst} is the input; refusing to overwrite an original")
    if dst.exists() and not overwrite:
        raise OutputPathError(f"{dst} exists already (use --overwrite)")
    takes = CONTAINER_CODECS.get(fmt, ())
    if codec not in takes:
        raise OutputPathError(
            f"{dst}: {codec} does not go in {dst.suffix}; use --codec {' or '.join(takes)}, or .mkv"
        )
    check_writable(dst)
    return fmt


def mxf_takes_rate(rate: Fraction) -> bool:
    """Whether FFmpeg's MXF muxer writes a film of ``rate`` frames a second: it knows the
    broadcast rates only (24, 25, 30, 48, 50, 60, 100, 120 and their 1000/1001 kin), not a
    silent film's 16 or 18. Asked of the muxer itself, one tiny frame into memory."""
    try:
        with av.open(io.BytesIO(), "w", format="mxf") as out:
            v = out.add_stream("prores_ks", rate=rate)
            v.width, v.height, v.pix_fmt = 16, 16, "yuv422p10le"
            v.time_base = v.codec_context.time_base = 1 / rate
            frame = av.VideoFrame(16, 16, "yuv422p10le")
            frame.pts, frame.time_base = 0, 1 / rate
            out.mux(v.encode(frame))
            out.mux(v.encode())
    except (av.error.FFmpegError, ValueError, ZeroDivisionError):
        return False
    return True


def muxer_options(fmt: str, time_base: Fraction | None) -> dict[str, str]:
    """Options of the output container. MP4 and MOV write a film's start offset as an edit in
    the movie's timescale (milliseconds by default), which moves every pts of a segment that
    starts off the millisecond grid; in the stream's own timescale it is exact."""
    if fmt in ("mp4", "mov") and time_base:
        return {"movie_timescale": str(time_base.denominator)}
    return {}


def m2ts_options(dst: Path) -> dict[str, str]:
    """Blu-ray transport streams (.m2ts, .mts) carry a 4-byte timecode before each packet."""
    return {"mpegts_m2ts_mode": "1"} if dst.suffix.lower() in (".m2ts", ".mts") else {}


def pick_pix_fmt(codec: str, width: int, height: int, deep: bool) -> tuple[str, dict[str, str]]:
    """Output pixel format and encoder options: 4:4:4 for odd sizes, 10/16-bit for deep input."""
    odd = width % 2 or height % 2
    if codec == "ffv1":
        return ("gbrp16le" if deep else "bgr0"), {"level": "3", "slicecrc": "1"}
    if codec == "prores":
        return ("yuv444p10le", {"profile": "4"}) if odd else ("yuv422p10le", {"profile": "3"})
    if codec == "libvpx-vp9":
        return ("yuv444p" if odd else "yuv420p"), {}
    base = "yuv444p" if odd else "yuv420p"
    return (base + "10le" if deep else base), {}


# AVColorSpace codes of Y'CbCr matrices (BT.709, FCC, BT.601 625 and 525, SMPTE 240M, BT.2020)
# and the names libswscale gives them
_YUV_MATRICES = {1: "ITU709", 4: "FCC", 5: "ITU601", 6: "SMPTE170M", 7: "SMPTE240M", 9: "BT2020"}


def output_tags(cc_in, pix_fmt: str, height: int) -> tuple[int, int]:
    """(AVColorSpace, AVColorRange) of a film's output frames of ``pix_fmt``. RGB out: RGB,
    full range. Y'CbCr out: the input's matrix where it names one (BT.2020's constant
    luminance as its non-constant kin), else what players assume of an untagged film
    (BT.709 from 720 lines up, else BT.601); full range where the input's Y'CbCr was, else
    limited (an RGB input too: limited is what every player expects of Y'CbCr)."""
    if not _is_yuv(pix_fmt):
        return 0, 2
    space = int(cc_in.colorspace or 2)
    space = 9 if space == 10 else space
    if space not in _YUV_MATRICES:
        space = SPACE_CODE[untagged_matrix(height)]
    rgb_in = int(cc_in.colorspace or 2) == 0 or not _is_yuv(cc_in.pix_fmt or "")
    full = not rgb_in and (
        int(cc_in.color_range or 0) == 2 or (cc_in.pix_fmt or "").startswith("yuvj")
    )
    return space, 2 if full else 1


def output_trc(cc_in) -> int | None:
    """The transfer characteristic an output film is marked with: the input's, but sRGB's
    curve for linear light (OpenEXR), which is coded to sRGB's curve on reading
    (``colorcli.linearlight``): marked linear, the coloured film looked washed out wherever
    the mark is followed. None: unmarked."""
    trc = int(getattr(cc_in, "color_trc", None) or 0)
    if trc == LINEAR:
        return SRGB
    return trc or None


def to_output_format(
    frame: av.VideoFrame,
    pix_fmt: str,
    tags: tuple[int, int],
    reformatter: VideoReformatter,
    threads: int | None = None,
) -> av.VideoFrame:
    """``frame`` in the encoder's ``pix_fmt``, converted with the matrix and range ``tags``
    say and tagged so (by the writer's own ``reformatter``: it keeps its conversion context
    from frame to frame). (Left to the encoder, PyAV converts with BT.601 at limited range
    whatever the stream's tags: an HD film's colours were decoded with the wrong matrix and a
    full-range film's blacks came out gray.)"""
    if frame.format.name == pix_fmt:
        return frame
    if not _is_yuv(pix_fmt):
        return reformatter.reformat(frame, format=pix_fmt, threads=threads)
    space, full = tags
    out = reformatter.reformat(
        frame,
        format=pix_fmt,
        dst_colorspace=_YUV_MATRICES[space],
        dst_color_range="JPEG" if full == 2 else "MPEG",
        threads=threads,
    )
    out.colorspace, out.color_range = space, full
    return out


def _is_yuv(pix_fmt: str) -> bool:
    return pix_fmt.startswith(("yuv", "nv", "p0", "p2", "y2", "uyvy", "yuyv"))
