"""The decode's prior correction: a checkpoint that takes back the weighted loss's tilt toward
rare colours colours as the same network with that tilt taken out of its logits would."""

import dataclasses

import numpy as np
import pytest
import torch

from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.colorizer import Colorizer
from colorcli.errors import CheckpointError
from tests.conftest import gradient_rgb


def _weighted(tiny_ckpt, seed: int = 3):
    """The tiny checkpoint with uneven class weights (as rebalancing makes them), its
    favoured warm bin weighted most."""
    ckpt = load_checkpoint(tiny_ckpt)
    w = np.exp(np.random.default_rng(seed).normal(0.0, 2.0, len(ckpt.ab_bins)))
    w[int(np.argmin(((ckpt.ab_bins - [20, 40]) ** 2).sum(1)))] = np.exp(10.0)
    return dataclasses.replace(ckpt, class_weights=w)


@pytest.mark.parametrize("correction", [0.3, 1.0])
def test_correction_is_the_logits_divided_by_the_weights(tmp_path, tiny_ckpt, correction):
    ckpt = _weighted(tiny_ckpt)
    corrected = save_checkpoint(
        dataclasses.replace(ckpt, prior_correction=correction), tmp_path / "c.pt"
    )
    # the same network with -correction * log(weights) folded into its head's bias
    state = {k: v.clone() for k, v in ckpt.state_dict.items()}
    state["head.bias"] -= torch.as_tensor(correction * np.log(ckpt.class_weights)).float()
    folded = save_checkpoint(dataclasses.replace(ckpt, state_dict=state), tmp_path / "f.pt")
    plain = save_checkpoint(ckpt, tmp_path / "p.pt")
    img = gradient_rgb(48, 64, seed=1)
    got = Colorizer(corrected, device="cpu").colorize(img).astype(int)
    want = Colorizer(folded, device="cpu").colorize(img).astype(int)
    before = Colorizer(plain, device="cpu").colorize(img).astype(int)
    assert np.abs(got - want).max() <= 1
    assert np.abs(got - before).max() > 5  # the correction changes the colours


def test_correction_mutes_the_colours_the_weights_favoured(tmp_path, tiny_ckpt):
    """Weights that favour the tiny model's warm bin: taking them back mutes the colour."""
    ckpt = load_checkpoint(tiny_ckpt)
    model_bins = ckpt.ab_bins
    warm = int(np.argmin(((model_bins - [20, 40]) ** 2).sum(1)))
    w = np.full(len(model_bins), 0.5)
    w[warm] = 1000.0
    img = gradient_rgb(48, 64, seed=2)

    def chroma(correction: float) -> float:
        path = save_checkpoint(
            dataclasses.replace(ckpt, class_weights=w, prior_correction=correction),
            tmp_path / f"{correction}.pt",
        )
        out = Colorizer(path, device="cpu").colorize(img).astype(float)
        return float(np.abs(out - out.mean(axis=2, keepdims=True)).mean())

    assert chroma(1.0) < 0.5 * chroma(0.0)


def test_files_before_it_decode_as_before(tmp_path, tiny_ckpt):
    payload = torch.load(tiny_ckpt, weights_only=True)
    del payload["decode"]["prior_correction"]
    torch.save(payload, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt").prior_correction == 0.0
    again = save_checkpoint(
        dataclasses.replace(load_checkpoint(tiny_ckpt), prior_correction=0.4), tmp_path / "n.pt"
    )
    assert load_checkpoint(again).prior_correction == pytest.approx(0.4)


@pytest.mark.parametrize(
    "value, weights",
    [(1.5, None), (-0.1, None), ("half", None), (0.5, 0.0), (0.5, float("nan"))],
)
def test_a_bad_correction_is_a_damaged_checkpoint(tmp_path, tiny_ckpt, value, weights):
    payload = torch.load(tiny_ckpt, weights_only=True)
    payload["decode"]["prior_correction"] = value
    if weights is not None:
        payload["class_weights"][5] = weights
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="damaged checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
