"""Colorization networks: one registry, one ``build_model(arch, cfg)``, one written contract.

Every model maps normalised lightness ``(N, 1, H, W)`` (``(L - 50) / 100``), and, when built with
``hints``, a guide ``(N, 3, H, W)`` (hinted ab / 110 times a confidence mask in [0, 1], and the
mask; zeros are no hint) and a palette ``(N, Q)`` (a distribution over the ab bins, or zeros for none) to either logits over
the ab bins ``(N, Q, H / s, W / s)`` (classification head) or ab / 110 in [-1, 1]
``(N, 2, H / s, W / s)`` (regression head, tanh; chroma / norm of the checkpoint's colour
space in general, ``colorcli.chroma``: the input is then that space's lightness-like channel), where ``s = model.output_stride``. H and W must
be multiples of ``model.input_multiple``; the Colorizer pads to that. What the Colorizer and the
training loop need of a model is the :class:`ColorNet` protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import torch
from torch import nn
from torch.nn import functional as F

from colorcli.errors import ConfigError
from colorcli.foldnorm import NormSite
from colorcli.options import ENCODERS, NORMS

HEADS = ("classification", "regression")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture settings; saved in checkpoints as a plain dict.

    num_bins: Q, the number of ab bins (classification head).
    head: "classification" (Q logits) or "regression" (2 channels, tanh).
    width: channels of the first stage; later stages use multiples of it.
    norm: "batch", "group" (8 groups), "layer" (one group: each sample normalised over its
        channels and pixels, as LayerNorm on a feature map) or "none".
    out_stride: 1 predicts at full network resolution, 2 or 4 stop the decoder early (chroma
        is low-frequency; the Colorizer upsamples ab anyway). Each architecture makes only some
        strides (its ``strides``) and refuses others; None takes its own (the first).
    encoder: effunet's EfficientNet-lite encoder (lite0, lite1, lite2; the others have none).
    hints: also takes a guide (hinted ab and a mask) and a palette, through ways in of their
        own (``GUIDANCE_PREFIXES``) that start at zero: a hint model made from an automatic one
        colours alike until it has learned to follow hints, and with no hints it is the
        automatic model exactly.
    """

    num_bins: int = 261
    head: str = "classification"
    width: int = 32
    norm: str = "batch"
    out_stride: int | None = None
    hints: bool = False
    encoder: str = "lite0"

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ConfigError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}")
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


class ColorNet(Protocol):
    """What the Colorizer and the training loop need of an architecture.

    input_multiple: H and W of the input must be multiples of it. output_stride: the logits
    are at 1/stride of the input. head_kind: "classification" or "regression". head: the last
    1x1 convolution (training starts its bias at the log prior). encoder_prefixes: parameter
    name prefixes of an ImageNet-pretrained encoder, () for none. load_imagenet(): fill that
    encoder, or raise ConfigError where the architecture has none. takes_hints: whether
    ``__call__`` uses ``guide`` and ``palette`` (None: no guidance; a model without hints
    refuses guidance).
    """

    input_multiple: int
    output_stride: int
    head_kind: str
    head: nn.Conv2d
    encoder_prefixes: tuple[str, ...]
    takes_hints: bool

    def load_imagenet(self) -> None: ...

    def __call__(
        self,
        l_norm: torch.Tensor,
        guide: torch.Tensor | None = None,
        palette: torch.Tensor | None = None,
    ) -> torch.Tensor: ...


