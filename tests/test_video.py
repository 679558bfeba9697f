"""colorize video: fidelity (frames, pts, time_base, size, rotation, audio bytes), smoothing,
scene cuts, metrics, and every error path of the command."""

import dataclasses
import json
import re
import signal
import struct
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.events import Notice, VideoDone
from colorcli.filmsteady import TemporalSmoother
from colorcli.kernels import rgb_to_lab
from colorcli.metrics import SceneCutDetector, TemporalMeter, js_divergence, lightness_histogram
from colorcli.options import CONTAINER_CODECS, VideoOptions
from colorcli.pixelaspect import carry_pixel_aspect, write_pixel_aspect
from colorcli.timecode import shift_timecode
from colorcli.video import colorize_video, prepare_video, probe_video
from tests import procs
from tests.media import field_order_of, make_clip, read_clip


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def colorizer(tiny_ckpt):
    return Colorizer(tiny_ckpt, device="cpu", batch_size=4)


def _colorize(colorizer, src, dst, **kw):
    return list(colorize_video(prepare_video(src, dst, VideoOptions(**kw), True), colorizer))


@pytest.mark.parametrize(
    "name,kw",
    [
        ("even.mp4", {}),
        ("odd.mp4", {"size": (47, 63)}),
        ("rotated.mp4", {"rotation": 90}),
        (
            "vfr.mkv",
            {
                "pts": [0, 3, 4, 10, 11, 19, 20, 33, 34, 40],
                "n": 10,
                "time_base": Fraction(1, 30),
                "rate": 30,
            },
        ),
        ("anamorphic.mkv", {"sar": Fraction(32, 27)}),  # DV, DVD: non-square pixels
        ("anamorphic.mov", {"sar": Fraction(8, 9), "audio": "pcm_s16le"}),  # PCM stays PCM
        (
            "gops.ts",
            {
                "n": 40,
                "gop": 10,
                "codec": "mpeg2video",
                "time_base": Fraction(1, 25),
                "audio": "mp2",
            },
        ),  # broadcast
        (
            "interlaced.ts",
            {"n": 20, "codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": "mp2",
             "fields": "tff"},
        ),  # tape and broadcast: fields, top first
        ("interlaced.mkv", {"fields": "bff"}),  # DV: bottom first
    ],
)  # fmt: skip
def test_fidelity(tmp_path, colorizer, name, kw):
    src = make_clip(tmp_path / name, **kw)
    dst = tmp_path / ("out_" + name)
    events = _colorize(colorizer, src, dst)
    assert isinstance(events[-1], VideoDone) and events[-1].path == str(dst)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert not [n for n in notices if "damaged" in n or "transcoding" in n], notices
    a, b = read_clip(src), read_clip(dst)
    assert b["sar"] == a["sar"]
    assert field_order_of(dst) == field_order_of(src) == kw.get("fields", "")
    assert len(b["pts"]) == len(a["pts"])
    # MPEG-TS shifts every stream alike so that no decode time is negative
    shift = b["pts"][0] - a["pts"][0] if name.endswith(".ts") else 0
    assert b["pts"] == [p + shift for p in a["pts"]]
    assert b["time_base"] == a["time_base"]
    assert (b["width"], b["height"]) == (a["width"], a["height"])
    assert b["rotation"] == a["rotation"]
    assert b["audio"] == a["audio"] and len(a["audio"]) > 5  # packet for packet, bytes identical
    for fa, fb in zip(a["frames"], b["frames"], strict=True):  # L kept, up to codec loss
        assert np.abs(rgb_to_lab(fa)[..., 0] - rgb_to_lab(fb)[..., 0]).mean() < 2.0
    chroma = np.hypot(*np.moveaxis(rgb_to_lab(b["frames"][-1])[..., 1:], -1, 0)).mean()
    assert chroma > 5.0  # it is colour now


def _shown_ratio(path) -> Fraction | None:
    """The sample aspect ratio a player takes: the container's, else the codec's."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.sample_aspect_ratio or s.codec_context.sample_aspect_ratio


@pytest.mark.parametrize(
    "codec,ext",
    [
        ("prores", ".mov"), ("libx265", ".mkv"), ("libx264", ".ts"),
        ("ffv1", ".mkv"), ("prores", ".mkv"), ("libvpx-vp9", ".webm"), ("ffv1", ".avi"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("segments", [0, 5])
def test_non_square_pixels_stay_so(tmp_path, colorizer, codec, ext, segments):
    """DV and DVD pixels are not square. H.264 and H.265 say so themselves; beside ProRes,
    FFV1 and VP9 the container must, and Matroska, WebM and AVI get it written in after the
    muxer (which cannot be told through PyAV), by one encode and by the join alike."""
    src = make_clip(tmp_path / "in.mp4", sar=Fraction(32, 27), audio="aac")
    dst = tmp_path / f"out{ext}"
    events = _colorize(colorizer, src, dst, codec=codec, segment_seconds=segments)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert not [n for n in notices if "aspect" in n], notices
    # WebM gives the display width in whole pixels: 64 x 32/27 shows as 76 wide
    tolerance = 0.01 if ext == ".webm" else 0
    assert abs(_shown_ratio(dst) / Fraction(32, 27) - 1) <= tolerance
    a, b = read_clip(src), read_clip(dst)
    assert len(b["frames"]) == len(a["frames"]) and len(b["audio"]) > 5
    if ext == ".ts":  # its clock starts at 1.4 s; nothing was written into it afterwards
        return
    with av.open(str(dst)) as c:  # seeking still finds its frames (the index was not moved)
        v = c.streams.video[0]
        c.seek(int(0.5 / v.time_base), stream=v)
        assert next(c.decode(v)).pts is not None


def test_pixel_shape_kept_by_the_container_alone_reaches_the_output(tmp_path, colorizer):
    """A ProRes master from an editor holds its pixel shape in the MOV only (the codec says
    nothing): the coloured H.264 says it too."""
    src = make_clip(tmp_path / "master.mov", codec="prores_ks", pix_fmt="yuv422p10le",
                    sar=Fraction(64, 45), audio=None)  # fmt: skip
    with av.open(str(src)) as c:
        assert not c.streams.video[0].codec_context.sample_aspect_ratio  # in the container only
    dst = tmp_path / "out.mp4"
    _colorize(colorizer, src, dst, segment_seconds=0)
    assert _shown_ratio(dst) == Fraction(64, 45)


def _level1(b: bytes, at: int) -> list[tuple[int, int]]:
    """(first byte of the id, start) of a Matroska segment's elements from ``at`` to the first
    cluster."""
    out = []
    while b[at] != 0x1F:
        n = 9 - b[at].bit_length()  # the id's length
        m = 9 - b[at + n].bit_length()  # the size's
        size = int.from_bytes(b[at + n : at + n + m], "big") & ((1 << (7 * m)) - 1)
        out.append((b[at], at))
        at += n + m + size
    return out


def test_a_matroska_file_without_padding_is_left_as_it_is(tmp_path):
    """The ratio goes in only where the muxer left room before the first cluster (an EBML
    Void); a file with none is left byte for byte, and the caller says so."""
    src = make_clip(tmp_path / "in.mkv", n=3, codec="ffv1", audio=None)
    data = bytearray(src.read_bytes())
    voids = [at for first, at in _level1(data, 52) if first == 0xEC]  # the segment's data: 52
    assert voids
    for at in voids:  # each Void made an element no reader knows, of the same length
        data[at] = 0xC8
    path = tmp_path / "unpadded.mkv"
    path.write_bytes(bytes(data))
    info = dataclasses.replace(probe_video(path), sar=Fraction(64, 45))
    assert not write_pixel_aspect(path, "matroska", info)
    assert path.read_bytes() == bytes(data)
    assert "could not be written into .mkv" in carry_pixel_aspect(path, "matroska", info)


@pytest.mark.parametrize(
    "codec,ext,fields,segments",
    [("prores", ".mov", "tff", 1), ("ffv1", ".mkv", "bff", 0), ("libx264", ".mp4", "bff", 1)],
)
def test_interlaced_films_stay_interlaced(tmp_path, colorizer, codec, ext, fields, segments):
    """A tape capture's fields stay fields, in their order, so players deinterlace the output
    as they did the input (each encoder is told its own way; segments go through the join)."""
    src = make_clip(tmp_path / "in.mkv", n=30, fields=fields, audio=None)
    dst = tmp_path / f"out{ext}"
    events = _colorize(colorizer, src, dst, codec=codec, segment_seconds=segments)
    assert not [e for e in events if isinstance(e, Notice)]
    assert field_order_of(dst) == fields
    assert len(read_clip(dst)["pts"]) == 30


def test_an_encoder_that_cannot_code_fields_says_so(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mkv", fields="tff", audio=None)
    events = _colorize(colorizer, src, tmp_path / "out.mkv", codec="libx265")
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("interlaced input (tff)" in n and "libx265 cannot code fields" in n for n in notices)


def _disc_rip(path):
    """A DVD rip: languages, titles and flags on its streams, chapters, a subtitle font."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.metadata.update({"title": "Main feature", "language": "fre"})
        tracks = []
        for lang, title, flags in (
            ("fre", "Version originale", "default"),
            ("eng", "Commentary", "comment"),
        ):
            a = out.add_stream("aac", rate=48000)
            a.layout = "stereo"
            a.metadata.update({"language": lang, "title": title})
            a.disposition = getattr(av.stream.Disposition, flags)
            tracks.append(a)
        out.add_attachment("font.ttf", "application/x-truetype-font", b"\x00\x01\x00\x00" * 50)
        ms = Fraction(1, 1000)
        out.set_chapters(
            [
                {
                    "id": 1,
                    "start": 0,
                    "end": 1000,
                    "time_base": ms,
                    "metadata": {"title": "Opening"},
                },
                {
                    "id": 2,
                    "start": 1000,
                    "end": 2000,
                    "time_base": ms,
                    "metadata": {"title": "Chase"},
                },
            ]
        )
        for i in range(50):
            g = np.full((48, 64, 3), 40 + 3 * i, np.uint8)
            f = av.VideoFrame.from_ndarray(g, format="rgb24")
            f.pts = i
            out.mux(v.encode(f))
        out.mux(v.encode())
        for a in tracks:
            for k in range(0, 96000, 1024):
                af = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), "fltp", "stereo")
                af.sample_rate, af.pts = 48000, k
                out.mux(a.encode(af))
            out.mux(a.encode())
    return path


def _marks(path):
    """What a player shows of a film besides its pictures."""
    with av.open(str(path)) as c:
        streams = [
            (s.type, s.metadata.get("language"), s.metadata.get("title") or s.metadata.get("name"),
             int(s.disposition) & int(av.stream.Disposition.comment))
            for s in c.streams if s.type in ("video", "audio")
        ]  # fmt: skip
        chapters = [
            (float(ch["start"] * ch["time_base"]), float(ch["end"] * ch["time_base"]),
             ch["metadata"].get("title")) for ch in c.chapters()
        ]  # fmt: skip
        fonts = [s.name for s in c.streams if s.type == "attachment"]
    return streams, chapters, fonts


@pytest.mark.parametrize("segments", [1, 0])
def test_languages_titles_chapters_and_fonts_survive(tmp_path, colorizer, segments):
    """A viewer still picks the French track or the commentary by name, jumps by chapter, and
    the subtitles keep their font; a window keeps the chapters inside it, clipped; a
    container that cannot hold a font says so."""
    src = _disc_rip(tmp_path / "rip.mkv")
    streams, chapters, fonts = _marks(src)
    assert len(streams) == 3 and len(chapters) == 2 and fonts == ["font.ttf"]
    out = tmp_path / "out.mkv"
    _colorize(colorizer, src, out, segment_seconds=segments)
    assert _marks(out) == (streams, chapters, fonts)
    cut = tmp_path / "cut.mkv"
    _colorize(colorizer, src, cut, segment_seconds=segments, start=0.5, end=1.5)
    assert _marks(cut)[1] == [(0.5, 1.0, "Opening"), (1.0, 1.5, "Chase")]
    events = _colorize(colorizer, src, tmp_path / "out.mp4", segment_seconds=segments)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("attachments dropped (font.ttf): not supported by .mp4" in n for n in notices)
    assert _marks(tmp_path / "out.mp4")[:2] == (streams, chapters)
    # and back: an MP4 keeps a track's title as its 'name'; Matroska shows its 'title'
    _colorize(colorizer, tmp_path / "out.mp4", tmp_path / "back.mkv", segment_seconds=segments)
    with av.open(str(tmp_path / "back.mkv")) as c:
        titles = [s.metadata.get("title") for s in c.streams if s.type in ("video", "audio")]
    assert titles == [t for _, _, t, _ in streams]


