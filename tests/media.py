"""Synthetic media for the tests and the benchmark: video clips made with PyAV, pictures."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.filter
import cv2
import numpy as np


def frame_picture(
    i: int, h: int, w: int, cut_at: int | None = None, fade_in: int = 0
) -> np.ndarray:
    """A moving textured gradient; after ``cut_at`` a different, darker scene (fading in from
    black over its first ``fade_in`` frames)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if cut_at is not None and i >= cut_at:
        g = 40 + 30 * np.sin((x * 0.3 + i) / 5.0) * np.cos(y / 9.0)
        g *= min(1.0, (i - cut_at + 1) / (fade_in + 1))
    else:
        g = 60 + 120 * (x + 2 * i) / (w + 2 * i + 1) + 40 * np.sin((y + i) / 6.0)
    return np.clip(g, 0, 255).astype(np.uint8)


def make_clip(
    path: Path,
    n: int = 12,
    size: tuple[int, int] = (48, 64),
    rate: int = 25,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    audio: str | None = "aac",
    rotation: int = 0,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    cut_at: int | None = None,
    gop: int | None = None,
    fade_in: int = 0,
    sar: Fraction | None = None,
    fields: str = "",
    timecode: str | None = None,
    bframes: int = 0,
    audio_seconds: float | None = None,
    turned: int = 0,
    matrix: tuple[int, ...] | None = None,
    tags: tuple[int, int, int] | None = None,
) -> Path:
    """Write a gray clip (optionally VFR via explicit pts, with audio, with a rotation;
    interlaced with ``fields`` "tff" or "bff"). ``turned``: the pictures of ``size`` stored
    turned back that many quarter turns, with the rotation that shows them upright (a phone's
    portrait film). ``matrix``: a display matrix set as it is (one that mirrors). ``tags``:
    the stream's colour primaries, transfer and matrix (H.273 codes)."""
    h, w = size
    if turned:
        rotation = 90 * turned
        h, w = (w, h) if turned % 2 else (h, w)
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=rate)
        v.width, v.height = w, h
        v.pix_fmt = "yuv444p" if (w % 2 or h % 2) and pix_fmt == "yuv420p" else pix_fmt
        if codec == "libx264":
            v.codec_context.options = {"preset": "ultrafast", "crf": "20"}
            if bframes:  # frames decoded out of their order (ultrafast has none)
                v.codec_context.options = {
                    **v.codec_context.options,
                    "x264-params": f"bframes={bframes}:b-pyramid=normal:b-adapt=0",
                }
        if codec == "libx265":  # its banner and settings table stay off the test's output
            v.codec_context.options = {"x265-params": "log-level=error"}
        if tags is not None:
            cc = v.codec_context
            cc.color_primaries, cc.color_trc, cc.colorspace = tags
        if gop is not None:  # a keyframe every ``gop`` frames (ultrafast places none at cuts)
            v.codec_context.gop_size = gop
        if bframes and codec != "libx264":
            v.codec_context.max_b_frames = bframes
        tb = time_base or Fraction(1, rate * 100)
        v.time_base = tb
        v.codec_context.time_base = tb
        if rotation:
            v.set_display_rotation(rotation)
        if matrix is not None:  # a display matrix as it is (one that mirrors, say)
            v.set_display_matrix(list(matrix))
        if sar is not None:  # non-square pixels
            v.codec_context.sample_aspect_ratio = sar
        mark = _interlace(v, codec, fields, tb) if fields else None
        if timecode:  # a tape master's start timecode (MOV: a tmcd track; MXF: the package)
            v.metadata["timecode"] = out.metadata["timecode"] = timecode
        a = None
        if audio:
            a = out.add_stream(audio, rate=48000 if audio == "libopus" else 44100)
            a.layout = "stereo"
        for i in range(n):
            g = frame_picture(i, *size, cut_at, fade_in)
            g = np.ascontiguousarray(np.rot90(g, -turned)) if turned else g
            f = av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")
            f.pts = pts[i] if pts is not None else round(i / rate / tb)
            f.time_base = tb
            if mark is not None:
                f = mark(f)
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            sr = a.codec_context.sample_rate
            samples = int((audio_seconds or n / rate) * sr)  # sound may outlast the pictures
            t = np.arange(samples) / sr
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            chunk = {"libopus": 960, "ac3": 1536, "mp2": 1152}.get(audio, 1024)
            for s in range(0, samples, chunk):
                block = tone[s : s + chunk]
                if len(block) < chunk:
                    block = np.pad(block, (0, chunk - len(block)))
                fmt = "fltp" if audio in ("aac", "libopus", "ac3") else "s16"
                data = (
                    np.stack([block, block])
                    if fmt == "fltp"
                    else (np.stack([block, block]).T.reshape(1, -1) * 32767).astype(np.int16)
                )
                af = av.AudioFrame.from_ndarray(data, format=fmt, layout="stereo")
                af.sample_rate = sr
                af.pts = s
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
    return path


