"""train/recipes/grow.py: a lite0 effunet checkpoint grown to lite1 colours as before."""

import numpy as np
import pytest
import torch

from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.colorizer import Colorizer
from tests.conftest import gradient_rgb, make_checkpoint
from train.recipes.grow import grow


@pytest.mark.parametrize("hints", [False, True])
def test_grown_encoder_colours_as_the_checkpoint_it_came_from(tmp_path, hints):
    src = make_checkpoint(tmp_path / "lite0.pt", arch="effunet", width=8, out_stride=2, hints=hints)
    ck = load_checkpoint(src)
    with torch.no_grad():  # trained-looking batch norms: the copies must carry them
        for k, v in ck.state_dict.items():
            if k.endswith(("running_var", "_bn2.weight")):
                v.copy_(torch.rand_like(v) + 0.5)
            elif k.endswith(("running_mean", "_bn2.bias")):
                v.copy_(torch.randn_like(v) * 0.1)
    save_checkpoint(ck, src)
    dst = tmp_path / "lite1.pt"
    assert grow(str(src), str(dst)) == 0.0
    grown = load_checkpoint(dst)
    assert grown.model_config["encoder"] == "lite1"
    assert sum(p.numel() for p in grown.build().parameters()) > sum(
        p.numel() for p in ck.build().parameters()
    )
    photo = gradient_rgb(96, 128, seed=3)
    want = Colorizer(src, device="cpu").colorize(photo)
    got = Colorizer(dst, device="cpu").colorize(photo)
    assert np.abs(want.astype(int) - got.astype(int)).max() <= 1


def test_a_wider_encoder_cannot_be_grown(tmp_path):
    src = make_checkpoint(tmp_path / "lite0.pt", arch="effunet", width=8, out_stride=2)
    with pytest.raises(SystemExit, match="wider"):
        grow(str(src), str(tmp_path / "lite2.pt"), big="lite2")
