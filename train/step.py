"""One optimizer step's pieces: the batch (soft-encoded targets), the loss, the parameter groups,
the weights' moving average, and fine-tuning's start from a checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from colorcli.chroma import CHROMA_NORM, net_input, to_space
from colorcli.errors import ConfigError
from colorcli.kernels import soft_encode
from colorcli.kernels.lab import AB_NORM, L_CENT, L_NORM
from colorcli.models import GUIDANCE_PREFIXES, ColorNet, ModelConfig, resolve_config
from colorcli.train.config import TrainConfig
from colorcli.train.data import CHROMA_MIN, sample_batch
from colorcli.train.filmgray import film_lightness, random_look
from colorcli.train.hints import simulate_guidance


def param_groups(model: ColorNet, cfg: TrainConfig) -> list[dict[str, Any]]:
    """AdamW parameter groups: with ``encoder_lr`` < 1 and a model that names its pretrained
    encoder (``encoder_prefixes``), the encoder learns at that fraction of the schedule's rate,
    so the ImageNet features that carry a small data set drift less; a hint model's guidance
    ways in (which start at zero) learn at ``guide_lr`` times it."""
    enc_prefixes = model.encoder_prefixes if cfg.encoder_lr < 1.0 else ()
    groups: dict[float, list] = {}
    for name, p in model.named_parameters():
        if name.startswith(GUIDANCE_PREFIXES):
            scale = cfg.guide_lr
        elif enc_prefixes and name.startswith(enc_prefixes):
            scale = cfg.encoder_lr
        else:
            scale = 1.0
        groups.setdefault(scale, []).append(p)
    return [{"params": ps, "lr_scale": scale} for scale, ps in groups.items()]


HINT_SIGMA = 12.0  # ab units: how sharply a hint's own bins are raised at the start (sharper
# costs more where a hint is a patch's mean colour and its pixels vary)


def init_guide_out(model: ColorNet, bins: np.ndarray, sigma: float = HINT_SIGMA) -> None:
    """Start a classification hint model's guide-to-logits way so that a hint raises the bins
    near its colour where it is: with the guide's ab premultiplied by the mask m,
    logit_q += m (<ab, ab_q> - |ab_q|^2 / 2) / sigma^2 = -m |ab - ab_q|^2 / (2 sigma^2) up to a
    term the softmax ignores (its centre tap only): a Gaussian on the hint's colour, as strong
    as the hint is trusted."""
    if not model.takes_hints or model.head_kind != "classification":
        return
    w = model.guide_out.weight  # (Q, 3, k, k)
    q = torch.as_tensor(bins, dtype=w.dtype)
    c = w.shape[-1] // 2
    with torch.no_grad():
        w.zero_()
        w[:, 0, c, c] = q[:, 0] * AB_NORM / sigma**2  # the guide holds m ab / 110
        w[:, 1, c, c] = q[:, 1] * AB_NORM / sigma**2
        w[:, 2, c, c] = -(q**2).sum(1) / (2 * sigma**2)


def train_mode(model: torch.nn.Module, cfg: TrainConfig) -> None:
    """Training mode; with ``freeze_bn`` the batch norms keep the statistics they started with
    (fine-tuning with small batches, where a batch's own statistics are noisy)."""
    model.train()
    if cfg.freeze_bn:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def model_config(cfg: TrainConfig, num_bins: int) -> ModelConfig:
    """The architecture settings a run's options make (its model, or what --init must match)."""
    return resolve_config(
        cfg.arch,
        ModelConfig(
            num_bins=num_bins,
            head="regression" if cfg.loss == "gan" else cfg.loss,
            width=cfg.width,
            norm=cfg.norm,
            out_stride=cfg.out_stride,
            hints=cfg.hints,
            encoder=cfg.encoder,
        ),
    )


def check_init(path: Path, cfg: TrainConfig):
    """The --init checkpoint, read and matched to the run's options before any data is
    loaded: a file that is not one, or one of another architecture or settings, is one line
    naming the options that would make them match."""
    from colorcli.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    mc, own = ckpt.model_config, model_config(cfg, len(ckpt.ab_bins))
    want = {
        "--arch": (ckpt.arch, cfg.arch),
        "--width": (mc.get("width"), own.width),
        "--out-stride": (mc.get("out_stride"), own.out_stride),
        "--loss": (mc.get("head", "classification"), own.head),
        "--color-space": (ckpt.color_space.get("name", "lab"), cfg.color_space),
        "--norm": (mc.get("norm", "batch"), own.norm),
        "--encoder": (mc.get("encoder", "lite0"), own.encoder),
    }
    wrong = [f"{k} {a}" for k, (a, b) in want.items() if a != b]
    if mc.get("hints") and not own.hints:
        wrong.append("--hints")
    if wrong:
        raise ConfigError(f"--init {path}: the checkpoint was trained with {' '.join(wrong)}")
    return ckpt


def init_from_checkpoint(model: ColorNet, ckpt, path: Path, bins: np.ndarray) -> None:
    """Load the weights of ``ckpt`` (``check_init``'s, from ``path``) into ``model`` to
    fine-tune it; its ab bins must be the run's."""
    if ckpt.ab_bins.shape != bins.shape or not np.allclose(ckpt.ab_bins, bins):
        raise ConfigError(f"--init {path}: its {len(ckpt.ab_bins)} ab bins differ from ours")
    state = ckpt.build().state_dict()  # float32, and a damaged file is one line
    if model.config.hints and not ckpt.model_config.get("hints"):
        # an automatic model starts a hint model: the guidance's own ways in keep their start
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith(GUIDANCE_PREFIXES) for k in missing):
            raise ConfigError(f"--init {path}: its weights do not fit this model")
    else:
        model.load_state_dict(state)