@pytest.mark.parametrize("src_ext,lang,other", [(".mkv", "fre", "fra"), (".mp4", "deu", "ger")])
def test_a_tracks_language_survives_into_a_mov(tmp_path, colorizer, src_ext, lang, other):
    """MOV writes Macintosh language codes, and FFmpeg knows French there as 'fra', German as
    'ger': a French track from an MKV ('fre') or a German one from an MP4 ('deu') came out
    with no language. It keeps it, in the spelling MOV holds."""
    src = make_clip(tmp_path / f"in{src_ext}", n=10)
    tagged = tmp_path / f"tagged{src_ext}"
    with av.open(str(src)) as i, av.open(str(tagged), "w") as o:
        streams = {s.index: o.add_stream_from_template(s) for s in i.streams}
        streams[1].metadata["language"] = lang
        for p in i.demux():
            if p.size:
                p.stream = streams[p.stream.index]
                o.mux(p)
    dst = tmp_path / "out.mov"
    _colorize(colorizer, tagged, dst, segment_seconds=0)
    with av.open(str(dst)) as c:
        assert c.streams.audio[0].metadata.get("language") in (lang, other)


def _with_subtitles(path, subtitle_file):
    """A film with the subtitle track of ``subtitle_file`` (.srt, .sup), in French."""
    with av.open(str(subtitle_file)) as sin, av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        s = out.add_stream_from_template(sin.streams[0])
        s.metadata["language"] = "fre"
        for i in range(50):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 + 3 * i, np.uint8), "rgb24")
            f.pts = i
            out.mux(v.encode(f))
        out.mux(v.encode())
        for p in sin.demux():
            if p.size:
                p.stream = s
                out.mux(p)
    return path


def _cues(path):
    with av.open(str(path)) as c:
        if not c.streams.subtitles:
            return None
        s = c.streams.subtitles[0]
        cues = [(float(p.pts * p.time_base), bytes(p)) for p in c.demux(s) if p.size]
        return s.codec_context.name, s.metadata.get("language"), cues


@pytest.mark.parametrize("segments", [1, 0])
def test_subtitles_are_kept_or_converted_never_dropped_unsaid(tmp_path, colorizer, segments):
    """A Blu-ray's PGS subtitles were dropped from Matroska ('not supported by .mkv': FFmpeg's
    list names the codec 'pgssub', not 'hdmv_pgs_subtitle'). Text subtitles that a container
    cannot hold as they are (SubRip in MP4, WebM) are written again in the one it takes, as
    ffmpeg does, words and times kept; where none can go (pictures into MP4), a notice."""
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,200 --> 00:00:00,700\nHello there\n\n"
                   "2\n00:00:01,000 --> 00:00:01,600\nÇa va? Fine\n", encoding="utf-8")  # fmt: skip
    seg = lambda t, kind, data: b"PG" + struct.pack(">IIBH", t, 0, kind, len(data)) + data  # noqa: E731
    shown = struct.pack(">HHBHBBBB", 64, 48, 0x10, 0, 0x80, 0, 0, 0)  # a composition, 0.2 s
    (tmp_path / "disc.sup").write_bytes(seg(18000, 0x16, shown) + seg(18000, 0x80, b""))
    text = _with_subtitles(tmp_path / "text.mkv", srt)
    pictures = _with_subtitles(tmp_path / "pictures.mkv", tmp_path / "disc.sup")
    words = [(0.2, b"Hello there"), (1.0, "Ça va? Fine".encode())]

    def run_to(src, ext):
        dst = tmp_path / f"{src.stem}_{segments}{ext}"
        events = _colorize(colorizer, src, dst, segment_seconds=segments)
        return _cues(dst), [e.message for e in events if isinstance(e, Notice)]

    (name, lang, cues), notices = run_to(pictures, ".mkv")
    assert name == "pgssub" and lang == "fre" and len(cues) == 1 and not notices, notices
    assert cues[0][0] == pytest.approx(0.2) and cues[0][1].startswith(b"\x16")
    for ext, codec in ((".mkv", "subrip"), (".mp4", "mov_text"), (".webm", "webvtt")):
        (name, lang, cues), notices = run_to(text, ext)
        if codec == "mov_text":  # its cues carry their length first; blank ones between
            cues = [(t, b[2:]) for t, b in cues if len(b) > 2]
        assert [(round(t, 3), b) for t, b in cues] == words, (ext, cues)
        assert lang == "fre" and name in (codec, "srt")
        converted = [n for n in notices if "converted to" in n]
        assert bool(converted) == (ext != ".mkv"), notices
    got, notices = run_to(pictures, ".mp4")
    assert got is None
    assert any(
        "subtitle stream 1 (hdmv_pgs_subtitle) dropped: not supported by .mp4" in n for n in notices
    )


@pytest.mark.parametrize(
    "src_ext,dst_ext", [(".mov", ".mov"), (".mxf", ".mxf"), (".mov", ".mp4"), (".mxf", ".mkv")]
)
def test_a_masters_timecode_is_kept(tmp_path, colorizer, src_ext, dst_ext):
    """Broadcast and archive masters start at a timecode (10:00:00:00); the coloured copy
    starts at the same one, through the join of segments, with no notice of a dropped track.
    (The join once failed on both: MOV's timecode track and MXF's edit rate need the frame
    rate, which MXF gives only as its base rate.)"""
    src = make_clip(tmp_path / f"in{src_ext}", n=30, codec="prores_ks", pix_fmt="yuv422p10le",
                    audio=None, timecode="10:00:00:00")  # fmt: skip
    dst = tmp_path / f"out{dst_ext}"
    events = _colorize(colorizer, src, dst, segment_seconds=0.5)
    assert not [e.message for e in events if isinstance(e, Notice) and "dropped" in e.message]
    with av.open(str(dst)) as c:
        tags = {k.lower(): v for k, v in {**c.metadata, **c.streams.video[0].metadata}.items()}
        assert tags.get("timecode") == "10:00:00:00"
        assert c.streams.video[0].frames in (0, 30)
    assert len(read_clip(dst)["pts"]) == 30


@pytest.mark.parametrize("segments", [0.5, 0])
@pytest.mark.parametrize(
    "ext,rate,timecode,start,want",
    [
        (".mov", 25, "10:00:00:00", 0.4, "10:00:00:10"),
        (".mxf", 25, "10:00:00:00", 0.4, "10:00:00:10"),
        (".mov", Fraction(30000, 1001), "00:00:59;20", 0.5, "00:01:00;07"),  # drop-frame
    ],
)
def test_a_section_of_a_master_starts_at_its_own_timecode(
    tmp_path, colorizer, segments, ext, rate, timecode, start, want
):
    """A section (--start) of a master begins later than the master, and its timecode says
    so: it kept the master's start (10:00:00:00 for a section 10 frames in), and an editor
    conforming the coloured section by timecode would have put it 10 frames early. NTSC's
    drop-frame count skips frame numbers 0 and 1 each minute but every tenth."""
    tb = Fraction(1, 25) if rate == 25 else Fraction(1001, 30000)
    src = make_clip(tmp_path / f"in{ext}", n=30, codec="prores_ks", pix_fmt="yuv422p10le",
                    audio=None, timecode=timecode, rate=rate, time_base=tb)  # fmt: skip
    dst = tmp_path / f"out{ext}"
    _colorize(colorizer, src, dst, segment_seconds=segments, start=start)
    with av.open(str(dst)) as c:
        tags = {k.lower(): v for k, v in {**c.metadata, **c.streams.video[0].metadata}.items()}
        assert tags.get("timecode") == want


def test_timecodes_count_as_smpte_does():
    """Drop-frame 29.97: an hour is 107892 frames, ten minutes 17982; frame numbers 0 and 1
    are skipped at each minute but every tenth. Non-drop counts every frame; a day wraps."""
    ntsc = Fraction(30000, 1001)
    assert shift_timecode("00:00:00;00", 107892, ntsc) == "01:00:00;00"
    assert shift_timecode("00:00:00;00", 17982, ntsc) == "00:10:00;00"
    assert shift_timecode("00:00:59;29", 1, ntsc) == "00:01:00;02"
    assert shift_timecode("00:09:59;29", 1, ntsc) == "00:10:00;00"
    assert shift_timecode("00:01:00;02", -1, ntsc) == "00:00:59;29"
    assert shift_timecode("23:59:59:24", 1, 25) == "00:00:00:00"
    assert shift_timecode("10:00:00:00", 90000, 25) == "11:00:00:00"
    rng = np.random.default_rng(0)
    for a, b in rng.integers(0, 2_000_000, (200, 2)):  # moving by a, then b, is moving by a+b
        once = shift_timecode("00:00:00;00", int(a + b), ntsc)
        assert shift_timecode(shift_timecode("00:00:00;00", int(a), ntsc), int(b), ntsc) == once
    assert shift_timecode("reel 3", 5, 25) is None and shift_timecode("00:00:00:30", 1, 25) is None


@pytest.mark.parametrize("indexed", [True, False])
@pytest.mark.parametrize("segments", [1, 0])
def test_an_avi_with_b_frames_keeps_every_frame_in_its_order(
    tmp_path, colorizer, segments, indexed
):
    """AVI keeps no presentation times: FFmpeg gives its frames their packets' times, in
    decode order (1, 4, 3, 5, 2...). Every frame comes out, in order, none called damaged
    (the out-of-order ones were dropped as stragglers: 13 of 30 lost). A capture that
    stopped before writing its index (idx1) cannot seek back to its first keyframe: the
    first segment seeked anyway and got no frame at all ('no video frames could be
    decoded')."""
    src = make_clip(tmp_path / "xvid.avi", n=40, bframes=3, audio=None, time_base=Fraction(1, 25))
    if not indexed:
        data = src.read_bytes()
        src.write_bytes(data[: data.rindex(b"idx1")])
    with av.open(str(src)) as c:
        times = [f.pts for f in c.decode(video=0)]
    assert times != sorted(times)  # the container's pathology is there
    dst = tmp_path / "out.mkv"
    events = _colorize(colorizer, src, dst, segment_seconds=segments)
    assert not [e.message for e in events if isinstance(e, Notice) and "damaged" in e.message]
    a, b = read_clip(src), read_clip(dst)
    assert [p * b["time_base"] for p in b["pts"]] == [t * a["time_base"] for t in sorted(times)]
    for fa, fb in zip(a["frames"], b["frames"], strict=True):  # each frame in its place
        assert np.abs(rgb_to_lab(fa)[..., 0] - rgb_to_lab(fb)[..., 0]).mean() < 2.0


def _untagged(path: Path) -> Path:
    """The Matroska file at ``path`` as mkvmerge and MakeMKV write it: no DURATION tag on its
    tracks (its Tags element renamed to an ID no demuxer knows, which it passes over)."""
    data = path.read_bytes()
    path.write_bytes(data.replace(b"\x12\x54\xc3\x67", b"\x12\x54\xc3\x66"))
    with av.open(str(path)) as c:
        assert c.duration and not any(s.metadata for s in c.streams)
    return path


@pytest.mark.parametrize("ext", [".mkv", ".webm", ".ts", "untagged.mkv"])
@pytest.mark.parametrize("segments", [1, 0])
def test_sound_that_outlasts_the_pictures_is_kept_and_is_no_damage(
    tmp_path, colorizer, ext, segments
):
    """Sound 2 s longer than the film (credits music, a capture stopped late): all of it is
    kept, and the film is not called damaged for frames 'missing' up to the sound's end
    (Matroska's own length of the film is its DURATION tag; without one, the container's
    length is the sound's, and the sound's packets show the file whole). The TS case once
    failed outright with segments ('no video frames could be decoded': the seek landed past
    the only keyframe)."""
    codec, audio = ("libvpx-vp9", "libopus") if ext == ".webm" else ("libx264", "aac")
    tb = Fraction(1, 25) if ext == ".ts" else None
    src = make_clip(tmp_path / f"in{ext}", n=30, codec=codec, audio=audio, audio_seconds=3.0,
                    time_base=tb, bframes=3 if ext == ".ts" else 0)  # fmt: skip
    if ext.startswith("untagged"):
        src = _untagged(src)
    dst = tmp_path / f"out{ext}"
    events = _colorize(colorizer, src, dst, segment_seconds=segments)
    assert not [e.message for e in events if isinstance(e, Notice) and "damaged" in e.message]
    a, b = read_clip(src), read_clip(dst)
    assert len(b["pts"]) == 30 and b["audio"] == a["audio"]
    with av.open(str(src)) as c:
        s = c.streams.audio[0]
        assert max((p.pts or 0) * s.time_base for p in c.demux(s) if p.size) > 2.5


