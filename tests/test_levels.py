"""A faded, washed-out or dark picture is seen by the network with its levels spread to the
range it learned from, and gets the colours its unfaded original would; the output keeps the
picture's own lightness; a picture with full levels is seen as it is."""

import numpy as np
import pytest

from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.kernels import compose_rgb8
from colorcli.levels import LEVELS, MAX_LIFT, film_levels, lifted
from tests.media import frame_picture


def _scene(h: int = 240, w: int = 320) -> np.ndarray:
    """A scene's L* spanning 15 to 85 from its 1st to its 99th percentile."""
    g = frame_picture(3, h, w).astype(np.float32)
    lo, hi = np.percentile(g, [1, 99])
    return (15 + (g - lo) * (70 / (hi - lo))).astype(np.float32)


def test_full_levels_are_left_as_they_are():
    lum = _scene()
    wide = np.clip((lum - 50) * 1.3 + 50, 0, 100).astype(np.float32)
    assert lifted(wide) is wide


@pytest.mark.parametrize(
    "fade",
    [
        lambda v: 50 + 0.5 * (v - 50),  # washed toward gray
        lambda v: 100 - 0.55 * (100 - v),  # a faded print: blacks lifted toward the paper
        lambda v: 0.4 * v,  # dark
    ],
)
def test_faded_levels_are_spread_back_and_keep_their_order(fade):
    lum = _scene()
    seen = lifted(fade(lum).astype(np.float32))
    lo, hi = np.percentile(seen, [1, 99])
    assert lo <= LEVELS[0] + 0.5 and hi >= LEVELS[1] - 0.5, (lo, hi)
    order = np.argsort(lum.ravel(), kind="stable")
    assert np.all(np.diff(seen.ravel()[order]) >= -1e-4)  # darker stays darker


def test_a_blanks_grain_is_not_made_a_picture():
    grain = (50 + np.random.default_rng(0).normal(0, 1, (240, 320))).astype(np.float32)
    seen = lifted(grain)
    assert seen.std() <= MAX_LIFT * grain.std() * 1.01


def test_a_faded_copy_gets_its_originals_colours_and_keeps_its_own_lightness(seeing_ckpt):
    c = Colorizer(seeing_ckpt, device="cpu", size=64)
    lum = _scene()
    zero = np.zeros(lum.shape + (2,), np.float32)
    original = compose_rgb8(lum, zero)
    faded = compose_rgb8((50 + 0.45 * (lum - 50)).astype(np.float32), zero)

    def ab(img):  # as a photo is seen
        return c.predict_ab([c.l_net(lightness(img))], photo=True)[0]

    now = np.abs(ab(faded) - ab(original)).mean()
    c.lift = False
    before = np.abs(ab(faded) - ab(original)).mean()
    assert now < 0.5 * before, (now, before)
    c.lift = True
    out = c.colorize(faded)
    assert np.abs(lightness(out) - lightness(faded)).mean() < 1.0


def _film(path, fade=None, n: int = 16):
    import av

    with av.open(str(path), "w") as c:
        v = c.add_stream("ffv1", rate=25)
        v.width, v.height, v.pix_fmt = 160, 128, "yuv444p"
        for i in range(n):
            lum = np.roll(50 + 1.15 * (_scene(128, 160) - 50), 2 * i, axis=1)  # 10 to 90
            if fade is not None:
                lum = fade(lum).astype(np.float32)
            rgb = compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))
            for p in v.encode(av.VideoFrame.from_ndarray(rgb, "rgb24").reformat(format="yuv444p")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    return path


def test_a_washed_out_film_gets_its_originals_colours_by_its_own_levels(
    tmp_path, seeing_ckpt, monkeypatch
):
    """The film's levels, measured once on pictures sampled through it, lift every frame
    alike; a film whose levels are full is seen as it is."""
    from click.testing import CliRunner

    from colorcli.cli import main
    from colorcli.kernels import rgb_to_lab
    from colorcli.netrun import NetRunMixin
    from tests.media import read_clip

    original = _film(tmp_path / "original.mkv")
    washed = _film(tmp_path / "washed.mkv", lambda v: 50 + 0.45 * (v - 50))

    def ab(src, name):
        out = tmp_path / name
        r = CliRunner().invoke(
            main, ["video", str(src), str(out), "--model", str(seeing_ckpt), "--size", "64", "-q"]
        )
        assert r.exit_code == 0, r.output
        return np.stack([rgb_to_lab(f)[..., 1:] for f in read_clip(out)["frames"]])

    truth = ab(original, "o.mkv")
    now = np.abs(ab(washed, "w.mkv") - truth).mean()
    monkeypatch.setattr(NetRunMixin, "lift", False)
    before = np.abs(ab(washed, "w_off.mkv") - truth).mean()
    assert now < 0.5 * before, (now, before)
    # the original's levels are full: its frames are seen as they are
    frames = [lightness(f) for f in read_clip(original)["frames"]]
    levels = film_levels(frames[::4])
    assert levels is not None and all(lifted(f, levels) is f for f in frames)
    assert film_levels([np.full((64, 64), 3.0, np.float32)]) is None  # black leader alone
