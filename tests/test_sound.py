"""A film's sound where it cannot be copied as it is: RealMedia, whose sound packets carry
one time per interleaved block (and, as FFmpeg writes it, 0 for every packet); captures with
more channels than the container's codecs take in one track; sound kept lossless."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from colorcli.colorizer import Colorizer
from colorcli.events import Notice
from colorcli.options import VideoOptions
from colorcli.soundout import SoundClock
from colorcli.video import colorize_video, prepare_video
from tests.media import read_clip

RATE, N = 25, 50  # 2 s of film
SOUND = 8000  # RealAudio 1.0 (14.4 kbps voice): 160 samples a packet
PADDED = 2 * 1024 / SOUND + 0.01  # AAC's priming and last frame's padding: two frames at most


@pytest.fixture(scope="module")
def colorizer(tiny_ckpt):
    return Colorizer(tiny_ckpt, device="cpu", batch_size=4)


def _realmedia(path: Path) -> Path:
    """RealVideo 2 with RealAudio 1.0 sound, as FFmpeg's muxer writes it: every sound packet
    timed 0."""
    with av.open(str(path), "w", format="rm") as out:
        v = out.add_stream("rv20", rate=RATE)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("real_144", rate=SOUND)
        a.layout = "mono"
        t = np.arange(N * SOUND // RATE)
        tone = (np.sin(2 * np.pi * 300 * t / SOUND) * 8000).astype(np.int16)
        for i in range(N):
            g = np.full((48, 64, 3), 40 + 3 * i, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(g, "rgb24")):
                out.mux(p)
            for s in range(i * SOUND // RATE, (i + 1) * SOUND // RATE, 160):
                _sound_frame(out, a, tone[None, s : s + 160], "mono", s)
        _flush(out, v, a)
    return path


def _sound_frame(out, stream, samples: np.ndarray, layout: str, at: int) -> None:
    """16-bit interleaved ``samples`` (1, n x channels) encoded at sample ``at`` and muxed."""
    af = av.AudioFrame.from_ndarray(samples, "s16", layout)
    af.sample_rate, af.pts = stream.codec_context.sample_rate, at
    for p in stream.encode(af):
        out.mux(p)


def _flush(out, *streams) -> None:
    for st in streams:
        for p in st.encode():
            out.mux(p)


def _sound(path: Path) -> tuple[float, list[float]]:
    """Seconds of sound a film's first audio track decodes to, and its packets' times."""
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        times = [float(p.pts * p.time_base) for p in c.demux(a) if p.pts is not None]
    with av.open(str(path)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
        rate = c.streams.audio[0].codec_context.sample_rate
    return samples / rate, times


@pytest.mark.parametrize("segments", [0, 1])
@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_realmedia_sound_is_kept_whole_and_in_time(tmp_path, colorizer, ext, segments):
    """Into .mp4 the film failed ('Invalid argument': times that do not rise); into .mkv its
    sound was copied with every packet at 0 s. Now it is decoded and timed by its samples:
    all of it, its times rising, as long as the pictures."""
    src = _realmedia(tmp_path / "news.rm")
    dst = tmp_path / f"out{ext}"
    opts = VideoOptions(segment_seconds=segments)
    events = list(colorize_video(prepare_video(src, dst, opts, True), colorizer))
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("RealMedia gives its packets no times" in n for n in notices), notices
    assert len(read_clip(dst)["pts"]) == N
    seconds, times = _sound(dst)
    assert abs(seconds - N / RATE) < PADDED, seconds
    assert times == sorted(times) and times[-1] - times[0] > 1.7, times[:5]


@pytest.mark.parametrize("segments", [0, 1])
def test_a_section_of_realmedia_keeps_the_sound_of_that_section(tmp_path, colorizer, segments):
    """--start: the sound's packets all say 0 s; it is timed by its samples, then cut."""
    src = _realmedia(tmp_path / "news.rm")
    dst = tmp_path / "out.mp4"
    opts = VideoOptions(segment_seconds=segments, start=0.8)
    list(colorize_video(prepare_video(src, dst, opts, True), colorizer))
    seconds, _ = _sound(dst)
    assert abs(seconds - (N / RATE - 0.8)) < PADDED, seconds


def _frames(times: list[int | None], rate: int = 1000, samples: int = 100) -> list:
    out = []
    for t in times:
        f = av.AudioFrame.from_ndarray(np.zeros((1, samples), np.int16), "s16", "mono")
        f.sample_rate, f.pts, f.time_base = rate, t, Fraction(1, 1000)
        out.append(f)
    return out