@pytest.mark.parametrize("segments", [1, 0])
def test_a_capture_that_starts_mid_gop_keeps_its_timing(tmp_path, colorizer, segments):
    """A broadcast recording starts wherever the tuner was: its first frames need a keyframe
    it never got, and nobody can decode them. They are not called lost, and the rest keep
    their times (with segments the first segment was shifted 10 frames early: the join put
    its first frame where the plan's first, undecodable, frame was)."""
    whole = make_clip(tmp_path / "whole.ts", n=60, codec="mpeg2video", gop=12, bframes=2,
                      time_base=Fraction(1, 25), audio=None)  # fmt: skip
    src = tmp_path / "capture.ts"
    with av.open(str(whole)) as i, av.open(str(src), "w", format="mpegts") as o:
        vo = o.add_stream_from_template(i.streams.video[0])
        for n, p in enumerate(p for p in i.demux(i.streams.video[0]) if p.size):
            if n >= 5:  # the tuner came in here
                p.stream = vo
                o.mux(p)
    a = read_clip(src)
    assert 40 < len(a["pts"]) < 56  # some frames cannot be decoded
    dst = tmp_path / "out.ts"
    events = _colorize(colorizer, src, dst, segment_seconds=segments)
    assert not [e.message for e in events if isinstance(e, Notice) and "damaged" in e.message]
    b = read_clip(dst)
    assert [p * b["time_base"] for p in b["pts"]] == [p * a["time_base"] for p in a["pts"]]


@pytest.mark.parametrize("segments", [1, 0])
def test_an_mp4_trimmed_inside_a_gop_is_not_called_damaged(tmp_path, colorizer, segments):
    """An MP4 cut without re-encoding (ffmpeg -ss X -c copy, a phone's trim) keeps the
    frames from the keyframe before the cut, for decoding, and its edit list hides them: the
    container counts them, the decoder lets none out. They were counted lost ("input is
    damaged: 7 of 60 lost"; in a dir run, set aside as .damaged)."""
    whole = make_clip(tmp_path / "whole.mp4", n=60, gop=25, bframes=2, audio=None)
    src = tmp_path / "trimmed.mp4"
    with av.open(str(whole)) as i, av.open(str(src), "w") as o:
        vo = o.add_stream_from_template(i.streams.video[0])
        packets = [p for p in i.demux(i.streams.video[0]) if p.size]
        cut = sorted(p.pts for p in packets)[7]  # the cut: frame 7, inside the first GOP
        for p in packets:  # the frames before it keep negative times: the edit list hides them
            p.pts, p.dts, p.stream = p.pts - cut, p.dts - cut, vo
            o.mux(p)
    a = read_clip(src)
    assert len(a["pts"]) == 53
    dst = tmp_path / "out.mp4"
    events = _colorize(colorizer, src, dst, segment_seconds=segments)
    assert not [e.message for e in events if isinstance(e, Notice) and "damaged" in e.message]
    b = read_clip(dst)
    assert [p * b["time_base"] for p in b["pts"]] == [p * a["time_base"] for p in a["pts"]]


def _interleaved(path: Path) -> np.ndarray:
    """A file's first audio track, decoded: its samples interleaved, planar or not."""
    with av.open(str(path)) as c:
        return np.concatenate(
            [
                f.to_ndarray().T.reshape(-1) if f.format.is_planar else f.to_ndarray().reshape(-1)
                for f in c.decode(audio=0)
            ]
        )


@pytest.mark.parametrize("segments", [0, 1])
def test_audio_transcoded_when_container_refuses_it(tmp_path, colorizer, segments):
    """MP4 takes no PCM: a capture's PCM became AAC, lossy, where ALAC keeps every sample.
    Lossy sound it cannot copy (MP2) becomes AAC."""
    src = make_clip(tmp_path / "pcm.mkv", n=25, audio="pcm_s16le")
    events = _colorize(colorizer, src, tmp_path / "out.mp4", segment_seconds=segments)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("pcm_s16le" in n and "transcoding to alac (lossless)" in n for n in notices)
    assert read_clip(tmp_path / "out.mp4")["audio_codec"] == "alac"
    sound, kept = _interleaved(src), _interleaved(tmp_path / "out.mp4")
    assert len(sound) > 40000 and np.array_equal(sound, kept)  # every sample as it was
    src = make_clip(tmp_path / "mp2.mkv", audio="mp2")
    events = _colorize(colorizer, src, tmp_path / "mp2.mp4", segment_seconds=segments)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("(mp2) cannot be copied into .mp4: transcoding to aac" in n for n in notices)
    assert read_clip(tmp_path / "mp2.mp4")["audio_codec"] == "aac"


@pytest.mark.parametrize(
    "src_ext,dst_ext,codec_name,audio",
    [
        (".webm", ".webm", "vp9", "opus"),  # webm in, webm out: vp9 without --codec
        (".mp4", ".ts", "h264", "aac"),  # broadcast transport streams
        (".mp4", ".m2ts", "h264", "aac"),
        (".mp4", ".mxf", "prores", "pcm_s16le"),  # MXF: ProRes, 48 kHz PCM
        (".mp4", ".avi", "h264", "pcm_s16le"),  # AVI: an MP4's AAC becomes PCM, as captured
    ],
)
def test_the_codec_follows_the_container(tmp_path, colorizer, src_ext, dst_ext, codec_name, audio):
    clip_codec = "libvpx-vp9" if src_ext == ".webm" else "libx264"
    src_audio = "libopus" if src_ext == ".webm" else "aac"
    src = make_clip(tmp_path / f"in{src_ext}", n=30, codec=clip_codec, audio=src_audio)
    dst = tmp_path / f"out{dst_ext}"
    _colorize(colorizer, src, dst)  # no codec given
    a, b = read_clip(src), read_clip(dst)
    with av.open(str(dst)) as c:
        assert c.streams.video[0].codec_context.name == codec_name
        assert c.streams.audio[0].codec_context.name == audio
    assert len(b["pts"]) == 30
    # AVI stores no presentation times: a B-frame comes out labelled with its decode time
    secs = lambda clip: sorted(float(p * clip["time_base"]) for p in clip["pts"])  # noqa: E731
    offset = secs(b)[0] - secs(a)[0]  # a transport stream starts its clock where it likes
    assert max(abs(x - offset - y) for x, y in zip(secs(b), secs(a), strict=True)) < 1e-3


def test_ten_bit_input(tmp_path, colorizer):
    src = make_clip(tmp_path / "deep.mkv", pix_fmt="yuv420p10le", audio=None)
    assert probe_video(src).bit_depth == 10
    _colorize(colorizer, src, tmp_path / "out.mkv", codec="libx265")
    with av.open(str(tmp_path / "out.mkv")) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p10le"
    assert len(read_clip(tmp_path / "out.mkv")["frames"]) == 12


def test_start_end(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mp4", n=25)
    _colorize(colorizer, src, tmp_path / "cut.mp4", start=0.2, end=0.6)
    pts = read_clip(tmp_path / "cut.mp4")["pts"]
    tb = read_clip(src)["time_base"]
    assert len(pts) == 10 and abs(float(pts[0] * tb) - 0.2) < 1e-6


@pytest.mark.parametrize("segments", [0, 1])
def test_start_and_end_count_from_the_first_picture(tmp_path, tiny_ckpt, segments):
    """A broadcast capture's first picture is timed far in (here 1000 s; every transport
    stream at least 1.4 s): --start 1 --end 2 was read in the file's own time, and the
    section held no frame ("no video frames could be decoded"). They count from the first
    picture, as a player's clock does; a --start past the end is one line."""
    src = tmp_path / "capture.ts"
    with av.open(str(src), "w") as out:
        v = out.add_stream("mpeg2video", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.time_base = Fraction(1, 25)
        for i in range(100):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 2 * i, np.uint8), "rgb24")
            f.pts, f.time_base = 25_000 + i, Fraction(1, 25)
            out.mux(v.encode(f))
        out.mux(v.encode())
    dst = tmp_path / "part.mkv"
    args = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", src, dst, "--start", "1", "--end", "2", *args)
    assert r.exit_code == 0, r.stderr
    clip = read_clip(dst)
    secs = [float(p * clip["time_base"]) for p in clip["pts"]]
    assert len(secs) == 25 and secs[0] == pytest.approx(1001.0, abs=1e-3)  # its own time kept
    r = run("video", src, tmp_path / "none.mkv", "--start", "4", *args)
    assert r.exit_code == 1
    assert r.stderr.strip() == f"error: {src}: --start 4 s is at or past the film's end (4.00 s)"
    # after the last frame (at 3.96 s) but before the end: said of the whole film, segmented
    r = run("video", src, tmp_path / "none.mkv", "--start", "3.98", *args)
    assert r.exit_code == 1 and r.stderr.strip() == (
        f"error: {src}: no video frames could be decoded in the --start/--end range"
    )


def test_smoother_cuts_flicker_and_resets_at_a_cut():
    rng = np.random.default_rng(1)
    lum_a = np.full((16, 16), 70.0, np.float32) + np.linspace(0, 5, 16, dtype=np.float32)
    lum_b = np.full((16, 16), 20.0, np.float32)  # a dark new scene: the histogram jumps
    truth_a, truth_b = np.array([20.0, 30.0], np.float32), np.array([-30.0, 5.0], np.float32)
    outs = {}
    for strength in (0.0, 0.7):
        sm, cuts = TemporalSmoother(strength), SceneCutDetector()
        seq = []
        for t in range(30):
            lum, truth = (lum_a, truth_a) if t < 20 else (lum_b, truth_b)
            noisy = (truth + rng.normal(0, 4, (16, 16, 2))).astype(np.float32)
            seq.append(sm(noisy, lum, cuts(lum)))
        outs[strength] = (np.stack(seq), sm.resets)
    flick = {s: np.abs(np.diff(o[0][:20], axis=0)).mean() for s, o in outs.items()}
    assert flick[0.7] < 0.6 * flick[0.0]
    seq, resets = outs[0.7]
    assert resets == 1
    # right after the cut nothing of the old scene's colour is left
    assert np.abs(seq[20].mean(axis=(0, 1)) - truth_b).max() < 2.0


def test_scene_cut_detector_on_a_clip_with_a_hard_cut(tmp_path):
    src = make_clip(tmp_path / "cut.mp4", n=16, cut_at=9, audio=None)
    det = SceneCutDetector()
    flags = [det(rgb_to_lab(f)[..., 0]) for f in read_clip(src)["frames"]]
    assert [i for i, f in enumerate(flags) if f] == [9]


def _scene(seed: int, h: int = 90, w: int = 480) -> np.ndarray:
    """A wide textured L* picture (blobs of 20-80 L*), to pan across."""
    import cv2

    noise = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    blobs = cv2.GaussianBlur(noise, (0, 0), 6)
    return (50 + 30 * (blobs - blobs.mean()) / blobs.std()).clip(0, 100).astype(np.float32)


def test_a_cut_between_two_alike_shots_is_found_and_a_grainy_flickering_pan_is_not():
    """Two shots of one place at one exposure (the second the first mirrored: the same
    histogram) are two scenes; a fast pan with film grain and flicker is one."""
    rng = np.random.default_rng(0)
    wide = _scene(3)
    frames = []
    for t in range(40):  # 4 px a frame across a 160-px view, then the mirrored view
        view = wide[:, 4 * t : 4 * t + 160] if t < 25 else wide[:, 4 * t + 159 : 4 * t - 1 : -1]
        grain = rng.normal(0, 4, view.shape).astype(np.float32)
        frames.append(np.clip(view + grain + rng.uniform(-3, 3), 0, 100))
    det = SceneCutDetector()
    flags = [det(f) for f in frames]
    assert [i for i, f in enumerate(flags) if f] == [25]
    assert (
        0.5 * np.abs(lightness_histogram(frames[25]) - lightness_histogram(frames[24])).sum() < 0.35
    )


def _lightness_at(picture: np.ndarray, gain: float, white: float = 0.0) -> np.ndarray:
    """L* of a gray picture (0-100 as 0-255 code values) at ``gain`` times its exposure, as a
    film's fade or flash scales the coded values (clipped at white), or mixed with white
    (``white`` of it: a fade to white)."""
    code = np.clip(picture * 2.55 * gain * (1 - white) + 255 * white, 0, 255).astype(np.uint8)
    return rgb_to_lab(np.repeat(code[..., None], 3, axis=2))[..., 0]


