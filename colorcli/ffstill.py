"""Stills that FFmpeg decodes and OpenCV does not: a restorer's Photoshop file (its flattened
picture), a 1990s PCX or Targa scan, SGI and Sun raster files. Each is one coded picture: its
header is read here for its size (a decompression bomb is refused before decoding), then the
whole file goes to FFmpeg's decoder through PyAV as one packet.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

FF_BMP = "bmp-ff"  # the probe's name for a BMP that FFmpeg decodes (see _DECODER)
# extension -> (FFmpeg decoder, format name)
FF_STILLS = {
    ".psd": ("psd", "psd"),
    ".pcx": ("pcx", "pcx"),
    ".tga": ("targa", "targa"),
    ".sgi": ("sgi", "sgi"),
    ".ras": ("sunrast", "sunrast"),
}
_DECODER = {fmt: codec for codec, fmt in FF_STILLS.values()}
# BMPs OpenCV reads wrongly: an OS/2 1.x header (24-bit pixels read as garbage), 16 bits a
# pixel (565 refused where the header holds its masks, as GIMP and Photoshop write it; 555
# read without its low bits filled)
_DECODER[FF_BMP] = "bmp"
FF_FORMATS = frozenset(_DECODER)
# what each decoded sample layout is read as: (format for to_ndarray, channels kept)
_GRAY = ("gray", "gray16le")
_MAX_BYTES = 1 << 31  # a still FFmpeg takes as one packet
_PSD_MODES_NOT_READ = {7: "multichannel", 9: "Lab colour"}  # what FFmpeg's decoder refuses


def probe_ff_still(head: bytes, ext: str) -> tuple[str, int, int, int] | None:
    """(format, width, height, bits) from a file's first bytes, for the formats named by their
    signature (PSD, PCX, SGI, Sun raster) or, for Targa, which has none, by ``ext``; None for
    anything else. Raises ValueError for a header that does not add up."""
    if head[:4] == b"8BPS" and len(head) >= 26:
        version, channels, h, w, depth, mode = struct.unpack_from(">H6xHIIHH", head, 4)
        if version != 1:
            raise ValueError("a large-document Photoshop file (PSB): not supported")
        if mode in _PSD_MODES_NOT_READ or depth not in (1, 8, 16):
            kind = _PSD_MODES_NOT_READ.get(mode, f"{depth}-bit")
            raise ValueError(f"a {kind} Photoshop file: not supported (save it as RGB or gray)")
        return "psd", w, h, depth
    if head[:1] == b"\x0a" and len(head) >= 128 and head[1] in (0, 2, 3, 4, 5) and head[2] == 1:
        x0, y0, x1, y1 = struct.unpack_from("<HHHH", head, 4)
        if x1 < x0 or y1 < y0:
            raise ValueError("damaged PCX (its window is inside out)")
        return "pcx", x1 - x0 + 1, y1 - y0 + 1, 8
    if head[:2] == b"\x01\xda" and len(head) >= 12:
        bpc, _, w, h = struct.unpack_from(">BHHH", head, 3)
        return "sgi", w, h, 8 * max(bpc, 1)
    if head[:4] == b"\x59\xa6\x6a\x95" and len(head) >= 16:
        w, h, depth = struct.unpack_from(">III", head, 4)
        return "sunrast", w, h, 8
    if ext == ".tga" and len(head) >= 18:
        cmap, kind = head[1], head[2]
        if cmap in (0, 1) and kind in (1, 2, 3, 9, 10, 11):
            w, h = struct.unpack_from("<HH", head, 12)
            return "targa", w, h, 8
    return None


_PSD_MODE_CHANNELS = {
    0: 1,
    1: 1,
    2: 1,
    3: 3,
    4: 4,
    8: 1,
}  # bitmap, gray, indexed, RGB, CMYK, duotone


def _psd_channels_left(head: bytes) -> str | None:
    """What to tell of a Photoshop file's channels beyond its colour mode's (its
    transparency, or saved selections and spot colours: FFmpeg's flattened picture has none
    of them); None where it has none."""
    if head[:4] != b"8BPS" or len(head) < 26:
        return None
    channels, mode = struct.unpack_from(">H", head, 12)[0], struct.unpack_from(">H", head, 24)[0]
    extra = max(0, channels - _PSD_MODE_CHANNELS.get(mode, channels))
    if not extra:
        return None
    return f"its {extra} channel{'s' if extra > 1 else ''} beyond its colours (transparency, saved selections or spot colours) {'are' if extra > 1 else 'is'} not kept: its flattened picture is coloured"


def decode_ff_still(path: Path, fmt: str) -> tuple[np.ndarray, np.ndarray | None, str | None]:
    """(pixels, alpha, what to tell) of a still of ``fmt`` (see :func:`probe_ff_still`):
    (H, W) gray or (H, W, 3) RGB, uint8 or uint16 (16-bit samples kept), alpha apart where
    it has one; the notice of a Photoshop file's channels left out, else None. Raises
    ValueError with the decoder's reason where it cannot decode it."""
    import av

    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise ValueError("over 2 GB: too large for one packet")
    if fmt == "targa" and len(data) >= 18 and data[2] in (3, 11) and data[16] == 16:
        return (*_targa_gray_alpha(data), None)
    decoder, fmt = _DECODER[fmt], fmt.removesuffix("-ff")
    try:
        try:
            frames = decode_packet(decoder, data)
        except av.error.InvalidDataError:
            mended = _psd_runs_mended(data) if fmt == "psd" else None
            if mended is None:
                raise
            frames = decode_packet(decoder, mended)
    except av.error.InvalidDataError as e:
        raise ValueError(f"damaged or truncated {fmt} data (it does not decode)") from e
    except av.error.FFmpegError as e:
        raise ValueError(f"{fmt} data of a kind FFmpeg cannot decode ({e.strerror})") from e
    if not frames:
        raise ValueError(f"damaged or truncated {fmt} data (it does not decode)")
    pixels, alpha = _split(frames[0])
    return pixels, alpha, _psd_channels_left(data[:26]) if fmt == "psd" and alpha is None else None


