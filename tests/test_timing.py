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