def _interlace(v, codec: str, fields: str, tb: Fraction):
    """Code the stream as fields; returns what marks each frame (``setfield``) for the
    encoders that read the order from the frame (MPEG-2, ProRes, FFV1)."""
    flags = av.codec.context.Flags
    v.codec_context.flags |= flags.interlaced_dct | flags.interlaced_me
    v.codec_context.field_order = 2 if fields == "tff" else 3
    if codec == "libx264":
        v.codec_context.options = {**v.codec_context.options, "x264-params": f"{fields}=1"}
    graph = av.filter.Graph()
    src = graph.add_buffer(width=v.width, height=v.height, format=v.pix_fmt, time_base=tb)
    setfield, sink = graph.add("setfield", fields), graph.add("buffersink")
    src.link_to(setfield)
    setfield.link_to(sink)
    graph.configure()

    def mark(frame):
        frame = frame.reformat(format=v.pix_fmt)
        pts = frame.pts
        graph.push(frame)
        out = graph.pull()
        out.pts, out.time_base = pts, tb
        return out

    return mark


def field_order_of(path: Path) -> str:
    """The field shown first, "tff" or "bff", or "" (progressive): the first frame's
    interlaced flag and the order the stream says (as a player reads them); ProRes: the order
    in its first frame's header."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        if v.codec_context.name == "prores":
            header = bytes(next(p for p in c.demux(v) if p.size))
            return {1: "tff", 2: "bff"}.get((header[20] >> 2) & 3, "")
        frame = next(c.decode(v))
        if not frame.interlaced_frame:
            return ""
        return {2: "tff", 5: "tff", 3: "bff", 4: "bff"}.get(v.codec_context.field_order, "?")


def read_clip(path: Path) -> dict:
    """Frame count, pts list, time_base, size, rotation and audio packet bytes of a clip."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {
            "time_base": v.time_base,
            "width": v.codec_context.width,
            "height": v.codec_context.height,
            "sar": v.codec_context.sample_aspect_ratio or Fraction(1),
        }
        pts, rotation, frames = [], 0, []
        for f in c.decode(v):
            pts.append(f.pts)
            rotation = int(f.rotation or 0)
            frames.append(f.to_ndarray(format="rgb24"))
        info.update(pts=pts, rotation=rotation, frames=frames)
    with av.open(str(path)) as c:
        info["audio"] = [bytes(p) for s in c.streams.audio[:1] for p in c.demux(s) if p.size]
        info["audio_codec"] = c.streams.audio[0].codec_context.name if c.streams.audio else None
    return info