def make_batch(
    step: int,
    rank: int,
    images,
    bins: np.ndarray,
    weights: np.ndarray,
    stride: int,
    cfg: TrainConfig,
) -> dict[str, torch.Tensor]:
    """Batch for one step: input L (and, for a hint model, simulated guidance), soft-encoded
    targets at output resolution, pixel weights.
    A pure function of (seed, step, rank), so a resumed run sees the batches it would have."""
    rng = np.random.default_rng([cfg.seed, step, rank])
    rgb = sample_batch(images, cfg.batch_size, cfg.crop, rng, max_zoom=cfg.max_zoom)
    lum, ab = to_space(rgb, cfg.color_space)
    b, h, w = lum.shape
    if cfg.film_gray > 0:  # the input as a film saw it; the targets stay the true colours
        for i in np.flatnonzero(rng.random(b) < cfg.film_gray):
            film = film_lightness(rgb[i], random_look(rng), rng)
            lum[i] = net_input(film, cfg.color_space)
    if cfg.l_noise > 0:  # noisy input, clean targets: colours must not follow grain
        sigma = rng.uniform(0.0, cfg.l_noise, size=(b, 1, 1)).astype(np.float32)
        noise = rng.standard_normal(lum.shape, dtype=np.float32) * sigma
        lum = np.clip(lum + noise, 0.0, 100.0)
    guidance = simulate_guidance(ab, bins, rng) if cfg.hints else None
    if stride > 1:  # area-average ab down to the model's output grid
        ab = ab.reshape(b, h // stride, stride, w // stride, stride, 2).mean(axis=(2, 4))
    has_colour = (np.abs(ab) > CHROMA_MIN).any(axis=-1).reshape(b, -1).any(axis=1)
    batch = {
        "l": torch.from_numpy(((lum - L_CENT) / L_NORM)[:, None]),
        "mask": torch.from_numpy(
            np.repeat(has_colour, ab.shape[1] * ab.shape[2]).astype(np.float32)
        ),
        "ab": torch.from_numpy(
            np.ascontiguousarray(ab.transpose(0, 3, 1, 2)) / CHROMA_NORM[cfg.color_space]
        ),
    }
    if guidance is not None:
        batch["guide"], batch["palette"] = (torch.from_numpy(g) for g in guidance)
    if cfg.loss == "classification":
        k = min(cfg.soft_k, len(bins))  # a few fitted classes: each pixel over all of them
        idx, wt = soft_encode(ab.reshape(-1, 2), bins, k, cfg.soft_sigma)
        batch["idx"] = torch.from_numpy(idx.astype(np.int64))
        batch["w"] = torch.from_numpy(wt)
        batch["pix_w"] = torch.from_numpy(weights[idx[:, 0]].astype(np.float32))
    return batch


def compute_loss(
    out: torch.Tensor, batch: dict[str, torch.Tensor], cfg: TrainConfig
) -> torch.Tensor:
    """Rebalanced soft cross-entropy (classification), masked MSE on chroma / norm
    (regression) or masked L1 on it (gan: the adversarial term is ``colorcli.train.gan``'s).
    Crops without chroma are masked out."""
    mask = batch["mask"]
    denom = mask.sum().clamp(min=1.0)
    if cfg.loss in ("regression", "gan"):
        diff = out.float() - batch["ab"]
        err = (diff**2 if cfg.loss == "regression" else diff.abs()).sum(1).reshape(-1)
        return (err * mask).sum() / denom
    q = out.shape[1]
    logp = F.log_softmax(out.float(), dim=1).permute(0, 2, 3, 1).reshape(-1, q)
    ce = -(batch["w"] * logp.gather(1, batch["idx"])).sum(1)
    return (ce * batch["pix_w"] * mask).sum() / denom


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for parameters; buffers (BN stats) copied."""
    for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
        pe.lerp_(p.detach(), 1.0 - decay)
    for be, b in zip(ema.buffers(), model.buffers(), strict=True):
        be.copy_(b)