def test_frames_without_times_or_with_times_that_stand_still_follow_the_one_before():
    """RealMedia's packets after the first of a block have no time; FFmpeg's .rm files time
    every one 0: each such frame starts where the one before ends. A time that jumps ahead
    (a gap in the sound) is kept; one a sample early (rounding) joins up."""
    clock = SoundClock(lambda f: [f])
    got = [clock(f)[0].pts for f in _frames([500, None, None, 500, 500, 900, 999, None])]
    assert got == [500, 600, 700, 800, 900, 1000, 1100, 1200]
    clock = SoundClock(lambda f: [f])
    assert [clock(f)[0].pts for f in _frames([None, None])] == [0, 100]
    clock = SoundClock(lambda f: [f])  # the rate changes (the next programme): in seconds
    got = [clock(f)[0] for f in [*_frames([None, None]), *_frames([None], rate=2000)]]
    assert [float(f.pts * f.time_base) for f in got] == [0.0, 0.1, 0.2]


def _capture(path: Path, layout: str, codec: str = "pcm_s16le", rate: int = 48000) -> Path:
    """A capture's MJPEG pictures with sound of ``layout`` in ``codec``, each channel its own
    tone."""
    fmt = {"pcm_s16le": "mov", "pcm_alaw": "mov", "flac": "matroska"}.get(codec, "avi")
    with av.open(str(path), "w", format=fmt) as out:
        v = out.add_stream("mjpeg", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuvj420p"
        a = out.add_stream(codec, rate=rate)
        a.layout = layout
        n = len(a.codec_context.layout.channels)
        for i in range(10):
            g = np.full((48, 64, 3), 20 * i, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(g, "rgb24")):
                out.mux(p)
        t = np.arange(rate)
        x = np.stack([np.sin(t * (k + 1) / 50) * 3000 for k in range(n)], 1).astype(np.int16)
        for at in range(0, rate, 1152):
            _sound_frame(out, a, x[None, at : at + 1152].reshape(1, -1), layout, at)
        _flush(out, v, a)
    return path


def _channels(path: Path) -> list[np.ndarray]:
    """Each channel of every audio track of a film, decoded (as 16-bit where it is)."""
    with av.open(str(path)) as c:
        tracks = len(c.streams.audio)
    out = []
    for k in range(tracks):
        with av.open(str(path)) as c:
            n = len(c.streams.audio[k].codec_context.layout.channels)
            frames = [
                f.to_ndarray().reshape(-1, n) if not f.format.is_planar else f.to_ndarray().T
                for f in c.decode(audio=k)
            ]
        out += list(np.concatenate(frames).T)
    return out


@pytest.mark.parametrize(
    "layout,ext,segments",
    [
        ("2.1", ".mp4", 0),
        ("quad", ".mp4", 1),
        ("5.0", ".mp4", 0),
        ("7.1", ".mp4", 0),
        ("hexadecagonal", ".mp4", 0),
        ("hexadecagonal", ".mp4", 1),
        ("2.1", ".webm", 0),
        ("quad", ".mov", 0),
    ],
)
def test_every_channel_of_a_capture_is_kept(tmp_path, colorizer, layout, ext, segments):
    """A capture's PCM with 3, 4 or 8 channels failed the film into .mp4 (ALAC takes no 2.1,
    quad or 7.1: 'Invalid argument'), Opus no 2.1; 5 and 16 channels were mixed down to
    stereo under a notice that said lossless. Now every channel is kept: in one track where
    a codec of the container takes its layout (FLAC where ALAC does not), else each in a mono
    track of its own; into .mp4, every sample as it was."""
    src = _capture(tmp_path / "tape.mov", layout)
    dst = tmp_path / f"out{ext}"
    opts = VideoOptions(segment_seconds=segments)
    events = list(colorize_video(prepare_video(src, dst, opts, True), colorizer))
    notices = " ".join(e.message for e in events if isinstance(e, Notice))
    want, got = _channels(src), _channels(dst)
    assert len(got) == len(want), notices
    if ext == ".mp4":
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True)), notices
        assert "(lossless)" in notices
    if layout == "hexadecagonal":
        assert "each of its 16 channels a mono track of its own" in notices


