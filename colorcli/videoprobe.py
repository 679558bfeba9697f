"""Film inputs checked before any work: probed and opened (files, numbered frames, pipes, a
joined recording's copy); their packets are read by ``colorcli.packets``, and what a coloured
film is written as is ``colorcli.filmout``."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from colorcli.errors import MediaError, missing
from colorcli.ffurl import ff_url
from colorcli.framefiles import frame_sequence, is_sequence
from colorcli.heifboxes import boxes
from colorcli.packets import demux
from colorcli.shown import display_of, pixel_shape, quarter_turns
from colorcli.walkers import file_reader


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    frames: int  # from the container; 0 when it does not say
    rate: Fraction | None
    time_base: Fraction
    codec: str
    pix_fmt: str
    bit_depth: int
    rotation: int
    duration: float | None
    start: float = 0.0  # seconds: where ``duration`` begins (the stream's or container's start)
    timed: bool = True  # False: a raw elementary stream (.h264, .m2v) whose packets carry no pts
    fields: str = ""  # interlaced: "tff" or "bff", the field shown first; "" progressive
    # ``duration`` is the container's (its longest stream's), not the film's own: a Matroska
    # file without DURATION tags (mkvmerge, MakeMKV) whose sound may run past the pictures
    shared_duration: bool = False
    # the shape of a pixel, where not square (DV, DVD, anamorphic scans): the container's (MOV,
    # MXF, Matroska hold it beside ProRes and FFV1), else the codec's
    sar: Fraction | None = None
    # an alpha channel that makes its first frame transparent somewhere (ProRes 4444, PNG or
    # QuickTime Animation in MOV): a coloured film is opaque
    transparent: bool = False
    # its first picture (past a dim opening) is already in colour (``colorcli.incolour``)
    in_colour: bool = False
    # a display matrix that mirrors the picture (``shown.display_of``), written to the output
    # as it came; None: ``rotation`` says it all
    mirror: tuple[int, ...] | None = None
    # what its tags say of wide-gamut primaries or an HDR transfer ("BT.2020, PQ"): its
    # colours are made as for SDR BT.709 video and tagged as it is; "" for neither
    wide: str = ""

    @property
    def turns(self) -> int:
        """Quarter turns counterclockwise that show a stored frame as the film is shown
        (``quarter_turns``)."""
        return quarter_turns(self.rotation)

    @property
    def step(self) -> int:
        """Ticks of ``time_base`` from one frame to the next at the average rate."""
        rate = self.rate or Fraction(25)
        return max(1, round(1 / (rate * self.time_base)))


# films read from another file: a copy whose times run on (``colorcli.retime``), by the
# original's path (messages still name the original)
_READ_AS: dict[Path, Path] = {}


@contextlib.contextmanager
def reading_as(path: Path, copy: Path) -> Iterator[None]:
    """Within the block, ``open_input(path)`` opens ``copy``."""
    _READ_AS[Path(path)] = copy
    try:
        yield
    finally:
        _READ_AS.pop(Path(path), None)


def read_as(path: Path) -> Path | None:
    """The copy ``open_input(path)`` opens instead (``reading_as``), if any."""
    return _READ_AS.get(Path(path))


def open_input(path: Path, rate: float = 24.0) -> av.container.InputContainer:
    """A film file, or a numbered-frame sequence read at ``rate`` frames per second."""
    real = _READ_AS.get(Path(path), path) if _READ_AS else path
    if is_sequence(path):
        pattern, first, _ = frame_sequence(path)
        options = {"framerate": str(rate), "start_number": str(first)}
        try:
            return av.open(ff_url(pattern), "r", format="image2", options=options)
        except av.error.FFmpegError as e:
            raise MediaError(path, "the frames cannot be read (damaged or unknown images)") from e
    if not real.exists():
        raise missing(path)
    try:
        c = av.open(ff_url(real), "r")
    except av.error.FFmpegError as e:
        if _unfinished_mp4(real):
            raise MediaError(path, UNFINISHED) from e
        raise MediaError(path, "not a video file (unrecognised or damaged container)") from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e
    if one_picture(c):
        c.close()
        raise MediaError(path, A_PHOTO)
    return c


def one_picture(c: av.container.InputContainer) -> bool:
    """Whether FFmpeg reads the container with one of its one-picture readers (a JPEG, PNG,
    TIFF, DPX...): a photo, which would be coloured into a film of one frame."""
    name = c.format.name
    return name == "image2" or (name.endswith("_pipe") and name not in _ANIMATED_PIPES)


# picture readers whose files may hold an animation (a film of their frames, where this FFmpeg
# decodes it; `colorize image` colours every frame of one too)
_ANIMATED_PIPES = {"webp_pipe", "gif_pipe", "jpegxl_pipe"}
A_PHOTO = (
    "a photo, not a film (`colorize image` takes photos; a film of numbered frames is given "
    "as their folder)"
)


UNFINISHED = (
    "an unfinished recording: its index (moov box) was never written (power lost or card "
    "pulled while recording), so its pictures cannot be found; a repair tool such as untrunc "
    "can rebuild it from a whole recording of the same camera"
)


def _unfinished_mp4(path: Path) -> bool:
    """An ISO media file (MP4, MOV) of top-level boxes with no index (moov) among them."""
    try:
        with open(path, "rb") as f:
            read, size = file_reader(f), os.fstat(f.fileno()).st_size
            kinds = []
            with contextlib.suppress(ValueError):  # the box cut off (its media data)
                for kind, _, _ in boxes(read, 0, size):
                    kinds.append(kind)
    except OSError:
        return False
    return bool(kinds) and kinds[0] in ("ftyp", "wide", "free", "mdat") and "moov" not in kinds


def _bit_depth(pix_fmt: str | None) -> int:
    if not pix_fmt:
        return 8
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, av.error.FFmpegError):
        return 8


def probe_video(path: Path | str, rate: float = 24.0) -> VideoInfo:
    """Read what the container says about its first video stream; MediaError if unusable. A
    numbered-frame sequence is a film of its frames at ``rate``."""
    path = Path(path)
    with open_input(path, rate) as c:
        return with_frame_count(info_of(c, path), path, rate)


def with_frame_count(info: VideoInfo, path: Path, rate: float) -> VideoInfo:
    """``info`` of a numbered-frame sequence with its frames counted (its files) and timed at
    ``rate``; of a film file as it is."""
    if not is_sequence(path):
        return info
    count = frame_sequence(path)[2]
    return dataclasses.replace(info, frames=count, duration=count / rate)


def film_stream(c: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The film of a container: of its video streams, the one FFmpeg ranks best (not a cover
    picture; the most frames), not merely the first (a 1-frame cover stored before the film
    would be coloured in its place). IndexError when it has none. OpenEXR frames (scene-
    linear light) are set to be decoded to sRGB's curve, as every other input is coded."""
    stream = c.streams.video[0]
    if len(c.streams.video) > 1:
        with contextlib.suppress(av.error.FFmpegError, ValueError, AttributeError, TypeError):
            stream = c.streams.best("video") or stream
    cc = stream.codec_context
    if cc.name == "exr" and not cc.is_open:  # else read as code values: far too dark
        cc.options = {**cc.options, "apply_trc": "iec61966_2_1"}
    return stream


