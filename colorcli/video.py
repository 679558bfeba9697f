"""Whole films: PyAV decode -> batches -> Colorizer -> temporal smoothing -> encode -> mux.

Three stages overlap: a decoder thread (demux, decode, copy-through packets), the calling thread
(model, smoothing, composing at full resolution) and an encoder thread (encode, mux). Bounded
queues between them keep memory flat however long the film. Media I/O only: the model is the
Colorizer handed in.

Fidelity: every output frame carries its input frame's pts in the input's time_base (variable
frame rate survives), the size is kept (odd sizes use 4:4:4 chroma), the display rotation is
copied, audio packets are copied byte for byte where the container accepts the codec (else
transcoded with a notice), subtitle and data streams and global metadata are copied where the
container allows.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numba
import numpy as np

from colorcli.archive import VIDEO_EXTS  # noqa: F401  (one list, re-exported here)
from colorcli.atomic import temp_sibling
from colorcli.errors import ConfigError, MediaError, OutputPathError
from colorcli.kernels import add_half_res, lab_to_ycbcr, luma_l_table, temporal_smooth
from colorcli.metrics import SceneCutDetector, TemporalMeter
from colorcli.propagate import FlowPropagator

OUTPUT_FORMATS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mkv": "matroska",
    ".mov": "mov",
    ".avi": "avi",
    ".webm": "webm",
}
CODECS = ("libx264", "libx265", "ffv1", "prores", "libvpx-vp9")
DEFAULT_SMOOTH = 0.7
CPU_KEYFRAMES = 4
# audio codecs each container takes as a packet copy; FFmpeg's own list is wider than what
# writes a valid file (PCM in MP4 fails at the trailer), so MP4, MOV, AVI and WebM are explicit
AUDIO_COPY = {
    "mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    "mov": {
        "aac",
        "mp3",
        "ac3",
        "eac3",
        "alac",
        "pcm_s16le",
        "pcm_s24le",
        "pcm_s16be",
        "pcm_s24be",
    },
    "avi": {"mp3", "ac3", "pcm_s16le", "pcm_u8"},
    "webm": {"opus", "vorbis"},
}
_QUEUE_FRAMES = 8  # frames in flight per queue, beyond the batch
# AVColorSpace codes <-> the Y'CbCr matrices of colorcli.kernels.ycbcr
_SPACES = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}
_SPACE_CODE = {"bt709": 1, "bt601": 6, "bt2020": 9}
_SWS_NAME = {"bt709": "ITU709", "bt601": "ITU601", "bt2020": "BT2020"}


@dataclass(frozen=True)
class VideoOptions:
    """Encoding and smoothing settings.

    smooth: temporal smoothing strength in [0, 1) (0 disables). crf/preset: quality and speed of
    x264/x265 (crf also vp9). start/end: seconds of the input to colorize (None: all).
    stats: measure flicker and CDC of the output. keyframes: the network colorizes every K-th
    frame and every scene cut; the frames between get the colour of the frame before, carried
    along the optical flow (1: the network sees every frame; None: ``auto_keyframes``).
    """

    codec: str = "libx264"
    crf: int = 18
    preset: str = "medium"
    smooth: float = DEFAULT_SMOOTH
    sigma_l: float = 3.0
    start: float | None = None
    end: float | None = None
    stats: bool = False
    keyframes: int | None = None

    def __post_init__(self) -> None:
        if self.keyframes is not None and self.keyframes < 1:
            raise ConfigError(f"--keyframes must be >= 1, got {self.keyframes}")
        if self.codec not in CODECS:
            raise ConfigError(f"codec must be one of {', '.join(CODECS)}, got {self.codec!r}")
        if not 0.0 <= self.smooth < 1.0:
            raise ConfigError(f"--smooth must be in [0, 1), got {self.smooth}")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ConfigError("--end must be after --start")


def auto_keyframes(device_type: str) -> int:
    """Default keyframe interval: on a GPU the network is cheap beside the codec, so it sees
    every frame; on a CPU it dominates, and running it on every 4th frame (plus every cut) makes
    a film about 3x faster for a mean colour difference of about 5 ab units (bench/video.py)."""
    return 1 if device_type == "cuda" else CPU_KEYFRAMES


def kernel_threads(cores: int | None = None) -> int:
    """Threads for the numba and OpenCV work that runs beside the codec (annealed mean,
    smoothing, optical flow, composing). The decoder and the encoder keep up to two cores
    busy; on a machine with few cores a parallel kernel then stalls on a worker the codec has
    descheduled, and the workers burn CPU spinning. Measured with bench/video.py's trivial
    model on 2 cores: 1080p at 0.66 x the transcode floor with 2 numba threads, 0.75 with 1;
    OpenCV's pool at 1 thread saves about 2 ms of CPU a 480p frame. The shipped model's speed
    is unchanged (its convolutions keep PyTorch's threads)."""
    cores = cores or os.cpu_count() or 1
    return 1 if cores <= 4 else cores // 2


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
    streams: tuple[str, ...]


def _open_input(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise MediaError(path, "no such file")
    if path.is_dir():
        raise MediaError(path, "is a folder")
    try:
        return av.open(str(path), "r")
    except av.error.FFmpegError as e:
        raise MediaError(path, "not a video file (unrecognised or damaged container)") from e
    except OSError as e:
        raise MediaError(path, f"cannot read ({e.strerror or e})") from e


def _bit_depth(pix_fmt: str | None) -> int:
    if not pix_fmt:
        return 8
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, av.error.FFmpegError):
        return 8


def probe_video(path: Path | str) -> VideoInfo:
    """Read what the container says about its first video stream; MediaError if unusable."""
    path = Path(path)
    with _open_input(path) as c:
        if not c.streams.video:
            raise MediaError(path, "has no video stream")
        v = c.streams.video[0]
        cc = v.codec_context
        if cc is None or not cc.name:
            raise MediaError(path, "video codec is not supported by this FFmpeg build")
        rotation = 0
        # the display matrix reaches frames, not stream attributes: peek at the first frame
        try:
            for frame in c.decode(v):
                rotation = int(frame.rotation or 0)
                break
        except av.error.FFmpegError:
            pass
        dur = (
            float(v.duration * v.time_base)
            if v.duration and v.time_base
            else (c.duration / 1e6 if c.duration else None)
        )
        return VideoInfo(
            width=cc.width,
            height=cc.height,
            frames=int(v.frames or 0),
            rate=v.average_rate,
            time_base=v.time_base,
            codec=cc.name,
            pix_fmt=cc.pix_fmt or "",
            bit_depth=_bit_depth(cc.pix_fmt),
            rotation=rotation,
            duration=dur,
            streams=tuple(s.type for s in c.streams),
        )


def _pick_pix_fmt(codec: str, width: int, height: int, deep: bool) -> tuple[str, dict[str, str]]:
    odd = width % 2 or height % 2
    if codec == "ffv1":
        return ("gbrp16le" if deep else "bgr0"), {"level": "3", "slicecrc": "1"}
    if codec == "prores":
        return ("yuv444p10le", {"profile": "4"}) if odd else ("yuv422p10le", {"profile": "3"})
    if codec == "libvpx-vp9":
        return ("yuv444p" if odd else "yuv420p"), {}
    base = "yuv444p" if odd else "yuv420p"
    return (base + "10le" if deep else base), {}


class TemporalSmoother:
    """Lightness-guided EMA of ab across frames, reset at scene cuts."""

    def __init__(self, strength: float, sigma_l: float = 3.0) -> None:
        self.strength, self.sigma_l = strength, sigma_l
        self.cuts = SceneCutDetector()
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self.resets = 0

    def __call__(self, ab: np.ndarray, lum: np.ndarray, cut: bool | None = None) -> np.ndarray:
        """ab: (h, w, 2) float32 this frame's prediction; lum: (h, w) float32 L* at that size.
        cut: whether a scene cut precedes this frame (None: detect it here)."""
        if cut is None:
            cut = self.cuts(lum)
        self.resets += int(cut)
        if self.strength > 0 and self._prev is not None and not cut:
            ab = temporal_smooth(ab, lum, self._prev[0], self._prev[1], self.strength, self.sigma_l)
        self._prev = (ab, lum)
        return ab


@dataclass(frozen=True)
class Yuv420Path:
    """Colorize 8-bit 4:2:0 frames without leaving Y'CbCr.

    Frames stay as FFmpeg's packed (H * 3 / 2, W) uint8 layout: the network's L comes from the
    luma plane shrunk to network size; the output keeps the luma plane (plus the small
    correction that holds L* where there is colour, see ``colorcli.kernels.ycbcr``) and gets
    chroma planes computed at chroma resolution. No full-resolution RGB is ever made: that
    saves a YUV->RGB conversion, an RGB->L pass, a full-resolution Lab->RGB compose and an
    RGB->YUV conversion per frame.
    """

    height: int
    width: int
    matrix: str  # "bt601" | "bt709" | "bt2020"
    full_range: bool
    saturation: float = 1.0

    @classmethod
    def for_stream(cls, cc, saturation: float = 1.0) -> Yuv420Path:
        """Matrix and range from the stream's tags; untagged: BT.709 from 720 lines up, else
        BT.601 (what players assume)."""
        matrix = _SPACES.get(int(cc.colorspace or 2)) or ("bt709" if cc.height >= 720 else "bt601")
        full = cc.pix_fmt == "yuvj420p" or int(cc.color_range or 0) == 2
        return cls(cc.height, cc.width, matrix, full, saturation)

    def l_net(self, colorizer, y: np.ndarray) -> np.ndarray:
        """L* at the network's size from a frame's (H, W) luma plane."""
        nh, nw = colorizer.net_shape(self.height, self.width)
        # exact 2x box averages while the frame is at least twice the network's size (OpenCV's
        # fastest path), then bilinear for the last factor below 2
        while y.shape[0] >= 2 * nh and y.shape[1] >= 2 * nw:
            h2, w2 = y.shape[0] // 2, y.shape[1] // 2
            y = cv2.resize(y[: 2 * h2, : 2 * w2], (w2, h2), interpolation=cv2.INTER_AREA)
        if y.shape != (nh, nw):
            y = cv2.resize(y, (nw, nh), interpolation=cv2.INTER_LINEAR)
        return cv2.LUT(y, luma_l_table(self.full_range))

    def compose(
        self, y: np.ndarray, ab_small: np.ndarray, out: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> None:
        """Write an output frame: the input's luma (L* kept) with chroma from ``ab_small``.

        y: (H, W) uint8 luma plane of the input (a strided view of a frame's plane is fine).
        out: the (Y', Cb, Cr) planes to write, such as views of a new frame's planes.
        """
        h, w = self.height, self.width
        hc, wc = h // 2, w // 2
        yc = cv2.resize(y, (wc, hc), interpolation=cv2.INTER_AREA)
        ab = cv2.resize(ab_small, (wc, hc), interpolation=cv2.INTER_LINEAR).reshape(hc, wc, 2)
        # the chroma codes go straight into the frame's planes when their rows are unpadded
        direct = out[1].flags.c_contiguous and out[2].flags.c_contiguous
        chroma = out[1:] if direct else (np.empty((hc, wc), np.uint8), np.empty((hc, wc), np.uint8))
        y_new, _, _ = lab_to_ycbcr(
            cv2.LUT(yc, luma_l_table(self.full_range)),
            ab,
            self.saturation,
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
        self.compose(y, ab_small, out=tuple(_plane_view(p) for p in vf.planes))
        vf.colorspace = _SPACE_CODE[self.matrix]
        vf.color_range = 2 if self.full_range else 1
        return vf

    def to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """8-bit RGB of an output frame, decoded with its own matrix and range (for --stats)."""
        return frame.to_ndarray(
            format="rgb24",
            src_colorspace=_SWS_NAME[self.matrix],
            src_color_range="JPEG" if self.full_range else "MPEG",
        )


def _plane_view(plane) -> np.ndarray:
    """A frame plane as a writable (height, width) uint8 array over its buffer (no copy); the
    array keeps the frame alive."""
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[
        : plane.height, : plane.width
    ]


class _Stage:
    """Shared state of the three threads: stop flag and the first error raised."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def put(self, q: queue.Queue, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, q: queue.Queue) -> Any:
        while True:
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return ("end",)


def _check_paths(src: Path, dst: Path, overwrite: bool) -> str:
    fmt = OUTPUT_FORMATS.get(dst.suffix.lower())
    if fmt is None:
        raise OutputPathError(
            f"{dst}: unknown video extension {dst.suffix!r} (use {', '.join(sorted(OUTPUT_FORMATS))})"
        )
    if src.exists() and (dst.resolve() == src.resolve() or (dst.exists() and dst.samefile(src))):
        raise OutputPathError(f"output {dst} is the input; refusing to overwrite an original")
    if dst.exists() and not overwrite:
        raise OutputPathError(f"{dst} exists already (use --overwrite)")
    return fmt


def _check_codec(dst: Path, fmt: str, codec: str) -> None:
    if fmt == "webm" and codec != "libvpx-vp9":
        raise OutputPathError(
            f"{dst}: .webm holds VP9 video only; use --codec libvpx-vp9 or another extension"
        )
    if fmt == "mp4" and codec in ("ffv1", "prores"):
        raise OutputPathError(f"{dst}: {codec} does not go in .mp4; use .mkv or .mov")
    if fmt == "avi" and codec in ("libx265", "libvpx-vp9", "prores"):
        raise OutputPathError(f"{dst}: {codec} does not go in .avi; use .mkv")


def colorize_video(
    src: Path | str,
    dst: Path | str,
    colorizer,
    opts: VideoOptions | None = None,
    overwrite: bool = False,
) -> Iterator[dict[str, Any]]:
    """Colorize a video file; yields plain-dict events.

    "start" (info, total frames expected), "notice" (message), "frames" (n done since the last
    event), "done" (frames, seconds, lost frames, stats). The output appears under ``dst`` only
    when complete; on any error or interruption the temporary file is removed.
    """
    src, dst = Path(src), Path(dst)
    opts = opts or VideoOptions()
    fmt = _check_paths(src, dst, overwrite)
    _check_codec(dst, fmt, opts.codec)
    info = probe_video(src)
    # frames the container promises for the whole file: its count, else duration x rate
    promised = info.frames or (
        round(info.duration * float(info.rate)) if info.duration and info.rate else 0
    )
    expected = info.frames
    if opts.start is not None or opts.end is not None:
        if info.rate and info.duration:
            span = (opts.end if opts.end is not None else info.duration) - (opts.start or 0.0)
            expected = max(0, round(span * float(info.rate)))
    yield {"event": "start", "info": info, "total": expected}

    tmp = temp_sibling(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    stage = _Stage()
    every = opts.keyframes or auto_keyframes(colorizer.device.type)
    # one batch spans batch_size keys and the frames carried from them; the queues hold a
    # batch's worth more, so decoding and encoding go on while the model works in bursts
    depth = colorizer.batch_size * every + _QUEUE_FRAMES
    q_in: queue.Queue = queue.Queue(maxsize=depth)
    q_out: queue.Queue = queue.Queue(maxsize=depth)
    inp = _open_input(src)
    out = None
    threads: list[threading.Thread] = []
    notices: list[str] = []
    meter = TemporalMeter() if opts.stats else None
    counts = {"decoded": 0, "bad_packets": 0, "encoded": 0}
    t0 = time.perf_counter()
    caller_threads = numba.get_num_threads(), cv2.getNumThreads()
    side_threads = kernel_threads()
    try:
        # this (the caller's) thread runs the per-frame kernels while the codec threads keep
        # the cores busy; a parallel kernel then waits on a descheduled worker (see
        # kernel_threads). OpenCV's pool is process-wide; both are restored at the end
        numba.set_num_threads(min(caller_threads[0], side_threads))
        cv2.setNumThreads(min(caller_threads[1], side_threads))
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        deep = info.bit_depth > 8
        in_fmt = "rgb48le" if deep else "rgb24"
        out = av.open(str(tmp), "w", format=fmt)
        pix_fmt, extra = _pick_pix_fmt(opts.codec, info.width, info.height, deep)
        cc_in = vin.codec_context
        # 8-bit 4:2:0 in and out (the common case): stay in Y'CbCr
        yuv = (
            Yuv420Path.for_stream(cc_in, colorizer.saturation)
            if not deep and cc_in.pix_fmt in ("yuv420p", "yuvj420p") and pix_fmt == "yuv420p"
            else None
        )
        if yuv is not None:
            in_fmt = cc_in.pix_fmt
        codec_name = "prores_ks" if opts.codec == "prores" else opts.codec
        vout = out.add_stream(codec_name, rate=info.rate or Fraction(25))
        vout.width, vout.height, vout.pix_fmt = info.width, info.height, pix_fmt
        vout.time_base = info.time_base
        vout.codec_context.time_base = info.time_base
        options = dict(extra)
        if opts.codec in ("libx264", "libx265"):
            options.update({"crf": str(opts.crf), "preset": opts.preset})
        elif opts.codec == "libvpx-vp9":
            options.update({"crf": str(opts.crf), "b": "0", "row-mt": "1"})
        vout.codec_context.options = options
        for attr in ("colorspace", "color_range", "color_primaries", "color_trc"):
            with contextlib.suppress(AttributeError, ValueError, TypeError):
                setattr(vout.codec_context, attr, getattr(cc_in, attr))
        if yuv is not None:  # say which matrix and range the chroma was computed for
            vout.codec_context.colorspace = _SPACE_CODE[yuv.matrix]
            vout.codec_context.color_range = 2 if yuv.full_range else 1
        if info.rotation:
            vout.set_display_rotation(info.rotation)
        if pix_fmt.startswith("yuv444") and opts.codec in ("libx264", "libx265", "libvpx-vp9"):
            notices.append(
                f"odd frame size {info.width}x{info.height}: encoding 4:4:4 chroma to keep every pixel"
            )

        # copy-through streams
        copy_map: dict[int, Any] = {}
        transcode: dict[int, Any] = {}
        resamplers: dict[int, Any] = {}
        supported = out.supported_codecs
        for s in inp.streams:
            if s.index == vin.index or s.type not in ("audio", "subtitle", "data"):
                continue
            name = s.codec_context.name if s.codec_context is not None else None
            allowed = AUDIO_COPY.get(fmt, supported) if s.type == "audio" else supported
            if name and name in allowed and name in supported:
                try:
                    copy_map[s.index] = out.add_stream_from_template(s)
                    continue
                except (ValueError, av.error.FFmpegError):
                    pass
            if s.type == "audio" and s.codec_context is not None:
                target = "libopus" if fmt == "webm" else "aac"
                a = out.add_stream(
                    target, rate=48000 if target == "libopus" else s.codec_context.sample_rate
                )
                # a named layout for the channel count: muxers refuse unnamed channel orders
                channels = len(s.codec_context.layout.channels)
                layout = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 6: "5.1", 8: "7.1"}.get(
                    channels, "stereo"
                )
                a.layout = layout
                resamplers[s.index] = av.AudioResampler(
                    format="fltp", layout=layout, rate=a.codec_context.sample_rate
                )
                transcode[s.index] = a
                notices.append(
                    f"audio stream {s.index} ({name}) cannot be copied into .{dst.suffix.lstrip('.')}: transcoding to {target}"
                )
            else:
                notices.append(
                    f"{s.type} stream {s.index} ({name}) dropped: not supported by .{dst.suffix.lstrip('.')}"
                )
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            out.metadata.update({k: v for k, v in inp.metadata.items() if k.lower() != "encoder"})
        for n in notices:
            yield {"event": "notice", "message": n}

        def decode_worker() -> None:
            try:
                demux_streams = [vin] + [
                    s for s in inp.streams if s.index in copy_map or s.index in transcode
                ]
                last_pts = None
                finished = False
                for packet in inp.demux(*demux_streams):
                    if stage.stop.is_set():
                        return
                    idx = packet.stream.index
                    if idx == vin.index:
                        if finished:
                            continue
                        try:
                            frames = packet.decode()
                        except av.error.FFmpegError:
                            counts["bad_packets"] += 1
                            continue
                        for frame in frames:
                            pts = (
                                frame.pts
                                if frame.pts is not None
                                else (0 if last_pts is None else last_pts + 1)
                            )
                            last_pts = pts
                            t = float(pts * info.time_base)
                            if opts.start is not None and t < opts.start - 1e-6:
                                continue
                            if opts.end is not None and t >= opts.end - 1e-6:
                                finished = True
                                break
                            if yuv is not None:
                                # the luma plane itself, no copy: chroma of a gray film is unused
                                if frame.format.name != in_fmt:
                                    frame = frame.reformat(format=in_fmt)
                                arr = _plane_view(frame.planes[0])
                            else:
                                arr = frame.to_ndarray(format=in_fmt)
                            counts["decoded"] += 1
                            if not stage.put(q_in, ("frame", pts, arr)):
                                return
                    elif packet.dts is not None:
                        t = float(packet.pts * packet.time_base) if packet.pts is not None else None
                        if t is not None and (
                            (opts.start is not None and t < opts.start)
                            or (opts.end is not None and t >= opts.end)
                        ):
                            continue
                        if idx in copy_map:
                            stage.put(q_in, ("packet", idx, packet))
                        else:
                            for af in packet.decode():
                                for rf in resamplers[idx].resample(af):
                                    stage.put(q_in, ("audio", idx, rf))
            except BaseException as e:  # handed to the main thread
                stage.error = stage.error or e
            finally:
                stage.put(q_in, ("end",))

        def encode_worker() -> None:
            try:
                # the codec's threads have the cores: composing serially here costs less CPU
                # than a parallel kernel that waits on them (numba's setting is per thread)
                numba.set_num_threads(min(numba.get_num_threads(), side_threads))
                while True:
                    item = stage.get(q_out)
                    kind = item[0]
                    if kind == "end":
                        break
                    if kind == "frame":
                        _, pts, (src_frame, ab, dtype) = item
                        if yuv is not None:
                            vf = yuv.new_frame(src_frame, ab)
                            rgb = yuv.to_rgb(vf) if meter is not None else None
                        else:
                            rgb = colorizer.compose(src_frame, ab, dtype)
                            vf = av.VideoFrame.from_ndarray(rgb, in_fmt)
                        vf.pts, vf.time_base = pts, info.time_base
                        for p in vout.encode(vf):
                            out.mux(p)
                        counts["encoded"] += 1
                        if meter is not None:
                            meter.update(
                                rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8)
                            )
                    elif kind == "packet":
                        _, idx, packet = item
                        packet.stream = copy_map[idx]
                        out.mux(packet)
                    elif kind == "audio":
                        _, idx, af = item
                        for p in transcode[idx].encode(af):
                            out.mux(p)
                if stage.stop.is_set() and stage.error is not None:
                    return
                for p in vout.encode(None):
                    out.mux(p)
                for a in transcode.values():
                    for p in a.encode(None):
                        out.mux(p)
            except BaseException as e:
                stage.error = stage.error or e
                stage.stop.set()

        threads = [
            threading.Thread(target=decode_worker, name="colorcli-decode", daemon=True),
            threading.Thread(target=encode_worker, name="colorcli-encode", daemon=True),
        ]
        for t in threads:
            t.start()

        smoother = TemporalSmoother(opts.smooth, opts.sigma_l)
        # the network sees every K-th frame and every scene cut (a "key"); the frames after a
        # key until the next are carried from it by optical flow (colorcli.propagate)
        cutter = SceneCutDetector()
        propagator = FlowPropagator() if every > 1 else None
        groups: list[list[tuple[int, Any, np.ndarray, np.dtype, bool]]] = []
        since_key = every  # the first frame is a key

        def add_frame(pts: int, arr: np.ndarray) -> None:
            nonlocal since_key
            if yuv is not None:  # the luma plane itself goes on to the encoder thread
                payload, ln = arr, yuv.l_net(colorizer, arr)
            else:
                payload = colorizer.lightness(arr)
                ln = colorizer.l_net(payload)
            cut = cutter(ln[::2, ::2])  # a histogram needs no full resolution
            if cut or since_key >= every:
                groups.append([])
                since_key = 0
            groups[-1].append((pts, payload, ln, arr.dtype, cut))
            since_key += 1

        def run_groups() -> int:
            abs_ = colorizer.predict_ab([g[0][2] for g in groups])
            n = 0
            for g, ab_key in zip(groups, abs_, strict=True):
                prev: tuple[np.ndarray, np.ndarray] | None = None
                for j, (pts, payload, ln, dtype, cut) in enumerate(g):
                    hs, ws = ab_key.shape[:2]
                    l_small = (
                        cv2.resize(ln, (ws, hs), interpolation=cv2.INTER_AREA)
                        if ln.shape != (hs, ws)
                        else ln
                    )
                    if j == 0:
                        ab = smoother(np.ascontiguousarray(ab_key), l_small, cut=cut)
                    else:
                        # the warped colour goes through the smoother like a prediction: where
                        # L is steady it keeps the previous colour (no wobble from flow noise),
                        # where L changed it takes the warped one
                        ab = smoother(propagator(prev[0], prev[1], l_small), l_small, cut=False)
                    prev = (ab, l_small)
                    # composing at full resolution happens on the encoder thread, so the model
                    # can start on the next batch meanwhile
                    if not stage.put(q_out, ("frame", pts, (payload, ab, dtype))):
                        return n
                    n += 1
            groups.clear()
            return n

        while True:
            if stage.error is not None:
                raise stage.error
            item = stage.get(q_in)
            if item[0] == "frame":
                add_frame(item[1], item[2])
                # a batch is full when a new key starts after batch_size complete groups
                if len(groups) > colorizer.batch_size:
                    last = groups.pop()
                    yield {"event": "frames", "n": run_groups()}
                    groups.append(last)
            elif item[0] == "end":
                if groups:
                    yield {"event": "frames", "n": run_groups()}
                stage.put(q_out, ("end",))
                break
            else:
                stage.put(q_out, item)
        threads[1].join()
        threads[0].join()
        if stage.error is not None:
            raise stage.error
        if counts["decoded"] == 0:
            raise MediaError(
                src,
                "no video frames could be decoded"
                + (" in the --start/--end range" if opts.start or opts.end else ""),
            )
        out.close()
        out = None
        os.replace(tmp, dst)
        # frames promised minus those decoded; one frame of slack for rounding of durations
        lost = (
            max(0, promised - counts["decoded"]) if opts.start is None and opts.end is None else 0
        )
        if not info.frames and lost <= 1:
            lost = 0
        if lost or counts["bad_packets"]:
            yield {
                "event": "notice",
                "message": f"{src}: input is damaged: {counts['decoded']} frames colorized, {lost} of {promised} lost ({counts['bad_packets']} undecodable packets)",
            }
        stats = meter.as_dict() if meter is not None else None
        if stats is not None:
            stats["smoothing_resets"] = smoother.resets
        yield {
            "event": "done",
            "frames": counts["encoded"],
            "seconds": time.perf_counter() - t0,
            "lost": lost,
            "stats": stats,
            "path": str(dst),
        }
    except av.error.FFmpegError as e:
        raise MediaError(src, f"video processing failed: {e}") from e
    finally:
        numba.set_num_threads(caller_threads[0])
        cv2.setNumThreads(caller_threads[1])
        stage.stop.set()
        for t in threads:
            t.join(timeout=5)
        if out is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                out.close()
        inp.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
