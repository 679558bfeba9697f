"""Silence that leads a sound track starting after the pictures into an AVI, which times no
sound (its tracks play from the file's start): decoded silence for a transcoded track, packets
of the track's own codec for a copied one (a VOB's AC-3 or MP2, an MP3, a capture's PCM). No
model, no video."""

from __future__ import annotations

import av
import numpy as np

_SAMPLE_TYPES = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "flt": np.float32,
    "dbl": np.float64,
}
# the encoder that writes silence in a copied codec AVI takes (AUDIO_COPY["avi"] beside PCM)
_ENCODERS = {"mp2": "mp2", "mp3": "libmp3lame", "ac3": "ac3"}


def silent_frame(cc, samples: int) -> av.AudioFrame | None:
    """``samples`` of silence in the sample format, layout and rate of the codec context
    ``cc``; None for a format numpy cannot hold."""
    kind = _SAMPLE_TYPES.get(cc.format.name.rstrip("p"))
    if kind is None or samples <= 0:
        return None
    channels = len(cc.layout.channels)
    shape = (channels, samples) if cc.format.is_planar else (1, samples * channels)
    quiet = np.full(shape, 128 if kind == np.uint8 else 0, kind)  # unsigned 8-bit: 128
    frame = av.AudioFrame.from_ndarray(quiet, format=cc.format.name, layout=cc.layout.name)
    frame.sample_rate = cc.sample_rate
    return frame


def silent_packets(stream, seconds: float) -> list[tuple[bytes, int]]:
    """Packets of the input audio ``stream``'s own codec that sound ``seconds`` of silence,
    each with its length in samples: PCM's zero bytes to the sample; for MP2, MP3 and AC-3
    whole frames of the codec (within half a frame). [] where the codec has no encoder here,
    or the gap is under half a frame."""
    cc = stream.codec_context
    name = getattr(cc.codec, "canonical_name", None) or cc.name
    rate, channels = cc.sample_rate, len(cc.layout.channels)
    if not rate or not channels or seconds <= 0:
        return []
    if name.startswith("pcm_"):
        bits = av.AudioFormat(cc.format.name).bits if cc.format is not None else 16
        samples = round(seconds * rate)
        fill = b"\x80" if name == "pcm_u8" else b"\x00"
        return [(fill * (samples * channels * bits // 8), samples)] if samples else []
    if name not in _ENCODERS:
        return []
    try:
        enc = av.CodecContext.create(_ENCODERS[name], "w")
        enc.sample_rate, enc.layout = rate, cc.layout.name
        enc.format = enc.codec.audio_formats[0].name
        if cc.bit_rate:
            enc.bit_rate = cc.bit_rate
        enc.open()
        size = enc.frame_size or 1152
        count = round(seconds * rate / size)
        packets: list[tuple[bytes, int]] = []
        # an encoder holds its first frames back (MP3's delay): feed until enough come out
        for _ in range(count + 8):
            if len(packets) >= count:
                break
            frame = silent_frame(enc, size)
            if frame is None:
                return []
            packets += [(bytes(p), size) for p in enc.encode(frame)]
        return packets[:count]
    except (av.error.FFmpegError, ValueError, TypeError, AttributeError, IndexError):
        return []