def info_of(c: av.container.InputContainer, name: Path, peek: bool = True) -> VideoInfo:
    """The VideoInfo of an open container. ``peek``: decode its first frame for the display
    rotation (not for a pipe, whose frames cannot be read twice)."""
    if not c.streams.video:
        raise MediaError(name, "has no video stream")
    v = film_stream(c)
    cc = v.codec_context
    if cc is None or not cc.name:
        raise MediaError(name, "video codec is not supported by this FFmpeg build")
    rotation, timed, interlaced, transparent, coloured = 0, None, None, False, None
    mirror = None
    # the display matrix reaches frames, not stream attributes: peek at the first frame (and
    # at the first packet: whether the stream has timestamps at all)
    if peek:
        seen = 0
        with contextlib.suppress(av.error.FFmpegError):
            for packet in demux(c, v):
                if packet.size and timed is None:
                    timed = packet.pts is not None or packet.dts is not None
                for frame in packet.decode():
                    if not seen:
                        rotation, mirror = display_of(frame)
                        interlaced = bool(frame.interlaced_frame)
                        transparent = _transparent(frame)
                    seen += 1
                    coloured = _in_colour(frame)
                    if coloured is not None or seen >= COLOUR_LOOK:
                        break
                else:  # no frame yet, or only dim ones: read on
                    continue
                break
        if cc.width <= 0 or cc.height <= 0:  # no frame decoded, none said its size
            major, minor, _ = av.library_versions["libavcodec"]
            raise MediaError(
                name,
                f"its {cc.name} pictures cannot be decoded by this FFmpeg (libavcodec {major}.{minor})",
            )
    if c.format.name == "mpegvideo" and cc.name == "mpeg1video":
        # an MPEG-1 elementary stream (.m1v, .mpv) holds no times: FFmpeg's parser guesses
        # them, and guessed a one-frame reorder delay part way (a picture shown twice as long,
        # then every one a tick late, called a lost frame); MPEG-1 is progressive at one
        # rate, so its frames are timed on that rate's grid
        timed = False
    shared = False
    if v.duration and v.time_base:
        dur, start = float(v.duration * v.time_base), float((v.start_time or 0) * v.time_base)
    elif (tagged := _tagged_duration(v)) is not None:  # Matroska: the film's own length
        dur = tagged
        start = float((v.start_time or 0) * v.time_base) if v.time_base else 0.0
    else:
        dur = c.duration / 1e6 if c.duration else None
        start = (c.start_time or 0) / 1e6
        shared = len(c.streams) > 1
    return VideoInfo(
        width=cc.width,
        height=cc.height,
        frames=int(v.frames or 0),
        rate=film_rate(v),
        time_base=v.time_base,
        codec=cc.name,
        pix_fmt=cc.pix_fmt or "",
        bit_depth=_bit_depth(cc.pix_fmt),
        rotation=rotation,
        duration=dur,
        start=start,
        timed=timed is not False,
        fields=field_order(int(cc.field_order or 0), interlaced, cc.name, cc.height),
        shared_duration=shared,
        sar=pixel_shape(v),
        transparent=transparent,
        in_colour=bool(coloured),
        wide=_wide(cc),
        mirror=mirror,
    )


