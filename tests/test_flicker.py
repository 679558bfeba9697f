"""Old film flickers: its exposure varies from frame to frame. The colour of a still scene
should not flicker with it, and after a lasting change of light (a lamp switched on, a fade)
the colours should settle to what the model makes of the new light."""

import numpy as np
import pytest

from colorcli.compose import RgbRoute
from colorcli.film import FilmColourer
from colorcli.kernels import compose_rgb8

H, W = 36, 48


class BrightnessMinded:
    """A predictor whose colour follows lightness, as a real model's does (brighter: warmer):
    a = (L* - 50) / 2 at every pixel, b = 0."""

    batch_size = 4
    device_type = "cpu"
    takes_hints = False
    ab_bins = None

    def net_shape(self, h, w):
        return h, w

    def predict_ab(self, l_nets, guides=None, palettes=None, levels=None):
        return [
            np.dstack([(lum - 50) / 2, np.zeros_like(lum)]).astype(np.float32) for lum in l_nets
        ]


def scene() -> np.ndarray:
    """A still picture's L*: a ramp with a few shapes on it."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    lum = 30 + 40 * xx / W
    lum[8:20, 10:22] += 15
    lum[22:30, 30:44] -= 12
    return lum


def coloured(lums: list[np.ndarray], every: int = 4) -> list[np.ndarray]:
    """Each frame's ab as ``FilmColourer`` gives it for frames of these L* maps."""
    colourer = FilmColourer(BrightnessMinded(), RgbRoute(deep=False), every, 0.7, 3.0)
    out = []
    for i, lum in enumerate(lums):
        rgb = compose_rgb8(lum.astype(np.float32), np.zeros((H, W, 2), np.float32))
        out += colourer.add(i, rgb)
    out += colourer.flush()
    return [c.ab for c in sorted(out, key=lambda c: c.pts)]


def change(abs_: list[np.ndarray]) -> float:
    """Mean |delta ab| from each frame to the next."""
    return float(np.mean([np.abs(b - a).mean() for a, b in zip(abs_[:-1], abs_[1:], strict=True)]))


@pytest.mark.parametrize("every", [1, 4])
def test_a_still_scenes_colour_does_not_flicker_with_its_exposure(every):
    rng = np.random.default_rng(0)
    base = scene()
    lums = [np.clip(base * rng.uniform(0.85, 1.15) + rng.uniform(-6, 6), 0, 100) for _ in range(48)]
    # what the predictor alone does, frame by frame
    alone = change(BrightnessMinded().predict_ab(lums))
    got = change(coloured(lums, every))
    assert alone > 1  # the exposure does move the predictor's colour
    assert got < 0.2 * alone, (got, alone)


def test_after_a_lasting_change_of_light_the_colours_settle():
    # the scene's light goes up by 10 L* at frame 24 and stays (a lamp switched on, no cut)
    base = scene()
    lums = [base] * 24 + [np.clip(base + 10, 0, 100)] * 48
    abs_ = coloured(lums)
    before, after = BrightnessMinded().predict_ab([lums[0], lums[-1]])
    step = np.abs(after - before).mean()
    assert np.abs(abs_[23] - before).mean() < 0.05 * step
    # no jump: the colours move to the new light's over frames, and are there 2 s on (24 fps)
    assert max(np.abs(b - a).mean() for a, b in zip(abs_[:-1], abs_[1:], strict=True)) < 0.5 * step
    assert np.abs(abs_[24 + 48 - 1] - after).mean() < 0.1 * step


def test_after_a_fade_in_the_colours_are_the_lit_scenes_within_half_a_second():
    # the scene fades in from black over 24 frames (one second), then holds
    base = scene()
    lums = [np.clip(base * (i + 1) / 24, 0, 100) for i in range(24)] + [base] * 48
    abs_ = coloured(lums)
    lit, dark = BrightnessMinded().predict_ab([base, lums[0]])
    swing = np.abs(lit - dark).mean()
    assert np.abs(abs_[24 + 12] - lit).mean() < 0.1 * swing