def test_a_fade_through_black_is_one_cut_and_a_flash_is_none():
    """A shot fading out to black (or white) and another fading in: one cut, at the blank
    frame or the next (the old rule found several, at the fade's dark frames); the same shot
    on both sides of the black, a fade that only dips, and a flash (one frame twice as
    bright), are no cut."""
    a, b = _scene(3)[:, :160], _scene(4)[:, :160]
    out = [_lightness_at(a, 1 - t / 11) for t in range(12)]  # the last frame is black
    fade = out + [_lightness_at(b, (t + 1) / 12) for t in range(12)]
    back = out + [_lightness_at(a, (t + 1) / 12) for t in range(12)]
    white = [_lightness_at(a, 1, t / 11) for t in range(12)]
    white += [_lightness_at(b, 1, 1 - (t + 1) / 12) for t in range(12)]
    dip = [_lightness_at(a, 1 - 0.8 * abs(t - 6) / 6) for t in range(13)]
    flash = [_lightness_at(a, 2.0 if t == 6 else 1.0) for t in range(12)]
    cases = [(fade, ([11], [12])), (white, ([11], [12])), (back, ([],)), (dip, ([],))]
    for frames, want in [*cases, (flash, ([],))]:
        det = SceneCutDetector()
        assert [i for i, f in enumerate(frames) if det(f)] in want
    # the old rule's cue is there: the histogram jumps at the fade's dark frames and the flash
    jumps = [lightness_histogram(x) for x in (fade[12], fade[13], flash[5], flash[6])]
    assert 0.5 * np.abs(jumps[1] - jumps[0]).sum() > 0.35
    assert 0.5 * np.abs(jumps[3] - jumps[2]).sum() > 0.35


def test_metrics_definitions():
    p = np.array([1.0, 0, 0, 0])
    assert js_divergence(p, p) == 0.0
    assert js_divergence(p, np.array([0, 1.0, 0, 0])) == pytest.approx(1.0)
    meter = TemporalMeter()
    rng = np.random.default_rng(0)
    base = np.full((20, 20, 3), 120, np.uint8)
    for _ in range(6):
        meter.update(base)
    assert meter.flicker == 0.0 and meter.cdc == 0.0
    noisy = TemporalMeter()
    for _ in range(6):
        f = base.copy()
        f[..., 0] = np.clip(120 + rng.integers(-30, 30), 0, 255)
        noisy.update(f)
    assert noisy.flicker > 1.0 and noisy.cdc > 0.0


def test_video_cli_stats_and_progress(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4")
    r = run("video", src, tmp_path / "out.mp4", "--model", tiny_ckpt, "--stats", "--smooth", "0.5")
    assert r.exit_code == 0, r.stderr
    assert "stats: flicker" in r.stdout and "CDC" in r.stdout
    assert "12 frames in" in r.stderr


@pytest.mark.parametrize(
    "kind,message",
    [
        ("text", "not a video file"),
        ("audio_only", "has no video stream"),
        ("no_frames", "no video frames could be decoded"),
        ("junk_frames", "no video frames could be decoded"),
        ("missing", "no such file"),
        ("link", "a symbolic link to"),
        ("unfinished", "its index (moov box) was never written"),
    ],
)
def test_video_bad_inputs(tmp_path, tiny_ckpt, kind, message):
    """Each one line and exit 1, and nothing left beside DST: not even the segments' work
    folder of a film whose every packet is junk (it was kept, and a rerun after a fix or a
    newer version resumed its empty segments)."""
    src = tmp_path / (
        f"{kind}.mkv" if kind in ("no_frames", "junk_frames") else f"{kind}.mp4"
    )  # mkv keeps an empty track
    if kind == "text":
        src.write_text("hello, not a film")
    elif kind == "junk_frames":
        clip, rng = make_clip(tmp_path / "clip.mkv", n=20, audio=None), np.random.default_rng(0)
        with av.open(str(clip)) as i, av.open(str(src), "w") as out:
            v = out.add_stream_from_template(i.streams.video[0])
            for p in i.demux(i.streams.video[0]):
                if p.size:
                    junk = av.Packet(rng.integers(0, 256, p.size, dtype=np.uint8).tobytes())
                    junk.pts, junk.dts, junk.time_base, junk.stream = p.pts, p.dts, p.time_base, v
                    out.mux(junk)
    elif kind == "link":  # the film it pointed to was moved
        src.symlink_to(tmp_path / "moved.mp4")
    elif kind == "unfinished":  # a camera lost power: the index, written last, is not there
        whole = make_clip(tmp_path / "whole.mp4", n=20).read_bytes()
        src.write_bytes(whole[: len(whole) // 2])
    elif kind in ("audio_only", "no_frames"):
        with av.open(str(src), "w") as out:
            if kind == "no_frames":  # a video stream that holds no frame at all
                v = out.add_stream("libx264", rate=25)
                v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
            a = out.add_stream("aac", rate=44100)
            a.layout = "mono"
            for i in range(5):
                f = av.AudioFrame.from_ndarray(
                    np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
                )
                f.sample_rate, f.pts = 44100, i * 1024
                for p in a.encode(f):
                    out.mux(p)
            for p in a.encode(None):
                out.mux(p)
    dst = tmp_path / "out.mp4"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    assert message in r.stderr and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert not dst.exists() and not list(tmp_path.glob(".*colorcli-tmp*"))
    assert not list(tmp_path.glob(".out.mp4*"))  # no work folder either


def test_a_film_whose_pictures_this_ffmpeg_cannot_decode_is_one_line(tmp_path, tiny_ckpt):
    """An animated WebP: the FFmpeg of PyAV 18 finds its stream but decodes no picture and
    learns no size; the run went on to "video encoding failed: Invalid argument:
    avcodec_open2(libx264)". It is one line naming the file and what cannot be decoded (a
    newer FFmpeg decodes it: then every frame is coloured)."""
    from PIL import Image

    src = tmp_path / "anim.webp"
    frames = [Image.fromarray(np.full((48, 64, 3), 40 * k, np.uint8)) for k in range(3)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100)
    dst = tmp_path / "out.mp4"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q")
    if r.exit_code == 0:
        assert len(read_clip(dst)["frames"]) == 3
    else:
        assert r.exit_code == 1
        assert (
            r.stderr.strip()
            == f"error: {src}: its webp pictures cannot be decoded by this FFmpeg (libavcodec {'.'.join(map(str, av.library_versions['libavcodec'][:2]))})"
        )
        assert not dst.exists()


@pytest.mark.parametrize("audio,segments", [(None, "5"), ("aac", "5"), ("aac", "0.5")])
def test_truncated_video_is_colorized_as_far_as_it_decodes(tmp_path, tiny_ckpt, audio, segments):
    """A file cut off (a copy or a download that stopped) ends early in every stream: it is
    damaged, sound or not (sound that outlasts the pictures is not, see above)."""
    src = make_clip(tmp_path / "full.mkv", n=40, size=(96, 128), audio=audio)
    data = src.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    args = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", cut, tmp_path / "out.mkv", *args)
    assert r.exit_code == 0, r.stderr
    n = len(read_clip(tmp_path / "out.mkv")["frames"])
    assert 0 < n < 40
    assert "input is damaged" in r.stderr and "lost" in r.stderr


@pytest.mark.parametrize("segments", ["1", "0"])
def test_a_transport_stream_with_junk_inside_goes_on_past_it(tmp_path, tiny_ckpt, segments):
    """300 kB of junk bytes inside a transport stream (a capture's dropout) make its demuxer
    ask to be called again while it resyncs: the film goes on after them, every frame kept."""
    src = make_clip(
        tmp_path / "in.ts", n=100, gop=10, codec="mpeg2video", time_base=Fraction(1, 25),
        audio="mp2", cut_at=70,
    )  # fmt: skip
    data, a = src.read_bytes(), read_clip(src)["pts"]
    at = len(data) // 2 // 188 * 188
    src.write_bytes(data[:at] + b"\xff" * 300_000 + data[at:])
    dst = tmp_path / "out.ts"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 0, r.stderr
    b = read_clip(dst)["pts"]
    assert len(a) == len(b) == 100 and list(np.diff(b)) == list(np.diff(a))  # every frame, in time
    if segments == "0":  # the scenes' stills read past the junk too (a cut at frame 70)
        r = run("scenes", src, tmp_path / "stills", "--model", tiny_ckpt, "-q")
        assert r.exit_code == 0 and "decoding stopped" not in r.stderr, r.stderr
        assert sorted(p.name for p in (tmp_path / "stills").iterdir()) == ["0.png", "70.png"]


@pytest.mark.parametrize("segments", ["5", "0"])
def test_the_film_is_coloured_not_a_cover_picture_stored_before_it(tmp_path, tiny_ckpt, segments):
    src = tmp_path / "in.mkv"
    with av.open(str(src), "w") as out:
        cover = out.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 32, 32, "yuvj420p"
        film = out.add_stream("libx264", rate=25)
        film.width, film.height, film.pix_fmt = 64, 48, "yuv420p"
        still = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 200, np.uint8), format="rgb24")
        for p in [*cover.encode(still.reformat(format="yuvj420p")), *cover.encode()]:
            out.mux(p)
        for i in range(20):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="rgb24")
            for p in film.encode(f.reformat(format="yuv420p")):
                out.mux(p)
        for p in film.encode():
            out.mux(p)
    r = run(
        "video",
        src,
        tmp_path / "out.mkv",
        "--model",
        tiny_ckpt,
        "-q",
        "--segment-seconds",
        segments,
    )
    assert r.exit_code == 0, r.stderr
    out = read_clip(tmp_path / "out.mkv")
    assert (out["width"], out["height"], len(out["frames"])) == (64, 48, 20)


@pytest.mark.parametrize("segments", ["1", "0"])
def test_recordings_joined_into_one_transport_stream(tmp_path, tiny_ckpt, segments):
    """Transport streams join byte for byte. Where the picture changes size (a broadcast
    switching format) its frames are scaled to the first size. Where the times restart (two
    recordings run together), the film was refused ('split it there'); it is now coloured as
    one, each part following on from the one before, said in a notice."""
    kw = {"gop": 10, "codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None}
    a = make_clip(tmp_path / "a.ts", n=50, size=(48, 64), **kw).read_bytes()
    b = make_clip(tmp_path / "b.ts", n=50, size=(64, 80), pts=list(range(50, 100)), **kw)
    (tmp_path / "sizes.ts").write_bytes(a + b.read_bytes())
    dst = tmp_path / "out.ts"
    opts = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", tmp_path / "sizes.ts", dst, *opts)
    assert r.exit_code == 0, r.stderr
    out = read_clip(dst)
    assert (out["width"], out["height"]) == (64, 48) and len(out["frames"]) >= 99
    assert "the picture changes size: 50 frames scaled to 64x48, its first size" in r.stderr
    assert np.ptp([f.mean() for f in out["frames"][60:]]) > 0  # the second part's pictures
    b = make_clip(tmp_path / "b.ts", n=50, size=(48, 64), **kw)  # its times restart at 0
    (tmp_path / "joined.ts").write_bytes(a + b.read_bytes())
    r = run("video", tmp_path / "joined.ts", tmp_path / "out2.ts", *opts)
    assert r.exit_code == 0, r.stderr
    assert (
        "joined.ts: its timestamps restart at 2.0 s (recordings joined into one file)" in r.stderr
    )
    out = read_clip(tmp_path / "out2.ts")
    steps = np.diff([float(p * out["time_base"]) for p in out["pts"]])
    assert len(out["frames"]) == 100 and np.allclose(steps, 0.04, atol=1e-3)  # no gap, no overlap
    assert not [p for p in tmp_path.iterdir() if "retimed" in p.name]  # its copy gone


@pytest.mark.parametrize("segments", ["1", "0"])
def test_short_recordings_joined_are_kept_whole(tmp_path, tiny_ckpt, segments):
    """Clips of under a second each (a camera's short takes, stings) joined byte for byte:
    their times step back by less than a second at each join. The later parts were dropped
    as frames sharing times and the film called damaged ('25 frames colorized, 0 of 25
    lost'); each part now follows on from the one before."""
    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None}
    take = make_clip(tmp_path / "take.ts", n=10, size=(48, 64), **kw).read_bytes()
    (tmp_path / "takes.ts").write_bytes(take * 3)
    opts = ("--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    r = run("video", tmp_path / "takes.ts", tmp_path / "out.ts", *opts)
    assert r.exit_code == 0, r.stderr
    assert "damaged" not in r.stderr and "its timestamps restart at 0.4 s" in r.stderr, r.stderr
    out = read_clip(tmp_path / "out.ts")
    steps = np.diff([float(p * out["time_base"]) for p in out["pts"]])
    assert len(out["frames"]) == 30 and np.allclose(steps, 0.04, atol=1e-3)


def test_one_part_of_a_dvd_title_says_the_film_goes_on_in_the_others(tmp_path, colorizer):
    """A DVD keeps a film in 1 GB parts (VTS_01_1.VOB, VTS_01_2.VOB, ...): coloured alone,
    the first part gave the first 25 minutes without a word. A notice names the parts and how
    to join them (as one film they are coloured whole, times restarting or not)."""
    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None}
    folder = tmp_path / "VIDEO_TS"
    folder.mkdir()
    first = make_clip(folder / "VTS_01_1.VOB", n=10, **kw)
    (folder / "VTS_01_2.VOB").write_bytes(first.read_bytes())
    (folder / "VTS_01_0.VOB").write_bytes(first.read_bytes())  # the title's menu, not a part
    (folder / "VTS_02_1.VOB").write_bytes(first.read_bytes())  # another title
    events = _colorize(colorizer, first, tmp_path / "out.mkv")
    notes = [e.message for e in events if isinstance(e, Notice)]
    assert notes == [
        f"{first}: one of the 2 parts of DVD title 01 (VTS_01_1.VOB, VTS_01_2.VOB): only this"
        " part is coloured; to colour the whole film, join them first (cat VTS_01_1.VOB"
        " VTS_01_2.VOB > title.vob) and colour that"
    ]
    events = _colorize(colorizer, folder / "VTS_02_1.VOB", tmp_path / "two.mkv")
    assert not [e for e in events if isinstance(e, Notice)]  # a title of one part


