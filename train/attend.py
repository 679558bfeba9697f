"""Fitting the hint attention head (``colorcli.attend``) of a checkpoint on photos: the network
stays frozen; each photo gives its pixels' features once (and those of another view of it, a
crop maybe mirrored, as a reference photo of the same scene would), and every step draws new
hints among them, or (a share ``references`` of the steps) takes the other view's pixels as the
keys; the loss is the error of the spread colours against the truth."""

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
from colorcli.kernels import rgb_to_lab
from colorcli.quality import colorfulness
from colorcli.train.evaluate import _load_rgb8

QUERIES = 1024  # pixels of a photo that the loss scores
CANDIDATES = 256  # pixels of a photo a hint may be drawn at
MAX_HINTS = 32
# share of steps whose keys are the other view (bigbuckbunny's --reference: 25.90 dB at 0, 26.34
# at 0.3, 26.50 at 0.5; 10 hints held out 26.28, 26.33, 26.21)
REFERENCES = 0.3
# share of those steps whose keys also (half of them: only) come from another photo: a
# reference of other things, whose pixels should lend nothing
OTHERS = 0.0


@dataclass(frozen=True)
class PhotoPixels:
    """A photo's sampled pixels at the network's output resolution: features (N, F) float16,
    pos (N, 3), true ab (N, 2) and the model's ab (N, 2); the first ``QUERIES`` are scored,
    the rest are where hints may be."""

    feats: torch.Tensor
    pos: torch.Tensor
    ab_true: torch.Tensor
    ab_net: torch.Tensor
    # the same of ``CANDIDATES`` pixels of another view of the photo (a crop, maybe mirrored):
    # what a reference photo of the same scene gives
    view_feats: torch.Tensor | None = None
    view_pos: torch.Tensor | None = None
    view_ab: torch.Tensor | None = None


