"""Hints spread by learned attention: each pixel takes the colours of the hints that look like it
in the network's own features (and lie near it, at a similar lightness), or keeps the model's
colour where no hint does.

A handful of hints names a photo's colours; which pixels share each one is what the automatic
model knows best and colours worst: its features group sky with sky and bark with bark even
where its guess of their colour is wrong. The head is small (an embedding of each pixel's
features, two distance weights and the logit of keeping the model's colour) and is fitted on
frozen features (``colorcli.train.attend``); a checkpoint carries it beside the network.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from colorcli.kernels.lab import AB_NORM

MAX_TOKENS = 1024  # hints attended to at once: a painted layer is pooled down to this many
QUERY_CHUNK = 8192  # pixels per attention block (bounds memory on panoramas)
# the embedding MLP's sizes (16, 64 at half the steps: 0.08 dB lower held out)
EMBED, HIDDEN = 32, 128


class HintAttention(nn.Module):
    """Attention of pixels (queries) over hints (keys whose values are their colours), with a
    null key whose value is the model's own colour at the pixel.

    feat_dim: per-pixel features (``pixel_features``); embed, hidden: the embedding MLP's sizes.
    """

    def __init__(self, feat_dim: int, embed: int = EMBED, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.feat_dim, self.embed_dim, self.hidden = int(feat_dim), int(embed), int(hidden)
        self.mlp = nn.Sequential(
            nn.Linear(self.feat_dim, self.hidden), nn.ReLU(), nn.Linear(self.hidden, embed)
        )
        # squared distances in (x, y) (fractions of the diagonal) and L* / 100, each scaled by
        # 10 softplus(its weight); started at Gaussian widths of 0.35 and 0.15
        self.w_xy = nn.Parameter(torch.tensor(-0.7))
        self.w_l = nn.Parameter(torch.tensor(2.1))
        self.null = nn.Parameter(torch.tensor(-4.0))  # logit of keeping the model's colour

    def config(self) -> dict[str, int]:
        return {"feat_dim": self.feat_dim, "embed": self.embed_dim, "hidden": self.hidden}

    def embed(self, feats: torch.Tensor) -> torch.Tensor:
        """(..., feat_dim) -> (..., embed)."""
        return self.mlp(feats)

    def forward(
        self,
        q_emb: torch.Tensor,
        q_pos: torch.Tensor,
        k_emb: torch.Tensor,
        k_pos: torch.Tensor,
        k_ab: torch.Tensor,
        k_logw: torch.Tensor,
        ab_net: torch.Tensor,
    ) -> torch.Tensor:
        """Colours of N pixels from K hints, batched.

        q_emb: (B, N, E) pixel embeddings; q_pos: (B, N, 3) x, y (fractions of the diagonal)
        and L* / 100; k_emb (B, K, E), k_pos (B, K, 3) the same of the hints; k_ab (B, K, 2)
        their ab; k_logw (B, K) log of each hint's confidence (-inf: no hint); ab_net (B, N, 2)
        the model's ab. Returns (B, N, 2) ab.
        """
        a = self.weights(q_emb, q_pos, k_emb, k_pos, k_logw)
        return a[..., :1] * ab_net + a[..., 1:] @ k_ab

    def weights(
        self,
        q_emb: torch.Tensor,
        q_pos: torch.Tensor,
        k_emb: torch.Tensor,
        k_pos: torch.Tensor,
        k_logw: torch.Tensor,
        xy_scale: float = 1.0,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """(B, N, 1 + K): each pixel's attention to the null key (its model's colour) and to
        each hint, summing to 1 (arguments as ``forward``; ``xy_scale`` times the learned
        weight of the distance in (x, y); every logit, the null key's too, over
        ``temperature``)."""
        d_emb = torch.cdist(q_emb, k_emb).square()
        d_xy = torch.cdist(q_pos[..., :2], k_pos[..., :2]).square()
        d_l = (q_pos[..., 2:] - k_pos[..., 2].unsqueeze(1)).square()
        w_xy = F.softplus(self.w_xy) * 10.0 * xy_scale
        logits = -d_emb - w_xy * d_xy - F.softplus(self.w_l) * 10.0 * d_l
        logits = logits + k_logw.unsqueeze(1)
        null = self.null.expand(*logits.shape[:2], 1)
        return torch.softmax(torch.cat([null, logits], dim=-1) / temperature, dim=-1)


def pixel_features(feats: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """What the head embeds, per pixel: the network's last features (unit length) beside the
    square root of its class distribution. feats (B, C, h, w), logits (B, Q, h, w) ->
    (B, h, w, C + Q) float32."""
    f = F.normalize(feats.float(), dim=1)
    p = torch.softmax(logits.float(), dim=1).sqrt()
    return torch.cat([f, p], dim=1).permute(0, 2, 3, 1)


def positions(l_out: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32: each pixel's centre x, y as fractions of the diagonal and L* / 100."""
    h, w = l_out.shape
    diag = float(np.hypot(h, w))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.dstack([(xx + 0.5) / diag, (yy + 0.5) / diag, l_out / 100.0]).astype(np.float32)


