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
from tests.filmneg import negative_clip, negative_scan


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


def test_a_float_scan_is_printed_a_strip_at_a_time_with_one_curve(monkeypatch):
    scan = negative_scan(_scene(), mask=(0.2, 0.5, 0.8)).astype(np.float32) / 255
    whole = positive(scan)
    monkeypatch.setattr(neg, "STRIP", 1000)  # a few rows at a time
    assert np.array_equal(positive(scan), whole)


@pytest.mark.parametrize("bits", [8, 16])
def test_the_tables_print_as_the_formula_does(bits):
    scan = negative_scan(_scene(), mask=(0.2, 0.5, 0.8), bits=bits, grain=0.02)
    top = float(np.iinfo(scan.dtype).max)
    printer = neg.Printer(neg.print_curve(scan))
    by_table = printer(scan).astype(np.float64) / top
    by_formula = printer(scan.astype(np.float32) / np.float32(top)).astype(np.float64)
    assert np.abs(by_table - by_formula).max() < 0.75 / 255  # rounding, and the steps


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


def _film_lightness(path) -> list[np.ndarray]:
    from tests.media import shown_frames

    return [lightness(f) for f in shown_frames(path)]


def test_video_negative_colours_the_films_print_by_one_curve(tmp_path, seeing_ckpt):
    from tests.media import shown_frames

    src = negative_clip(tmp_path / "neg.mp4")
    frames = shown_frames(src)
    printer = neg.Printer(neg.film_curve(frames))
    r = CliRunner().invoke(
        main,
        ["video", str(src), str(tmp_path / "out.mp4"), "--negative", "--model", str(seeing_ckpt), "-q"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = _film_lightness(tmp_path / "out.mp4")
    assert len(out) == len(frames)
    for f, lo in zip(frames, out, strict=True):  # each frame's print (4:2:0 coding aside)
        assert np.abs(lo - lightness(printer(f))).mean() < 2.5
        assert np.abs(lo - lightness(f)).mean() > 20


def test_dir_negative_colours_a_film_among_the_scans_as_prints_too(tmp_path, tiny_ckpt):
    src = tmp_path / "scans"
    src.mkdir()
    _write(src / "neg.png", negative_scan(_scene()))
    negative_clip(src / "reel.mp4", n=6)
    r = CliRunner().invoke(
        main, ["dir", str(src), "-o", str(tmp_path / "out"), "--negative", "--model", str(tiny_ckpt), "-q"]
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    printed = _film_lightness(tmp_path / "out" / "reel.mp4")[0]
    assert np.abs(printed - _film_lightness(src / "reel.mp4")[0]).mean() > 20  # not as scanned


def test_video_negative_needs_the_film_as_files(tmp_path, tiny_ckpt):
    src = negative_clip(tmp_path / "neg.mp4", n=6)
    args = [str(src), "-", "--pipe-format", "matroska", "--negative"]
    r = CliRunner().invoke(main, ["video", *args, "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 1, r.output
    assert "--negative needs the film as files, not a pipe" in r.output
    assert "Traceback" not in r.output


def _negative_film_with_a_cut(tmp_path):
    """A film of negatives of two scenes (frames 0-14 and 15-29); its scans' frames."""
    from tests.filmneg import write_film
    from tests.media import make_clip, read_clip, shown_frames

    pos = make_clip(tmp_path / "pos.mp4", n=30, size=(64, 96), cut_at=15, audio=None)
    grays = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in read_clip(pos)["frames"]]
    src = tmp_path / "neg.mp4"
    write_film(src, [negative_scan(g) for g in grays])
    return src, shown_frames(src)


def test_scenes_and_refs_of_a_film_of_negatives_work_on_its_prints(tmp_path, tiny_ckpt):
    """colorize scenes --negative: a still for each scene (cuts found on the prints), each the
    print by the film's one curve; recoloured, video --negative --refs carries it through its
    scene, the output's lightness the print's."""
    from colorcli.kernels import rgb_to_lab
    from tests.media import in_still_colour, mean_ab, write_still

    src, frames = _negative_film_with_a_cut(tmp_path)
    printer = neg.Printer(neg.film_curve(frames))
    stills = tmp_path / "stills"
    model = ["--model", str(tiny_ckpt), "-q"]
    r = CliRunner().invoke(main, ["scenes", str(src), str(stills), "--negative", *model])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in stills.iterdir()) == ["0.png", "15.png"]
    for k in (0, 15):
        still = cv2.imread(str(stills / f"{k}.png"))[..., ::-1]
        assert np.abs(lightness(still) - lightness(printer(frames[k]))).mean() < 2.5
        assert np.abs(lightness(still) - lightness(frames[k])).mean() > 20
    refs = tmp_path / "refs"
    refs.mkdir()
    write_still(cv2.imread(str(stills / "0.png"))[..., ::-1], refs / "0.png")  # recoloured
    dst = tmp_path / "out.mkv"
    args = ["video", str(src), str(dst), "--negative", "--refs", str(refs), "--codec", "ffv1"]
    r = CliRunner().invoke(main, [*args, *model])
    assert r.exit_code == 0, r.output
    from tests.media import shown_frames

    out = shown_frames(dst)
    assert len(out) == 30
    for i, (f, o) in enumerate(zip(frames, out, strict=True)):
        assert np.abs(lightness(o) - lightness(printer(f))).mean() < 2.5, i
        l_print = rgb_to_lab(np.dstack([printer(f)] * 3))[..., 0]
        want = mean_ab(in_still_colour(l_print))
        off = float(np.hypot(*(mean_ab(o) - want)))
        assert off < 6 if i < 15 else off > 10, (i, off)  # the still's scene only


def test_video_negative_after_a_reference_keeps_the_prints_lightness(tmp_path, tiny_ckpt):
    src, frames = _negative_film_with_a_cut(tmp_path)
    printer = neg.Printer(neg.film_curve(frames))
    ref = tmp_path / "ref.png"
    cv2.imwrite(str(ref), gradient_rgb(64, 96, 3))
    dst = tmp_path / "out.mkv"
    args = ["video", str(src), str(dst), "--negative", "--reference", str(ref), "--codec", "ffv1"]
    r = CliRunner().invoke(main, [*args, "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 0, r.output
    from tests.media import shown_frames

    out = shown_frames(dst)
    assert len(out) == 30
    for f, o in zip(frames, out, strict=True):
        assert np.abs(lightness(o) - lightness(printer(f))).mean() < 2.5


def test_a_film_begun_without_negative_is_not_resumed_with_it():
    from colorcli.segments import differences

    said = differences({"--negative": True}, {})
    assert said == ["--negative given to one run and not the other"]


def test_scoring_takes_no_negative(tmp_path):
    r = CliRunner().invoke(main, ["eval", "--data", str(tmp_path), "--negative"])
    assert r.exit_code == 2
    assert "No such option '--negative'" in r.output


def test_the_frames_of_a_negative_animation_share_one_print_curve(seeing_ckpt):
    gray = _scene()
    frames = [negative_scan(gray), negative_scan(gray)]
    frames[1][:, : gray.shape[1] // 2] = 5  # half of the second frame overexposed: dense
    c = Colorizer(seeing_ckpt, device="cpu", negative=True)
    rgb = [np.dstack([f] * 3) for f in frames]
    expected = neg.Printer(neg.film_curve(rgb))(rgb[0])
    out = colour_frames(c, rgb, smooth=0.0)
    right = (slice(20, -20), slice(gray.shape[1] // 2 + 20, -20))
    for o in out:  # one print where the frames agree
        assert np.abs(lightness(o)[right] - lightness(expected)[right]).mean() < 1.0


def test_a_negative_after_a_reference_keeps_the_prints_lightness(seeing_ckpt):
    scan = negative_scan(_scene())
    c = Colorizer(seeing_ckpt, device="cpu", negative=True)
    out = c.colorize_like(scan, gradient_rgb(120, 160, 3))
    assert np.abs(lightness(out) - lightness(positive(scan))).mean() < 1.0