def decode_tiff(data: bytes) -> np.ndarray | None:
    """A TIFF's first page as FFmpeg's decoder reads it, in OpenCV's layout (gray, gray and
    alpha, BGR or BGRA; 8 or 16 bits), for the TIFFs OpenCV refuses that FFmpeg reads
    right: gray or palette of 2 or 4 bits (an early scanner's or fax tool's; the caller
    asks for no others: FFmpeg decodes ImageMagick's 16-bit floats wrongly); as stored, not
    turned. None where FFmpeg cannot decode it either."""
    import av

    try:
        frames = decode_packet("tiff", data)
    except av.error.FFmpegError:
        return None
    if not frames:
        return None
    pixels, alpha = _split(frames[0])
    if pixels.ndim == 3:
        pixels = pixels[..., ::-1]
    if alpha is None:
        return np.ascontiguousarray(pixels)
    planes = [pixels] if pixels.ndim == 2 else [pixels[..., k] for k in range(3)]
    return np.stack([*planes, alpha], -1)


def _psd_runs_mended(data: bytes) -> bytes | None:
    """A Photoshop file's run-length (PackBits) picture without the no-op code (128) that
    ImageMagick ends each row with: FFmpeg's decoder, which reads the rows one after another,
    refuses it ("Invalid rle char"), so every RLE file ImageMagick wrote failed. The rows
    and their byte counts are written again without it; None where there is none, or the
    picture is not run-length coded, or the file does not add up."""
    try:
        channels, h = struct.unpack_from(">HI", data, 12)
        at = 26
        for _ in range(3):  # colour mode data, image resources, layers and masks
            at += 4 + struct.unpack_from(">I", data, at)[0]
        if struct.unpack_from(">H", data, at)[0] != 1:
            return None
        rows = channels * h
        counts = np.frombuffer(data, ">u2", rows, at + 2).tolist()
    except (struct.error, ValueError):
        return None
    pos = at + 2 + 2 * rows
    out, new_counts, dropped = bytearray(), [], 0
    for count in counts:
        end, row = min(pos + count, len(data)), bytearray()
        while pos < end:
            code = data[pos]
            size = 0 if code == 128 else code + 2 if code < 128 else 2
            row += data[pos : pos + size]
            pos += max(size, 1)
        dropped += count - len(row)
        new_counts.append(len(row))
        out += row
    if not dropped or pos > len(data):
        return None
    table = np.asarray(new_counts, ">u2").tobytes()
    return data[:at] + b"\x00\x01" + table + bytes(out) + data[pos:]