_WIDE = {9: "BT.2020"}  # primaries (H.273) wider than BT.709's
_HDR = {16: "PQ", 18: "HLG"}  # HDR transfer characteristics (H.273)


def _wide(cc) -> str:
    """The film's wide-gamut primaries and HDR transfer, as its tags name them ("" for
    neither)."""
    names = []
    for table, attr in ((_WIDE, "color_primaries"), (_HDR, "color_trc")):
        try:
            code = int(getattr(cc, attr, 0) or 0)
        except (TypeError, ValueError):
            code = 0
        if code in table:
            names.append(table[code])
    return ", ".join(names)


def _transparent(frame: av.VideoFrame) -> bool:
    """Whether a frame's format has an alpha channel and the frame is not opaque all over."""
    if not any(c.is_alpha for c in frame.format.components):
        return False
    with contextlib.suppress(av.error.FFmpegError, ValueError):
        return bool(frame.to_ndarray(format="rgba")[..., 3].min() < 255)
    return False


# L*: a frame whose lightness varies less than this (its standard deviation at a small size)
# shows little of its scene yet: a fade in from black (a frame of bikes 15-20, one a fifth as
# bright 4.6); a scene's still (``colorcli.scenes``) and a film's colour are looked for further in
DIM = 5.0
# frames looked at past a film's dim opening (a fade in from black, a black leader) for its
# first picture, to tell whether the film is already in colour
COLOUR_LOOK = 48


def _in_colour(frame: av.VideoFrame) -> bool | None:
    """Whether a frame is already in colour (``colorcli.incolour``), seen at its short side
    ``incolour.SIDE``; None for a dim frame (``DIM``) or one that cannot be converted."""
    from colorcli.compose import lightness
    from colorcli.incolour import SIDE, in_colour

    with contextlib.suppress(av.error.FFmpegError, ValueError):
        scale = min(1.0, SIDE / max(1, min(frame.width, frame.height)))
        w, h = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
        if float(lightness(rgb).std()) < DIM:
            return None
        return in_colour(rgb)
    return None


# AVFieldOrder: the field shown first (TT, BT: top; BB, TB: bottom), 1 progressive, 0 unknown
_SHOWN_FIRST = {2: "tff", 5: "tff", 3: "bff", 4: "bff"}


def field_order(stream_order: int, interlaced: bool | None, codec: str, height: int) -> str:
    """The field shown first, "tff" or "bff", or "" (progressive), from the stream's field
    order and, where the first frame was decoded, its interlaced flag (which wins: an MPEG-2
    film with 3:2 pulldown has an order but progressive pictures). Where the stream says no
    order: standard-definition DV is bottom field first, everything else top field first."""
    if interlaced is False:
        return ""
    if stream_order in _SHOWN_FIRST:
        return _SHOWN_FIRST[stream_order]
    if interlaced:
        return "bff" if codec == "dvvideo" and height <= 576 else "tff"
    return ""


_DURATION_TAG = re.compile(r"(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _tagged_duration(v) -> float | None:
    """A Matroska stream's DURATION tag (written at the end of the file, so a cut-off file
    has none and the container's length serves), in seconds."""
    for key, value in v.metadata.items():
        if key.upper().split("-")[0] == "DURATION":
            m = _DURATION_TAG.match(str(value).strip())
            if m:
                return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    return None


def film_rate(v) -> Fraction | None:
    """The video stream ``v``'s frame rate: its average, else its guessed one, each where a
    film can have it."""
    return _sane_rate(v.average_rate) or _sane_rate(v.guessed_rate)


SLOWEST = Fraction(1, 600)  # frames/s: a slideshow's still every 10 minutes


def _sane_rate(rate: Fraction | None) -> Fraction | None:
    """A frame rate where it is one a film can have: from a slideshow's (a still every few
    seconds: 0.2 fps) to 240 fps; not a time base's 1/90000 given as a base rate (MXF: the
    edit rate), nor the 60000 fps FFmpeg averages for a raw DV file."""
    return rate if rate and SLOWEST <= rate <= 240 else None


PIPE_IN, PIPE_OUT = Path("<stdin>"), Path("<stdout>")  # how a pipe is named in messages


def unseekable_reason(c: av.container.InputContainer, src: Path) -> str | None:
    """Why a film on a pipe decodes nothing, or None: an MP4 or MOV whose index (moov) comes
    after its pictures, as FFmpeg and most cameras write them, is read to its end to find
    the index, and its pictures cannot be read back from a pipe."""
    if src != PIPE_IN or "mp4" not in c.format.name.split(","):
        return None
    return (
        "an MP4 or MOV is read from a pipe only with its index (moov) before its pictures,"
        " and this one has it after them: give the file's path instead (or remux it with"
        " ffmpeg -movflags +faststart)"
    )
