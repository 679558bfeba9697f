"""What of a film's pictures reaches the output: a slideshow's frames, seconds apart, keep
their seconds to the end of the last one, and a video stream beside the film that is left
out is named."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from tests.media import make_clip


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def shown(path: Path) -> tuple[list[float], float, float]:
    """When each picture is first shown, in presentation order; when the last one ends (its
    time plus its duration); and the film's length as players read it; in seconds."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        packets = sorted((p.pts, p.duration or 0) for p in c.demux(v) if p.size)
        end = float(sum(packets[-1]) * v.time_base)
        return [float(t * v.time_base) for t, _ in packets], end, c.duration / 1e6


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
@pytest.mark.parametrize("segments", ["0", "4"])
def test_a_slideshow_keeps_its_seconds(tmp_path, tiny_ckpt, suffix, segments):
    # five stills two seconds apart, as a slideshow maker writes them (0.5 frames/s)
    src = make_clip(tmp_path / f"slides{suffix}", n=5, rate=Fraction(1, 2), audio=None)
    dst = tmp_path / f"out{suffix}"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 0, r.output
    starts, end, length = shown(dst)
    assert starts == pytest.approx([0, 2, 4, 6, 8], abs=0.01)
    assert end == pytest.approx(10, abs=0.01) and length == pytest.approx(10, abs=0.01)


def test_a_second_video_stream_left_out_is_named(tmp_path, tiny_ckpt):
    # a film with another camera angle beside it, as multi-angle MKVs hold them
    src = tmp_path / "angles.mkv"
    with av.open(str(src), "w") as out:
        streams = []
        for w, h in ((64, 48), (32, 24)):
            s = out.add_stream("libx264", rate=25)
            s.width, s.height, s.pix_fmt = w, h, "yuv420p"
            streams.append(s)
        for i in range(10):
            for s in streams:
                gray = np.full((s.height, s.width, 3), 20 * i, np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(gray, format="rgb24")):
                    out.mux(p)
        for s in streams:
            for p in s.encode():
                out.mux(p)
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert "video stream 1 (h264 32x24) left out: only the film (stream 0) is coloured" in r.stderr
    with av.open(str(dst)) as c:
        assert [(s.width, s.height) for s in c.streams.video] == [(64, 48)]


def _held_last(path: Path, n: int = 30, hold: float = 3.0) -> Path:
    """A variable-rate film (a screen recording's, a phone's that ends on a pause): ``n``
    pictures at 25 frames/s, the last shown ``hold`` seconds, as its packet says."""
    packets = []
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.time_base = Fraction(1, 1000)
        for i in range(n):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = 40 * i, Fraction(1, 1000)
            packets += s.encode(f)
        packets += s.encode()
        last = max(packets, key=lambda p: p.pts)
        for p in packets:
            if p is last:
                p.duration = round(hold / p.time_base)
            out.mux(p)
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
@pytest.mark.parametrize("segments", ["0", "0.4"])
def test_a_held_last_picture_keeps_its_seconds(tmp_path, tiny_ckpt, suffix, segments):
    """A film whose last picture is held 3 s ended 3 s early: the encoder gave it one frame at
    the film's average rate. In one encode and through segments it is shown as long as the
    input shows it."""
    src = _held_last(tmp_path / "held.mp4")
    _, end_in, _ = shown(src)
    assert end_in == pytest.approx(29 * 0.04 + 3.0, abs=0.01)
    dst = tmp_path / f"out{suffix}"
    r = run("video", src, dst, "--model", tiny_ckpt, "-q", "--segment-seconds", segments)
    assert r.exit_code == 0, r.output
    starts, end, length = shown(dst)
    assert starts == pytest.approx([0.04 * i for i in range(30)], abs=0.002)
    assert length == pytest.approx(end_in, abs=0.002)  # as players read it
    if suffix == ".mkv":  # each picture's own (MP4 and MOV read theirs from the decode times)
        assert end == pytest.approx(end_in, abs=0.002)


@pytest.mark.parametrize("segments", ["0", "0.4"])
def test_a_held_last_picture_is_not_called_damaged(tmp_path, tiny_ckpt, segments):
    """A Matroska film (no frame count: what is missing is read from its times) held on its
    last picture for 3 s was called "input is damaged: 30 frames colorized, 74 of 104 lost"
    and, in an archive, put under the damaged name: the time after its last picture was
    counted as frames cut off. Its last picture's own duration says it is whole."""
    src = _held_last(tmp_path / "held.mkv")
    dst = tmp_path / "out.mkv"
    r = run("video", src, dst, "--model", tiny_ckpt, "--segment-seconds", segments)
    assert r.exit_code == 0, r.output
    assert "damaged" not in r.output and dst.exists()
    assert shown(dst)[2] == pytest.approx(shown(src)[2], abs=0.002)
