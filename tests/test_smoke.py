"""Smoke tests on what ships: the default model and samples/."""

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from colorcli.checkpoint import DEFAULT_MODEL, load_checkpoint
from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from tests.media import read_clip

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_shipped_model_describes_itself():
    ckpt = load_checkpoint(DEFAULT_MODEL)
    assert ckpt.ab_bins.shape == (261, 2)
    assert abs(ckpt.prior.sum() - 1) < 1e-6
    assert abs((ckpt.prior * ckpt.class_weights).sum() - 1) < 1e-6
    assert ckpt.provenance.get("torch") and ckpt.step > 0
    assert DEFAULT_MODEL.stat().st_size < 25 * 2**20


def test_colorize_dir_samples_with_the_shipped_model(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main, ["dir", str(SAMPLES), "-o", str(out), "-q"], catch_exceptions=False
    )
    assert r.exit_code == 0, r.stderr
    photos = sorted(SAMPLES.glob("*.jpg"))
    assert photos
    for p in photos:
        src, dst = read_image(p), read_image(out / p.name)
        assert dst.pixels.shape[:2] == src.pixels.shape[:2]
        lab = rgb_to_lab(dst.pixels)
        gray = np.repeat(src.pixels[..., None], 3, -1) if src.pixels.ndim == 2 else src.pixels
        assert np.abs(lab[..., 0] - rgb_to_lab(gray)[..., 0]).mean() < 1.5  # JPEG re-encode
        assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 3.0  # there is colour
    a, b = read_clip(SAMPLES / "bikes_bw.mp4"), read_clip(out / "bikes_bw.mp4")
    assert b["pts"] == a["pts"] and b["time_base"] == a["time_base"]


def test_shipped_model_colours_sky_foliage_and_skin():
    # the model card's claims on the samples, as Lab hue: a sky blue, trees green, skin warm
    colorizer = Colorizer(None, device="cpu")

    def mean_ab(name: str, rows: tuple[float, float], cols: tuple[float, float]):
        px = read_image(SAMPLES / name).pixels
        rgb = colorizer.colorize(np.repeat(px[..., None], 3, -1) if px.ndim == 2 else px)
        h, w = px.shape[:2]
        lab = rgb_to_lab(rgb)[
            int(rows[0] * h) : int(rows[1] * h), int(cols[0] * w) : int(cols[1] * w)
        ]
        a, b = lab[..., 1].mean(), lab[..., 2].mean()
        return np.hypot(a, b), np.degrees(np.arctan2(b, a))

    chroma, hue = mean_ab("summer_1am_bw.jpg", (0.0, 0.3), (0.0, 1.0))  # the sky
    assert chroma > 5 and -135 < hue < -60  # blue: b* well below 0
    chroma, hue = mean_ab("aitzgorri_bw.jpg", (0.45, 0.7), (0.8, 1.0))  # the trees on the right
    assert chroma > 10 and 100 < hue < 180  # green: a* < 0, b* > 0
    chroma, hue = mean_ab("astronaut_bw.jpg", (0.15, 0.3), (0.35, 0.5))  # the face
    assert chroma > 10 and 20 < hue < 90  # warm: a* > 0, b* > 0
