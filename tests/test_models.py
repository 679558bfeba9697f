"""Registry and architectures: shapes, strides, config validation, ImageNet encoder loading."""

import importlib.util
import types

import pytest
import torch

from colorcli.errors import ConfigError
from colorcli.models import EffUNet, ModelConfig, build_model, clean_state_dict, list_archs


def test_registry_matches_cli_names():
    from colorcli.archs import ARCHS

    assert tuple(list_archs()) == tuple(sorted(ARCHS))
    with pytest.raises(ConfigError, match="unknown architecture"):
        build_model("nope")
    with pytest.raises(ConfigError, match="unknown model config keys"):
        build_model("colorunet", {"num_bins": 10, "bogus": 1})


@pytest.mark.parametrize("arch,stride", [("colorunet", 2), ("eccv16", 4), ("effunet", 2)])
@pytest.mark.parametrize("head", ["classification", "regression"])
def test_output_shapes(arch, stride, head):
    model = build_model(arch, ModelConfig(num_bins=17, head=head, width=4, out_stride=2)).eval()
    out = model(torch.zeros(2, 1, 64, 96))
    assert out.shape == (2, 17 if head == "classification" else 2, 64 // stride, 96 // stride)
    assert model.output_stride == stride
    if head == "regression":
        assert out.abs().max() <= 1


def test_clean_state_dict_strips_wrappers():
    sd = {"module._orig_mod.head.weight": torch.zeros(1), "head.bias": torch.ones(1)}
    assert set(clean_state_dict(sd)) == {"head.weight", "head.bias"}


def test_imagenet_weights_missing_package(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"colorcli\[train\]"):
        EffUNet(ModelConfig(width=4)).load_imagenet()


def test_imagenet_weights_load_and_stem_is_summed(tmp_path, monkeypatch):
    donor = EffUNet(ModelConfig(width=4))
    state = {
        k: torch.randn_like(v) if v.is_floating_point() else v
        for k, v in donor.state_dict().items()
        if k.startswith(("_blocks", "_bn0"))
    }
    state["_conv_stem.weight"] = torch.randn(32, 3, 3, 3)
    state["_fc.weight"] = torch.randn(1000, 1280)  # the classifier is ignored
    (tmp_path / "models").mkdir()
    torch.save(state, tmp_path / "models" / "efficientnet-lite0-57934424.pth")
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: types.SimpleNamespace(submodule_search_locations=[str(tmp_path)]),
    )
    model = EffUNet(ModelConfig(width=4))
    model.load_imagenet()
    torch.testing.assert_close(
        model._conv_stem.weight, state["_conv_stem.weight"].sum(1, keepdim=True)
    )
    torch.testing.assert_close(
        model._blocks[5]._depthwise_conv.weight, state["_blocks.5._depthwise_conv.weight"]
    )