def test_low_rate_mp3_from_an_old_camera_goes_into_mp4(tmp_path, colorizer):
    """MP3 at 8 kHz (old cameras' and phones' AVIs) cannot be copied into MP4: the film
    failed ('Invalid argument'); it is transcoded to AAC."""
    src = _capture(tmp_path / "cam.avi", "mono", codec="libmp3lame", rate=8000)
    dst = tmp_path / "out.mp4"
    events = list(colorize_video(prepare_video(src, dst, VideoOptions(), True), colorizer))
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("(mp3) cannot be copied into .mp4: transcoding to aac" in n for n in notices)
    seconds, _ = _sound(dst)
    assert abs(seconds - 1.0) < 2 * 1024 / 8000 + 0.01, seconds


@pytest.mark.parametrize(
    "src_codec,ext,codec", [("flac", ".mov", "alac"), ("pcm_alaw", ".mkv", "flac")]
)
def test_lossless_sound_stays_lossless_in_mov_and_mkv(tmp_path, colorizer, src_codec, ext, codec):
    """FLAC into .mov, and A-law sound (telephone, old cameras) into .mkv, went to AAC:
    lossy again. MOV has ALAC and Matroska FLAC: the decoded sound is kept sample for
    sample."""
    src = _capture(tmp_path / "tape.mkv", "mono", codec=src_codec, rate=8000)
    dst = tmp_path / f"out{ext}"
    list(colorize_video(prepare_video(src, dst, VideoOptions(), True), colorizer))
    assert read_clip(dst)["audio_codec"] == codec
    assert all(np.array_equal(a, b) for a, b in zip(_channels(src), _channels(dst), strict=True))


@pytest.mark.parametrize("codec", ["pcm_f32le", "pcm_s32le", "pcm_alaw", "pcm_u8"])
def test_quicktimes_own_sound_is_copied_into_mov(tmp_path, colorizer, codec):
    """QuickTime holds 8-bit, 32-bit integer and float PCM, A-law and mu-law: they were
    transcoded to AAC (lossy) though MOV takes them as they are; now copied."""
    src = _capture(tmp_path / "tape.mov", "mono", codec="pcm_s16le", rate=8000)
    with av.open(str(src)) as c, av.open(str(tmp_path / "in.mov"), "w") as out:
        v = out.add_stream_from_template(c.streams.video[0])
        a = out.add_stream(codec, rate=8000)
        a.layout = "mono"
        r = av.AudioResampler(format=a.codec_context.codec.audio_formats[0].name, layout="mono")
        for p in c.demux():
            if p.stream.type == "video" and p.dts is not None:
                p.stream = v
                out.mux(p)
            elif p.stream.type == "audio":
                for f in p.decode():
                    for g in r.resample(f):
                        for q in a.encode(g):
                            out.mux(q)
        _flush(out, a)
    dst = tmp_path / "out.mov"
    events = list(
        colorize_video(prepare_video(tmp_path / "in.mov", dst, VideoOptions(), True), colorizer)
    )
    assert not [e for e in events if isinstance(e, Notice) and "transcoding" in e.message]
    assert read_clip(dst)["audio_codec"] == codec


@pytest.mark.parametrize("segments", [0, 1])
def test_a_sound_packet_timed_as_the_one_before_does_not_fail_the_film(
    tmp_path, colorizer, segments
):
    """GStreamer's FLV times its last MP3 packet as the one before it (Matroska and FLV
    take that): copied into .mp4 the muxer refused it ('Invalid argument') and the whole
    film failed, at the join after every segment was coloured. Moved on by one tick."""
    src = _capture(tmp_path / "cam.avi", "mono", codec="libmp3lame", rate=44100)
    held = tmp_path / "held.mkv"
    with av.open(str(src)) as c, av.open(str(held), "w") as out:
        v = out.add_stream_from_template(c.streams.video[0])
        a = out.add_stream_from_template(c.streams.audio[0])
        before = None
        for p in c.demux():
            if p.dts is None:
                continue
            if p.stream.type == "audio":
                if before is not None and p.pts > 30 * before[1]:  # one late packet: stuck
                    p.pts = p.dts = before[0]
                before = (p.pts, p.duration)
            p.stream = v if p.stream.type == "video" else a
            out.mux(p)
    dst = tmp_path / "out.mp4"
    opts = VideoOptions(segment_seconds=segments)
    list(colorize_video(prepare_video(held, dst, opts, True), colorizer))
    assert read_clip(dst)["audio_codec"].startswith("mp3")  # copied, not transcoded
    seconds, times = _sound(dst)
    assert abs(seconds - _sound(held)[0]) < 0.03 and times == sorted(set(times))


