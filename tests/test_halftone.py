"""Halftone prints: the screen found at its period whatever its angle, never in pictures without
one, the dots averaged away for the network while the output keeps them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.halftone import descreened, screen_period, seen_by_network
from colorcli.kernels import rgb_to_lab
from tests.conftest import gradient_rgb
from tests.media import halftone_print


def _scene(h: int = 384, w: int = 512) -> np.ndarray:
    """A gray picture with soft shapes and every tone: (h, w) uint8."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 128 + 90 * np.sin(x / 37.0) * np.cos(y / 23.0) + 30 * np.sin((x + 2 * y) / 61.0)
    return np.clip(g, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("period,angle", [(3.0, 45.0), (4.5, 15.0), (6.0, 45.0), (9.0, 30.0)])
def test_a_screen_is_found_at_its_period_at_any_angle(period, angle):
    found = screen_period(lightness(halftone_print(_scene(), period, angle)))
    assert found is not None and abs(found - period) < 0.05 * period


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1)


@pytest.mark.parametrize(
    "name",
    ["smooth", "grain", "stripes", "checks", "jpeg", "tiny", "flat", "window grid in a corner"],
)
def test_no_screen_is_found_in_pictures_without_one(name):
    rng = np.random.default_rng(0)
    h, w = 384, 512
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    gray = {
        "smooth": lambda: _scene(),
        "grain": lambda: np.clip(_scene() + rng.normal(0, 12, (h, w)), 0, 255),
        "stripes": lambda: 128 + 100 * np.sin(2 * np.pi * x / 5.0),  # one direction only
        "checks": lambda: ((x // 16 + y // 16) % 2) * 200 + 20,
        "jpeg": lambda: _jpeg(gradient_rgb(h, w), 30)[..., 0],  # its 8 x 8 blocks
        "tiny": lambda: halftone_print(_scene(100, 100), 4.0, 45.0)[..., 0],
        "flat": lambda: np.full((h, w), 235.0),
        # a pattern of the picture's own in one part of it (a building's windows)
        "window grid in a corner": lambda: np.where(
            (y < 150) & (x < 200), ((x % 6 < 3) & (y % 6 < 3)) * 200 + 20, _scene()
        ),
    }[name]()
    rgb = np.dstack([np.clip(gray, 0, 255).astype(np.uint8)] * 3)
    assert screen_period(lightness(rgb)) is None


def test_descreening_leaves_the_picture_without_its_dots():
    gray = _scene()
    lum = lightness(halftone_print(gray, 6.0, 45.0))
    flat = descreened(lum, 6.0)
    truth = lightness(np.dstack([gray] * 3))
    inner = (slice(20, -20), slice(20, -20))

    def texture(lum: np.ndarray) -> float:
        return float((lum - cv2.GaussianBlur(lum, (0, 0), 6.0))[inner].std())

    assert texture(flat) < 0.2 * texture(lum)
    # the picture is still there, to its edges (no ringing where the spectrum wraps)
    assert np.corrcoef(flat.ravel(), truth.ravel())[0, 1] > 0.95
    assert np.corrcoef(lum.ravel(), truth.ravel())[0, 1] < 0.8


@pytest.mark.parametrize("shrink,descreens", [(1.0, False), (2.5, True), (4.0, False)])
def test_a_screen_is_taken_out_only_where_the_networks_input_shows_it_coarse(shrink, descreens):
    """Period 6: 6, 2.4 and 1.5 pixels of the network's input. Finer than 2 its own area
    averaging takes the dots; coarser than 4 the picture is too small beside its screen."""
    lum = lightness(halftone_print(_scene(), 6.0, 45.0))
    assert (not np.array_equal(seen_by_network(lum, shrink), lum)) == descreens


def test_a_halftone_print_is_coloured_as_its_continuous_tone_and_keeps_its_dots(seeing_ckpt):
    c = Colorizer(seeing_ckpt, device="cpu")
    gray = _scene(256, 384)
    scan = halftone_print(
        gray, 9.0, 45.0
    )  # the network's input (64 pixels high) would show its dots
    out = c.colorize(scan)
    assert np.abs(lightness(out) - lightness(scan)).max() < 1.5  # the dots kept
    ab_print = rgb_to_lab(out)[..., 1:]
    ab_tone = rgb_to_lab(c.colorize(np.dstack([gray] * 3)))[..., 1:]
    # the hue where there is colour (a random network: near, not equal)
    hue = np.angle(ab_print[..., 0] + 1j * ab_print[..., 1])
    hue_tone = np.angle(ab_tone[..., 0] + 1j * ab_tone[..., 1])
    strong = np.hypot(*ab_print.transpose(2, 0, 1)) > 3
    off = np.abs(np.angle(np.exp(1j * (hue - hue_tone))))[strong]
    assert strong.mean() > 0.2 and np.median(off) < 0.55  # seeing the dots: 0.74
