"""Film-like grays: the stocks' spectral weights, grain and JPEG, in training and in eval."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.errors import ConfigError
from colorcli.kernels import rgb_to_l
from colorcli.train.filmgray import STOCKS, FilmLook, film_lightness, random_look
from tests.test_train import _cfg, _write_colour_images, step_batches


def _patch(rgb):
    return np.broadcast_to(np.uint8(rgb), (16, 16, 3)).copy()


def test_stocks_see_colours_as_films_do():
    rng = np.random.default_rng(0)
    red, blue, green = _patch((200, 30, 30)), _patch((40, 60, 220)), _patch((40, 180, 60))

    def lum(p, stock):
        return float(film_lightness(p, FilmLook(STOCKS[stock]), rng).mean())

    # the eye's weights give the photo's own lightness
    assert lum(red, "modern") == pytest.approx(float(rgb_to_l(red).mean()), abs=0.5)
    # orthochromatic film is blind to red: a red coat prints near black, a blue sky pale
    assert lum(red, "ortho") < 0.5 * lum(red, "modern")
    assert lum(blue, "ortho") > lum(blue, "modern") + 15
    assert lum(blue, "blue") > lum(blue, "ortho") and lum(green, "blue") < lum(green, "ortho")


def test_a_faded_print_lifts_the_blacks_and_dulls_the_whites_keeping_the_order():
    from colorcli.train.filmgray import fixed_look

    ramp = np.repeat(np.linspace(0, 255, 64, dtype=np.float32)[None, :, None], 3, 2)
    seen = film_lightness(ramp.astype(np.uint8).repeat(4, 0), fixed_look("faded"), None)
    row = seen[0]
    assert 45 <= row.min() <= 47 and 95 <= row.max() <= 97  # black at L* 46, white at 96
    assert np.all(np.diff(row) >= 0)  # darker stays darker


def test_grain_blur_and_jpeg_are_seeded_and_bounded():
    rgb = _patch((120, 120, 120)).repeat(8, 0).repeat(8, 1)
    look = FilmLook(STOCKS["modern"], grain=5.0, jpeg=60)
    a = film_lightness(rgb, look, np.random.default_rng(3))
    b = film_lightness(rgb, look, np.random.default_rng(3))
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 100
    assert 2.0 < float(a.std()) < 7.0  # grain of about the asked strength at mid-gray
    looks = [random_look(np.random.default_rng(s)) for s in range(200)]
    assert all(abs(sum(lk.weights) - 1) < 1e-6 and min(lk.weights) >= 0 for lk in looks)
    reds = np.array([lk.weights[0] for lk in looks])
    assert (reds < 0.05).mean() > 0.2 and (reds > 0.15).mean() > 0.3  # ortho and modern both drawn


def test_film_gray_changes_the_input_not_the_targets(tmp_path):
    clean, film, again = step_batches(tmp_path, film_gray=1.0)
    assert torch.equal(clean["ab"], film["ab"]) and torch.equal(clean["idx"], film["idx"])
    moved = ((film["l"] - clean["l"]) * 100).abs().mean(dim=(1, 2, 3))
    assert bool((moved > 0.5).all())  # every crop's input changed
    assert torch.equal(film["l"], again["l"])  # a pure function of (seed, step)
    with pytest.raises(ConfigError, match="film gray fraction"):
        _cfg(tmp_path, tmp_path / "data", film_gray=1.5)


def test_eval_gray_kinds(tmp_path, tiny_ckpt):
    val = tmp_path / "val"
    _write_colour_images(val, 3, seed=4)
    scores = {}
    for kind in ("plain", "ortho", "grainy", "faded"):
        r = CliRunner().invoke(
            main,
            ["eval", "--data", str(val), "--model", str(tiny_ckpt), "--gray", kind, "-q"]
            + ["--json", str(tmp_path / f"{kind}.json")],
        )
        assert r.exit_code == 0, r.stderr
        rep = json.loads((tmp_path / f"{kind}.json").read_text())
        assert rep["settings"]["gray"] == kind
        scores[kind] = rep["gray"]["psnr"]
    # the baseline is the film's gray: its lightness is not the photo's
    assert scores["ortho"] < scores["plain"] - 0.5 and scores["grainy"] < scores["plain"] - 0.5
    assert scores["faded"] < scores["plain"] - 0.5
    r = CliRunner().invoke(main, ["eval", "--data", str(val), "--gray", "sepia"])
    assert r.exit_code == 2 and "--gray" in r.stderr