def _programmes(path: Path) -> Path:
    """A broadcast recording's sound: one AC-3 track, stereo for its first second and 5.1
    for its second (the next programme), under 20 frames of MPEG-2 at 10 frames/s."""
    with av.open(str(path), "w", format="mpegts") as out:
        v = out.add_stream("mpeg2video", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("ac3", rate=48000)
        a.layout = "stereo"
        for i in range(20):
            g = np.full((48, 64, 3), 10 * i, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(g, "rgb24")):
                out.mux(p)
        for second, layout in enumerate(("stereo", "5.1")):
            enc = av.CodecContext.create("ac3", "w")
            enc.sample_rate, enc.layout, enc.format = 48000, layout, "fltp"
            enc.time_base = Fraction(1, 48000)
            n = len(enc.layout.channels)
            for at in range(0, 48000, 1536):
                x = np.sin(np.arange(at, at + 1536) / 30).astype(np.float32) * 0.3
                af = av.AudioFrame.from_ndarray(np.tile(x, (n, 1)), "fltp", layout)
                af.sample_rate, af.pts = 48000, second * 48000 + at
                af.time_base = Fraction(1, 48000)
                for p in [*enc.encode(af), *(enc.encode(None) if at + 1536 >= 48000 else [])]:
                    p.stream = a
                    out.mux(p)
        _flush(out, v)
    return path


@pytest.mark.parametrize("segments", [0, 1])
def test_sound_that_changes_its_channels_part_way_is_transcoded_whole(
    tmp_path, colorizer, segments
):
    """A recording whose sound goes from stereo to 5.1 (the next programme) failed into
    .webm, where it is transcoded: "unexpected ValueError: Frame does not match
    AudioResampler setup". The resampler is set up again where the sound changes: every
    second of it kept, in the output's one layout."""
    src = _programmes(tmp_path / "dvb.ts")
    with av.open(str(src)) as c:
        assert {f.layout.name for f in c.decode(audio=0)} == {"stereo", "5.1(side)"}
    dst = tmp_path / "out.webm"
    opts = VideoOptions(segment_seconds=segments)
    list(colorize_video(prepare_video(src, dst, opts, True), colorizer))
    seconds, times = _sound(dst)
    assert abs(seconds - 2.0) < 0.05, seconds
    assert times == sorted(times) and times[-1] > 1.9


def test_surround_sound_of_side_channels_goes_into_webm_as_one_track(tmp_path, colorizer):
    """A DVD's or broadcast's AC-3 5.1 decodes as 5.1(side), which Opus does not take: each
    of its channels went into a mono track of its own, and a player played the front left
    alone. It is one 5.1 track now, each channel where it was (side surrounds as back)."""
    tones = (300, 500, 700, 50, 900, 1100)  # FL FR FC LFE SL SR, in Hz
    src = tmp_path / "dvd.mkv"
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=RATE)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("ac3", rate=48000)
        a.layout, a.format = "5.1", "fltp"
        for i in range(N):
            g = np.full((48, 64, 3), 40 + 3 * i, np.uint8)
            out.mux(v.encode(av.VideoFrame.from_ndarray(g, "rgb24")))
        t = np.arange(2 * 48000)
        x = np.stack([np.sin(2 * np.pi * f * t / 48000) * 0.3 for f in tones]).astype(np.float32)
        for at in range(0, x.shape[1], 1536):
            af = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, at : at + 1536]), "fltp", "5.1"
            )
            af.sample_rate, af.pts = 48000, at
            out.mux(a.encode(af))
        _flush(out, v)
        out.mux(a.encode(None))
    with av.open(str(src)) as c:
        assert c.streams.audio[0].codec_context.layout.name == "5.1(side)"
    dst = tmp_path / "out.webm"
    events = list(colorize_video(prepare_video(src, dst, VideoOptions(), True), colorizer))
    said = " ".join(e.message for e in events if isinstance(e, Notice))
    assert "5.1(side) as 5.1" in said and "mono track" not in said
    with av.open(str(dst)) as c:
        assert len(c.streams.audio) == 1
        assert c.streams.audio[0].codec_context.layout.name == "5.1"
        sound = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    assert sound.shape[0] == 6
    for ch, f in enumerate(tones):
        spectrum = np.abs(np.fft.rfft(sound[ch, 4800:52800]))  # 1 s: bins of 1 Hz
        assert abs(int(np.argmax(spectrum)) - f) <= 2, (ch, f)