def test_a_joined_film_in_an_archive_is_named_once_in_each_notice(tmp_path, tiny_ckpt):
    """`colorize dir` names the film before each of its notices; those whose words named it
    already ('<film>: its timestamps restart...', '<film>: input is damaged...') named it
    twice ('notice: a.ts: a.ts: ...')."""
    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None, "gop": 10}
    root = tmp_path / "in"
    root.mkdir()
    a, b = make_clip(tmp_path / "a.ts", n=30, **kw), make_clip(tmp_path / "b.ts", n=30, **kw)
    (root / "joined.ts").write_bytes(a.read_bytes() + b.read_bytes())
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    notes = [x for x in r.stderr.splitlines() if x.startswith("notice: ")]
    assert len(notes) == 2 and all(x.count("joined.ts") == 1 for x in notes), notes
    assert notes[0].startswith(f"notice: {root / 'joined.ts'}: its timestamps restart at 1.2 s")
    assert len(read_clip(tmp_path / "out" / "joined.ts")["frames"]) == 60


@pytest.mark.parametrize("segments", [0, 1])
def test_joined_recordings_keep_their_sound_in_place(tmp_path, colorizer, segments):
    """Each part's sound stays with its pictures when a joined film is coloured as one: the
    second recording's tone (another pitch) starts where its pictures do."""
    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": "mp2", "gop": 10}
    a = make_clip(tmp_path / "a.ts", n=50, **kw)
    b = make_clip(tmp_path / "b.ts", n=40, cut_at=0, **kw)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    dst = tmp_path / "out.mkv"
    events = _colorize(colorizer, joined, dst, segment_seconds=segments)
    assert any("2 parts, 3.6 s in all" in e.message for e in events if isinstance(e, Notice))
    out = read_clip(dst)
    times = [float(p * out["time_base"]) for p in out["pts"]]
    assert len(times) == 90 and np.allclose(np.diff(times), 0.04, atol=1e-3)
    # the pictures as they were: each output frame's lightness is its input frame's
    frames = read_clip(a)["frames"] + read_clip(b)["frames"]
    light = lambda f: rgb_to_lab(f)[..., 0].mean()  # noqa: E731
    assert max(abs(light(x) - light(y)) for x, y in zip(out["frames"], frames, strict=True)) < 2
    with av.open(str(dst)) as c:
        sound = [(f.time, f.samples / f.sample_rate) for f in c.decode(audio=0)]
    with av.open(str(b)) as c:
        second = sum(f.samples for f in c.decode(audio=0)) / 44100
    with av.open(str(a)) as c:
        first = sum(f.samples for f in c.decode(audio=0)) / 44100
    assert abs(sum(d for _, d in sound) - (first + second)) < 0.06  # at most a frame dropped
    assert sound[-1][0] + sound[-1][1] - times[-1] < 0.15  # ending with the pictures


def test_a_joined_film_interrupted_resumes_on_its_copy(tmp_path, tiny_ckpt, monkeypatch):
    """A segmented run of a joined film planned on its retimed copy; killed, the rerun finds
    that plan and makes the copy again before reading a frame (the original's times would
    seek to the wrong part), then keeps the finished segments."""
    import errno

    from colorcli import videoio

    kw = {"codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None, "gop": 10}
    a, b = make_clip(tmp_path / "a.ts", n=40, **kw), make_clip(tmp_path / "b.ts", n=40, **kw)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    dst = tmp_path / "out.mkv"
    real, calls = videoio.FilmWriter._mux, []

    def fills_up(self, packets):
        calls.append(1)
        if len(calls) > 45:
            raise av.error.OSError(errno.ENOSPC, "No space left on device")
        real(self, packets)

    monkeypatch.setattr(videoio.FilmWriter, "_mux", fills_up)
    opts = ("--model", tiny_ckpt, "-q", "--segment-seconds", "0.4")
    r = run("video", joined, dst, *opts)
    assert r.exit_code == 1 and "no space left" in r.stderr and not dst.exists()
    monkeypatch.setattr(videoio.FilmWriter, "_mux", real)
    r = run("video", joined, dst, *opts)
    assert r.exit_code == 0 and re.search(r"resuming: [1-7] of 8 segments", r.stderr), r.stderr
    out = read_clip(dst)
    times = [float(p * out["time_base"]) for p in out["pts"]]
    assert len(times) == 80 and np.allclose(np.diff(times), 0.04, atol=1e-3)
    assert not [p for p in tmp_path.iterdir() if "retimed" in p.name]


@pytest.mark.parametrize("segments", ["1", "0"])
def test_a_broadcast_track_that_was_never_sent_is_left_out(tmp_path, tiny_ckpt, segments):
    """A DVB recording lists audio tracks that carry nothing (another language, audio
    description off air): FFmpeg knows no rate or channels for them, and the muxer refused
    the whole film ('video encoding failed: Invalid argument'). The track is left out, said."""
    src = tmp_path / "dvb.ts"
    with av.open(str(src), "w") as out:
        v = out.add_stream("mpeg2video", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        out.add_stream("mp2", rate=48000).layout = "stereo"  # listed, never sent
        for i in range(30):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 5 * i, np.uint8), "rgb24")
            out.mux(v.encode(f.reformat(format="yuv420p")))
        out.mux(v.encode())
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 0, r.stderr
    assert "audio stream 1 (mp3) left out: the input holds none of its sound" in r.stderr
    out = read_clip(dst)
    assert len(out["frames"]) == 30 and not out["audio"]


@pytest.mark.parametrize("segments", ["1", "0"])
def test_recordings_that_meet_on_one_timestamp_lose_nothing(tmp_path, tiny_ckpt, segments):
    """Where two recordings are joined, the second's first picture may take the time of the
    first's last: only one of them can be shown there. The film has no hole, and neither
    route calls it damaged (one encode: "1 undecodable packet"; segments: "1 of 100 lost"):
    a notice says what was passed over."""
    kw = {"gop": 10, "codec": "mpeg2video", "time_base": Fraction(1, 25), "audio": None}
    a = make_clip(tmp_path / "a.ts", n=50, **kw).read_bytes()
    # the muxer delays each recording by a frame: the second's first picture is the first's last
    b = make_clip(tmp_path / "b.ts", n=50, pts=list(range(50, 100)), **kw).read_bytes()
    (tmp_path / "met.ts").write_bytes(a + b)
    dst = tmp_path / "out.mkv"
    r = run(
        "video", tmp_path / "met.ts", dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments
    )
    assert r.exit_code == 0 and "damaged" not in r.stderr, r.stderr
    assert "met.ts: 1 frame(s) share their time with the frame before" in r.stderr
    pts = read_clip(dst)["pts"]
    assert len(pts) == len(set(pts)) == 99 and len(set(np.diff(sorted(pts)))) == 1  # no hole