class _Net(nn.Module):
    """Defaults of the ColorNet contract; ``strides``: the output strides it can make."""

    strides: ClassVar[tuple[int, ...]] = (1,)
    input_multiple: ClassVar[int] = 32
    encoder_prefixes: ClassVar[tuple[str, ...]] = ()
    arch: str = ""  # the registered name, set by build_model
    takes_hints: bool = False

    def load_imagenet(self) -> None:
        raise ConfigError(f"--pretrained: {self.arch} has no pretrained weights (effunet has)")

    def norm_sites(self) -> list[NormSite]:
        """Where its batch norms can be folded for inference (:mod:`colorcli.foldnorm`):
        none unless the architecture says."""
        return []

    def _guidance(
        self, cfg: ModelConfig, first: nn.Conv2d, levels: list[nn.Conv2d], bottleneck: int
    ) -> None:
        """For a hint model, the guidance's ways in, each zero at the start and added to what
        the automatic model computes: the guide beside the first convolution (``first``: same
        kernel and stride), beside the first convolution of each decoder level (``levels``:
        the coarse ones see far, so a hint can spread) and onto the head's output, and the
        palette onto the bottleneck's channels. With no guidance they are skipped, so the
        model is exactly the automatic one it started from."""
        self.takes_hints = cfg.hints
        if not cfg.hints:
            return
        k, st, pad = first.kernel_size, first.stride, first.padding
        self.guide_in = nn.Conv2d(GUIDE_CHANNELS, first.out_channels, k, st, pad, bias=False)
        self.guide_up = nn.ModuleList(
            nn.Conv2d(GUIDE_CHANNELS, c.out_channels, 3, 1, 1, bias=False) for c in levels
        )
        # and onto the logits themselves: a hint can raise its own colour's bins where it is
        # (colorcli.train.step.init_guide_out starts it so), the deeper ways spread it
        self.guide_out = nn.Conv2d(GUIDE_CHANNELS, self.head.out_channels, 5, 1, 2, bias=False)
        self.palette_in = nn.Linear(cfg.num_bins, bottleneck)
        for m in (self.guide_in, self.guide_up, self.guide_out, self.palette_in):
            for p in m.parameters():
                nn.init.zeros_(p)

    def _check_guidance(self, guide: torch.Tensor | None, palette: torch.Tensor | None) -> None:
        if not self.takes_hints and (guide is not None or palette is not None):
            raise ConfigError(f"this {self.arch} model was not trained to take hints")

    def _way(self, name: str, i: int | None = None) -> nn.Module | None:
        """A guidance way in by name (and decoder level), None for an automatic model."""
        if not self.takes_hints:
            return None
        way = getattr(self, name)
        return way if i is None else way[i]

    def _guided(
        self, cbr: nn.Sequential, x: torch.Tensor, guide: torch.Tensor | None, way
    ) -> torch.Tensor:
        """conv-norm-ReLU ``cbr`` on ``x``, the guide's way in ``way`` added before the norm."""
        y = cbr[0](x)
        if guide is not None and way is not None:
            y = y + way(pool_guide(guide, x.shape[-2:]).to(y.dtype))
        for m in cbr[1:]:
            y = m(y)
        return y

    def _out(self, out: torch.Tensor, guide: torch.Tensor | None) -> torch.Tensor:
        """The head's output, the guide's last way in added; tanh for a regression head."""
        if guide is not None and self.takes_hints:
            out = out + self.guide_out(pool_guide(guide, out.shape[-2:]).to(out.dtype))
        return torch.tanh(out) if self.head_kind == "regression" else out

    def _with_palette(self, x: torch.Tensor, palette: torch.Tensor | None) -> torch.Tensor:
        """The palette's way in at the bottleneck. No palette is an all-zero one, as training
        gives a crop without one: its bias is added still (it learns away from zero)."""
        if not self.takes_hints:
            return x
        if palette is None:
            return x + self.palette_in.bias.to(x.dtype)[None, :, None, None]
        return x + self.palette_in(palette.to(x.dtype))[:, :, None, None]


def pool_guide(guide: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A guide (N, 3, H, W) at ``size``, area-averaged: its ab channels are premultiplied by
    the mask, so the average stays premultiplied by the hinted fraction of each cell."""
    if tuple(guide.shape[-2:]) == tuple(size):
        return guide
    return F.adaptive_avg_pool2d(guide, size)


GUIDANCE_PREFIXES = (
    "guide_in",
    "guide_up",
    "guide_out",
    "palette_in",
)  # a hint model's own parameters
GUIDE_CHANNELS = 3  # mask * a / 110, mask * b / 110, mask
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
    missing = unmet_contract(model)
    if missing:  # a registered class that breaks the contract
        raise ConfigError(
            f"architecture {arch!r} does not meet the ColorNet contract (no {', '.join(missing)})"
        )
    return model


def unmet_contract(model: object) -> list[str]:
    """The members of :class:`ColorNet` that ``model`` lacks (``hasattr``: from Python 3.12 a
    runtime protocol's ``isinstance`` misses what nn.Module serves, as ``head``)."""
    return [m for m in [*ColorNet.__annotations__, "load_imagenet"] if not hasattr(model, m)]


def _norm(kind: str, c: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "group":
        return nn.GroupNorm(min(8, c), c)
    if kind == "layer":
        return nn.GroupNorm(1, c)
    return nn.Identity()


def _cbr(cin: int, cout: int, norm: str, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=norm == "none"),
        _norm(norm, cout),
        nn.ReLU(inplace=True),
    )


def _head(cin: int, cfg: ModelConfig) -> nn.Module:
    return nn.Conv2d(cin, cfg.num_bins if cfg.head == "classification" else 2, 1)


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip ``module.`` (DDP) and ``_orig_mod.`` (torch.compile) prefixes."""
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "_orig_mod."):
            while k.startswith(prefix):
                k = k[len(prefix) :]
        out[k] = v
    return out


# the architectures register themselves as they are imported
from colorcli import effnet as _effnet  # noqa: E402,F401  (effunet)
from colorcli import plainnets as _plainnets  # noqa: E402,F401  (colorunet, eccv16)
