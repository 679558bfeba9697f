"""Everything of the input's in a film's output besides the pictures: audio, subtitle and data
streams, copied packet for packet where the container takes the codec (audio transcoded, text
subtitles written again, where it does not), each with its language, title and flags; the
rest the output carries (tags, chapters, attachments) is :mod:`colorcli.carried`'s. No model,
no video frames."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import av

from colorcli.carried import (
    carry_global_tags,
    carry_tags,
    copy_attachments,
    copy_chapters,
    left_out,
    section_timecode,
)
from colorcli.languages import mov_language
from colorcli.leadin import silent_frame, silent_packets
from colorcli.soundout import Resampling, SoundClock, mono_frames, remake_for
from colorcli.subtitles import TEXT_TARGET, Retext, can_retext
from colorcli.videoprobe import film_stream

# audio codecs each container takes as a packet copy; FFmpeg's own list is wider than what
# writes a valid file (PCM in MP4 fails at the trailer), so MP4, MOV, AVI and WebM are explicit
AUDIO_COPY = {
    "mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    # QuickTime's own sound: every PCM it names (8-bit, integer to 32, float), A-law, mu-law
    "mov": {"aac", "mp3", "ac3", "eac3", "alac", "pcm_u8", "pcm_s8", "pcm_alaw", "pcm_mulaw"}
    | {f"pcm_{k}{e}" for k in ("s16", "s24", "s32", "f32", "f64") for e in ("le", "be")},
    "avi": {"mp2", "mp3", "ac3", "pcm_s16le", "pcm_s24le", "pcm_u8"},
    "webm": {"opus", "vorbis"},
    "mpegts": {"aac", "mp2", "mp3", "ac3", "eac3", "opus"},
    "mxf": {"pcm_s16le", "pcm_s24le"},
}
# a copy some containers refuse below a sample rate (MP4: MP3 under 16 kHz, as old cameras
# and phones recorded it, failed the whole film with 'Invalid argument')
_COPY_MIN_RATE = {("mp4", "mp3"): 16000}
# containers whose sound packets carry no times of their own to copy: RealMedia times a block
# of interleaved packets (cook, sipr, atrac3, AAC) by its first, and FFmpeg's own .rm files
# time every sound packet 0; their sound is decoded and timed by its samples
UNTIMED_SOUND = {"rm"}


def in_window(t: float | None, window: tuple[float | None, float | None]) -> bool:
    """Whether ``t`` seconds (None: no time, taken) is within --start/--end."""
    start, end = window
    return t is None or not (
        (start is not None and t < start - 1e-6) or (end is not None and t >= end - 1e-6)
    )


def passthrough_items(
    passthrough: dict[int, Callable | None], packet: av.Packet, window: tuple
) -> Iterator[tuple[str, int, Any]]:
    """What one packet of a stream the output keeps gives, within the --start/--end
    ``window`` (seconds): ``("packet", index, packet)`` where it is copied (a packet without
    a decode time is not: it cannot be placed), ``("audio", index, frame)`` for each frame of
    a transcoded track, kept by the times ``SoundClock`` gives them. A packet timed outside
    the window is not decoded, but where its container's sound times are not to be trusted
    (RealMedia: all its packets are decoded, the frames' times made from their samples)."""
    idx = packet.stream.index
    t = float(packet.pts * packet.time_base) if packet.pts is not None else None
    timed = passthrough[idx]
    if timed is None:
        if packet.dts is not None and in_window(t, window):
            yield ("packet", idx, packet)
        return
    if timed.trusted and not in_window(t, window):
        return  # (a 2-hour film's sound before --start 1:00:00 is not decoded)
    for af in packet.decode():
        for rf in timed(af):
            if in_window(float(rf.pts * rf.time_base) if rf.pts is not None else None, window):
                yield ("audio", idx, rf)


def _rising(p: av.Packet, last: dict[int, int]) -> None:
    """A copied packet put in its output stream's time base, its decode time after the one
    before it in that stream (moved on by one tick where not, as ffmpeg does): a muxer
    refuses a time that does not rise ("Invalid argument"), and one such packet (the last of
    GStreamer's FLV sound, timed as the one before it) failed the whole film into .mp4."""
    st = p.stream
    if p.dts is None or p.time_base is None or st.time_base is None:
        return
    ratio = p.time_base / st.time_base
    dts, pts = round(p.dts * ratio), None if p.pts is None else round(p.pts * ratio)
    duration = round(p.duration * ratio) if p.duration else p.duration
    before = last.get(st.index)
    if before is not None and dts <= before:
        dts = before + 1
        pts = None if pts is None else max(pts, dts)
    p.time_base = st.time_base
    p.dts, p.pts, p.duration = dts, pts, duration
    last[st.index] = dts


class StreamCopies:
    """The input's audio, subtitle and data streams in an output: copied packet for packet
    where the container takes the codec, audio transcoded where it does not (aac; opus for
    webm; PCM for avi and mxf), text subtitles written again in the container's text codec,
    the rest dropped; each decision a notice. An audio track the input never sent (no rate,
    no channels) is left out. ``passthrough``: stream index -> None (packets copied) or the
    resampler its decoded audio goes through. ``film``: the output's video stream, which takes
    the film stream's tags. ``window``: the --start/--end seconds that chapters are clipped
    to; a section starts at its own timecode. ``audio_origin``: see ``_lead_in``."""

    def __init__(
        self,
        out,
        inp: av.container.InputContainer,
        fmt: str,
        ext: str,
        film=None,
        window: tuple[float | None, float | None] = (None, None),
    ) -> None:
        self.out, self.notices = out, []
        self.copy_map: dict[int, Any] = {}
        # index -> the tracks its sound is made again into: one, or one mono track per channel
        self.transcode: dict[int, list] = {}
        self.split: dict[int, str] = {}  # those split per channel -> their frames' format
        self.retext: dict[int, Retext] = {}  # text subtitles written again in another codec
        # AVI times no sound: where its frame clock starts (seconds), a transcoded track
        # that starts later is led by silence (set by the writer; None elsewhere)
        self.audio_origin: float | None = None
        self._sounding: set[int] = set()  # sound tracks whose first frame or packet has gone
        self._copied_sound: set[int] = set()
        self._last_dts: dict[int, int] = {}  # output stream index -> its last packet's dts
        self.passthrough: dict[int, Callable | None] = {}
        video = film_stream(inp)
        self._untimed = inp.format.name in UNTIMED_SOUND
        timecode = None
        if film is not None:
            carry_tags(film, video)
            timecode = video.metadata.get("timecode") or inp.metadata.get("timecode")
        for s in inp.streams:
            if s.type == "data" and timecode and s.metadata.get("timecode") == timecode:
                continue  # a timecode track: the muxer makes it again from the film's tag
            if s.index != video.index and s.type in ("audio", "subtitle", "data"):
                self._add(s, fmt, ext)
            elif s.index != video.index and s.type == "video":
                self.notices.append(left_out(s, video.index))
        carry_global_tags(out, inp)
        if timecode and window[0] is not None:
            self.notices += section_timecode(out, film, video, timecode, window[0])
        if fmt == "mov":  # its language codes are Macintosh ones (colorcli.languages)
            made = [t for ts in self.transcode.values() for t in ts]
            for st in [film, *self.copy_map.values(), *made]:
                with contextlib.suppress(AttributeError, ValueError, TypeError):
                    if st is not None and st.metadata.get("language"):
                        st.metadata["language"] = mov_language(st.metadata["language"])
        self.notices += copy_chapters(out, inp, fmt, ext, window)
        self.notices += copy_attachments(out, inp, fmt, ext)

    def _add(self, s, fmt: str, ext: str) -> None:
        # the codec's own name, not its decoder's (MPEG audio decodes with "mp3float")
        cc = s.codec_context
        name = (getattr(cc.codec, "canonical_name", None) or cc.name) if cc is not None else None
        if s.type == "audio" and cc is not None and not (cc.sample_rate and cc.layout.channels):
            # a track a broadcast lists but never sends: no rate, no channels, no packets
            # (the muxer refused the whole film for it: 'Invalid argument')
            self.notices.append(
                f"audio stream {s.index} ({name}) left out: the input holds none of its sound"
            )
            return
        supported = self.out.supported_codecs
        # FFmpeg's own list is incomplete for some muxers (MPEG-TS): ours, where we have one.
        # Its list names decoders: a Blu-ray's hdmv_pgs_subtitle is "pgssub" there, a DVD's
        # dvd_subtitle "dvdsub" (by the codec's name alone they were dropped from Matroska)
        ok = (
            name in AUDIO_COPY[fmt]
            if s.type == "audio" and fmt in AUDIO_COPY
            else name in supported or (cc is not None and cc.name in supported)
        )
        if s.type == "audio" and fmt == "mxf":
            ok = ok and s.codec_context.sample_rate == 48000  # MXF takes 48 kHz PCM only
        if s.type == "audio" and (fmt, name) in _COPY_MIN_RATE:
            ok = ok and s.codec_context.sample_rate >= _COPY_MIN_RATE[fmt, name]
        untimed = s.type == "audio" and self._untimed
        ok = ok and not untimed
        if name and ok:
            try:
                self.copy_map[s.index] = self.out.add_stream_from_template(s)
                carry_tags(self.copy_map[s.index], s)
                self.passthrough[s.index] = None
                if s.type == "audio":
                    self._copied_sound.add(s.index)
                return
            except (ValueError, av.error.FFmpegError):
                pass
        if s.type == "subtitle" and self._retext(s, fmt, ext, name):
            return
        if s.type != "audio" or s.codec_context is None:
            self.notices.append(
                f"{s.type} stream {s.index} ({name or 'of a kind FFmpeg does not name'}) dropped: not supported by .{ext}"
            )
            return
        self._remake(s, fmt, ext, name, untimed)

    def _remake(self, s, fmt: str, ext: str, name: str | None, untimed: bool) -> None:
        """Audio the container cannot copy (or RealMedia's, ``untimed``), made again
        (``colorcli.soundout``): one track, or one mono track per channel; with its notice."""
        r = remake_for(s.codec_context, name, fmt)
        made = []
        for k in range(r.tracks):
            a = self.out.add_stream(r.codec, rate=r.rate)
            a.layout, a.format = r.layout, r.format
            carry_tags(a, s)
            if r.tracks > 1:  # one mono track per channel: each says which it is
                a.metadata["title"] = (
                    f"{s.metadata.get('title') or 'channel'} {k + 1} of {r.tracks}"
                )
            made.append(a)
        # split: interleaved, for ``mono_frames``
        fmt_in = av.AudioFormat(r.format).packed.name if r.tracks > 1 else r.format
        resampler = Resampling(
            fmt_in, r.layout if r.tracks == 1 else s.codec_context.layout, r.rate
        )
        self.transcode[s.index] = made
        if r.tracks > 1:
            self.split[s.index] = r.format
        self.passthrough[s.index] = SoundClock(resampler, trusted=not untimed)
        how = f"transcoding to {r.codec}{' (lossless)' if r.lossless else ''}"
        if r.relabel:
            how = f"{how}, its channels kept, the layout {r.relabel}"
        if r.tracks > 1:
            n = r.tracks
            how = f"{how}, each of its {n} channels a mono track of its own (no {n}-channel layout .{ext}'s {r.codec} takes)"
        self.notices.append(
            f"audio stream {s.index} ({name}): RealMedia gives its packets no times of their own: {how}, timed by its samples"
            if untimed
            else f"audio stream {s.index} ({name}) cannot be copied into .{ext}: {how}"
        )

    def _retext(self, s, fmt: str, ext: str, name: str | None) -> bool:
        """Text subtitles the container cannot copy, written again in the text codec it
        takes (``colorcli.subtitles``); False where that cannot be."""
        if not can_retext(s, fmt):
            return False
        try:
            retext = Retext(self.out, s, fmt)
        except (ValueError, av.error.FFmpegError):
            return False
        carry_tags(retext.stream, s)
        self.copy_map[s.index], self.retext[s.index] = retext.stream, retext
        self.passthrough[s.index] = None
        self.notices.append(
            f"subtitle stream {s.index} ({name}) cannot be copied into .{ext}: converted to {TEXT_TARGET[fmt]} (the words and times kept; styling may not be)"
        )
        return True

    def mux(self, kind: str, idx: int, item) -> None:
        """A ("packet", index, packet) or ("audio", index, frame) item of the reader's."""
        if kind == "packet":
            if idx in self.retext and (item := self.retext[idx](item)) is None:
                return
            if idx in self._copied_sound and idx not in self._sounding:
                self._sounding.add(idx)
                self._copy_lead_in(idx, item)
            item.stream = self.copy_map[idx]
            self.out.start_encoding()  # the header written: the stream's own time base set
            _rising(item, self._last_dts)
            self.out.mux(item)
        else:
            if idx not in self._sounding:
                self._sounding.add(idx)
                self._lead_in(idx, item)
            tracks = self.transcode[idx]
            frames = mono_frames(item, self.split[idx]) if idx in self.split else [item]
            for st, frame in zip(tracks, frames, strict=True):
                for p in st.encode(frame):
                    self.out.mux(p)

    def _gap(self, first) -> float:
        """Seconds from ``audio_origin`` (AVI: where its frame clock starts) to a track's
        first packet or frame; 0 elsewhere (the pictures would otherwise lead the sound by
        that much, as AVI plays every track from the file's start)."""
        if self.audio_origin is None or first.pts is None or first.time_base is None:
            return 0.0
        return float(first.pts * first.time_base) - self.audio_origin

    def _lead_in(self, idx: int, first) -> None:
        """Silence before a transcoded track's first frame (``_gap``)."""
        a = self.transcode[idx][0].codec_context  # (AVI's PCM: one track, never split)
        silence = silent_frame(a, round(self._gap(first) * a.sample_rate))
        if silence is not None:
            for p in self.transcode[idx][0].encode(silence):
                self.out.mux(p)

    def _copy_lead_in(self, idx: int, first: av.Packet) -> None:
        """Silence before a copied track's first packet (``_gap``), in packets of its own
        codec (``colorcli.leadin.silent_packets``)."""
        gap, rate = self._gap(first), first.stream.codec_context.sample_rate
        silence = silent_packets(first.stream, gap) if gap > 0 else []
        if not silence:
            return
        tb, end = first.time_base, first.pts
        # their times: spread before the first packet's, from no earlier than the origin
        # (AVI counts their samples; its muxer wants times that rise, and none below 0)
        at = max(
            end - round(sum(n for _, n in silence) / rate / tb), math.ceil(self.audio_origin / tb)
        )
        if end - at < len(silence):
            return
        for k, (data, samples) in enumerate(silence):
            p = av.Packet(data)
            p.time_base = tb
            p.pts = p.dts = at + (end - at) * k // len(silence)
            p.duration = round(samples / rate / tb)
            p.stream = self.copy_map[idx]
            self.out.mux(p)

    def flush(self) -> None:
        for a in (t for ts in self.transcode.values() for t in ts):
            for p in a.encode(None):
                self.out.mux(p)