def _view(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A crop of 60-100% of each side at a random place, mirrored half the time."""
    h, w = rgb.shape[:2]
    ch, cw = (int(round(n * rng.uniform(0.6, 1.0))) for n in (h, w))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    out = rgb[y : y + ch, x : x + cw]
    return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)


def _sampled(colorizer, rgb: np.ndarray, rng: np.random.Generator, count: int):
    l_full = lightness(rgb)
    feats, ab_net = colorizer.pixel_features(colorizer.l_net(l_full))
    h, w = ab_net.shape[:2]
    ab_true = cv2.resize(rgb_to_lab(rgb)[..., 1:], (w, h), interpolation=cv2.INTER_AREA)
    pos = positions(shrink_l(l_full, (h, w)))
    n = h * w
    t = torch.from_numpy(rng.choice(n, size=count, replace=n < count))
    return (
        feats.reshape(n, -1)[t].half(),
        torch.from_numpy(pos.reshape(n, 3))[t],
        torch.from_numpy(np.ascontiguousarray(ab_true.reshape(n, 2)))[t],
        torch.from_numpy(np.ascontiguousarray(ab_net.reshape(n, 2)))[t],
    )


def _halves(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The photo's two halves across its long side (no pixel in both), in random order."""
    h, w = rgb.shape[:2]
    one, two = (rgb[:, : w // 2], rgb[:, w // 2 :]) if w >= h else (rgb[: h // 2], rgb[h // 2 :])
    pair = (np.ascontiguousarray(one), np.ascontiguousarray(two))
    return pair if rng.random() < 0.5 else pair[::-1]


def photo_pixels(
    colorizer, rgb: np.ndarray, rng: np.random.Generator, halves: float = 0.0
) -> PhotoPixels:
    """Sample one (H, W, 3) uint8 photo's pixels (``QUERIES`` + ``CANDIDATES``, without
    replacement where it has that many), and ``CANDIDATES`` of another view of it; with
    ``halves``, that share of photos is one half of it and its view the other half (another
    shot of one scene: the same light and place, other things in part)."""
    if halves > 0 and rng.random() < halves:
        rgb, other = _halves(rgb, rng)
    else:
        other = _view(rgb, rng)
    main = _sampled(colorizer, rgb, rng, QUERIES + CANDIDATES)
    view = _sampled(colorizer, other, rng, CANDIDATES)
    return PhotoPixels(*main, *view[:3])


def gather_pixels(
    colorizer,
    paths: Sequence[Path],
    seed: int = 0,
    min_colorfulness: float = 15.0,
    halves: float = 0.0,
) -> Iterator[PhotoPixels | str]:
    """Each readable, colourful photo's pixels (``photo_pixels``), or a line saying why one
    was skipped."""
    rng = np.random.default_rng(seed)
    for p in paths:
        try:
            rgb = _load_rgb8(p, None)
        except ColorcliError as e:
            yield f"{p}: {getattr(e, 'reason', e)}"
            continue
        if colorfulness(rgb) < min_colorfulness:
            yield f"{p}: colourfulness below {min_colorfulness}"
            continue
        yield photo_pixels(colorizer, rgb, rng, halves)


def _batch(
    photos: Sequence[PhotoPixels],
    rng: np.random.Generator,
    reference: bool = False,
    other: str = "",
):
    """Queries and a random number (1 to ``MAX_HINTS``) of hints per photo, padded; or, with
    ``reference``, every sampled pixel of the photo's other view as keys and gray as the null
    key's colour (what ``Colorizer.match_reference`` gives the head); ``other`` "mixed" adds
    the next photo's view's pixels to the keys, "only" takes them instead."""
    feats = torch.stack([p.feats for p in photos]).float()
    pos = torch.stack([p.pos for p in photos])
    ab_true = torch.stack([p.ab_true for p in photos])
    ab_net = torch.stack([p.ab_net for p in photos])
    q = slice(0, QUERIES)
    if reference:
        keys = [
            torch.stack([p.view_feats for p in photos]).float(),
            torch.stack([p.view_pos for p in photos]),
            torch.stack([p.view_ab for p in photos]),
        ]
        if other:
            rolled = [k.roll(1, dims=0) for k in keys]
            keys = (
                rolled
                if other == "only"
                else [torch.cat(kk, 1) for kk in zip(keys, rolled, strict=True)]
            )
        keys.append(torch.zeros(len(photos), keys[0].shape[1]))
        null = torch.zeros_like(ab_net[:, q])
        return (feats[:, q], pos[:, q], *keys, null), ab_true[:, q]
    k = rng.integers(1, MAX_HINTS + 1, size=len(photos))
    kmax = int(k.max())
    idx = torch.zeros(len(photos), kmax, dtype=torch.long)
    logw = torch.full((len(photos), kmax), float("-inf"))
    for i, ki in enumerate(k):
        pick = QUERIES + rng.choice(CANDIDATES, size=int(ki), replace=False)
        idx[i, :ki] = torch.from_numpy(pick)
        logw[i, :ki] = 0.0

    def at(t: torch.Tensor) -> torch.Tensor:
        return torch.gather(t, 1, idx[..., None].expand(-1, -1, t.shape[-1]))

    truth = ab_true[:, q]
    return (feats[:, q], pos[:, q], at(feats), at(pos), at(ab_true), logw, ab_net[:, q]), truth


def fit_head(
    photos: Sequence[PhotoPixels],
    steps: int = 3000,
    batch: int = 32,
    lr: float = 3e-3,
    embed: int = EMBED,
    hidden: int = HIDDEN,
    seed: int = 0,
    per_photo: bool = True,
    references: float = REFERENCES,
    others: float = OTHERS,
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
        as_ref = photos[0].view_feats is not None and rng.random() < references
        other = ""  # no draw unless asked: the default fit stays as it was
        if as_ref and others > 0 and rng.random() < others:
            other = "mixed" if rng.random() < 0.5 else "only"
        (qf, qp, kf, kp, kab, logw, net), truth = _batch(
            [photos[i] for i in pick], rng, as_ref, other
        )
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