def _packed(rows: np.ndarray, bits: int) -> np.ndarray:
    """(H, W) samples of ``bits`` bits packed as TIFF stores them: each row to whole bytes."""
    per = 8 // bits
    w = -(-rows.shape[1] // per) * per
    padded = np.zeros((rows.shape[0], w), np.uint8)
    padded[:, : rows.shape[1]] = rows
    shifts = (8 - bits * (1 + np.arange(per))).astype(np.uint8)
    return (padded.reshape(rows.shape[0], -1, per) << shifts).sum(-1, dtype=np.uint8)


def write_tiff(
    path: Path,
    samples: np.ndarray,
    extra: int | None = None,
    rows: int | None = None,
    tile: int | None = None,
    deflate: bool = False,
    orientation: int | None = None,
    photometric: int | None = None,
    predictor: bool | int = False,
    planar: bool = False,
    sample_format: int | None = None,
    bits: int | None = None,
) -> Path:
    """A little-endian TIFF with its IFD before its picture (as Photoshop writes it): (H, W, C)
    uint8 or uint16 samples (C = 2: gray and alpha, 4: RGBA), ``extra`` its ExtraSamples (1:
    associated alpha, 2: unassociated; None: no such tag); strips of ``rows`` rows (one strip
    by default) or square tiles of ``tile`` pixels; Deflate-compressed or not; its photometric
    (by default RGB, or gray below 3 samples); ``predictor``: each sample stored as its
    difference from the one to its left in its strip or tile (Predictor 2, as Photoshop
    writes LZW and ZIP); ``planar``: each sample's plane stored after the other (its
    PlanarConfiguration 2), strips or tiles of the first plane first; ``sample_format`` its
    SampleFormat, one a sample (3: IEEE floats, the samples' bits as given); ``bits``: gray
    of 2 or 4 bits a sample (uint8 samples below 2**bits, each row packed from its first
    pixel in the high bits, to a whole byte), in strips. ``predictor`` True is Predictor 2,
    or the number given (3: floating point)."""
    import struct
    import zlib

    h, w, c = samples.shape
    le = samples.astype(samples.dtype.newbyteorder("<"))
    planes = [le[..., k : k + 1] for k in range(c)] if planar else [le]
    pieces = []
    for plane in planes:
        per = plane.shape[2]
        if tile:  # tiles run over the picture's edges: zeros there
            padded = np.zeros((-(-h // tile) * tile, -(-w // tile) * tile, per), le.dtype)
            padded[:h, :w] = plane
            own = [
                padded[y : y + tile, x : x + tile]
                for y in range(0, padded.shape[0], tile)
                for x in range(0, padded.shape[1], tile)
            ]
        else:
            own = [plane[y : y + (rows or h)] for y in range(0, h, rows or h)]
        if predictor is True:  # each row of a strip or tile: differences, from its left edge
            own = [np.concatenate([p[:, :1], np.diff(p, axis=1)], 1) for p in own]
        if bits:  # several samples a byte, the first in the high bits
            own = [_packed(p[..., 0], bits) for p in own]
        pieces += [np.ascontiguousarray(p).tobytes() for p in own]
    if deflate:
        pieces = [zlib.compress(p) for p in pieces]
    tags = {  # tag: (type: 3 SHORT, 4 LONG; values)
        256: (4, [w]), 257: (4, [h]), 258: (3, [bits or samples.dtype.itemsize * 8] * c),
        259: (3, [8 if deflate else 1]), 262: (3, [(2 if c >= 3 else 1) if photometric is None else photometric]),
        277: (3, [c]),
    }  # fmt: skip
    sizes = [len(p) for p in pieces]
    if tile:
        tags.update({322: (3, [tile]), 323: (3, [tile]), 324: (4, [0] * len(pieces))})
        tags[325] = (4, sizes)
    else:
        tags.update({273: (4, [0] * len(pieces)), 278: (4, [rows or h]), 279: (4, sizes)})
    if extra is not None:
        tags[338] = (3, [extra])
    if orientation is not None:
        tags[274] = (3, [orientation])
    if predictor:
        tags[317] = (3, [2 if predictor is True else predictor])
    if planar:
        tags[284] = (3, [2])
    if sample_format is not None:
        tags[339] = (3, [sample_format] * c)
    start = 8 + 2 + 12 * len(tags) + 4  # after the header and the one IFD
    blob_size = sum(4 * len(v) if k == 4 else 2 * len(v) for k, v in tags.values())
    at = start + blob_size  # where the picture starts: after every value stored apart
    offsets = list(np.cumsum([at, *sizes[:-1]]))
    tags[324 if tile else 273] = (4, [int(o) for o in offsets])
    blobs, entries = b"", []
    for tag, (kind, values) in sorted(tags.items()):
        raw = struct.pack("<" + ("H" if kind == 3 else "I") * len(values), *values)
        if len(raw) > 4:  # does not fit the entry: stored after the IFD
            raw, blobs = struct.pack("<I", start + len(blobs)), blobs + raw
        entries.append(struct.pack("<HHI", tag, kind, len(values)) + raw.ljust(4, b"\0"))
    blobs = blobs.ljust(blob_size, b"\0")
    head = b"II*\0" + struct.pack("<IH", 8, len(tags))
    path.write_bytes(head + b"".join(entries) + b"\0\0\0\0" + blobs + b"".join(pieces))
    return path


def shown_frames(path: Path) -> list[np.ndarray]:
    """A film's frames as RGB, as it is shown: each turned by its display rotation."""
    with av.open(str(path)) as c:
        return [
            np.ascontiguousarray(np.rot90(f.to_ndarray(format="rgb24"), int(f.rotation or 0) // 90))
            for f in c.decode(video=0)
        ]


def title_card(
    h: int = 240, w: int = 320, ground: int = 25, ink: int = 225, seed: int = 0
) -> np.ndarray:
    """An (h, w) uint8 title card: three lines of lettering and a border on a plain ground,
    with grain, a little blur and a vignette, as a silent film's intertitle is scanned."""
    import cv2

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    scale = w / 400
    for i, words in enumerate(("THE NEXT MORNING", "Mary went down to", "the old mill...")):
        cv2.putText(
            mask, words, (int(w * 0.1), int(h * (0.35 + 0.2 * i))), cv2.FONT_HERSHEY_COMPLEX,
            scale, 255, max(1, round(2 * scale)), cv2.LINE_AA,
        )  # fmt: skip
    m = max(2, w // 30)
    cv2.rectangle(mask, (m, m), (w - m, h - m), 255, max(1, round(scale)))
    card = ground + (ink - ground) * mask.astype(np.float32) / 255
    y, x = np.mgrid[0:h, 0:w]
    card -= 12 * ((y / h - 0.5) ** 2 + (x / w - 0.5) ** 2)  # the lamp's falloff
    card = cv2.GaussianBlur(card.astype(np.float32), (0, 0), 0.7)
    card += rng.normal(0, 3, (h, w))
    return np.clip(card, 0, 255).astype(np.uint8)


def blank_frame(h: int = 240, w: int = 320, ground: int = 128, seed: int = 0) -> np.ndarray:
    """An (h, w) uint8 blank, as leader or an empty frame is scanned: an even gray with the
    lamp's falloff (a fifth of the light at the corners), uneven light, grain, dust and a
    scratch."""
    import cv2

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w], np.float32)[:, None, None]
    g = ground * (1 - 0.4 * ((y - 0.5) ** 2 + (x - 0.5) ** 2)) + 6 * (x - 0.5)
    g = g + cv2.GaussianBlur(rng.normal(0, 8, (h, w)).astype(np.float32), (0, 0), 0.8)
    for cx, cy in rng.integers((0, 0), (w, h), (12, 2)):
        cv2.circle(g, (int(cx), int(cy)), 2, float(rng.choice([0, 255])), -1)
    g[:, int(rng.integers(w))] = 255.0
    return np.clip(g, 0, 255).astype(np.uint8)


def typed_page(h: int = 1100, w: int = 850, seed: int = 0) -> np.ndarray:
    """An (h, w) uint8 typed page: lines of small lettering on paper lit unevenly, with grain
    (at the network's size its letters are a pixel or two high)."""
    import cv2

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    scale = w / 1400
    lines = ("Dear Mary, the mill is sold and", "we leave for the city in May.", "Father")
    for i, y in enumerate(range(h // 8, h - h // 8, max(8, round(50 * scale)))):
        words = lines[i % 3] if i % 9 != 8 else ""  # now and then a paragraph
        cv2.putText(
            mask, words, (w // 12, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255,
            max(1, round(1.5 * scale)), cv2.LINE_AA,
        )  # fmt: skip
    y, x = np.mgrid[0:h, 0:w]
    page = 225 - 190 * mask.astype(np.float32) / 255 - 10 * (x / w) + rng.normal(0, 3, (h, w))
    return np.clip(page, 0, 255).astype(np.uint8)


def dense_page(h: int = 1400, w: int = 1100, columns: int = 2, seed: int = 0) -> np.ndarray:
    """An (h, w) uint8 densely typed page: full lines of small lettering, single spaced, in
    ``columns`` columns, on paper lit unevenly, with grain (thousands of letters; at the
    network's size its lines are gray bands, not plain paper between letters)."""
    import cv2

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    words = "the mill was sold in May and we left for the city with Father".split()
    margin, gutter, scale = w // 16, w // 30, 0.45
    width = (w - 2 * margin - gutter * (columns - 1)) // columns
    for c in range(columns):
        x0 = margin + c * (width + gutter)
        for y in range(margin + 12, h - margin, 22):
            x = x0
            while True:
                word = str(rng.choice(words))
                wide = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]
                if x + wide > x0 + width:
                    break
                cv2.putText(
                    mask, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 1, cv2.LINE_AA
                )
                x += wide + 7
    y, x = np.mgrid[0:h, 0:w]
    page = 220 - 180 * mask.astype(np.float32) / 255 - 8 * (y / h) + rng.normal(0, 3, (h, w))
    return np.clip(page, 0, 255).astype(np.uint8)


def halftone_print(
    gray8: np.ndarray,
    period: float,
    angle: float,
    blur: float = 0.6,
    grain: float = 0.0,
    jpeg: int | None = None,
) -> np.ndarray:
    """A gray picture printed with a clustered-dot screen (round dots on a square lattice of
    ``period`` pixels turned ``angle`` degrees, ink and paper at 8-bit levels 20 and 235, as
    much ink as keeps the picture's tone in linear light) and scanned (a Gaussian ``blur``,
    ``grain`` levels of noise, JPEG of quality ``jpeg``): (H, W, 3) uint8."""
    h, w = gray8.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.deg2rad(angle)
    u = (xx * np.cos(a) + yy * np.sin(a)) / period
    v = (-xx * np.sin(a) + yy * np.cos(a)) / period
    spot = (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v)) / 4 + 0.5
    # the share of ink that reflects what the photo did (a printer's tone curve): linear light
    y, y_ink, y_paper = (((v / 255.0) ** 2.2) for v in (gray8.astype(np.float32), 20, 235))
    cover = np.clip((y_paper - y) / (y_paper - y_ink), 0.0, 1.0)
    out = np.where(cover > spot, 20.0, 235.0).astype(np.float32)
    out = cv2.GaussianBlur(out, (0, 0), blur) if blur else out
    if grain:
        out += np.random.default_rng(0).normal(0, grain, out.shape).astype(np.float32)
    out8 = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if jpeg is not None:
        out8 = cv2.imdecode(cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, jpeg])[1], 0)
    return np.dstack([out8] * 3)


# a colourist's colour in the tests: a mild green, far from the tiny models' warm one
STILL_AB = (-15.0, 10.0)


def in_still_colour(lum: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB: the lightness ``lum`` (L*) in ``STILL_AB``, as far as it can show
    it."""
    from colorcli.kernels import compose_rgb8

    return compose_rgb8(lum, np.broadcast_to(np.float32(STILL_AB), lum.shape + (2,)).copy())


def mean_ab(rgb: np.ndarray) -> np.ndarray:
    """A picture's mean (a*, b*)."""
    from colorcli.kernels import rgb_to_lab

    return rgb_to_lab(rgb)[..., 1:].reshape(-1, 2).mean(axis=0)


def write_still(frame_rgb: np.ndarray, path) -> None:
    """A still a colourist painted: ``frame_rgb``'s lightness in ``STILL_AB``, saved to
    ``path`` (its format by its name)."""
    from PIL import Image

    from colorcli.kernels import rgb_to_lab

    Image.fromarray(in_still_colour(rgb_to_lab(frame_rgb)[..., 0])).save(path)
