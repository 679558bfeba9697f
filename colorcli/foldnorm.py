"""Batch norms folded into the convolutions before them, for inference: the same output, one
pass over each feature map fewer.

At inference a batch norm is a fixed per-channel scale and shift, so ``norm(conv(x) + way(g))``
equals ``conv'(x) + way'(g)`` with the scale moved into both convolutions' weights and the
shift into ``conv'``'s bias. On this project's 2-core CPU the norms took a fifth of the
network's time on a film's frames (profiled: 1.4 of 7.5 s); folded, a film runs at 1.05 to
1.13x the frames/s (``python bench/foldnorm.py``). Only for a model that no longer trains:
the folded model has no norms to learn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

# (the module holding the norm, the norm's name in it, the convolution before it, the ways
# added to that convolution's output before the norm)
NormSite = tuple[nn.Module, str, nn.Conv2d, Sequence[nn.Conv2d]]


def fold(conv: nn.Conv2d, norm: nn.BatchNorm2d, ways: Sequence[nn.Conv2d] = ()) -> None:
    """Move the eval-mode ``norm`` into ``conv`` (its weight scaled per output channel, its
    bias the norm's shift) and the scale into each of ``ways``, which are bias-free
    convolutions whose outputs are added to ``conv``'s before the norm."""
    with torch.no_grad():
        var, mean = norm.running_var.double(), norm.running_mean.double()
        gamma = norm.weight.double() if norm.weight is not None else torch.ones_like(var)
        beta = norm.bias.double() if norm.bias is not None else torch.zeros_like(var)
        scale = gamma / torch.sqrt(var + norm.eps)
        bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(var)
        shift = beta + (bias - mean) * scale
        for c in (conv, *ways):
            w = c.weight.double() * scale.view(-1, *([1] * (c.weight.dim() - 1)))
            c.weight.copy_(w.to(c.weight.dtype))
        dtype, device = conv.weight.dtype, conv.weight.device
        conv.bias = nn.Parameter(shift.to(dtype=dtype, device=device), requires_grad=False)


def fold_norms(model: nn.Module, sites: Iterable[NormSite]) -> int:
    """Fold every batch norm of ``sites`` (see :data:`NormSite`) that can be: an eval-mode
    ``BatchNorm2d`` with running statistics, after a convolution of as many output channels.
    Each folded norm becomes an identity in its holder. Returns how many were folded."""
    if model.training:
        raise ValueError("fold_norms: the model is training (call .eval() first)")
    done = 0
    for holder, name, conv, ways in sites:
        norm = getattr(holder, name)
        if not (
            isinstance(norm, nn.BatchNorm2d)
            and norm.track_running_stats
            and norm.running_mean is not None
            and norm.num_features == conv.out_channels
            and all(w.bias is None and w.out_channels == conv.out_channels for w in ways)
        ):
            continue
        fold(conv, norm, ways)
        setattr(holder, name, nn.Identity())
        done += 1
    return done


def sequential_sites(seq: nn.Sequential, ways: Sequence[nn.Conv2d] = ()) -> list[NormSite]:
    """The (convolution, batch norm) pairs that follow each other in ``seq``; ``ways``
    belong to its first convolution (added to its output before its norm)."""
    out: list[NormSite] = []
    mods = list(seq._modules.items())
    for k, ((_, a), (name, b)) in enumerate(zip(mods, mods[1:], strict=False)):
        if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
            out.append((seq, name, a, ways if k == 0 else ()))
    return out
