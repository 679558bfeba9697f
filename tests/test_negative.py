"""Scanned negatives (``--negative``): the print read off the scan, and the commands that take it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

import colorcli.negative as neg
from colorcli.animation import colour_frames
from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.negative import positive
from tests.conftest import gradient_rgb
from tests.filmneg import negative_scan


def _scene(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """A gray photo-like picture (uint8): dark to light, with texture and edges."""
    g = cv2.cvtColor(gradient_rgb(h, w, seed), cv2.COLOR_RGB2GRAY).astype(np.float32)
    g[h // 3 : h // 2, w // 4 : w // 2] = 30  # a dark thing
    g[h // 2 :, 3 * w // 4 :] = 235  # a light one
    return g.astype(np.uint8)


KINDS = {
    "black-and-white": {},
    "one stop under, grainy": {"exposure": 0.5, "grain": 0.03},
    "one stop over, 16-bit": {"exposure": 2.0, "bits": 16},
    "colour, orange mask": {"mask": (0.2, 0.5, 0.8)},
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_negative_prints_close_to_the_photo_it_was_made_of(kind):
    gray = _scene()
    scan = negative_scan(gray, **KINDS[kind])
    truth = lightness(gray)
    printed = np.abs(lightness(positive(scan)) - truth).mean()
    top = np.iinfo(scan.dtype).max
    inverted = np.abs(lightness((top - scan).astype(scan.dtype)) - truth).mean()
    assert printed < 8.0, printed
    assert printed < inverted / 2, (printed, inverted)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_the_print_is_gray_of_the_scans_type(dtype):
    scan = negative_scan(_scene(), bits=16).astype(np.float64) / 65535.0
    scan = (scan * np.iinfo(dtype).max).round() if dtype != np.float32 else scan
    out = positive(scan.astype(dtype))
    assert out.shape == scan.shape and out.dtype == dtype
    lum = lightness(out)
    assert np.isfinite(lum).all() and lum.min() < 5 and lum.max() > 95  # black to white


def test_a_blank_negative_prints_black_and_a_fully_dense_one_white():
    base = np.full((64, 80), 230, np.uint8)  # film base alone: nothing exposed
    assert lightness(positive(base)).max() < 1.0
    dense = np.full((64, 80), 3, np.uint8)
    assert np.isfinite(lightness(positive(dense))).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7, 3), (3, 2), (2, 500, 3)])
def test_a_picture_of_a_few_pixels_prints_too(shape):
    scan = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    out = positive(scan)
    assert out.shape == shape[:2] and out.dtype == np.uint8


def test_the_holder_and_sprocket_holes_at_the_edges_leave_the_print_alone():
    gray = _scene()
    plain = lightness(positive(negative_scan(gray)))
    held = negative_scan(gray, holder=12)
    held[:, 14:20][::20] = 255  # clear holes in the rebate, brighter than the base
    framed = lightness(positive(held))
    middle = (slice(30, -30), slice(30, -30))
    assert np.abs(framed[middle] - plain[middle]).mean() < 1.0


def test_a_large_scan_is_printed_a_strip_at_a_time_with_one_curve(monkeypatch):
    scan = negative_scan(_scene(), mask=(0.2, 0.5, 0.8))
    whole = positive(scan)
    monkeypatch.setattr(neg, "STRIP", 1000)  # a few rows at a time
    assert np.array_equal(positive(scan), whole)


def _write(path, pixels: np.ndarray) -> None:
    cv2.imwrite(str(path), pixels[..., ::-1] if pixels.ndim == 3 else pixels)


def test_image_negative_colours_the_print(tmp_path, seeing_ckpt):
    scan = negative_scan(_scene(), mask=(0.2, 0.5, 0.8))
    _write(tmp_path / "neg.png", scan)
    r = CliRunner().invoke(
        main,
        ["image", str(tmp_path / "neg.png"), str(tmp_path / "out.png"), "--negative",
         "--model", str(seeing_ckpt), "-q"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "already in colour" not in r.output  # the orange mask is no colour
    out = cv2.imread(str(tmp_path / "out.png"))[..., ::-1]
    assert np.abs(lightness(out) - lightness(positive(scan))).mean() < 1.0


def test_dir_negative_colours_a_colour_negative_even_with_keep_colour(tmp_path, seeing_ckpt):
    src = tmp_path / "scans"
    src.mkdir()
    scan = negative_scan(_scene(), mask=(0.2, 0.5, 0.8))
    _write(src / "neg.png", scan)
    r = CliRunner().invoke(
        main,
        ["dir", str(src), "-o", str(tmp_path / "out"), "--negative", "--keep-colour",
         "--model", str(seeing_ckpt), "-q"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = cv2.imread(str(tmp_path / "out" / "neg.png"))[..., ::-1]
    assert np.abs(lightness(out) - lightness(positive(scan))).mean() < 1.0


def test_dir_negative_names_a_film_among_the_scans_as_not_printed(tmp_path, tiny_ckpt):
    from tests.media import make_clip

    src = tmp_path / "scans"
    src.mkdir()
    _write(src / "neg.png", negative_scan(_scene()))
    make_clip(src / "reel.mp4", n=6, size=(48, 64), audio=None)
    r = CliRunner().invoke(
        main, ["dir", str(src), "-o", str(tmp_path / "out"), "--negative", "--model", str(tiny_ckpt), "-q"]
    )  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "reel.mp4: a film: --negative prints photos only" in r.output
    assert "1 colorized" in r.output and "1 failed" in r.output
    assert (tmp_path / "out" / "neg.png").exists() and not (tmp_path / "out" / "reel.mp4").exists()


@pytest.mark.parametrize("command", ["video", "scenes", "eval"])
def test_commands_for_films_and_colour_photos_take_no_negative(tmp_path, command):
    args = {
        "video": ["video", "in.mp4", "out.mp4"],
        "scenes": ["scenes", "in.mp4", "stills"],
        "eval": ["eval", "--data", str(tmp_path)],
    }[command]
    r = CliRunner().invoke(main, [*args, "--negative"])
    assert r.exit_code == 2
    assert "No such option '--negative'" in r.output


def test_the_frames_of_a_negative_animation_share_one_print_curve(seeing_ckpt):
    gray = _scene()
    frames = [negative_scan(gray), negative_scan(gray)]
    frames[1][:, : gray.shape[1] // 2] = 5  # half of the second frame overexposed: dense
    c = Colorizer(seeing_ckpt, device="cpu", negative=True)
    out = colour_frames(c, [np.dstack([f] * 3) for f in frames], smooth=0.0)
    right = (slice(20, -20), slice(gray.shape[1] // 2 + 20, -20))
    first = lightness(positive(frames[0]))[right]
    for o in out:  # the first frame's print, where the frames agree
        assert np.abs(lightness(o)[right] - first).mean() < 1.0


def test_a_negative_after_a_reference_keeps_the_prints_lightness(seeing_ckpt):
    scan = negative_scan(_scene())
    c = Colorizer(seeing_ckpt, device="cpu", negative=True)
    out = c.colorize_like(scan, gradient_rgb(120, 160, 3))
    assert np.abs(lightness(out) - lightness(positive(scan))).mean() < 1.0