def hint_tokens(
    emb: torch.Tensor, pos: np.ndarray, ab: np.ndarray, mask: np.ndarray, limit: int = MAX_TOKENS
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The hinted pixels of one image as keys: each pixel whose mask is above zero, or, when
    there are more than ``limit``, the mask-weighted means over square cells of the grid.

    emb: (h, w, E) embeddings; pos: (h, w, 3); ab: (h, w, 2) hinted ab; mask: (h, w) confidence
    in [0, 1]. Returns emb (K, E), pos (K, 3), ab (K, 2), log-confidence (K,), as tensors on
    ``emb``'s device.
    """
    dev = emb.device
    m = torch.as_tensor(mask, dtype=torch.float32, device=dev)
    vals = torch.cat(
        [
            emb.float(),
            torch.as_tensor(pos, device=dev),
            torch.as_tensor(ab, dtype=torch.float32, device=dev),
        ],
        dim=-1,
    )

    def cells(side: int) -> int:
        return int((F.avg_pool2d(m[None, None], side, ceil_mode=True) > 0).sum())

    cell = 1
    while cells(cell) > limit:  # the smallest power-of-two cell that brings them under it
        cell *= 2
    if cell > 1:
        num = F.avg_pool2d((vals * m[..., None]).permute(2, 0, 1)[None], cell, ceil_mode=True)
        m = F.avg_pool2d(m[None, None], cell, ceil_mode=True)[0, 0]
        vals = (num[0] / m.clamp_min(1e-12)).permute(1, 2, 0)
    on = m > 0
    v = vals[on]
    e = emb.shape[-1]
    return v[:, :e], v[:, e : e + 3], v[:, e + 3 :], m[on].log()


class Tokens(NamedTuple):
    """Keys made once (``reference_tokens``): embeddings (K, E), positions (K, 3), ab (K, 2)
    and log-confidences (K,)."""

    emb: torch.Tensor
    pos: torch.Tensor
    ab: torch.Tensor
    logw: torch.Tensor


def cluster_tokens(
    head: HintAttention,
    emb: torch.Tensor,
    pos: np.ndarray,
    ab: np.ndarray,
    mask: np.ndarray,
    count: int,
    rounds: int = 8,
) -> Tokens:
    """The pixels of ``mask`` as about ``count`` keys, each the mean of pixels alike in the
    head's own metric and in colour (k-means started from square cells of equal area), so
    that a key does not average unlike colours as a cell across an edge does. A key's
    log-confidence is the log of its count of pixels over the mean count (equal cells: 0, as
    ``hint_tokens`` gives a photo's pixels); the mask's values are not weights here.

    emb: (h, w, E) embeddings; pos (h, w, 3); ab (h, w, 2); mask (h, w).
    """
    dev = emb.device
    on = torch.as_tensor(mask > 0, device=dev)
    e = emb.float()[on]
    p = torch.as_tensor(pos, device=dev)[on]
    c = torch.as_tensor(ab, dtype=torch.float32, device=dev)[on]
    h, w = mask.shape
    side = max(1, int(np.ceil(np.sqrt(h * w / max(count, 1)))))
    yx = torch.as_tensor(np.mgrid[0:h, 0:w], device=dev)[:, on] // side
    label = torch.unique(yx[0] * ((w + side - 1) // side) + yx[1], return_inverse=True)[1]
    # squared distances as the head's logits weigh them; ab (Lab / 100) weighed as L* is
    s_xy = float(F.softplus(head.w_xy) * 10.0) ** 0.5
    s_l = float(F.softplus(head.w_l) * 10.0) ** 0.5
    x = torch.cat([e, p[:, :2] * s_xy, p[:, 2:] * s_l, c * (s_l / 100.0)], 1)
    for _ in range(rounds):
        centre = _cluster_means(label, x)[1]
        near = [
            torch.cdist(x[i : i + QUERY_CHUNK], centre).argmin(1)
            for i in range(0, len(x), QUERY_CHUNK)
        ]
        label = torch.unique(torch.cat(near), return_inverse=True)[1]  # emptied clusters go
    n, mean = _cluster_means(label, torch.cat([e, p, c], 1))
    k = e.shape[1]
    return Tokens(mean[:, :k], mean[:, k : k + 3], mean[:, k + 3 :], (n / n.mean()).log())


def _cluster_means(label: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each cluster's count of rows and the mean of its rows of ``values`` (N, D); label (N,)
    numbers the clusters from 0 with none empty."""
    k = int(label.max()) + 1
    n = torch.zeros(k, device=values.device).index_add_(0, label, torch.ones_like(values[:, 0]))
    total = torch.zeros(k, values.shape[1], device=values.device).index_add_(0, label, values)
    return n, total / n[:, None]


def reference_tokens(
    head: HintAttention, keys: tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray]
) -> Tokens:
    """Another photo's pixels (``attend``'s keys) as keys made once: as many as
    ``hint_tokens`` gives, each a cluster of alike pixels (``cluster_tokens``) rather than a
    square cell. On the held-out photos (train/recipes/reference_photos_eval.py) after another
    view 28.44 -> 28.71 dB, after the other half 26.81 -> 26.95, after another photo 20.69 ->
    20.67; the validation clip bigbuckbunny 26.37 -> 26.49; 1.4 times the time. Four times as
    many keys (cells or clusters) coloured other photos worse (20.63-20.64)."""
    k_feats, k_l, k_ab, k_mask = keys
    with torch.inference_mode():
        k_map = head.embed(k_feats.float())
        k_pos = positions(k_l)
        count = len(hint_tokens(k_map, k_pos, k_ab, k_mask)[0])
        return cluster_tokens(head, k_map, k_pos, k_ab, k_mask, count)


def attend(
    head: HintAttention,
    feats: torch.Tensor,
    ab_net: np.ndarray,
    l_out: np.ndarray,
    keys: tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray] | Tokens,
    capacity: float | None = None,
    xy_scale: float = 1.0,
    temperature: float = 1.0,
) -> tuple[np.ndarray, float]:
    """One image's ab from the colours of ``keys``, pixels of it or of another photo.

    feats: (h, w, F) ``pixel_features`` at the network's output resolution; ab_net: (h, w, 2)
    float32 the model's ab there; l_out: (h, w) float32 L*. keys: the features (h2, w2, F),
    L* (h2, w2), ab (h2, w2, 2) and confidence (h2, w2) in [0, 1] (0: no colour) of the
    pixels whose colours are given (pooled by ``hint_tokens``), or ``Tokens`` made before
    (``reference_tokens``). capacity: for keys of another photo, how many times its
    share of that photo each key may colour of this one (what it lends beyond that goes to
    the null key): a small bright patch of the reference cannot paint a large one here.
    xy_scale: the weight of where a key lies, times the head's (another photo of another
    framing: less). temperature: below 1 each pixel's attention goes more to its likest keys.
    Returns (h, w, 2) float32 ab and the mean attention of the pixels to the null key (how
    much of the image finds nothing like it among the keys).
    """
    dev = feats.device
    pos = positions(l_out)
    with torch.inference_mode():
        emb = head.embed(feats.float())
        if isinstance(keys, Tokens):
            k_emb, k_pos, k_abs, k_logw = keys
        else:
            k_feats, k_l, k_ab, k_mask = keys
            k_map = emb if k_feats is feats else head.embed(k_feats.float())  # own hints: once
            k_emb, k_pos, k_abs, k_logw = hint_tokens(k_map, positions(k_l), k_ab, k_mask)
        h, w = l_out.shape
        q_emb = emb.reshape(-1, emb.shape[-1])
        q_pos = torch.as_tensor(pos, device=dev).reshape(-1, 3)
        net = torch.as_tensor(ab_net, device=dev).reshape(-1, 2)
        chunks = [slice(s, s + QUERY_CHUNK) for s in range(0, h * w, QUERY_CHUNK)]

        def weights(sl: slice) -> torch.Tensor:
            return head.weights(
                q_emb[None, sl],
                q_pos[None, sl],
                k_emb[None],
                k_pos[None],
                k_logw[None],
                xy_scale,
                temperature,
            )[0]

        scale = torch.ones(len(k_abs), device=dev)
        if capacity is not None:  # each key's share of the attention, capped
            mass = sum(weights(sl)[:, 1:].sum(0) for sl in chunks)
            share = k_logw.exp() / k_logw.exp().sum()
            scale = (capacity * share * (h * w) / mass.clamp_min(1e-9)).clamp(max=1.0)
        out = torch.empty_like(net)
        null = 0.0
        for sl in chunks:
            a = weights(sl)
            lent = a[:, 1:] * scale
            out[sl] = (1.0 - lent.sum(1, keepdim=True)) * net[sl] + lent @ k_abs
            null += float(a[:, 0].sum())
    ab = out.reshape(h, w, 2).cpu().numpy().astype(np.float32)
    return ab, null / (h * w)


