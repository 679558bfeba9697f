"""A checkpoint's photo decode: photos are coloured from the average of their own and their
mirror image's distributions, at their own temperature and prior correction; films are not."""

import dataclasses

import numpy as np
import pytest
import torch

from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.colorizer import Colorizer
from colorcli.errors import CheckpointError
from tests.conftest import gradient_rgb

FLIP = {"flip": True, "temperature": 0.5, "prior_correction": 0.0}


def _with(tmp_path, tiny_ckpt, name: str, photo_decode) -> str:
    """The tiny checkpoint with ``photo_decode``, its colours led by what it sees (every
    convolution's weights tripled, not one favoured bin's bias)."""
    ckpt = load_checkpoint(tiny_ckpt)
    state = {k: v.clone() for k, v in ckpt.state_dict.items()}
    state["head.bias"].zero_()
    for k, v in state.items():
        if k.endswith("weight") and v.ndim == 4:
            v *= 3.0
    ckpt = dataclasses.replace(ckpt, state_dict=state, photo_decode=photo_decode)
    return str(save_checkpoint(ckpt, tmp_path / name))


def _mirror_gap(model: str, photo) -> float:
    """How far the colouring of a photo's mirror image is from its colouring, mirrored."""
    c = Colorizer(model, device="cpu")
    out = c.colorize(photo).astype(int)
    mirrored = c.colorize(np.ascontiguousarray(photo[:, ::-1])).astype(int)
    return float(np.abs(out - mirrored[:, ::-1]).mean())


def test_a_photo_and_its_mirror_image_are_coloured_alike(tmp_path, tiny_ckpt):
    """With the mirrored input averaged in, a photo's mirror image comes out as the mirror
    image of its colouring; one network pass (its random weights see left and right apart)
    does not. The width is a multiple of the network's input multiple: no padding."""
    photo = gradient_rgb(64, 96, seed=7)
    flip = _with(tmp_path, tiny_ckpt, "flip.pt", FLIP)
    once = _with(tmp_path, tiny_ckpt, "once.pt", {**FLIP, "flip": False})
    assert _mirror_gap(flip, photo) < 0.5
    assert _mirror_gap(once, photo) > 4 * max(_mirror_gap(flip, photo), 0.1)


def test_films_keep_their_own_decode(tmp_path, tiny_ckpt):
    """The photo decode is for photos: a film's frames (predict_ab as films call it) come out
    as with no photo decode at all."""
    flip = Colorizer(_with(tmp_path, tiny_ckpt, "flip.pt", FLIP), device="cpu")
    plain = Colorizer(_with(tmp_path, tiny_ckpt, "plain.pt", None), device="cpu")
    l_net = flip.l_net(np.linspace(0, 100, 48 * 64, dtype=np.float32).reshape(48, 64))
    np.testing.assert_array_equal(flip.predict_ab([l_net])[0], plain.predict_ab([l_net])[0])
    photo_ab = flip.predict_ab([l_net], photo=True)[0]
    assert np.abs(photo_ab - plain.predict_ab([l_net])[0]).max() > 1.0


def test_the_photo_temperature_is_the_photos_and_a_given_one_is_everyones(tmp_path, tiny_ckpt):
    hot = _with(tmp_path, tiny_ckpt, "hot.pt", {"flip": False, "temperature": 5.0})
    plain = _with(tmp_path, tiny_ckpt, "plain.pt", None)
    photo = gradient_rgb(48, 64, seed=3)

    def chroma(model, **kw) -> float:
        out = Colorizer(model, device="cpu", **kw).colorize(photo).astype(float)
        return float(np.abs(out - out.mean(axis=2, keepdims=True)).mean())

    assert chroma(hot) < 0.5 * chroma(plain)  # a high temperature mutes
    assert chroma(hot, temperature=0.38) == pytest.approx(chroma(plain), abs=0.05)


@pytest.mark.parametrize(
    "photos",
    [
        {"flip": "yes", "temperature": 0.5},
        {"flip": True},
        {"flip": True, "temperature": -1.0},
        {"flip": True, "temperature": float("nan")},
        {"flip": True, "temperature": 0.5, "prior_correction": 2.0},
        {"flip": True, "temperature": 0.5, "size": 8},
        {"flip": True, "temperature": 0.5, "size": 192.5},
        [0.5],
    ],
)
def test_a_bad_photo_decode_is_a_damaged_checkpoint(tmp_path, tiny_ckpt, photos):
    payload = torch.load(tiny_ckpt, weights_only=True)
    payload["decode"]["photos"] = photos
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="damaged checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")


def test_the_photo_decode_survives_a_round_trip(tmp_path, tiny_ckpt):
    back = load_checkpoint(_with(tmp_path, tiny_ckpt, "f.pt", {**FLIP, "prior_correction": 0.1}))
    assert back.photo_decode == {**FLIP, "prior_correction": 0.1}
    assert load_checkpoint(tiny_ckpt).photo_decode is None


def test_a_photo_decode_of_its_own_size_colours_unguided_photos_at_it(tmp_path, hint_ckpt):
    """A photo decode with a size: a photo without hints is coloured at that network size
    (as the same checkpoint colours it when asked for that --size), a film's frames and a
    photo with hints at the checkpoint's own; a --size given is everyone's."""
    from colorcli.guide import guide_from_points

    sized = _with(tmp_path, hint_ckpt, "sized.pt", {**FLIP, "size": 40})
    plain = _with(tmp_path, hint_ckpt, "plain.pt", FLIP)
    assert load_checkpoint(sized).photo_decode == {**FLIP, "size": 40}
    photo = gradient_rgb(96, 128, seed=5)
    at_40 = Colorizer(plain, device="cpu", size=40).colorize(photo)
    own = Colorizer(plain, device="cpu").colorize(photo)
    assert np.abs(at_40.astype(int) - own).mean() > 1  # the size shows
    c = Colorizer(sized, device="cpu")
    np.testing.assert_array_equal(c.colorize(photo), at_40)
    assert c.net_shape(96, 128) == Colorizer(plain, device="cpu").net_shape(96, 128)
    np.testing.assert_array_equal(Colorizer(sized, device="cpu", size=64).colorize(photo),
                                  Colorizer(plain, device="cpu", size=64).colorize(photo))  # fmt: skip
    l_full = np.full((96, 128), 50.0, np.float32)
    hint = guide_from_points([(10, 10, (200, 40, 40))], l_full)
    np.testing.assert_array_equal(
        c.colorize(photo, hint), Colorizer(plain, device="cpu").colorize(photo, hint)
    )