@pytest.mark.parametrize(
    "fmt,codec,ext",
    [("h264", "libx264", "h264"), ("mpeg2video", "mpeg2video", "m2v"), ("mpeg1video", "mpeg1video", "m1v")],
)  # fmt: skip
def test_raw_elementary_streams(tmp_path, tiny_ckpt, fmt, codec, ext):
    """A raw .h264 (a CCTV or DVR export) has no timestamps at all: its frames are timed at
    its rate and it is one encode, said once. A raw .m2v has them but cannot seek by time. A
    raw MPEG-1 stream's times are FFmpeg's parser's guesses, which put a hole part way (the
    film was called damaged, and in `dir` failed): it is timed at its rate, as .h264 is."""
    src = tmp_path / "in" / f"raw.{ext}"
    src.parent.mkdir()
    with av.open(str(src), "w", format=fmt) as out:
        v = out.add_stream(codec, rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        for i in range(30):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * i, np.uint8), "rgb24")
            for p in v.encode(f.reformat(format="yuv420p")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    r = run("dir", src.parent, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    pts = read_clip(tmp_path / "out" / "raw.mkv")["pts"]
    assert len(pts) == 30 and len(set(np.diff(pts))) == 1  # every frame, evenly timed
    assert ("a raw stream without timestamps" in r.stderr) == (fmt != "mpeg2video")
    assert "damaged" not in r.stderr
    r = run(
        "video", src, tmp_path / "o.mkv", "--model", tiny_ckpt, "-q", "--segment-seconds", "0.4"
    )
    assert r.exit_code == 0, r.stderr
    assert read_clip(tmp_path / "o.mkv")["pts"] == pts


def test_a_segment_of_which_nothing_decodes_is_a_hole_in_the_film(tmp_path, tiny_ckpt):
    """Frames 25-49 of a 75-frame MJPEG film are blanked in place (their packets are there,
    none decodes): with 1-second segments, one whole segment has nothing to write."""
    src = make_clip(tmp_path / "in.mkv", n=75, codec="mjpeg", pix_fmt="yuvj420p", audio=None)
    data = bytearray(src.read_bytes())
    soi = [m.start() for m in re.finditer(b"\xff\xd8\xff", bytes(data))]
    for i in range(25, 50):
        data[soi[i] : soi[i + 1] - 24] = bytes(soi[i + 1] - 24 - soi[i])
    src.write_bytes(bytes(data))
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", "1")
    assert r.exit_code == 0, r.stderr
    assert "50 frames colorized, 25 of 75 lost (25 undecodable packets)" in r.stderr
    pts = read_clip(dst)["pts"]
    assert len(pts) == 50 and pts[25] - pts[24] == 26 * (pts[1] - pts[0])  # the hole kept


def test_a_variable_frame_rate_film_without_a_count_is_not_called_damaged(tmp_path, tiny_ckpt):
    """Matroska keeps no frame count: duration times the average rate (here about 46) is no
    count for a film whose frames come at uneven times, as a screen or phone recording's do
    (holes in a film of even times: tests/test_holes.py)."""
    gaps = [33, 67, 40, 100, 33, 50] * 5
    (tmp_path / "in").mkdir()
    src = make_clip(
        tmp_path / "in" / "vfr.mkv", n=30, pts=list(np.cumsum([0] + gaps[:29])),
        time_base=Fraction(1, 1000), audio=None,
    )  # fmt: skip
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "damaged" not in r.stderr and (tmp_path / "out" / "vfr.mkv").exists()
    assert read_clip(tmp_path / "out" / "vfr.mkv")["pts"] == read_clip(src)["pts"]


@pytest.mark.parametrize(
    "fmt,codec", [(f, c) for f, codecs in CONTAINER_CODECS.items() for c in codecs if f != "nut"]
)
def test_every_codec_a_container_offers_can_be_written(tmp_path, colorizer, fmt, codec):
    """What --codec accepts for a container is what this FFmpeg writes into it."""
    ext = {"matroska": ".mkv", "mpegts": ".ts"}.get(fmt, f".{fmt}")
    src = make_clip(tmp_path / "in.mp4", n=3, audio=None)
    dst = tmp_path / f"out{ext}"
    _colorize(colorizer, src, dst, codec=codec, segment_seconds=0)
    out = read_clip(dst)
    assert len(out["frames"]) == 3 and (out["width"], out["height"]) == (64, 48)


def _one_second_later(src: Path, dst: Path, kind: str) -> Path:
    """A copy of the film ``src`` (one video and one audio stream) whose ``kind`` stream
    starts 1 s later than the other."""
    with av.open(str(src)) as i, av.open(str(dst), "w") as o:
        out = {
            s.index: o.add_stream_from_template(s) for s in (i.streams.video[0], i.streams.audio[0])
        }
        for p in [p for p in i.demux() if p.size]:
            if p.stream.type == kind:
                step = round(1 / p.stream.time_base)
                p.pts, p.dts = p.pts + step, p.dts + step
            p.stream = out[p.stream.index]
            o.mux(p)
    return dst


@pytest.mark.parametrize("segments", [0, 1])
@pytest.mark.parametrize(
    "name,kw",
    [
        ("phone.mp4", {"time_base": Fraction(1, 90000)}),
        ("broadcast.ts", {"codec": "mpeg2video", "time_base": Fraction(1, 30), "audio": "mp2"}),
    ],
)
def test_an_avi_counts_frames_at_the_films_rate(tmp_path, colorizer, name, kw, segments):
    """AVI has no timestamps: a chunk per frame. On the input's finer clock the muxer wrote an
    empty "drop" chunk for every tick without a frame (19 a frame from a phone, the header
    saying 600 fps), and a transport stream's clock (starting at 1.4 s) led with empty ones."""
    src = make_clip(tmp_path / name, n=45, rate=30, **kw)
    dst = tmp_path / "out.avi"
    _colorize(colorizer, src, dst, segment_seconds=segments)
    with av.open(str(dst)) as c:
        v = c.streams.video[0]
        assert v.time_base == Fraction(1, 30) and v.average_rate == 30
        assert v.frames == 45 == sum(1 for p in c.demux(v) if p.size)  # no empty chunks
        assert not v.start_time
        assert c.streams.audio[0].codec_context.name == (
            "mp2" if name.endswith("ts") else "pcm_s16le"
        )
    assert len(read_clip(dst)["frames"]) == 45
    # a section starts the clock where it starts (its sound, which AVI does not time, too)
    _colorize(colorizer, src, tmp_path / "part.avi", segment_seconds=segments, start=1.0)
    # sound that starts 1 s before the pictures keeps its lead: 30 empty frames before them
    late = _one_second_later(src, tmp_path / "late.mkv", "video")
    _colorize(colorizer, late, tmp_path / "late.avi", segment_seconds=segments)
    # each picture in the chunk of its tick, in both routes: AVI places a chunk by its
    # decode time (an AVI is encoded without B-frames, whose decode times ran one or two
    # ticks ahead), and the first picture went into chunk 0 (FFmpeg's muxer fills gaps
    # only after a first packet: an empty one leads now)
    with av.open(str(late)) as c:  # 30 ticks, and the sound's lead (an AAC's priming)
        starts = {s.type: float(s.start_time * s.time_base) for s in c.streams}
    lead = round((starts["video"] - min(starts.values())) * 30)
    assert lead in (30, 31)
    for path, first in ((dst, 0), (tmp_path / "late.avi", lead)):
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            chunks = [p.dts for p in c.demux(v) if p.size]
            assert chunks == list(range(first, first + 45)) and v.frames == first + 45
    clip = read_clip(src)  # --start counts from the first picture (the stream's at 1.4 s)
    first = min(clip["pts"])
    shown = sum(1 for p in clip["pts"] if (p - first) * clip["time_base"] >= 1.0)
    with av.open(str(tmp_path / "part.avi")) as c:
        v = c.streams.video[0]
        assert v.frames == shown == sum(1 for p in c.demux(v) if p.size)


def test_a_raw_dv_file_keeps_its_frame_rate(tmp_path, colorizer):
    """A raw DV tape dump (.dv): FFmpeg averages its rate as 60000 fps. ProRes in MOV refused
    that rate ('video encoding failed: Invalid argument'); the film runs at 25."""
    src = tmp_path / "tape.dv"
    with av.open(str(src), "w", format="dv") as out:
        v = out.add_stream("dvvideo", rate=25)
        v.width, v.height, v.pix_fmt = 720, 576, "yuv420p"
        for i in range(8):
            f = av.VideoFrame.from_ndarray(np.full((576, 720, 3), 30 * i, np.uint8), "rgb24")
            out.mux(v.encode(f.reformat(format="yuv420p")))
        out.mux(v.encode())
    assert probe_video(src).rate == 25
    for ext, codec in ((".mov", "prores"), (".avi", "ffv1")):
        dst = tmp_path / f"out{ext}"
        _colorize(colorizer, src, dst, codec=codec, segment_seconds=0)
        with av.open(str(dst)) as c:
            assert c.streams.video[0].average_rate == 25
        assert len(read_clip(dst)["frames"]) == 8


def test_a_full_disk_is_said_in_words_and_a_segmented_film_resumes(
    tmp_path, tiny_ckpt, monkeypatch
):
    """The disk fills up while a film is written: one line says so (not 'video encoding
    failed: [Errno 28] ...' naming a temporary file) and what a rerun does; with space again,
    the rerun keeps the finished segments."""
    import errno

    from colorcli import videoio

    src = make_clip(tmp_path / "in.mkv", n=40, audio=None)
    dst = tmp_path / "out.mkv"
    real, calls = videoio.FilmWriter._mux, []

    def fills_up(self, packets):
        calls.append(1)
        if len(calls) > 25:  # the disk is full from the 26th packet on
            raise av.error.OSError(errno.ENOSPC, "No space left on device")
        real(self, packets)

    monkeypatch.setattr(videoio.FilmWriter, "_mux", fills_up)
    opts = ("--model", tiny_ckpt, "-q", "--segment-seconds", "0.4")
    r = run("video", src, dst, *opts)
    assert r.exit_code == 1 and not dst.exists()
    assert r.stderr == (
        f"error: {dst}: no space left on the device: free some and run the command again; "
        "the finished segments are kept: rerun the same command to resume\n"
    )
    monkeypatch.setattr(videoio.FilmWriter, "_mux", real)  # space again
    r = run("video", src, dst, *opts)
    # the first one or two (the second may still be finishing on its thread when the disk fills)
    assert r.exit_code == 0 and re.search(r"resuming: [12] of 4 segments were finished", r.stderr)
    assert len(read_clip(dst)["frames"]) == 40


@pytest.mark.parametrize("segments", [0, 1])
def test_an_avi_keeps_sound_that_starts_after_the_pictures_in_its_place(
    tmp_path, colorizer, segments
):
    """AVI times no sound: transcoded sound that starts 1 s after the pictures (an MP4's AAC)
    went in from the file's start, 1 s early. It is led by that much silence now."""
    src = make_clip(tmp_path / "in.mp4", n=50, audio="aac")
    late = _one_second_later(src, tmp_path / "late.mp4", "audio")
    with av.open(str(late)) as c:
        a = c.streams.audio[0]
        start = float(a.start_time * a.time_base)  # 1 s, less the codec's priming
        sound = sum(f.samples for f in c.decode(a))
    dst = tmp_path / "out.avi"
    _colorize(colorizer, late, dst, segment_seconds=segments)
    with av.open(str(dst)) as c:
        a = c.streams.audio[0]
        got = sum(f.samples for f in c.decode(a))
        assert abs(got - (sound + start * a.rate)) <= 2


@pytest.mark.parametrize("segments", [0, 1])
@pytest.mark.parametrize("codec", ["mp2", "ac3", "pcm_s16le"])
def test_an_avi_keeps_copied_sound_that_starts_after_the_pictures_in_its_place(
    tmp_path, colorizer, segments, codec
):
    """Sound an AVI takes as it is (a VOB's AC-3 or MP2, a capture's PCM) that starts 1 s
    after the pictures went in from the file's start, 1 s early, as AVI times no sound. It is
    led by that much silence in its own codec now, and still copied."""
    src = make_clip(tmp_path / "in.mkv", n=50, audio=codec)
    late = _one_second_later(src, tmp_path / "late.mkv", "audio")
    dst = tmp_path / "out.avi"
    _colorize(colorizer, late, dst, segment_seconds=segments)
    (start, sound), (onset, got) = _sound_onset(late), _sound_onset(dst)
    with av.open(str(dst)) as c:
        assert (
            c.streams.audio[0].codec_context.name
            == av.open(str(late)).streams.audio[0].codec_context.name
        )
    frame = {"mp2": 1152, "ac3": 1536}.get(codec, 1) / 44100  # the finest step: one packet
    assert start > 0.9 and abs(onset - start) <= frame / 2 + 0.002
    assert abs(got - sound) <= frame  # none of the sound lost


def _sound_onset(path: Path) -> tuple[float, float]:
    """Where a file's first audio track first sounds (seconds from where its first stream
    starts: an AVI's tracks play from its start) and how long it sounds from there."""
    with av.open(str(path)) as c:
        zero = min(float(s.start_time * s.time_base) for s in c.streams if s.start_time is not None)
        a, frames = c.streams.audio[0], []
        for f in c.decode(audio=0):
            if not frames:
                first = float(f.time) - zero if f.time is not None else 0.0
            frames.append(f.to_ndarray()[0, :: 1 if f.format.is_planar else 2])
    left = np.abs(np.concatenate(frames).astype(np.float64))
    loud = int(np.flatnonzero(left > 0.01 * left.max())[0])
    return first + loud / a.rate, (len(left) - loud) / a.rate


def test_video_output_path_errors(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4")
    before = src.read_bytes()
    r = run("video", src, src, "--model", tiny_ckpt)
    assert r.exit_code == 1 and "is the input" in r.stderr and src.read_bytes() == before
    r = run("video", src, tmp_path / "out.gif", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "unknown video extension" in r.stderr
    # a still's extension: the line says how to write a film as numbered frames
    r = run("video", src, tmp_path / "out.dpx", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr.strip().endswith(
        f"or, for numbered .tif, .dpx or .png frames, a pattern such as {tmp_path / 'out_%06d.dpx'}"
    )
    r = run("video", src, tmp_path / "out.webm", "--model", tiny_ckpt, "--codec", "libx264")
    assert r.exit_code == 1
    assert "libx264 does not go in .webm; use --codec libvpx-vp9, or .mkv" in r.stderr
    r = run("video", src, tmp_path / "out.mp4", "--model", tiny_ckpt, "--codec", "ffv1")
    assert r.exit_code == 1 and "ffv1 does not go in .mp4" in r.stderr
    r = run("video", src, tmp_path / "out.mov", "--model", tiny_ckpt, "--codec", "ffv1")
    assert r.exit_code == 1 and "ffv1 does not go in .mov" in r.stderr
    silent = make_clip(tmp_path / "silent.mkv", n=5, rate=18, audio=None)  # a 1920s reel
    r = run("video", silent, tmp_path / "out.mxf", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "MXF takes broadcast frame rates only" in r.stderr
    assert "runs at 18 fps: use .mov or .mkv" in r.stderr and r.stderr.count("\n") == 1
    assert not list(tmp_path.glob(".out*"))  # no work folder or temporary left
    (tmp_path / "exists.mp4").write_bytes(b"x")
    r = run("video", src, tmp_path / "exists.mp4", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "exists already" in r.stderr
    r = run("video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--start", "2", "--end", "1")
    assert r.exit_code == 1 and "--end must be after --start" in r.stderr
    r = run("video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--end", "0")
    assert r.exit_code == 1 and "--end must be after the film's start (0 s)" in r.stderr
    # what the codec itself would refuse is refused up front, and blamed on the option
    r = run("video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--crf", "60")
    assert r.exit_code == 1 and "--crf for libx264 must be in 0..51, got 60" in r.stderr
    r = run("video", src, tmp_path / "o.mp4", "--model", tiny_ckpt, "--preset", "speedy")
    assert r.exit_code == 2 and "Invalid value for '--preset'" in r.stderr
    assert str(src) not in r.stderr and not (tmp_path / "o.mp4").exists()
    r = run("video", src, tmp_path / "o.webm", "--model", tiny_ckpt, "-q", "--crf", "60")
    assert r.exit_code == 0, r.stderr  # .webm takes vp9 by itself, and vp9 takes --crf 60
    (tmp_path / "file").write_text("a file, not a folder")
    r = run("video", src, tmp_path / "file" / "o.mp4", "--model", tiny_ckpt)
    assert r.exit_code == 1 and r.stderr == (
        f"error: {tmp_path / 'file' / 'o.mp4'}: cannot write here "
        f"({tmp_path / 'file'} is a file, not a folder)\n"
    )  # it said "(File exists)", of a folder it could not make


def _segments_done(dst):
    work = dst.with_name(f".{dst.name}.colorcli-work")
    return len(list(work.glob("seg-*.json")))


@procs.first_stop_signals
def test_a_signal_mid_film_keeps_the_finished_segments_and_the_rerun_resumes(
    tmp_path, tiny_ckpt, sig, code, line
):
    src = make_clip(tmp_path / "in.mp4", n=400, size=(240, 320), audio="aac")
    dst = tmp_path / "out" / "film.mp4"
    args = procs.film(src, dst, tiny_ckpt)
    p = procs.start(*args, "--segment-seconds", "2")
    procs.wait_for(lambda: _segments_done(dst) >= 2, proc=p)
    rc, _, err = procs.stop(p, sig)
    assert rc == code, err
    assert err.strip().splitlines()[-1] == (
        f"{line}: no partial output was left under a final name; the finished segments are kept: rerun the same command to resume"
    )
    kept = _segments_done(dst)
    assert not dst.exists() and kept >= 2 and "Traceback" not in err
    work = dst.with_name(".film.mp4.colorcli-work")
    total = len(json.loads((work / "plan.json").read_text())["segments"])
    assert not [q for q in work.iterdir() if "colorcli-tmp" in q.name]  # the one in hand went
    r = procs.run(*args, "--segment-seconds", "2")
    assert r.returncode == 0, r.stderr
    assert f"resuming: {kept} of {total} segments were finished by an earlier run" in r.stderr
    a, b = read_clip(src), read_clip(dst)
    assert b["pts"] == a["pts"] and b["audio"] == a["audio"]
    assert not procs.leftovers(tmp_path) and not work.exists()


def test_a_changed_command_is_refused_unless_restarted(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=400, size=(240, 320), audio=None)
    dst = tmp_path / "film.mp4"
    args = procs.film(src, dst, tiny_ckpt, "--segment-seconds", "2")
    p = procs.start(*args)
    procs.wait_for(lambda: _segments_done(dst) >= 1, proc=p)
    procs.stop(p, signal.SIGINT)
    r = procs.run(*args, "--crf", "30")
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: {dst}: the unfinished work in ")
    assert "is not this command's: --crf 18 (now 30); rerun with the same options" in r.stderr
    assert "--restart" in r.stderr
    r = procs.run(*args, "--crf", "30", "--restart")
    assert r.returncode == 0 and "resuming" not in r.stderr, r.stderr
    assert len(read_clip(dst)["pts"]) == 400


def test_a_signal_mid_film_without_segments_leaves_nothing(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=300, size=(240, 320), audio=None)
    dst = tmp_path / "out" / "film.mp4"
    args = procs.film(src, dst, tiny_ckpt)
    p = procs.start(*args, "--segment-seconds", "0")
    procs.wait_for(lambda: any("colorcli-tmp" in q.name for q in dst.parent.glob(".*")), proc=p)
    rc, _, err = procs.stop(p, signal.SIGTERM)
    assert rc == 143, err
    assert "rerun to colorize the film again from its start" in err
    assert not dst.exists() and not procs.leftovers(tmp_path) and "Traceback" not in err


def test_a_killed_film_leaves_work_that_the_rerun_cleans_and_finishes(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=400, size=(240, 320), audio=None)
    dst = tmp_path / "out" / "film.mp4"
    args = procs.film(src, dst, tiny_ckpt)
    p = procs.start(*args, "--segment-seconds", "2")
    procs.wait_for(lambda: _segments_done(dst) >= 1, proc=p)
    procs.stop(p, signal.SIGKILL)
    assert procs.leftovers(dst.parent) and not dst.exists()  # SIGKILL cleans nothing up
    r = procs.run(*args, "--segment-seconds", "2")
    assert r.returncode == 0, r.stderr
    assert not procs.leftovers(dst.parent)  # the writer was gone: its temp and lock went
    assert read_clip(dst)["pts"] == read_clip(src)["pts"]


# ---------------------------------------------------------------- Y'CbCr path and keyframes
def _planes(path):
    with av.open(str(path)) as f:
        return [fr.to_ndarray() for fr in f.decode(video=0)]


def test_yuv_path_keeps_luma_bit_for_bit_where_there_is_no_colour(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=8, size=(48, 64), audio=None)
    gray = Colorizer(tiny_ckpt, device="cpu", saturation=0.0)
    dst = tmp_path / "out.mkv"
    _colorize(gray, src, dst, codec="libx264", crf=0, keyframes=1)
    a, b = _planes(src), _planes(dst)
    assert len(a) == len(b) == 8
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[:48], y[:48])  # the luma plane is the input's
        assert np.abs(y[48:].astype(int) - 128).max() <= 1  # chroma neutral


def test_yuv_path_agrees_with_the_rgb_path(tmp_path, colorizer):
    # x264 (4:2:0 out) takes the Y'CbCr route; ffv1 (RGB out) takes the RGB route
    src = make_clip(tmp_path / "in.mp4", n=6, size=(64, 96), audio=None)
    _colorize(colorizer, src, tmp_path / "yuv.mkv", keyframes=1, smooth=0.0, crf=0)
    _colorize(colorizer, src, tmp_path / "rgb.mkv", keyframes=1, smooth=0.0, codec="ffv1")
    with av.open(str(tmp_path / "rgb.mkv")) as f:
        assert f.streams.video[0].codec_context.pix_fmt == "bgr0"
    ya = rgb_to_lab(np.stack(read_clip(tmp_path / "yuv.mkv")["frames"]))
    ra = rgb_to_lab(np.stack(read_clip(tmp_path / "rgb.mkv")["frames"]))
    sa = rgb_to_lab(np.stack(read_clip(src)["frames"]))
    chroma = np.hypot(ra[..., 1], ra[..., 2]).mean()
    assert chroma > 3.0  # the tiny model does colour something
    assert np.abs(ya[..., 1:] - ra[..., 1:]).mean() < 0.25 * chroma + 1.0
    # both keep the lightness of the input
    assert np.abs(ya[..., 0] - sa[..., 0]).mean() < 1.5
    assert np.abs(ra[..., 0] - sa[..., 0]).mean() < 1.5


def test_saturation_scales_both_routes_alike(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=4, size=(64, 96), audio=None)
    chroma = {}
    for sat in (1.0, 0.5):
        c = Colorizer(tiny_ckpt, device="cpu", saturation=sat)
        for codec in ("libx264", "ffv1"):
            dst = tmp_path / f"{codec}-{sat}.mkv"
            _colorize(c, src, dst, keyframes=1, smooth=0.0, crf=0, codec=codec)
            lab = rgb_to_lab(np.stack(read_clip(dst)["frames"]))
            chroma[codec, sat] = np.hypot(lab[..., 1], lab[..., 2]).mean()
    for codec in ("libx264", "ffv1"):
        assert chroma[codec, 0.5] == pytest.approx(0.5 * chroma[codec, 1.0], rel=0.15)


def test_flow_propagation_follows_motion():
    from colorcli.propagate import FlowPropagator

    h, w = 48, 64
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def scene(dx):
        blob = ((xx - 20 - dx) ** 2 + (yy - 24) ** 2) < 80
        lum = 30 + 40 * blob + 5 * np.sin(xx / 3) * np.cos(yy / 4)
        ab = np.zeros((h, w, 2), np.float32)
        ab[blob] = (40.0, 30.0)
        return lum.astype(np.float32), ab

    l0, ab0 = scene(0)
    l1, ab1 = scene(4)
    moved = FlowPropagator()(ab0, l0, l1)
    err_warp = np.abs(moved - ab1).mean()
    err_still = np.abs(ab0 - ab1).mean()
    assert err_warp < 0.4 * err_still, (err_warp, err_still)


class Watching:
    """A colorizer seen through the film's one interface (colorcli.film.AbPredictor), noting
    how many frames reach the network and the kernel threads in force when they do."""

    def __init__(self, colorizer):
        self.c, self.sizes, self.threads = colorizer, [], []

    @property
    def batch_size(self):
        return self.c.batch_size

    @property
    def device_type(self):
        return self.c.device_type

    @property
    def margins(self):
        return self.c.margins

    @property
    def output_stride(self):
        return self.c.output_stride

    def net_shape(self, h, w):
        return self.c.net_shape(h, w)

    def fingerprint(self):
        return self.c.fingerprint()

    def predict_ab(self, l_nets, levels=None):
        import cv2
        import numba

        self.sizes.append(len(l_nets))
        self.threads.append((numba.get_num_threads(), cv2.getNumThreads()))
        return self.c.predict_ab(l_nets, levels=levels)


@pytest.mark.parametrize("keyframes,expected", [(1, 20), (4, 5), (None, 5)])
def test_keyframes_send_every_kth_frame_to_the_network(tmp_path, colorizer, keyframes, expected):
    src = make_clip(tmp_path / "in.mp4", n=20, audio=None)
    seen = Watching(colorizer)
    _colorize(seen, src, tmp_path / "out.mp4", keyframes=keyframes)
    assert sum(seen.sizes) == expected  # None: the CPU's default interval
    assert len(read_clip(tmp_path / "out.mp4")["frames"]) == 20


def test_a_scene_cut_is_always_a_keyframe(tmp_path, colorizer):
    src = make_clip(tmp_path / "in.mp4", n=20, audio=None, cut_at=10)
    seen = Watching(colorizer)
    _colorize(seen, src, tmp_path / "out.mp4", keyframes=8)
    assert sum(seen.sizes) == 4  # frames 0, 8, the cut at 10, 16 (keys fall on multiples of 8)


def test_keyframes_cli_option(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mp4", n=6)
    r = run("video", src, tmp_path / "out.mp4", "--model", tiny_ckpt, "-q", "--keyframes", "0")
    assert r.exit_code == 2 and "--keyframes" in r.output
    r = run("video", src, tmp_path / "out.mp4", "--model", tiny_ckpt, "-q", "--keyframes", "2")
    assert r.exit_code == 0, r.output
    assert len(read_clip(tmp_path / "out.mp4")["frames"]) == 6


def test_kernel_threads_are_lowered_during_a_film_and_restored_after(tmp_path, colorizer):
    import cv2
    import numba

    from colorcli.film import kernel_threads

    src = make_clip(tmp_path / "in.mp4", n=6, size=(48, 64), audio=None)
    before = numba.get_num_threads(), cv2.getNumThreads()
    seen = Watching(colorizer)
    _colorize(seen, src, tmp_path / "out.mp4", keyframes=1)
    want = (min(before[0], kernel_threads()), min(before[1], kernel_threads()))
    assert seen.threads and set(seen.threads) == {want}
    assert (numba.get_num_threads(), cv2.getNumThreads()) == before


def test_kernel_threads_policy():
    from colorcli.film import kernel_threads

    assert kernel_threads(1) == kernel_threads(2) == kernel_threads(4) == 1
    assert kernel_threads(16) == 8


def test_luma_table_matches_luma_to_l():
    import cv2

    from colorcli.kernels import luma_l_table, luma_to_l

    y = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for full in (False, True):
        np.testing.assert_array_equal(cv2.LUT(y, luma_l_table(full)), luma_to_l(y, full))


@pytest.mark.parametrize("size", [(48, 64), (40, 86)])  # chroma rows unpadded / padded
def test_new_frame_matches_the_packed_compose(size):
    from colorcli.compose import Yuv420Route, plane_view

    h, w = size
    rng = np.random.default_rng(3)
    yuv = Yuv420Route(h, w, "bt601", False)
    src = av.VideoFrame(w, h, "yuv420p")
    y = plane_view(src.planes[0])  # the decoder's luma plane, rows padded to its line size
    y[...] = rng.integers(16, 236, (h, w), dtype=np.uint8)
    ab = rng.normal(0, 30, (h // 4, w // 4, 2)).astype(np.float32)
    # the same composition into FFmpeg's packed yuv420p layout, from an unpadded luma copy
    packed = np.empty((h * 3 // 2, w), np.uint8)
    n = (h // 2) * (w // 2)
    chroma = packed.reshape(-1)[h * w :]
    planes = (packed[:h], chroma[:n].reshape(h // 2, w // 2), chroma[n:].reshape(h // 2, w // 2))
    yuv.compose(np.ascontiguousarray(y), ab, out=planes)
    vf = yuv.new_frame(y, ab)
    assert (vf.width, vf.height, vf.format.name) == (w, h, "yuv420p")
    np.testing.assert_array_equal(vf.to_ndarray(), packed)
    assert np.abs(packed[h:].astype(int) - 128).max() > 5  # there is colour to compare


# ---------------------------------------------------------------- pipes
def _pipe(args, stdin=None, timeout=120):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "colorcli", *map(str, args)],
        stdin=stdin,
        capture_output=True,
        timeout=timeout,
        preexec_fn=procs._as_from_a_terminal,
    )


def test_films_go_through_pipes_both_ways(tmp_path, tiny_ckpt):
    src = make_clip(tmp_path / "in.mkv", n=30, pts=list(range(0, 90, 3)), time_base=Fraction(1, 75))
    model = ("--model", tiny_ckpt, "-q")
    with open(src, "rb") as f:  # stdin to a file
        r = _pipe(["video", "-", tmp_path / "a.mkv", *model], stdin=f)
    assert r.returncode == 0, r.stderr
    with open(src, "rb") as f:  # stdin to stdout, in NUT, with --stats kept off the film
        r = _pipe(["video", "-", "-", *model, "--pipe-format", "nut", "--stats"], stdin=f)
    assert r.returncode == 0, r.stderr
    assert b"stats: flicker" in r.stderr
    (tmp_path / "b.nut").write_bytes(r.stdout)
    r = _pipe(["video", src, "-", *model])  # a file to stdout, Matroska
    assert r.returncode == 0, r.stderr
    (tmp_path / "c.mkv").write_bytes(r.stdout)
    a = read_clip(src)
    want = [float(p * a["time_base"]) for p in a["pts"]]
    for out in ("a.mkv", "b.nut", "c.mkv"):
        b = read_clip(tmp_path / out)
        secs = [float(p * b["time_base"]) for p in b["pts"]]
        # NUT keeps no negative timestamps: x264's B-frame delay shifts its film as a whole
        shift = secs[0] - want[0] if out.endswith(".nut") else 0.0
        assert [t - shift for t in secs] == pytest.approx(want, abs=1e-3), out
        assert b["audio"] and len(b["frames"]) == 30, out


def test_a_film_is_not_read_from_or_written_to_a_terminal(tmp_path, tiny_ckpt):
    """'-' with a terminal for stdin waited for ever; with a terminal for stdout the film's
    bytes filled the screen."""
    import os
    import pty
    import subprocess
    import sys

    src = make_clip(tmp_path / "in.mp4", n=4, audio=None)
    main, other = pty.openpty()
    try:
        cmd = [sys.executable, "-m", "colorcli", "video", "--model", str(tiny_ckpt), "-q"]
        r = subprocess.run(
            [*cmd, "-", str(tmp_path / "out.mkv")],
            stdin=other, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 1
        assert r.stderr.startswith(
            "error: SRC '-' reads a film from a pipe, and nothing is piped in"
        )
        assert not (tmp_path / "out.mkv").exists()
        r = subprocess.run(
            [*cmd, str(src), "-"], stdout=other, stderr=subprocess.PIPE, text=True, timeout=60
        )
        assert r.returncode == 1
        assert r.stderr.startswith("error: DST '-' writes the film into a pipe, and the output is")
    finally:
        os.close(main)
        os.close(other)


def test_a_photo_on_a_pipe_is_said_to_be_one(tmp_path, tiny_ckpt):
    photo = tmp_path / "scan.png"
    cv2.imwrite(str(photo), np.full((24, 32), 90, np.uint8))
    with open(photo, "rb") as f:
        r = _pipe(["video", "-", tmp_path / "o.mkv", "--model", tiny_ckpt, "-q"], stdin=f)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1, err
    assert "a photo, not a film (`colorize image` takes photos;" in err
    assert not (tmp_path / "o.mkv").exists()


def test_an_mp4_on_a_pipe_with_its_index_at_the_end_is_said_in_words(tmp_path, tiny_ckpt):
    """FFmpeg and most cameras write an MP4's index (moov) after its pictures; on a pipe the
    demuxer reads to the end to find it and cannot go back: "video decoding failed: Invalid
    data found when processing input". The line says why and what to do; the same film with
    its index first goes through."""
    rng = np.random.default_rng(0)
    late, early = tmp_path / "late.mp4", tmp_path / "early.mp4"
    for path, flags in ((late, {}), (early, {"movflags": "+faststart"})):
        with av.open(str(path), "w", options=flags) as out:
            v = out.add_stream("libx264", rate=25)
            v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
            v.codec_context.options = {"crf": "10", "preset": "ultrafast"}
            for _ in range(40):  # noise: about 1 MB, more than any read buffer holds
                noise = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
                out.mux(v.encode(av.VideoFrame.from_ndarray(noise, "rgb24")))
            out.mux(v.encode())
    import subprocess

    def through_a_pipe(path, dst):  # a real pipe: a file given as stdin can seek
        cat = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
        r = _pipe(["video", "-", dst, "--model", tiny_ckpt, "-q", "--size", "32"], cat.stdout)
        cat.stdout.close()
        cat.wait()
        return r

    r = through_a_pipe(late, tmp_path / "a.mkv")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == (
        "error: <stdin>: an MP4 or MOV is read from a pipe only with its index (moov) before"
        " its pictures, and this one has it after them: give the file's path instead (or"
        " remux it with ffmpeg -movflags +faststart)"
    )
    assert not (tmp_path / "a.mkv").exists() and not procs.leftovers(tmp_path)
    r = through_a_pipe(early, tmp_path / "b.mkv")
    assert r.returncode == 0, r.stderr
    assert len(read_clip(tmp_path / "b.mkv")["frames"]) == 40


def test_non_square_pixels_onto_a_pipe_in_ffv1_are_named(tmp_path, tiny_ckpt):
    """What is streamed cannot be written into afterwards: FFV1 on a pipe loses the pixel
    shape, and the user is told; H.264, which carries it, says nothing."""
    src = make_clip(tmp_path / "in.mkv", n=5, sar=Fraction(64, 45), audio=None)
    model = ("--model", tiny_ckpt, "-q")
    r = _pipe(["video", src, "-", *model, "--codec", "ffv1"])
    assert r.returncode == 0, r.stderr
    assert b"pixel aspect ratio (64:45) cannot go onto a pipe with ffv1" in r.stderr
    r = _pipe(["video", src, "-", *model])
    assert r.returncode == 0 and b"aspect" not in r.stderr, r.stderr
    (tmp_path / "o.mkv").write_bytes(r.stdout)
    assert _shown_ratio(tmp_path / "o.mkv") == Fraction(64, 45)


def test_a_pipe_cannot_resume_and_says_so(tmp_path, tiny_ckpt):
    import subprocess
    import sys

    src = make_clip(tmp_path / "in.mkv", n=400, size=(240, 320), audio=None)
    with open(src, "rb") as f:
        p = subprocess.Popen(
            [sys.executable, "-m", "colorcli", "video", "-", tmp_path / "o.mkv"]
            + ["--model", str(tiny_ckpt), "-q", "--size", "240"],
            stdin=f,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=procs._as_from_a_terminal,
        )
        procs.wait_for(lambda: any("colorcli-tmp" in q.name for q in tmp_path.glob(".*")), proc=p)
        rc, _, err = procs.stop(p, signal.SIGINT)
    assert rc == 130 and "a pipe cannot resume: send the film through again" in err
    assert not (tmp_path / "o.mkv").exists() and not procs.leftovers(tmp_path)
    r = _pipe(
        ["video", "-", tmp_path / "o.mkv", "--model", tiny_ckpt, "--shard", "0/2"], stdin=None
    )
    assert r.returncode == 1 and b"--shard needs files" in r.stderr
    r = _pipe(["video", "-", tmp_path / "o.mkv", "--model", tiny_ckpt], stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and r.stderr.startswith(b"error: <stdin>: not a video stream")


@pytest.mark.parametrize("alpha", [128, 255])
def test_a_film_with_transparency_says_the_coloured_film_is_opaque(tmp_path, tiny_ckpt, alpha):
    """A film with an alpha channel (PNG or ProRes 4444 in MOV: titles, animation) came out
    opaque without a word. Where its first frame is transparent somewhere, a notice says so;
    an alpha channel that is opaque all over loses nothing and says nothing."""
    src = tmp_path / "titles.mov"
    with av.open(str(src), "w") as out:
        s = out.add_stream("png", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "rgba"
        for i in range(6):
            a = np.full((48, 64, 4), alpha, np.uint8)
            a[..., :3] = 40 + 20 * i
            for p in s.encode(av.VideoFrame.from_ndarray(a, format="rgba")):
                out.mux(p)
        out.mux(s.encode())
    r = CliRunner().invoke(
        main, ["video", str(src), str(tmp_path / "o.mp4"), "--model", str(tiny_ckpt), "-q"]
    )
    assert r.exit_code == 0, r.output
    said = (
        f"notice: {src}: its alpha channel (transparency) is not kept: the coloured film is opaque"
    )
    assert (said in r.output) == (alpha < 255)


@pytest.mark.parametrize("segments", ["1", "0"])
def test_memory_running_out_in_a_film_is_one_line_naming_the_size(
    tmp_path, tiny_ckpt, monkeypatch, segments
):
    """`colorize video --size 100000` ran out of memory making the network's input and
    reached the user as "unexpected error: OpenCV ... Insufficient memory ... please report
    it". It is one line pointing at --size, and nothing half-written is left."""
    import cv2

    from colorcli import compose

    src = make_clip(tmp_path / "in.mp4", n=6, audio=None)

    def no_room(self, y, net_shape):
        raise cv2.error(
            "OpenCV(5.1.0) alloc.cpp:73: error: (-4:Insufficient memory) Failed to allocate 53333200000 bytes"
        )

    monkeypatch.setattr(compose.Yuv420Route, "split", no_room)
    monkeypatch.setattr(compose.RgbRoute, "split", no_room)
    dst = tmp_path / "out.mp4"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "out of memory on the host" in r.stderr and "try a smaller --size" in r.stderr
    assert "unexpected" not in r.stderr
    # nothing under the output's name, no temporary (a segmented run keeps its work folder)
    assert not dst.exists() and not list(tmp_path.glob(".*colorcli-tmp*"))


def test_films_beyond_4k_give_x264_a_shorter_lookahead(tmp_path, tiny_ckpt):
    """x264 holds its lookahead's frames (medium: 40): an 8K film took 10.6 GB in all at 72
    frames, 7.5 GB with 10. Beyond 4K UHD the lookahead shrinks with the frame, never under 10
    and never above the preset's; at 4K and below the preset's own stands."""
    from colorcli.videoio import x264_lookahead

    assert x264_lookahead("medium", 3840, 2160) is None
    assert x264_lookahead("medium", 7680, 4320) == 10
    assert x264_lookahead("slow", 7680, 4320) == 12
    assert x264_lookahead("veryfast", 7680, 4320) is None  # its own 10 already
    assert x264_lookahead("ultrafast", 7680, 4320) is None
    # what the encoder was told, as x264 writes its settings into the film
    src = make_clip(tmp_path / "wide.mkv", n=3, size=(1088, 8192), audio=None)
    dst = tmp_path / "out.mkv"
    r = procs.run("video", src, dst, "--model", tiny_ckpt, "-q", "--size", "256")
    assert r.returncode == 0, r.stderr
    head = dst.read_bytes()[:200_000]
    assert b"rc_lookahead=37" in head  # round(40 x 8294400 / 8912896)


@pytest.mark.parametrize("size", ["64", "32"])
def test_a_film_far_wider_than_tall_at_a_small_size_is_coloured(tmp_path, tiny_ckpt, size):
    """Its colour grid 32 x 241 (or 16 x 120): OpenCV's DIS flow, which carries colour between
    keyframes, crashed the process (a segmentation fault: no message, no output) on pictures
    12 to 31 lines tall and a few hundred wide. In a process of its own, so that a crash
    fails this test and not the whole run."""
    src = make_clip(tmp_path / "wide.mkv", n=12, size=(136, 1024), audio=None)
    dst = tmp_path / "out.mkv"
    r = procs.run("video", src, dst, "--model", tiny_ckpt, "-q", "--size", size)
    assert r.returncode == 0, r.stderr
    assert len(read_clip(dst)["pts"]) == 12
