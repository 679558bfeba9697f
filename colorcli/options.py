"""Every default and choice list of colorizing, in one torch-free place the CLI is built from.

Settings are frozen dataclasses; a field that is a command-line option carries its help text
and bounds in ``metadata`` (see :func:`opt`), and ``colorcli.cli`` turns each such field into a
click option, so a default is written once. Nothing here imports torch, numba or PyAV, so
``colorize --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from colorcli.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")
NUMBERED_DEVICE = "cuda"  # also taken as cuda:N, the N-th GPU
PRECISIONS = ("auto", "full", "half")

# what a model predicts in and over: the chroma space, the classes it is quantized into, the
# normalisation of its convolutions (each recorded in the checkpoint, so colouring needs no flag)
COLOR_SPACES = ("lab", "yuv")
BIN_KINDS = ("grid", "freq", "kmeans", "som")  # grid, or freq:K / kmeans:K / som:K
NORMS = ("batch", "group", "layer", "none")
ENCODERS = ("lite0", "lite1", "lite2")  # effunet's EfficientNet-lite encoder

# still images: extension -> format name, and the extension each format is written with
IMAGE_FORMATS = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",  # what old Windows software and browsers saved JPEGs as
    ".jfif": "jpeg",
    ".jif": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".bmp": "bmp",
    ".webp": "webp",
    ".dpx": "dpx",  # a film scanner's frame, read and written through FFmpeg
    ".jp2": "jp2",  # JPEG 2000: libraries' and archives' masters (written losslessly)
}
FORMAT_EXT = {
    "jpeg": ".jpg",
    "png": ".png",
    "tiff": ".tif",
    "bmp": ".bmp",
    "webp": ".webp",
    "dpx": ".dpx",
    "jp2": ".jp2",
}
OUTPUT_IMAGE_FORMATS = tuple(FORMAT_EXT)
# what --format also takes: each written format's extensions (jpg, tif, ...), as users type them
FORMAT_NAMES = {e[1:]: f for e, f in IMAGE_FORMATS.items()} | {f: f for f in FORMAT_EXT}
# read but not written as such: each one's output extension. A bare JPEG 2000 codestream;
# GIF (256 colours: a coloured photo would lose its shades); Netpbm, what SANE's scanimage
# writes (16-bit kept in png)
READ_ONLY_IMAGES = {
    ".j2k": ".jp2",
    ".j2c": ".jp2",  # JPEG 2000 codestreams and extended (JPX) files: written as JP2
    ".jpf": ".jp2",
    ".jpx": ".jp2",
    ".gif": ".png",
    ".apng": ".png",  # an animated PNG named as such (browsers, FFmpeg): an animated .png
    ".pgm": ".png",
    ".ppm": ".png",
    ".pnm": ".png",
    ".pbm": ".png",
    ".heic": ".jpg",  # a phone's HEIC and AVIF: jpg, as every viewer shows (--format for more)
    ".heif": ".jpg",
    ".avif": ".jpg",
    ".psd": ".tif",  # a restorer's Photoshop master: its flattened picture, lossless
    ".xcf": ".tif",  # a GIMP file: its visible layers blended, lossless
    ".pcd": ".png",  # a Kodak Photo CD image pac: its largest picture
    ".pcx": ".png",  # 1990s scans: PCX, Targa; SGI and Sun raster files
    ".tga": ".png",
    ".sgi": ".png",
    ".ras": ".png",
    ".rgb": ".png",  # SGI's own names by channels
    ".rgba": ".png",
    ".bw": ".png",
    ".pjp": ".jpg",  # what browsers saved progressive JPEGs as
    ".pjpeg": ".jpg",
    ".mpo": ".jpg",  # a stereo camera's pair (Fujifilm W3, Nintendo 3DS): its first view
    ".dib": ".bmp",  # a Windows device-independent bitmap: a BMP
}
PHOTO_EXTS = frozenset(IMAGE_FORMATS) | frozenset(READ_ONLY_IMAGES)  # every photo we read
DOCUMENT_EXTS = frozenset({".pdf"})  # scanned PDFs: their photos coloured, a PDF written
WRITABLE_NAMES = "jpg, png, tif, bmp, webp, dpx or jp2"  # for messages
# the largest photo read, in megapixels (a decompression bomb's guard; a 100-megapixel scan
# takes about 1.6 GB to colour), and the most --max-megapixels may raise it to (OpenCV's own
# limit is 2**30 pixels)
MAX_MEGAPIXELS = 250
MEGAPIXELS_CAP = 1000
# pictures and films an archive may hold that colorize cannot read (a camera's
# raw, an editor's file, a scan kept as PDF): counted in one notice by `colorize dir`
UNREAD_MEDIA = frozenset(
    ".jxl .jxr .psb .djvu .ico .svg .eps .exr "
    ".dng .cr2 .cr3 .crw .nef .nrw .arw .srf .sr2 .orf .rw2 .raf .pef .srw .x3f .rwl .3fr .iiq "
    ".swf".split()
)

# films: containers we write (extension -> FFmpeg muxer), and every extension we read
VIDEO_CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mkv": "matroska",
    ".mov": "mov",
    ".avi": "avi",
    ".webm": "webm",
    ".ts": "mpegts",
    ".m2ts": "mpegts",
    ".mts": "mpegts",
    ".mxf": "mxf",
}
# a film written as numbered frames (``OUT`` a pattern such as scans/%06d.dpx): the codec
SEQUENCE_EXTS = {".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx", ".png": "png"}
# read only (each becomes .mkv in an archive): DVD (.vob), DV tape captures (.dv), old phones
VIDEO_EXTS = frozenset(VIDEO_CONTAINERS) | {
    ".mpg", ".mpeg", ".m2v", ".vob", ".dv", ".3gp", ".wmv", ".asf", ".flv", ".ogv",
    ".mod", ".tod",  # tapeless camcorders (JVC Everio, Panasonic, Canon): MPEG-2 PS and TS
    ".vro",  # a DVD recorder's disc (DVD-VR, VIDEO_RM/VR_MOVIE.VRO): transferred VHS tapes
    ".rm", ".rmvb",  # RealMedia: the web's video of 1997-2008
    ".m2t", ".trp", ".tp",  # HDV tape captures; DVB recorders' transport streams
    ".m2p", ".mpv", ".mpe", ".m1v",  # MPEG-2 program streams; MPEG-1 of the 1990s
    ".divx", ".ogm",  # DivX AVIs and Ogg Media of the 2000s
    ".qt", ".f4v", ".mk3d", ".nut", ".wtv", ".dvr-ms",  # Windows Media Center recordings
    ".3g2",  # CDMA phones' 3GPP2
    ".y4m",  # YUV4MPEG2: what restoration tools (AviSynth, VapourSynth) pipe out
    ".mjpeg", ".mjpg", ".ivf",  # webcams' and IP cameras' motion JPEG; VP8/VP9 streams
    ".h264", ".264", ".h265", ".hevc",  # raw streams (CCTV and DVR exports)
}  # fmt: skip
CODECS = ("libx264", "libx265", "ffv1", "prores", "libvpx-vp9")
PIPE_FORMATS = ("matroska", "nut")  # containers that stream onto a pipe
# the codecs each container holds (the first is its default, as ffmpeg picks one by extension)
CONTAINER_CODECS = {
    "mp4": ("libx264", "libx265", "libvpx-vp9"),
    "matroska": CODECS,
    "mov": ("libx264", "libx265", "prores"),  # FFmpeg writes no FFV1 into MOV
    "avi": ("libx264", "ffv1"),
    "webm": ("libvpx-vp9",),
    "mpegts": ("libx264", "libx265"),
    "mxf": ("prores", "ffv1", "libx264"),
    "nut": CODECS,
}
# the highest --crf each codec accepts, and the speed presets of x264 and x265
CRF_MAX = {"libx264": 51, "libx265": 51, "libvpx-vp9": 63}
X26X_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
CPU_KEYFRAMES = 4  # the network's keyframe interval on a CPU (1 on CUDA)


def numbered(value: str, name: str) -> bool:
    """Whether ``value`` is ``name`` with an index (``cuda:1``): a ``numbered`` choice."""
    return re.fullmatch(rf"{re.escape(name)}:\d+", value) is not None


def opt(help: str, **bounds: Any) -> dict[str, Any]:
    """Field metadata for a command-line option: its help text and, for numbers, ``min``,
    ``max``, ``min_open`` / ``max_open``; ``choices`` for a fixed list (``numbered``: one of
    them also taken as ``name:N``); ``flag`` for booleans;
    ``default_help`` to describe a default that is resolved later (None in the dataclass)."""
    return {"help": help, **bounds}


def option_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of a settings dataclass that are command-line options, in order."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


@dataclass(frozen=True)
class ColorizeOptions:
    """How the network colours: shared by every colorizing command."""

    model: str | None = field(
        default=None,
        metadata=opt("Checkpoint (.pt) to use.", default_help="the shipped model", path=True),
    )
    device: str = field(
        default="auto",
        metadata=opt(
            "Where the network runs (CUDA in half precision: see --precision; cuda:N: the "
            "N-th GPU).",
            choices=DEVICES,
            numbered=NUMBERED_DEVICE,
        ),
    )
    precision: str = field(
        default="auto",
        metadata=opt(
            "The network's arithmetic. half: 16 bits (float16 on CUDA; bfloat16 on a CPU that has its instructions, AVX512-BF16 or AMX, where the network runs about twice as fast and the colours differ a little where the model is unsure); full: 32 bits (colours alike on every machine); auto: half on CUDA, full on a CPU.",
            choices=PRECISIONS,
        ),
    )
    batch_size: int = field(
        default=4,
        metadata=opt("Images per forward pass (halved automatically when memory runs out).", min=1),
    )
    temperature: float | None = field(
        default=None,
        metadata=opt(
            "Annealed-mean temperature: 1 = mean (muted), 0 = mode (vivid).",
            min=0.0,
            default_help="the model's, fitted on held-out photos: for the shipped one 0.5 for photos (each also seen mirrored), 0.7 for films",
        ),
    )
    saturation: float = field(
        default=1.0, metadata=opt("Scale the predicted colour (0 = gray).", min=0.0)
    )
    size: int | None = field(
        default=None,
        metadata=opt(
            "Short side in pixels of the image the network sees; output keeps full resolution.",
            min=16,
            default_help="the model's, 256; photos without hints: its photo decode's, where it has one",
        ),
    )
    colour_margins: bool = field(
        default=False,
        metadata=opt(
            "Colour a photo's uniform margins too (a print's border, the scanner bed, black bars, a print's card mount; an album page is then coloured as one photo), and a film's bars: by default they stay as the scan shows them and the network sees only what they frame.",
            flag=True,
        ),
    )
    colour_cards: bool = field(
        default=False,
        metadata=opt(
            "Colour title cards and blanks too (lettering on a plain ground: a silent film's intertitles, credits on black, a caption card, a typed page; an even ground with nothing on it: leader, a fade through gray, an empty frame): by default they keep their own neutral tone.",
            flag=True,
        ),
    )
    negative: bool = field(
        default=False,
        metadata=opt(
            "The pictures are scanned negatives (black-and-white, or colour with its orange mask): each is coloured as the print it makes, its film base black and its densest part white; a film's frames all by one print.",
            flag=True,
        ),
    )


# commands whose inputs are never negatives: colour photos to score (colorize eval)
NOT_NEGATIVES = ("negative",)
SMOOTH = 0.7  # --smooth's default
REFS_SMOOTH = 0.85  # --smooth's default with --refs


@dataclass(frozen=True)
class VideoOptions:
    """Encoding, smoothing and keyframe settings of a film.

    smooth: temporal smoothing strength in [0, 1) (0 disables). crf/preset: quality and speed of
    x264/x265 (crf also vp9). start/end: seconds of the input to colorize (None: all).
    stats: measure flicker and CDC of the output. keyframes: the network colorizes every K-th
    frame and every scene cut; the frames between get the colour of the frame before, carried
    along the optical flow (1: the network sees every frame; None: 1 on CUDA, 4 on a CPU).
    """

    codec: str | None = field(
        default=None,
        metadata=opt(
            "Video encoder (ffv1: lossless RGB, prores: 10-bit 4:2:2 HQ).",
            choices=CODECS,
            default_help="the container's: libvpx-vp9 for webm, prores for mxf, libx264 otherwise",
        ),
    )
    crf: int = field(
        default=18,
        metadata=opt(
            "Quality for x264/x265 (0-51) and vp9 (0-63); lower is better.", min=0, max=63
        ),
    )
    preset: str = field(
        default="medium", metadata=opt("x264/x265 speed preset.", choices=X26X_PRESETS)
    )
    smooth: float | None = field(
        default=None,
        metadata=opt(
            "Temporal smoothing of colour between frames (0 disables); reset at scene cuts.",
            min=0.0,
            max=1.0,
            max_open=True,
            default_help="0.7, or 0.85 with --refs or --reference",
        ),
    )
    sigma_l: float = 3.0
    start: float | None = field(
        default=None,
        metadata=opt(
            "Where to start colouring, in seconds from the film's first picture.", min=0.0
        ),
    )
    end: float | None = field(
        default=None,
        metadata=opt("Where to stop, in seconds from the film's first picture.", min=0.0),
    )
    keyframes: int | None = field(
        default=None,
        metadata=opt(
            "Run the network on every K-th frame and every scene cut; carry colour to the frames between along the optical flow (1: every frame).",
            min=1,
            default_help=f"1 on CUDA, {CPU_KEYFRAMES} on CPU",
        ),
    )
    stats: bool = field(
        default=False,
        metadata=opt("Print temporal metrics of the output (flicker, CDC).", flag=True),
    )
    keep_colour: bool = field(
        default=False,
        metadata=opt(
            "Write scenes already in colour (a documentary's colour interviews among archive footage; colours that vary apart from the lightness, not a tint) as they came, instead of recolouring them from their lightness.",
            flag=True,
        ),
    )
    rate: float = field(
        default=24.0,
        metadata=opt(
            "Frames per second of numbered frames read as a film (scans/%06d.dpx, or a folder of frames).",
            min=0.0,
            min_open=True,
        ),
    )
    refs: str | None = field(
        default=None,
        metadata=opt(
            "Folder of coloured stills <N>.png|jpg|tif, each the true colour of frame N (from 0; colorize scenes writes a starting set): carried forward and backward through N's scene.",
            path="dir",
        ),
    )
    reference: str | None = field(
        default=None,
        metadata=opt(
            "A colour photo of similar content (the same place, the same actor): a still of each scene (its first frame, as colorize scenes picks it) is coloured after it, and that still is carried through its scene as --refs carries one.",
            path="file",
        ),
    )
    segment_seconds: float = field(
        default=5.0,
        metadata=opt(
            "Colour the film in segments of about this many seconds, kept beside OUT until joined, so that a rerun resumes and --shard can spread the film (0: one encode, no resume).",
            min=0.0,
        ),
    )

    def __post_init__(self) -> None:
        if self.keyframes is not None and self.keyframes < 1:
            raise ConfigError(f"--keyframes must be >= 1, got {self.keyframes}")
        if self.codec is not None and self.codec not in CODECS:
            raise ConfigError(f"codec must be one of {', '.join(CODECS)}, got {self.codec!r}")
        # with no codec yet (the container picks it) only the widest range is checked here;
        # ``for_container`` checks again with the codec chosen
        top = CRF_MAX.get(self.codec) if self.codec else max(CRF_MAX.values())
        if top is not None and not 0 <= self.crf <= top:
            name = self.codec or "every codec"
            raise ConfigError(f"--crf for {name} must be in 0..{top}, got {self.crf}")
        if self.preset not in X26X_PRESETS:
            raise ConfigError(
                f"--preset must be one of {', '.join(X26X_PRESETS)}, got {self.preset!r}"
            )
        if self.smooth is not None and not 0.0 <= self.smooth < 1.0:
            raise ConfigError(f"--smooth must be in [0, 1), got {self.smooth}")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ConfigError("--end must be after --start")
        if self.start is None and self.end is not None and self.end <= 0:
            raise ConfigError("--end must be after the film's start (0 s)")

    def for_container(self, fmt: str) -> VideoOptions:
        """These options with the codec the container takes by default where none was given."""
        if self.codec is not None:
            return self
        return dataclasses.replace(self, codec=CONTAINER_CODECS.get(fmt, CODECS)[0])

    @property
    def smoothing(self) -> float:
        """--smooth as given, else 0.7; with --refs (or --reference) 0.85, which on the validation clip kept
        the flicker of stills carried by flow below the automatic output's (bench of record:
        train/recipes/refs_eval.py)."""
        if self.smooth is not None:
            return self.smooth
        return REFS_SMOOTH if self.refs is not None or self.reference is not None else SMOOTH

    def keyframes_for(self, device_type: str) -> int:
        """The keyframe interval on this device: on a GPU the network is cheap beside the codec,
        so it sees every frame; on a CPU it dominates, and running it on every 4th frame (plus
        every cut) makes a film about 3x faster for a mean colour difference of about 5 ab
        units (bench/video.py)."""
        if self.keyframes is not None:
            return self.keyframes
        return 1 if device_type == "cuda" else CPU_KEYFRAMES


def video_options_of(values: dict[str, Any]) -> VideoOptions:
    """VideoOptions from a dict holding (at least) its option fields, e.g. a command's kwargs."""
    names = {f.name for f in dataclasses.fields(VideoOptions)}
    return VideoOptions(**{k: v for k, v in values.items() if k in names})
