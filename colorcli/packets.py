"""A film's packets read in order: the demuxer carried past its "try again" answers and past
empty packets, where the packets end, decode times that step back (recordings joined), an
AVI's empty chunks, and what shows a file damaged. No decoding, no pictures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av

from colorcli.errors import TimesRestart

_AGAIN_LIMIT = 10_000  # "try again" answers in a row before a demuxer is taken as stuck


_DECODED_KINDS = ("video", "audio")  # streams whose empty timed packets are passed over


def demux(c: av.container.InputContainer, *streams) -> Iterator[av.Packet]:
    """``c.demux(*streams)``, carried on where the demuxer asks to be called again (EAGAIN:
    MPEG-TS resyncing past damaged bytes) instead of ending the film there. An empty video
    or audio packet that has a time is passed over (VLC ends an Ogg film with one): given to
    a decoder, it was taken for the end of the stream and the next call failed, an
    'undecodable packet' that called a whole film damaged. The last of each stream (no
    time: the decoder's flush) is kept, and so are empty subtitle packets (a cue's end)."""
    again = 0
    while True:
        try:
            for p in c.demux(*streams):
                again = 0
                timed = p.pts is not None or p.dts is not None
                if not p.size and timed and p.stream.type in _DECODED_KINDS:
                    continue
                yield p
            return
        except av.error.BlockingIOError:
            again += 1
            if again > _AGAIN_LIMIT:
                raise


JUMP_BACK = 0.25  # seconds a film's decode times may not step back by (a restart: clips joined)


def end_film(p: av.Packet, top: int, shown: int, last_dts: int | None) -> None:
    """A film's last picture shown ``shown`` ticks: its packet (pts ``top``) given that
    duration, as Matroska ends a film where its last picture's does; the last packet in decode
    order (``last_dts``) made to end there too, as MP4 and MOV end it where that packet does
    (a picture's duration there is the step to the next decode time)."""
    if p.pts == top:
        p.duration = max(p.duration or 0, shown)
    if last_dts is not None and p.dts == last_dts and p.pts is not None:
        p.duration = max(p.duration or 0, top + shown - p.pts)


def later_end(end: float | None, packet: av.Packet) -> float | None:
    """``end`` (seconds where a file's packets end so far), or where ``packet`` ends (its pts
    plus its duration) if that is later; a packet without a pts leaves it."""
    if packet.pts is None or packet.time_base is None:
        return end
    t = float((packet.pts + (packet.duration or 0)) * packet.time_base)
    return t if end is None or t > end else end


def check_continuous(src: Path, packet: av.Packet, last: int | None) -> int | None:
    """The packet's dts, if it does not step back more than ``JUMP_BACK`` from ``last``; a
    film whose times restart (recordings joined byte for byte, as transport streams allow)
    cannot be kept in time as one film: MediaError naming where."""
    dts = packet.dts
    if dts is None or packet.time_base is None:
        return last
    if steps_back(packet, last):
        back, at = float((last - dts) * packet.time_base), float(last * packet.time_base)
        raise TimesRestart(src, at, back)
    return dts if last is None else max(last, dts)


class EmptyChunks:
    """An AVI's empty video chunks: a capture's dropped frames (VirtualDub, capture cards
    write one where a frame came too late) and FFmpeg's fill for the ticks a film of variable
    rate skips; MEncoder's before the first picture, one for each frame its encoder held
    back). The demuxer passes over them and its count of frames does not: each holds the
    picture before it, or, before the first, shows none, as the film itself does; none is a
    frame lost. ``see`` each video packet in file order; ``count`` is how many were passed
    over before and between them (an AVI's dts counts its chunks from its start)."""

    def __init__(self, c: av.container.InputContainer) -> None:
        self.on = c.format.name == "avi"
        self.count = 0
        self._last: int | None = None

    def see(self, packet: av.Packet) -> None:
        if not (self.on and packet.size and packet.dts is not None):
            return
        if self._last is None:  # chunks before the first picture (MEncoder's)
            self.count += max(0, packet.dts - (packet.stream.start_time or 0))
        elif packet.dts > self._last + 1:
            self.count += packet.dts - self._last - 1
        self._last = max(packet.dts, self._last if self._last is not None else packet.dts)


# bytes between the end of one Matroska block and the start of the next beyond which the
# demuxer is taken to have passed over damage: a cluster's and a block's headers (with a
# CRC-32) take under 30; on files damaged at random places (zeros, noise, a cut: x264,
# FFV1, MJPEG, VP8) whose frames then had holes, the smallest bytes passed over were 345
SKIP_BYTES = 256


def shows_damage(path: Path) -> bool | None:
    """Whether reading a film's file shows damage: a packet its demuxer marks as corrupt
    (an MPEG-TS continuity error), a read that fails, or, in Matroska and WebM, bytes its
    demuxer passed over between blocks (resyncing past damage) or a file shorter than its
    Segment says (bytes cut out). None for another container, or a file that does not open
    (nothing said). The packets of a laced block (several sound frames in one block, as
    mkvmerge writes them) share its position: their sizes are added."""
    try:
        c = av.open(str(path))
    except (av.error.FFmpegError, OSError):
        return None
    with c:
        name = c.format.name
        matroska = "matroska" in name
        if not (matroska or name == "mpegts"):
            return None
        if matroska and _segment_cut(path):
            return True
        at, end = -1, 0
        try:
            for p in demux(c):
                if p.is_corrupt:
                    return True
                if not matroska or p.pos is None or p.pos < 0 or not p.size:
                    continue
                if p.pos == at:  # the next frame of a laced block
                    end += p.size
                    continue
                if at >= 0 and p.pos - end > SKIP_BYTES:
                    return True
                at, end = p.pos, p.pos + p.size
        except av.error.FFmpegError:
            return True
    return False


def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length number at ``data[i]``: (value, the index after it); an ID keeps
    its length marker, a size does not (all ones: unknown, -1). None where it does not fit."""
    if i >= len(data) or not data[i]:
        return None
    n = 9 - data[i].bit_length()
    if i + n > len(data):
        return None
    v = int.from_bytes(data[i : i + n], "big")
    if keep_marker:
        return v, i + n
    v &= (1 << (7 * n)) - 1
    return (-1 if v == (1 << (7 * n)) - 1 else v), i + n


def _segment_cut(path: Path) -> bool:
    """Whether a Matroska file is shorter than its Segment says it is (bytes cut out of it,
    or its end lost): the Segment's size is written when the file is finished; a live
    recording's is unknown, and says nothing."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return False
    ebml = _vint(head, 0, True)
    if ebml is None or ebml[0] != 0x1A45DFA3:
        return False
    length = _vint(head, ebml[1], False)
    if length is None or length[0] < 0:
        return False
    seg = _vint(head, length[1] + length[0], True)
    if seg is None or seg[0] != 0x18538067:
        return False
    seg_size = _vint(head, seg[1], False)
    return seg_size is not None and seg_size[0] >= 0 and size < seg_size[1] + seg_size[0]


def steps_back(packet: av.Packet, last: int | None) -> bool:
    """Whether ``packet``'s dts steps back more than ``JUMP_BACK`` from ``last`` (the latest
    dts of its stream so far): where recordings joined into one file restart their clock."""
    dts = packet.dts
    if dts is None or last is None or packet.time_base is None:
        return False
    return float((last - dts) * packet.time_base) > JUMP_BACK
