"""train/recipes/calibrate.py: the decode fitted on validation photos is written into the file."""

import sys

import cv2
import numpy as np

from colorcli.checkpoint import load_checkpoint, save_checkpoint
from tests.conftest import gradient_rgb, make_checkpoint
from train.recipes import calibrate


def _fit(monkeypatch, tmp_path, model, *extra) -> object:
    out = tmp_path / "fitted.pt"
    argv = ["calibrate.py", str(model), str(tmp_path / "val"), "--out", str(out), *extra]
    monkeypatch.setattr(sys, "argv", argv)
    calibrate.main()
    return load_checkpoint(out)


def test_the_correction_that_mutes_a_favoured_wrong_colour_is_chosen(tmp_path, monkeypatch):
    """A network that paints everything one warm colour, which its class weights favoured:
    on blue-green photos the fit takes the weights back (and writes it), unless told not to."""
    src = make_checkpoint(tmp_path / "tiny.pt", out_stride=2)
    ckpt = load_checkpoint(src)
    warm = int(np.argmin(((ckpt.ab_bins - [20, 40]) ** 2).sum(1)))
    ckpt.class_weights = np.full(len(ckpt.ab_bins), 0.9)
    ckpt.class_weights[warm] = np.exp(8.0)
    model = save_checkpoint(ckpt, tmp_path / "weighted.pt")
    (tmp_path / "val").mkdir()
    for i in range(3):
        photo = gradient_rgb(64, 80, seed=i).astype(np.float32)
        photo[..., 2] = np.clip(photo[..., 2] * 0.4, 0, 255)  # cool: the red channel low
        cv2.imwrite(str(tmp_path / "val" / f"{i}.png"), photo.astype(np.uint8))
    fitted = _fit(monkeypatch, tmp_path, model, "--min-colour", "0", "--corrections", "0,0.5,1")
    assert fitted.prior_correction > 0
    assert fitted.temperature in calibrate.TEMPERATURES
    plain = _fit(monkeypatch, tmp_path, model, "--min-colour", "0", "--corrections", "0")
    assert plain.prior_correction == 0.0
    # the photo decode, fitted at a network size of its own, keeps that size
    sized = _fit(monkeypatch, tmp_path, model, "--min-colour", "0", "--flip", "--size", "48")
    assert sized.photo_decode["size"] == 48 and sized.photo_decode["flip"] is True
    assert sized.net_size == ckpt.net_size  # films keep the checkpoint's
