"""A fade to white or through gray veils a film's frames: the network is shown them with the
veil taken off, and its colours fade with the veil as true colours do. A fade to black, a
picture within its scene's levels and a shot pale from its first frame are left as they were."""

import numpy as np
import pytest

from colorcli.compose import RgbRoute
from colorcli.film import FilmColourer
from colorcli.kernels import compose_rgb8, lab_to_rgb, rgb_to_lab
from colorcli.veil import SceneVeils, Veil, ends_of, pale_blank, reveiled, unveiled, veil_of

H, W = 36, 48
LEVELS = (5.0, 95.0)  # the film's


def to_y(lum):
    fy = (np.asarray(lum, np.float64) + 16) / 116
    return np.where(fy > 6 / 29, fy**3, 3 * (6 / 29) ** 2 * (fy - 4 / 29))


def to_l(y):
    return np.where(y > (6 / 29) ** 3, 116 * np.cbrt(y) - 16, y * (29 / 3) ** 3)


def veiled_l(lum, share, light):
    """L* of a picture seen through a veil: linear light times ``share``, plus ``light``."""
    return to_l(share * to_y(lum) + light).astype(np.float32)


def scene() -> np.ndarray:
    """A picture's L* from near black to near white, with a few shapes."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    lum = 4 + 92 * xx / (W - 1)
    lum[8:20, 10:22] = 60
    lum[22:30, 30:44] = 20
    return lum


def test_the_veil_of_a_picture_is_measured_and_taken_off():
    lum = scene()
    seen = veiled_l(lum, 0.5, 0.4)  # well into a fade to white
    veil = veil_of(ends_of(seen), ends_of(lum))
    assert veil is not None
    assert veil.share == pytest.approx(0.5, abs=0.02)
    assert veil.light == pytest.approx(0.4, abs=0.02)
    assert np.abs(unveiled(seen, veil) - lum).max() < 0.5


@pytest.mark.parametrize(
    "share, light",
    [(1.0, 0.0), (0.97, 0.005), (0.3, 0.0), (1.6, 0.0)],
    ids=["clear", "a flicker", "a fade to black", "exposed brighter"],
)
def test_no_veil_is_counted_where_the_blacks_or_the_range_hold(share, light):
    lum = scene()
    seen = np.minimum(veiled_l(lum, share, light), 100)
    assert veil_of(ends_of(seen), ends_of(lum)) is None


def test_colours_fade_with_the_veil_as_true_colours_do():
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0.05, 0.95, (16, 16, 3)).astype(np.float32)
    lab = rgb_to_lab(rgb)
    veil = Veil(0.4, 0.3)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = veil.share * lin + veil.light  # a gray veil in linear sRGB is gray in XYZ too
    faded = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    truth = rgb_to_lab(faded.astype(np.float32))
    got = reveiled(np.ascontiguousarray(lab[..., 1:]), lab[..., 0], veil)
    assert np.abs(got - truth[..., 1:]).max() < 0.5
    # and with no veil, colours are as they were
    same = reveiled(np.ascontiguousarray(lab[..., 1:]), lab[..., 0], Veil(1.0, 0.0))
    assert np.abs(same - lab[..., 1:]).max() < 1e-3
    # what they give back is in gamut: lab_to_rgb keeps it as it is
    back = rgb_to_lab(lab_to_rgb(np.dstack([truth[..., :1], got])))
    assert np.abs(back[..., 1:] - got).max() < 0.5


def test_a_pale_blank_is_white_or_gray_and_flat_through_film_grain():
    rng = np.random.default_rng(0)
    for level in (97.0, 53.0):  # white leader, a fade through gray
        grainy = np.clip(level + rng.normal(0, 5, (256, 455)), 0, 100).astype(np.float32)
        assert pale_blank(grainy)
    assert not pale_blank(np.clip(3 + rng.normal(0, 2, (256, 455)), 0, 100).astype(np.float32))
    assert not pale_blank(scene())


def test_a_shot_pale_from_its_first_frame_is_no_veil():
    veils = SceneVeils(LEVELS)
    pale = veiled_l(scene(), 0.5, 0.4)  # snow, fog, a white wall: no clear frame before
    assert [veils(pale, i == 0, False) for i in range(6)] == [None] * 6


def test_a_scene_out_of_a_pale_blank_is_measured_against_the_films_levels():
    veils = SceneVeils(LEVELS)
    assert veils(scene(), False, False) is None
    # a cut to a new picture coming out of white: veiled against the film's levels
    assert veils(veiled_l(scene()[:, ::-1], 0.5, 0.4), True, True) is not None


class Constant:
    """A predictor that paints every pixel one colour (a = b = 20), and keeps what it saw."""

    batch_size = 4
    device_type = "cpu"
    takes_hints = False
    ab_bins = None

    def __init__(self):
        self.seen: list[np.ndarray] = []

    def net_shape(self, h, w):
        return h, w

    def predict_ab(self, l_nets, guides=None, palettes=None, levels=None):
        self.seen += [np.array(lum) for lum in l_nets]
        return [np.full(lum.shape + (2,), 20.0, np.float32) for lum in l_nets]


def coloured(lums, levels=LEVELS, every=1):
    predictor = Constant()
    colourer = FilmColourer(predictor, RgbRoute(deep=False), every, 0.0, 3.0, levels=levels)
    out = []
    for i, lum in enumerate(lums):
        rgb = compose_rgb8(lum.astype(np.float32), np.zeros((H, W, 2), np.float32))
        out += colourer.add(i, rgb)
    out += colourer.flush()
    chroma = [
        float(np.hypot(*np.moveaxis(c.ab, -1, 0)).mean()) for c in sorted(out, key=lambda c: c.pts)
    ]
    return chroma, predictor.seen


def fade_to_white(frames=24, hold=12):
    base = scene()
    shares = [1 - (k + 1) / (frames + 1) for k in range(frames)]
    return [base] * hold + [veiled_l(base, s, 1 - s) for s in shares], shares


def test_in_a_fade_to_white_the_colours_fade_and_the_network_sees_the_picture():
    lums, shares = fade_to_white()
    chroma, seen = coloured(lums)
    clear = chroma[0]
    assert clear == pytest.approx(np.hypot(20, 20), rel=0.01)
    fade = chroma[12:]
    # the colours fade as the veil thickens: to under a third by the time it lets through 25%
    assert all(b <= a + 0.05 for a, b in zip(fade[:-1], fade[1:], strict=True))
    at_quarter = 12 + next(i for i, s in enumerate(shares) if s <= 0.25)
    assert chroma[at_quarter] < clear / 3
    # the network saw the picture itself, not the pale one, while enough of it showed
    half = 12 + next(i for i, s in enumerate(shares) if s <= 0.5)
    assert np.abs(seen[half] - lums[0]).mean() < 3
    assert np.abs(lums[half] - lums[0]).mean() > 15


def test_without_the_films_levels_or_with_veils_off_nothing_changes(monkeypatch):
    lums, _ = fade_to_white()
    assert coloured(lums, levels=None)[0] == pytest.approx([np.hypot(20, 20)] * len(lums), rel=0.01)
    monkeypatch.setattr(FilmColourer, "veils", False)
    assert coloured(lums)[0] == pytest.approx([np.hypot(20, 20)] * len(lums), rel=0.01)


def test_a_fade_to_black_keeps_the_networks_colours():
    base = scene()
    lums = [base] * 12 + [veiled_l(base, 1 - (k + 1) / 25, 0.0) for k in range(24)]
    chroma, _ = coloured(lums, every=4)
    assert chroma == pytest.approx([np.hypot(20, 20)] * len(lums), rel=0.01)


def test_a_new_shot_fading_in_out_of_white_is_seen_through_its_veil():
    base, other = scene(), scene()[::-1, ::-1].copy()  # the next shot: another picture
    out_ = [veiled_l(base, 1 - (k + 1) / 13, (k + 1) / 13) for k in range(12)]
    in_ = [veiled_l(other, (k + 1) / 13, 1 - (k + 1) / 13) for k in range(12)]
    white = np.full((H, W), 100.0, np.float32)
    lums = [base] * 8 + out_ + [white] * 4 + in_ + [other] * 8
    chroma, _ = coloured(lums)
    clear = np.hypot(20, 20)
    first_in = 8 + 12 + 4
    # its first frames, mostly veil, are given little colour; it is whole once the shot is clear
    assert max(chroma[first_in : first_in + 4]) < clear / 3
    assert chroma[-1] == pytest.approx(clear, rel=0.01)
