"""Colorization networks: one registry, one ``build_model(arch, cfg)``.

Every model maps normalised lightness ``(N, 1, H, W)`` (``(L - 50) / 100``) to either logits over
the ab bins ``(N, Q, H / s, W / s)`` (classification head) or ab / 110 in [-1, 1]
``(N, 2, H / s, W / s)`` (regression head, tanh), where ``s = model.output_stride``. H and W must
be multiples of ``model.input_multiple``; the Colorizer pads to that.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    out_stride: colorunet only: 1 predicts at full network resolution, 2 or 4 stop the decoder
        early (chroma is low-frequency; the Colorizer upsamples ab anyway).
    """

    num_bins: int = 261
    head: str = "classification"
    width: int = 32
    norm: str = "batch"
    out_stride: int = 1

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ConfigError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.norm not in NORMS:
            raise ConfigError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.width < 1 or self.num_bins < 2:
            raise ConfigError("width must be >= 1 and num_bins >= 2")
        if self.out_stride not in (1, 2, 4):
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


_REGISTRY: dict[str, Callable[[ModelConfig], nn.Module]] = {}


def register(name: str) -> Callable:
    def deco(fn: Callable[[ModelConfig], nn.Module]) -> Callable[[ModelConfig], nn.Module]:
        _REGISTRY[name] = fn
        return fn

    return deco


def list_archs() -> list[str]:
    """Names accepted by :func:`build_model`."""
    return sorted(_REGISTRY)


def build_model(arch: str, cfg: ModelConfig | dict[str, Any] | None = None) -> nn.Module:
    """Build an untrained model of a registered architecture."""
    if arch not in _REGISTRY:
        raise ConfigError(f"unknown architecture {arch!r}; known: {', '.join(list_archs())}")
    if cfg is None:
        cfg = ModelConfig()
    elif isinstance(cfg, dict):
        cfg = ModelConfig.from_dict(cfg)
    model = _REGISTRY[arch](cfg)
    model.arch = arch
    model.config = cfg
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


class ColorUNet(nn.Module):
    """U-Net as in the seeds (MLEU / ColorUNet): 5 stride-2 encoding blocks of conv+norm+ReLU,
    5 decoding blocks (bilinear x2, concatenate the skip, conv+norm+ReLU x2), 1x1 head."""

    input_multiple = 32

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


class ECCV16(nn.Module):
    """Zhang et al. (ECCV 2016): VGG-style stages with BatchNorm, dilated conv5/conv6,
    a stride-2 transposed conv in conv8, predicting at 1/4 resolution. ``width=64`` gives the
    paper's channel counts (64-128-256-512-512-512-512-256)."""

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


@register("colorunet")
def _colorunet(cfg: ModelConfig) -> nn.Module:
    return ColorUNet(cfg)


@register("eccv16")
def _eccv16(cfg: ModelConfig) -> nn.Module:
    return ECCV16(cfg)


def _check_names() -> None:
    from colorcli.archs import ARCHS

    assert tuple(sorted(ARCHS)) == tuple(list_archs()), "colorcli.archs.ARCHS out of date"


_check_names()


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip ``module.`` (DDP) and ``_orig_mod.`` (torch.compile) prefixes."""
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "_orig_mod."):
            while k.startswith(prefix):
                k = k[len(prefix) :]
        out[k] = v
    return out
