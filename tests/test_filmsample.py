"""Pictures sampled through a film are spread through its length and kept small: a film's
bars, colour and levels need no more than a picture of ``SIDE`` lines, and an 8K film's twelve
held 2.8 GB through the whole run."""

import colorcli.filmsample as filmsample
from tests.media import make_clip


def test_sampled_pictures_spread_through_the_film(tmp_path):
    clip = tmp_path / "c.mp4"
    make_clip(clip, n=50, size=(48, 64), audio=None, gop=5)
    got = filmsample.sample_pictures(clip, count=5)
    assert len(got) >= 4
    times = [p.seconds for p in got]
    assert times == sorted(times) and times[0] < 0.6 and times[-1] > 1.2
    assert all(p.rgb.shape == (48, 64, 3) for p in got)  # under SIDE: as decoded


def test_sampled_pictures_beyond_the_side_are_shrunk_with_their_shape(tmp_path, monkeypatch):
    clip = tmp_path / "c.mp4"
    make_clip(clip, n=20, size=(48, 64), audio=None)
    monkeypatch.setattr(filmsample, "SIDE", 24)
    got = filmsample.sample_pictures(clip, count=3)
    assert got and all(p.rgb.shape == (24, 32, 3) for p in got)
