"""Fitting the hint attention head (``colorcli.attend``) of a checkpoint on photos: the network
stays frozen; each photo gives its pixels' features once, and every step draws new hints among
them, the loss the squared error of the spread colours against the truth."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from colorcli.attend import EMBED, HIDDEN, HintAttention, positions
from colorcli.compose import lightness, shrink_l
from colorcli.errors import ColorcliError, ConfigError
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from colorcli.quality import colorfulness

QUERIES = 1024  # pixels of a photo that the loss scores
CANDIDATES = 256  # pixels of a photo a hint may be drawn at
MAX_HINTS = 32


@dataclass(frozen=True)
class PhotoPixels:
    """A photo's sampled pixels at the network's output resolution: features (N, F) float16,
    pos (N, 3), true ab (N, 2) and the model's ab (N, 2); the first ``QUERIES`` are scored,
    the rest are where hints may be."""

    feats: torch.Tensor
    pos: torch.Tensor
    ab_true: torch.Tensor
    ab_net: torch.Tensor


def photo_pixels(colorizer, rgb: np.ndarray, rng: np.random.Generator) -> PhotoPixels:
    """Sample one (H, W, 3) uint8 photo's pixels (``QUERIES`` + ``CANDIDATES``, without
    replacement where it has that many)."""
    l_full = lightness(rgb)
    l_net = colorizer.l_net(l_full)
    feats, ab_net = colorizer.pixel_features(l_net)
    h, w = ab_net.shape[:2]
    ab_true = cv2.resize(rgb_to_lab(rgb)[..., 1:], (w, h), interpolation=cv2.INTER_AREA)
    pos = positions(shrink_l(l_full, (h, w)))
    n = h * w
    idx = rng.choice(n, size=QUERIES + CANDIDATES, replace=n < QUERIES + CANDIDATES)
    t = torch.from_numpy(idx)
    return PhotoPixels(
        feats.reshape(n, -1)[t].half(),
        torch.from_numpy(pos.reshape(n, 3))[t],
        torch.from_numpy(np.ascontiguousarray(ab_true.reshape(n, 2)))[t],
        torch.from_numpy(np.ascontiguousarray(ab_net.reshape(n, 2)))[t],
    )


def gather_pixels(
    colorizer, paths: Sequence[Path], seed: int = 0, min_colorfulness: float = 15.0
) -> Iterator[PhotoPixels | str]:
    """Each readable, colourful photo's pixels, or a line saying why one was skipped."""
    rng = np.random.default_rng(seed)
    for p in paths:
        try:
            rgb = read_image(p).rgb
        except ColorcliError as e:
            yield f"{p}: {getattr(e, 'reason', e)}"
            continue
        if rgb.dtype == np.uint16:
            rgb = (rgb // 257).astype(np.uint8)
        if colorfulness(rgb) < min_colorfulness:
            yield f"{p}: colourfulness below {min_colorfulness}"
            continue
        yield photo_pixels(colorizer, rgb, rng)


def _batch(photos: Sequence[PhotoPixels], rng: np.random.Generator):
    """Queries and a random number (1 to ``MAX_HINTS``) of hints per photo, padded."""
    k = rng.integers(1, MAX_HINTS + 1, size=len(photos))
    kmax = int(k.max())
    keys = torch.zeros(len(photos), kmax, dtype=torch.long)
    logw = torch.full((len(photos), kmax), float("-inf"))
    for i, ki in enumerate(k):
        pick = QUERIES + rng.choice(CANDIDATES, size=int(ki), replace=False)
        keys[i, :ki] = torch.from_numpy(pick)
        logw[i, :ki] = 0.0
    feats = torch.stack([p.feats for p in photos]).float()
    pos = torch.stack([p.pos for p in photos])
    ab_true = torch.stack([p.ab_true for p in photos])
    ab_net = torch.stack([p.ab_net for p in photos])

    def at(t: torch.Tensor) -> torch.Tensor:
        return torch.gather(t, 1, keys[..., None].expand(-1, -1, t.shape[-1]))

    q = slice(0, QUERIES)
    return (feats[:, q], pos[:, q], at(feats), at(pos), at(ab_true), logw, ab_net[:, q]), ab_true[
        :, q
    ]


def fit_head(
    photos: Sequence[PhotoPixels],
    steps: int = 3000,
    batch: int = 32,
    lr: float = 3e-3,
    embed: int = EMBED,
    hidden: int = HIDDEN,
    seed: int = 0,
    per_photo: bool = True,
) -> Iterator[tuple[int, float, HintAttention]]:
    """Fit a head on ``photos``; yields (step, mean loss of the last 100 steps, head) every
    100 steps and at the end. The loss: the squared ab error of the spread colours (Lab
    units), or with ``per_photo`` the mean over photos of its log (what a mean of per-photo
    PSNR scores; a photo the hints already colour well counts as much as a hard one)."""
    if not photos:
        raise ConfigError("no photo to fit the hint attention on")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head = HintAttention(photos[0].feats.shape[1], embed, hidden)
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    losses: list[float] = []
    for step in range(1, steps + 1):
        pick = rng.choice(len(photos), size=min(batch, len(photos)), replace=False)
        (qf, qp, kf, kp, kab, logw, net), truth = _batch([photos[i] for i in pick], rng)
        ab = head(head.embed(qf), qp, head.embed(kf), kp, kab, logw, net)
        err = (ab - truth).square().sum(-1)
        loss = err.mean(1).add(1.0).log().mean() if per_photo else err.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if step % 100 == 0 or step == steps:
            yield step, float(np.mean(losses[-100:])), head


__all__ = ["PhotoPixels", "fit_head", "gather_pixels", "photo_pixels"]
