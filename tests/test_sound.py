"""A film's sound where its input gives it no usable times: RealMedia, whose sound packets
carry one time per interleaved block (and, as FFmpeg writes it, 0 for every packet)."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from colorcli.colorizer import Colorizer
from colorcli.copies import SoundClock
from colorcli.events import Notice
from colorcli.options import VideoOptions
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
                af = av.AudioFrame.from_ndarray(tone[None, s : s + 160], "s16", "mono")
                af.sample_rate, af.pts = SOUND, s
                for p in a.encode(af):
                    out.mux(p)
        for st in (v, a):
            for p in st.encode():
                out.mux(p)
    return path


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