def _targa_gray_alpha(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """A Targa of gray and alpha (image type 3, or 11 run-length coded; 16 bits a pixel),
    which FFmpeg's decoder read as RGB555, without a word: (gray, alpha), upright; no alpha
    where its descriptor gives the second byte no attribute bits."""
    w, h = struct.unpack_from("<HH", data, 12)
    entries, entry_bits = struct.unpack_from("<HB", data, 5)
    at = 18 + data[0] + (entries * ((entry_bits + 7) // 8) if data[1] else 0)
    n, desc = w * h, data[17]
    short = ValueError("damaged or truncated targa data (it ends inside its picture)")
    if data[2] == 3:
        if len(data) < at + 2 * n:
            raise short
        px = np.frombuffer(data, np.uint8, 2 * n, at).reshape(n, 2)
    else:
        px, i = np.empty((n, 2), np.uint8), 0
        while i < n:  # packets: a run of one pixel, or that many pixels as they are
            if at >= len(data):
                raise short
            count, run = min((data[at] & 0x7F) + 1, n - i), data[at] & 0x80
            size = 2 if run else 2 * count
            if at + 1 + size > len(data):
                raise short
            px[i : i + count] = np.frombuffer(data, np.uint8, size, at + 1).reshape(-1, 2)
            i, at = i + count, at + 1 + size
    px = px.reshape(h, w, 2)
    px = px if desc & 0x20 else px[::-1]  # stored from the bottom row up unless it says
    px = px[:, ::-1] if desc & 0x10 else px
    gray = np.ascontiguousarray(px[..., 0])
    return gray, np.ascontiguousarray(px[..., 1]) if desc & 0x0F else None


def decode_packet(
    codec: str, data: bytes, extradata: bytes | None = None, options: dict | None = None
) -> list:
    """The frames FFmpeg's ``codec`` decodes from one packet of ``data`` (and its flush),
    with the decoder's ``options`` (a Photo CD's lowres).

    The packet's bytes are copied into a buffer FFmpeg owns: a packet over Python's bytes is
    freed by a call back into Python, and where a decoder's worker thread let go of it last
    (dav1d, after a damaged tile) while the freeing of the decoder waited for that thread
    with the interpreter held, the two waited on each other for ever (seen after 56 damaged
    AVIFs in a row). Raises PyAV's FFmpegError."""
    import av

    cc = av.CodecContext.create(codec, "r")
    if extradata:
        cc.extradata = extradata
    if options:
        cc.options = options
    packet = av.Packet(len(data))
    memoryview(packet)[:] = data
    return [*cc.decode(packet), *cc.decode(None)]


def gray_alpha_jp2(data: bytes) -> np.ndarray | None:
    """A JPEG 2000 of gray and alpha, which OpenCV does not read, as FFmpeg decodes it:
    (H, W, 2) uint8 or uint16 gray and alpha; None for any other JPEG 2000, or one that does
    not decode (left to OpenCV's word)."""
    import av

    try:
        frames = decode_packet("jpeg2000", data)
    except av.error.FFmpegError:
        return None
    if not frames or frames[0].format.name not in ("ya8", "ya16le"):
        return None
    frame = frames[0]
    dtype = np.dtype(np.uint8 if frame.format.name == "ya8" else "<u2")
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype).reshape(frame.height, plane.line_size // dtype.itemsize)
    pairs = rows[:, : 2 * frame.width].reshape(frame.height, frame.width, 2)
    return pairs.astype(dtype.newbyteorder("="))


def _split(frame) -> tuple[np.ndarray, np.ndarray | None]:
    """A decoded frame as gray or RGB of 8 or 16 bits, and its alpha."""
    name = frame.format.name
    deep = frame.format.components[0].bits > 8
    alpha = any(c.is_alpha for c in frame.format.components)
    if name.startswith(("gray", "ya", "monow", "monob")):
        a = frame.to_ndarray(format=("ya16le" if deep else "ya8") if alpha else _GRAY[deep])
        if alpha:
            return np.ascontiguousarray(a[..., 0]), np.ascontiguousarray(a[..., 1])
        return a, None
    if alpha:
        a = frame.to_ndarray(format="rgba64le" if deep else "rgba")
        return np.ascontiguousarray(a[..., :3]), np.ascontiguousarray(a[..., 3])
    rgb = frame.to_ndarray(format="rgb48le" if deep else "rgb24")
    if frame.format.has_palette and (rgb[..., :1] == rgb).all():  # a gray palette: gray
        return np.ascontiguousarray(rgb[..., 0]), None
    return rgb, None


__all__ = [
    "FF_BMP",
    "FF_FORMATS",
    "FF_STILLS",
    "decode_ff_still",
    "decode_packet",
    "decode_tiff",
    "gray_alpha_jp2",
    "probe_ff_still",
]
