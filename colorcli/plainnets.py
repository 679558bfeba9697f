"""The seeds' two plain networks, registered as ``colorunet`` (a U-Net) and ``eccv16`` (Zhang
et al.'s network); they meet :class:`colorcli.models.ColorNet` as every architecture does."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from colorcli.models import ModelConfig, _cbr, _head, _Net, register


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
        self._guidance(cfg, self.stem[0], [b[0][0] for b in self.up], chans[5])

    def forward(
        self,
        l_norm: torch.Tensor,
        guide: torch.Tensor | None = None,
        palette: torch.Tensor | None = None,
    ) -> torch.Tensor:
        self._check_guidance(guide, palette)
        x = self._guided(self.stem, l_norm, guide, self._way("guide_in"))
        skips = [x]
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()
        x = self._with_palette(x, palette)
        for i, block in enumerate(self.up):
            s = skips.pop()
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = torch.cat([x, s], dim=1)
            x = block[1](self._guided(block[0], x, guide, self._way("guide_up", i)))
        return self._out(self.head(x), guide)


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
        self._guidance(cfg, self.body[0][0][0], [self.body[9][0][0]], 8 * w)

    def forward(
        self,
        l_norm: torch.Tensor,
        guide: torch.Tensor | None = None,
        palette: torch.Tensor | None = None,
    ) -> torch.Tensor:
        self._check_guidance(guide, palette)
        first = self.body[0]
        x = first[1:](self._guided(first[0], l_norm, guide, self._way("guide_in")))
        x = self._with_palette(self.body[1:4](x), palette)  # the 1/8 bottleneck
        x = self.body[4:9](x)
        last = self.body[9]  # the last stage, at 1/4: the guide again
        out = self.head(last[1:](self._guided(last[0], x, guide, self._way("guide_up", 0))))
        return self._out(out, guide)