def spread_with(
    head: HintAttention,
    feats: torch.Tensor,
    ab_net: np.ndarray,
    l_out: np.ndarray,
    guide_out: np.ndarray,
) -> np.ndarray:
    """One image's ab with its own hints spread by ``head`` (``attend``).

    guide_out: (3, h, w) float32 the guide at the output resolution (mask * ab / 110 and the
    mask, as ``colorcli.guide.guide_net`` makes it). Returns ``ab_net`` itself where there is
    no hint.
    """
    mask = guide_out[2]
    if not (mask > 0).any():
        return ab_net
    ab_hint = guide_out[:2].transpose(1, 2, 0) * AB_NORM / np.maximum(mask, 1e-6)[..., None]
    return attend(head, feats, ab_net, l_out, (feats, l_out, ab_hint, mask))[0]


def build_head(record: dict[str, Any]) -> HintAttention:
    """The head a checkpoint stores: {"config": {...}, "state_dict": {...}}; ValueError when it
    does not fit."""
    cfg = record["config"]
    head = HintAttention(int(cfg["feat_dim"]), int(cfg["embed"]), int(cfg["hidden"]))
    head.load_state_dict({k: v.float() for k, v in record["state_dict"].items()})
    return head.eval()


def head_record(head: HintAttention) -> dict[str, Any]:
    """What a checkpoint stores of the head (weights_only-safe)."""
    return {
        "config": head.config(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in head.state_dict().items()},
    }


__all__ = [
    "HintAttention",
    "attend",
    "build_head",
    "head_record",
    "hint_tokens",
    "cluster_tokens",
    "reference_tokens",
    "Tokens",
    "pixel_features",
    "positions",
    "spread_with",
]
