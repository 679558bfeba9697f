"""Smoke tests on what ships: the default model and samples/."""

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from colorcli.checkpoint import DEFAULT_MODEL, load_checkpoint
from colorcli.cli import main
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
