"""The seeds' other systems as training options: YUV chroma, fitted colour classes (freq, k-means,
SOM), LayerNorm, and the GAN; each trains, resumes exactly and colours through the commands."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from colorcli.checkpoint import load_checkpoint, read_payload, save_checkpoint
from colorcli.chroma import chroma_to_ab, gamut_grid, luma_of_l, rgb_to_yuv, yuv_to_rgb
from colorcli.cli import main
from colorcli.errors import ConfigError
from colorcli.events import Resumed, Step
from colorcli.kernels import rgb_to_lab
from colorcli.train.bins import fit_bins
from colorcli.train.config import TrainConfig, parse_bins
from colorcli.train.loop import run_training
from tests.media import make_clip, read_clip
from tests.test_train import _cfg, _write_colour_images

SYSTEMS = {
    "yuv-freq-layer": {"color_space": "yuv", "bins": "freq:12", "norm": "layer"},
    "kmeans": {"bins": "kmeans:10"},
    "som": {"bins": "som:9"},
    "gan": {"loss": "gan"},
}


def _clusters(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[40.0, 30.0], [-35.0, -10.0], [5.0, -50.0]])
    x = np.concatenate([rng.normal(c, 4.0, (4000, 2)) for c in centres]).astype(np.float32)
    return centres, x


def test_bins_specs_are_checked():
    assert parse_bins("grid") == ("grid", None)
    assert parse_bins("som:32") == ("som", 32)
    for bad, msg in [
        ("hex:4", "--bins must be grid, freq:K, kmeans:K or som:K"),
        ("kmeans", "needs a count K in 2..1024"),
        ("freq:1", "needs a count K in 2..1024"),
        ("som:x", "needs a count K"),
        ("grid:4", "takes no count"),
    ]:
        with pytest.raises(ConfigError, match=msg):
            parse_bins(bad)


def test_kmeans_and_som_find_the_colour_clusters():
    centres, x = _clusters()
    for spec in ("kmeans:3", "som:3", "kmeans:12", "som:12"):
        bins = fit_bins(spec, "lab", x, seed=1)
        assert bins.shape == (int(spec.split(":")[1]), 2)
        # every cluster has a class near its centre; every class is near the data
        near = np.sqrt(((centres[:, None] - bins[None]) ** 2).sum(-1)).min(1)
        assert near.max() < (3.0 if spec.endswith(":3") else 8.0), (spec, near)
        assert np.array_equal(bins, fit_bins(spec, "lab", x, seed=1))  # seeded, repeatable
        assert np.all(np.diff(bins[:, 0]) >= 0)  # sorted


def test_som_keeps_the_sheet_in_order():
    # pixels along a line: a 1 x 8 sheet must lay its nodes along it in order
    t = np.random.default_rng(0).uniform(-60, 60, 20000)
    x = np.stack([t, 0.5 * t], 1).astype(np.float32)
    bins = fit_bins("som:7", "lab", x, seed=0)
    gaps = np.sqrt((np.diff(bins, axis=0) ** 2).sum(1))
    assert gaps.min() > 5.0 and gaps.max() < 3 * gaps.min()  # evenly spread, none folded back


def test_freq_keeps_the_densest_cells():
    centres, x = _clusters()
    grid = gamut_grid("lab")
    bins = fit_bins("freq:3", "lab", x, seed=0)
    assert {tuple(b) for b in bins} <= {tuple(g) for g in grid}  # cells of the grid
    # the three cells are those of the three clusters' centres
    near = np.sqrt(((centres[:, None] - bins[None]) ** 2).sum(-1)).min(1)
    assert near.max() <= 5 * np.sqrt(2)
    with pytest.raises(ConfigError, match="fall in only"):
        fit_bins("freq:200", "lab", x, seed=0)


def test_yuv_conversions_keep_colours():
    rgb = np.random.default_rng(0).integers(0, 256, (5000, 3)).astype(np.uint8)
    y, uv = rgb_to_yuv(rgb)
    assert np.abs(yuv_to_rgb(y, uv) * 255 - rgb).max() < 0.01
    gray = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, 1)
    assert np.abs(luma_of_l(rgb_to_lab(gray)[:, 0]) - rgb_to_yuv(gray)[0]).max() < 1e-3
    # a colour's UV read back at the lightness of a gray: the same hue for colours that gray's
    # luma can show (moderate chroma), within a few units of ab
    lab = rgb_to_lab(rgb)
    keep = np.hypot(*lab[:, 1:].T) < 30
    ab = chroma_to_ab(uv[keep], lab[keep, 0], "yuv")
    assert np.median(np.abs(ab - lab[keep, 1:])) < 3.0
    # the yuv grid holds every 8-bit colour's UV within half a cell
    grid = gamut_grid("yuv")
    d = np.sqrt(((uv[:, None] - grid[None]) ** 2).sum(-1)).min(1)
    assert d.max() <= 5 * np.sqrt(2) + 1e-3


def test_settings_that_do_not_go_together_are_refused(tmp_path):
    base = {"data": "d", "out": "o"}
    with pytest.raises(ConfigError, match="--bins kmeans:8 needs --loss classification"):
        TrainConfig(**base, bins="kmeans:8", loss="gan")
    with pytest.raises(ConfigError, match="--hints needs --color-space lab"):
        TrainConfig(**base, hints=True, color_space="yuv")
    data = tmp_path / "d"
    _write_colour_images(data, 3)
    args = ["train", "--data", str(data), "--out", str(tmp_path / "r"), "--steps", "1", "-q"]
    args += ["--crop", "32", "--load-size", "40", "--width", "4"]
    r = CliRunner().invoke(main, [*args, "--bins", "kmeans:2000"])
    assert r.exit_code == 1 and r.stderr.strip().endswith("got 'kmeans:2000'")
    assert "\n" not in r.stderr.strip()
    r = CliRunner().invoke(main, [*args, "--bins", "freq:8", "--loss", "regression"])
    assert r.exit_code == 1 and "needs --loss classification" in r.stderr
    r = CliRunner().invoke(main, [*args, "--norm", "instance"])
    assert r.exit_code == 2 and "--norm" in r.stderr
    r = CliRunner().invoke(main, [*args, "--color-space", "hsv"])
    assert r.exit_code == 2 and "--color-space" in r.stderr
    r = CliRunner().invoke(main, [*args, "--encoder", "lite2", "--arch", "colorunet"])
    assert r.exit_code == 1 and "--encoder lite2 needs --arch effunet" in r.stderr
    r = CliRunner().invoke(main, [*args, "--encoder", "lite5", "--arch", "effunet"])
    assert r.exit_code == 2 and "--encoder" in r.stderr
    # a run resumes only with the classes and space it started with
    r = CliRunner().invoke(main, [*args, "--bins", "kmeans:4", "--save-every", "1"])
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, [*args, "--bins", "som:4", "--resume"])
    assert r.exit_code == 1 and "--bins kmeans:4 (now som:4)" in r.stderr
    # a file of a colour space this colorcli does not know: one line
    payload = read_payload(tmp_path / "r" / "last.pt")
    payload["color_space"] = {"name": "hsv"}
    torch.save(payload, tmp_path / "odd.pt")
    img = tmp_path / "g.png"
    Image.fromarray(np.full((20, 30), 100, np.uint8)).save(img)
    r = CliRunner().invoke(
        main, ["image", str(img), str(tmp_path / "o.png"), "--model", str(tmp_path / "odd.pt")]
    )
    assert r.exit_code == 1 and "colour space 'hsv' is not one this colorcli reads" in r.stderr


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_each_system_resumes_exactly_and_colours_images_and_films(tmp_path, name):
    extra = SYSTEMS[name]
    data = tmp_path / "data"
    _write_colour_images(data, 8)
    full = [e for e in run_training(_cfg(tmp_path / "a", data, **extra)) if isinstance(e, Step)]
    if name == "gan":
        assert all(e.d_loss is not None and np.isfinite(e.d_loss) for e in full)
    cut = _cfg(tmp_path / "b", data, **extra)
    gen = run_training(cut)
    for e in gen:
        if isinstance(e, Step) and e.step == 8:
            break
    gen.close()
    resumed = list(run_training(cut, resume=True))
    assert [e for e in resumed if isinstance(e, Resumed)] == [Resumed(6)]
    steps = [e for e in resumed if isinstance(e, Step)]
    for a, b in zip(full[6:], steps, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-5, abs=1e-6)
    last = tmp_path / "a" / "run" / "last.pt"
    pa, pb = read_payload(last), read_payload(tmp_path / "b" / "run" / "last.pt")
    for k in pa["state_dict"]:
        assert torch.allclose(pa["state_dict"][k].float(), pb["state_dict"][k].float(), atol=1e-5)
    if name == "gan":
        da, db = pa["discriminator"]["state_dict"], pb["discriminator"]["state_dict"]
        assert all(torch.allclose(da[k].float(), db[k].float(), atol=1e-5) for k in da)
        assert "discriminator" not in read_payload(tmp_path / "a" / "run" / "best.pt")
        exported = save_checkpoint(load_checkpoint(last), tmp_path / "export.pt", half=True)
        assert "discriminator" not in read_payload(exported)
    # the checkpoint describes itself: no flag to colour with it
    ckpt = load_checkpoint(last)
    assert ckpt.color_space["name"] == extra.get("color_space", "lab")
    if "bins" in extra:
        assert len(ckpt.ab_bins) == int(extra["bins"].split(":")[1])
    img = tmp_path / "gray.png"
    Image.fromarray(np.full((30, 44), 110, np.uint8)).save(img)
    r = CliRunner().invoke(main, ["image", str(img), str(tmp_path / "o.png"), "--model", str(last)])
    assert r.exit_code == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / "o.png"))
    assert out.shape == (30, 44, 3)
    assert (
        np.abs(
            rgb_to_lab(out)[..., 0] - rgb_to_lab(np.full((1, 1, 3), 110, np.uint8))[0, 0, 0]
        ).max()
        < 1.0
    )
    clip = make_clip(tmp_path / "in.mp4", n=6, size=(32, 48))
    r = CliRunner().invoke(
        main, ["video", str(clip), str(tmp_path / "o.mp4"), "--model", str(last), "-q"]
    )
    assert r.exit_code == 0, r.stderr
    got = read_clip(tmp_path / "o.mp4")
    assert len(got["frames"]) == 6 and got["audio"] == read_clip(clip)["audio"]


def test_gan_fine_tunes_a_regression_model(tmp_path):
    data = tmp_path / "data"
    _write_colour_images(data, 6)
    list(run_training(_cfg(tmp_path / "a", data, steps=6, loss="regression")))
    base = tmp_path / "a" / "run" / "last.pt"
    events = list(run_training(_cfg(tmp_path / "b", data, steps=3, loss="gan", init=str(base))))
    assert [e.step for e in events if isinstance(e, Step)] == [1, 2, 3]
    payload = read_payload(tmp_path / "b" / "run" / "last.pt")
    assert payload["model_config"]["head"] == "regression" and "discriminator" in payload
    assert json.loads((tmp_path / "b" / "run" / "config.json").read_text())["loss"] == "gan"
    # a classification model cannot start one: one line naming the option
    list(run_training(_cfg(tmp_path / "c", data, steps=2)))
    with pytest.raises(ConfigError, match="trained with --loss classification"):
        list(
            run_training(
                _cfg(
                    tmp_path / "d",
                    data,
                    steps=1,
                    loss="gan",
                    init=str(tmp_path / "c" / "run" / "last.pt"),
                )
            )
        )
