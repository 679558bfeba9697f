"""The training loop of Zhang et al. (2016), straight through, with small named helpers.

quantize ab (gamut bins) -> empirical prior (numba histogram) -> Gaussian smoothing -> rebalancing
weights -> soft-encoded targets at the model's output resolution -> rebalanced cross-entropy ->
AdamW with warm-up and cosine decay -> atomic checkpoints, resumable exactly.

``run_training`` is a generator of plain-dict events; the CLI draws them, tests read them.
Under ``torchrun`` (WORLD_SIZE > 1) it runs DDP (gloo on CPU, NCCL on CUDA); each rank draws
its own batches from ``rng([seed, step, rank])`` (a stateless stand-in for DistributedSampler
that also makes resume exact), and only rank 0 logs and saves.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from colorcli.atomic import write_bytes_atomic
from colorcli.checkpoint import Checkpoint, read_payload, save_checkpoint
from colorcli.errors import ConfigError
from colorcli.kernels import ab_gamut_bins, annealed_mean, lab_to_rgb, soft_encode
from colorcli.kernels.lab import AB_NORM, L_CENT, L_NORM
from colorcli.models import ModelConfig, build_model, clean_state_dict
from colorcli.quality import psnr
from colorcli.train.data import (
    CHROMA_MIN,
    center_crops,
    find_dataset,
    load_images,
    prefetch,
    sample_batch,
    to_lab_batch,
)
from colorcli.train.prior import empirical_prior, rebalance_weights, smooth_prior


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting; saved as config.json and inside each checkpoint."""

    data: str
    out: str
    val: str | None = None
    arch: str = "colorunet"
    width: int = 32
    norm: str = "batch"
    out_stride: int = 1
    loss: str = "classification"
    steps: int = 2000
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 100
    grad_clip: float = 1.0
    crop: int = 256
    load_size: int = 288
    max_zoom: float = 1.0
    min_colorfulness: float = 15.0
    soft_k: int = 5
    soft_sigma: float = 5.0
    prior_sigma: float = 5.0
    rebalance_lambda: float = 0.5
    rebalance_alpha: float = 1.0
    temperature: float = 0.38
    seed: int = 0
    save_every: int = 500
    val_every: int = 500
    val_images: int = 16
    prior_bias_init: bool = True
    workers: int = 2
    pretrained: bool = False
    prior_pixels: int = 4_000_000
    ema: float = 0.0
    l_noise: float = 0.0  # max std of the Gaussian noise added to input L* (augmentation)
    device: str = "auto"
    encoder_lr: float = 1.0  # the pretrained encoder's learning rate, as a fraction of lr
    init: str | None = None  # start from this checkpoint's weights (fine-tuning)

    def __post_init__(self) -> None:
        if self.loss not in ("classification", "regression"):
            raise ConfigError(f"loss must be classification or regression, got {self.loss!r}")
        if self.load_size < self.crop:
            raise ConfigError(f"load size {self.load_size} is smaller than the crop {self.crop}")
        if self.steps < 1 or self.batch_size < 1:
            raise ConfigError("steps and batch size must be >= 1")
        if self.max_zoom < 1.0:
            raise ConfigError(f"max zoom must be >= 1, got {self.max_zoom}")
        if not (self.l_noise >= 0.0 and math.isfinite(self.l_noise)):
            raise ConfigError(f"L noise must be >= 0, got {self.l_noise}")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"ema decay must be in [0, 1), got {self.ema}")
        if not 0.0 < self.encoder_lr <= 1.0:
            raise ConfigError(f"encoder lr fraction must be in (0, 1], got {self.encoder_lr}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training config keys: {sorted(unknown)}")
        return cls(**d)


# settings a resumed run may change: where it writes, how often it reports, what runs it
RESUME_MAY_CHANGE = frozenset(
    {"data", "val", "out", "save_every", "val_every", "val_images", "workers", "device"}
)
# where the weights started: a resumed run takes its weights from last.pt, so these need not be
# repeated (the run keeps the values it started with); given with another value they are refused
RESUME_KEEPS = frozenset({"pretrained", "init"})


def check_resume_config(saved: dict[str, Any], cfg: TrainConfig) -> TrainConfig:
    """Refuse to resume a run with settings other than the ones it started with.

    saved: the run's config.json. Every setting that shapes the schedule, the batches or the
    model must match; a difference raises one ConfigError naming the options and both values.
    Returns ``cfg`` with the run's own ``pretrained`` / ``init`` where they were left out, so the
    checkpoints of the resumed run still say how it started.
    """
    fields = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    diffs = []
    kept = {}
    for name, default in fields.items():
        if name in RESUME_MAY_CHANGE:
            continue
        before, now = saved.get(name, default), getattr(cfg, name)
        if name in RESUME_KEEPS and now == default:
            kept[name] = before
        elif before != now:
            diffs.append(f"--{name.replace('_', '-')} {before} (now {now})")
    if diffs:
        raise ConfigError(
            f"--resume: {cfg.out} was started with {', '.join(diffs)}; pass the same options or start a new run"
        )
    return dataclasses.replace(cfg, **kept)


# ------------------------------------------------------------------ helpers
def get_lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t))))


def param_groups(model: torch.nn.Module, cfg: TrainConfig) -> list[dict[str, Any]]:
    """AdamW parameter groups: with ``encoder_lr`` < 1 and a model that names its pretrained
    encoder (``encoder_prefixes``), the encoder learns at that fraction of the schedule's rate,
    so the ImageNet features that carry a small data set drift less."""
    prefixes = tuple(getattr(model, "encoder_prefixes", ()))
    if cfg.encoder_lr >= 1.0 or not prefixes:
        return [{"params": list(model.parameters()), "lr_scale": 1.0}]
    enc, rest = [], []
    for name, p in model.named_parameters():
        (enc if name.startswith(prefixes) else rest).append(p)
    return [{"params": enc, "lr_scale": cfg.encoder_lr}, {"params": rest, "lr_scale": 1.0}]


def init_from_checkpoint(
    model: torch.nn.Module, path: Path, cfg: TrainConfig, bins: np.ndarray
) -> None:
    """Load a checkpoint's weights into ``model`` to fine-tune it. The architecture, its
    settings and the ab bins must match; the message names the options that would make them."""
    from colorcli.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    mc = ckpt.model_config
    want = {
        "--arch": (ckpt.arch, cfg.arch),
        "--width": (mc.get("width"), cfg.width),
        "--out-stride": (mc.get("out_stride", 1), cfg.out_stride),
        "--loss": (mc.get("head", "classification"), cfg.loss),
        "--norm": (mc.get("norm", "batch"), cfg.norm),
    }
    wrong = [f"{k} {a}" for k, (a, b) in want.items() if a != b]
    if wrong:
        raise ConfigError(f"--init {path}: the checkpoint was trained with {' '.join(wrong)}")
    if ckpt.ab_bins.shape != bins.shape or not np.allclose(ckpt.ab_bins, bins):
        raise ConfigError(f"--init {path}: its {len(ckpt.ab_bins)} ab bins differ from ours")
    model.load_state_dict(ckpt.build().state_dict())  # float32, and a damaged file is one line


def compute_prior(
    images, bins: np.ndarray, cfg: TrainConfig, cache: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed prior and rebalancing weights, cached in the run folder for resumes."""
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            return z["prior"], z["weights"]
    rng = np.random.default_rng([cfg.seed, 7])
    per_image = max(1, cfg.prior_pixels // max(1, len(images)))
    samples = []
    for im in images:
        ab = to_lab_batch(im.rgb[None])[1].reshape(-1, 2)
        pick = rng.choice(len(ab), size=min(per_image, len(ab)), replace=False)
        samples.append(ab[pick])
    prior = smooth_prior(empirical_prior(np.concatenate(samples), bins), bins, cfg.prior_sigma)
    weights = rebalance_weights(prior, cfg.rebalance_lambda, cfg.rebalance_alpha)
    if cache is not None:
        tmp = cache.with_name(f".{cache.stem}.tmp.npz")
        np.savez(tmp, prior=prior, weights=weights)
        os.replace(tmp, cache)
    return prior, weights


def make_batch(
    step: int,
    rank: int,
    images,
    bins: np.ndarray,
    weights: np.ndarray,
    stride: int,
    cfg: TrainConfig,
) -> dict[str, torch.Tensor]:
    """Batch for one step: input L, soft-encoded targets at output resolution, pixel weights."""
    rng = np.random.default_rng([cfg.seed, step, rank])
    rgb = sample_batch(images, cfg.batch_size, cfg.crop, rng, max_zoom=cfg.max_zoom)
    lum, ab = to_lab_batch(rgb)
    b, h, w = lum.shape
    if cfg.l_noise > 0:  # noisy input, clean targets: colours must not follow grain
        sigma = rng.uniform(0.0, cfg.l_noise, size=(b, 1, 1)).astype(np.float32)
        noise = rng.standard_normal(lum.shape, dtype=np.float32) * sigma
        lum = np.clip(lum + noise, 0.0, 100.0)
    if stride > 1:  # area-average ab down to the model's output grid
        ab = ab.reshape(b, h // stride, stride, w // stride, stride, 2).mean(axis=(2, 4))
    has_colour = (np.abs(ab) > CHROMA_MIN).any(axis=-1).reshape(b, -1).any(axis=1)
    batch = {
        "l": torch.from_numpy(((lum - L_CENT) / L_NORM)[:, None]),
        "mask": torch.from_numpy(
            np.repeat(has_colour, ab.shape[1] * ab.shape[2]).astype(np.float32)
        ),
        "ab": torch.from_numpy(np.ascontiguousarray(ab.transpose(0, 3, 1, 2)) / AB_NORM),
    }
    if cfg.loss == "classification":
        idx, wt = soft_encode(ab.reshape(-1, 2), bins, cfg.soft_k, cfg.soft_sigma)
        batch["idx"] = torch.from_numpy(idx.astype(np.int64))
        batch["w"] = torch.from_numpy(wt)
        batch["pix_w"] = torch.from_numpy(weights[idx[:, 0]].astype(np.float32))
    return batch


def compute_loss(
    out: torch.Tensor, batch: dict[str, torch.Tensor], cfg: TrainConfig
) -> torch.Tensor:
    """Rebalanced soft cross-entropy (classification) or masked MSE on ab / 110 (regression).
    Crops without chroma are masked out."""
    mask = batch["mask"]
    denom = mask.sum().clamp(min=1.0)
    if cfg.loss == "regression":
        err = ((out.float() - batch["ab"]) ** 2).sum(1).reshape(-1)
        return (err * mask).sum() / denom
    q = out.shape[1]
    logp = F.log_softmax(out.float(), dim=1).permute(0, 2, 3, 1).reshape(-1, q)
    ce = -(batch["w"] * logp.gather(1, batch["idx"])).sum(1)
    return (ce * batch["pix_w"] * mask).sum() / denom


def predict_rgb(
    model: torch.nn.Module,
    rgb: np.ndarray,
    bins: np.ndarray,
    cfg: TrainConfig,
    device: torch.device,
) -> np.ndarray:
    """Colorize validation crops at network resolution: (N, H, W, 3) uint8 -> same."""
    lum, _ = to_lab_batch(rgb)
    x = torch.from_numpy(((lum - L_CENT) / L_NORM)[:, None]).to(device)
    with torch.inference_mode():
        out = model(x).float()
    n, _, h2, w2 = out.shape
    if cfg.loss == "regression":
        ab = out.permute(0, 2, 3, 1).cpu().numpy() * AB_NORM
    else:
        q = out.shape[1]
        logits = out.permute(0, 2, 3, 1).contiguous().cpu().numpy().reshape(-1, q)
        ab = annealed_mean(logits, bins, cfg.temperature).reshape(n, h2, w2, 2)
    h, w = lum.shape[1:]
    if (h2, w2) != (h, w):
        ab = (
            F.interpolate(
                torch.from_numpy(ab).permute(0, 3, 1, 2),
                size=(h, w),
                mode="bilinear",
                align_corners=False,
            )
            .permute(0, 2, 3, 1)
            .numpy()
        )
    lab = np.concatenate([lum[..., None], ab], axis=-1)
    return np.rint(lab_to_rgb(lab) * 255).astype(np.uint8)


def contact_sheet(rows: list[list[np.ndarray]]) -> np.ndarray:
    """Tile equal-size (H, W, 3) uint8 images: one row per list, 4 px white gutters."""
    gap = 4
    h, w = rows[0][0].shape[:2]
    ncol = max(len(r) for r in rows)
    sheet = np.full((len(rows) * (h + gap) + gap, ncol * (w + gap) + gap, 3), 255, np.uint8)
    for i, r in enumerate(rows):
        for j, im in enumerate(r):
            y, x = gap + i * (h + gap), gap + j * (w + gap)
            sheet[y : y + h, x : x + w] = im
    return sheet


def estimate_val(
    model, val_rgb: np.ndarray, bins, cfg: TrainConfig, device
) -> tuple[float, np.ndarray]:
    """Mean PSNR of ours on the validation crops, and the predictions."""
    was_training = model.training
    model.eval()
    preds = np.concatenate(
        [
            predict_rgb(model, val_rgb[i : i + 8], bins, cfg, device)
            for i in range(0, len(val_rgb), 8)
        ]
    )
    model.train(was_training)
    return float(np.mean([psnr(p, t) for p, t in zip(preds, val_rgb, strict=True)])), preds


def _gray(rgb: np.ndarray) -> np.ndarray:
    lum, _ = to_lab_batch(rgb)
    lab = np.concatenate([lum[..., None], np.zeros(lum.shape + (2,), np.float32)], -1)
    return np.rint(lab_to_rgb(lab) * 255).astype(np.uint8)


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


def _device(cfg: TrainConfig, rank: int) -> torch.device:
    if cfg.device == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device(
        f"cuda:{int(os.environ.get('LOCAL_RANK', rank)) % torch.cuda.device_count()}"
    )


def _to_checkpoint(model, cfg, bins, prior, weights, step) -> Checkpoint:
    mc = model.config
    return Checkpoint(
        arch=cfg.arch,
        model_config=mc.to_dict(),
        state_dict=clean_state_dict(model.state_dict()),
        ab_bins=bins,
        prior=prior,
        class_weights=weights,
        rebalance={
            "lambda": cfg.rebalance_lambda,
            "alpha": cfg.rebalance_alpha,
            "prior_sigma": cfg.prior_sigma,
            "soft_k": cfg.soft_k,
            "soft_sigma": cfg.soft_sigma,
        },
        temperature=cfg.temperature,
        net_size=cfg.load_size,  # the scale of the training images, not of the crops
        train_config=dataclasses.asdict(cfg),
        step=step,
    )


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for parameters; buffers (BN stats) copied."""
    for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
        pe.lerp_(p.detach(), 1.0 - decay)
    for be, b in zip(ema.buffers(), model.buffers(), strict=True):
        be.copy_(b)


# ------------------------------------------------------------------ the loop
def _trim_metrics(path: Path, step: int) -> None:
    """On resume: drop the log lines of steps after ``step`` (they were lost with the run that
    wrote them and are about to run again), and a line torn by the kill; atomic rewrite."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        at = ev.get("step", 0) if isinstance(ev, dict) else 0
        if not (isinstance(at, int | float) and at > step):
            kept.append(line)
    write_bytes_atomic(path, "".join(f"{line}\n" for line in kept).encode())


def run_training(cfg: TrainConfig, resume: bool = False) -> Iterator[dict[str, Any]]:
    """Train; yield events: "data", "prior", "resume", "step", "val", "save", "done"."""
    import cv2

    rank, world = _dist()
    main_rank = rank == 0
    device = _device(cfg, rank)
    out = Path(cfg.out)
    if resume and (out / "config.json").exists():
        try:
            saved = json.loads((out / "config.json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"--resume: {out / 'config.json'} is unreadable ({e})") from e
        if not isinstance(saved, dict):
            raise ConfigError(f"--resume: {out / 'config.json'} is not a training config")
        cfg = check_resume_config(saved, cfg)
    if main_rank:
        out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)

    train_paths, val_paths = find_dataset(
        Path(cfg.data), Path(cfg.val) if cfg.val else None, seed=cfg.seed
    )
    images, dropped, bad = load_images(
        train_paths, round(cfg.load_size * cfg.max_zoom), cfg.min_colorfulness
    )
    val_imgs, _, _ = load_images(val_paths[: cfg.val_images], cfg.load_size, 0.0)
    if not images:
        raise ConfigError(
            f"no training image left after the colourfulness filter ({len(dropped)} dropped below {cfg.min_colorfulness})"
        )
    yield {
        "event": "data",
        "train": len(images),
        "dropped": len(dropped),
        "unreadable": len(bad),
        "val": len(val_imgs),
        "pixels": int(sum(im.rgb.shape[0] * im.rgb.shape[1] for im in images)),
    }

    bins = ab_gamut_bins()
    prior, weights = compute_prior(images, bins, cfg, out / "prior.npz" if main_rank else None)
    yield {
        "event": "prior",
        "bins": len(bins),
        "entropy": float(-(prior * np.log(np.maximum(prior, 1e-300))).sum()),
    }

    mcfg = ModelConfig(
        num_bins=len(bins), head=cfg.loss, width=cfg.width, norm=cfg.norm, out_stride=cfg.out_stride
    )
    model = build_model(cfg.arch, mcfg).to(device)
    stride = int(getattr(model, "output_stride", 1))
    if cfg.crop % max(stride, getattr(model, "input_multiple", 1)):
        raise ConfigError(
            f"crop {cfg.crop} must be a multiple of {getattr(model, 'input_multiple', 1)} for {cfg.arch}"
        )
    if cfg.init and not resume:
        init_from_checkpoint(model, Path(cfg.init), cfg, bins)
    elif cfg.pretrained and not resume:
        if not hasattr(model, "load_imagenet"):
            raise ConfigError(f"--pretrained: {cfg.arch} has no pretrained weights (effunet has)")
        model.load_imagenet()
    if (
        cfg.prior_bias_init
        and not cfg.init
        and cfg.loss == "classification"
        and isinstance(getattr(model, "head", None), torch.nn.Conv2d)
    ):
        # start from the prior instead of uniform over Q bins: the first steps then refine
        # colours instead of climbing out of a gray average
        with torch.no_grad():
            model.head.bias.copy_(torch.from_numpy(np.log(np.maximum(prior, 1e-6))).float())
    opt = torch.optim.AdamW(param_groups(model, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start = 0
    best = -math.inf
    last = out / "last.pt"
    if resume:
        if not last.exists():
            raise ConfigError(f"--resume: no {last} to resume from")
        payload = read_payload(last)
        model.load_state_dict(
            clean_state_dict(payload.get("raw_state_dict", payload["state_dict"]))
        )
        opt.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["torch_rng"])
        start = int(payload["train"]["step"])
        best = float(payload.get("best_psnr", -math.inf))
        if main_rank:
            _trim_metrics(out / "metrics.jsonl", start)
        yield {"event": "resume", "step": start}
    elif main_rank:
        (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
    raw_model = model
    # exponential moving average of the weights: what checkpoints hold and validation scores
    # when cfg.ema > 0, so the shipped weights are not one noisy step of a small dataset
    ema_model = None
    if cfg.ema > 0:
        ema_model = copy.deepcopy(raw_model).eval()
        for p in ema_model.parameters():
            p.requires_grad_(False)
        if resume:
            ema_model.load_state_dict(clean_state_dict(payload["state_dict"]))
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    model.train()

    val_rgb = center_crops(val_imgs, cfg.crop) if val_imgs else None
    metrics = (
        open(out / "metrics.jsonl", "a", buffering=1) if main_rank else None
    )  # line-buffered: tail -f works
    use_amp = device.type == "cuda"

    def save(step: int, path: Path) -> None:
        ckpt = _to_checkpoint(ema_model or raw_model, cfg, bins, prior, weights, step)
        extra = {
            "optimizer": opt.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "best_psnr": best,
        }
        if ema_model is not None:
            extra["raw_state_dict"] = clean_state_dict(raw_model.state_dict())
        save_checkpoint(ckpt, path, extra=extra)

    try:
        t_prev = time.perf_counter()
        wait = 0.0
        batches = prefetch(
            lambda s: make_batch(s, rank, images, bins, weights, stride, cfg),
            range(start, cfg.steps),
            workers=cfg.workers,
        )
        while True:
            t_wait = time.perf_counter()
            try:
                step, batch = next(batches)
            except StopIteration:
                break
            wait = time.perf_counter() - t_wait
            lr = get_lr(step, cfg)
            for g in opt.param_groups:
                g["lr"] = lr * g.get("lr_scale", 1.0)
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                out_t = model(batch["l"])
            loss = compute_loss(out_t, batch, cfg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
            opt.step()
            if ema_model is not None:
                _ema_update(ema_model, raw_model, min(cfg.ema, (1.0 + step) / (10.0 + step)))
            now = time.perf_counter()
            dt, t_prev = now - t_prev, now
            ev = {
                "event": "step",
                "step": step + 1,
                "steps": cfg.steps,
                "loss": loss.item(),
                "lr": lr,
                "grad_norm": gnorm,
                "images_per_s": cfg.batch_size * world / dt,
                "data_wait": wait / dt,
            }
            if main_rank:
                metrics.write(json.dumps(ev) + "\n")
            yield ev
            done = step + 1
            is_last = done == cfg.steps
            if main_rank and val_rgb is not None and (done % cfg.val_every == 0 or is_last):
                val_psnr, preds = estimate_val(ema_model or raw_model, val_rgb, bins, cfg, device)
                gray = _gray(val_rgb)
                gray_psnr = float(np.mean([psnr(g, t) for g, t in zip(gray, val_rgb, strict=True)]))
                sheet = contact_sheet(
                    [[g, p, t] for g, p, t in list(zip(gray, preds, val_rgb, strict=True))[:6]]
                )
                cv2.imwrite(str(out / f"val_{done:07d}.png"), sheet[..., ::-1])
                vev = {"event": "val", "step": done, "psnr": val_psnr, "gray_psnr": gray_psnr}
                metrics.write(json.dumps(vev) + "\n")
                yield vev
                if val_psnr > best:
                    best = val_psnr
                    save(done, out / "best.pt")
            if main_rank and (done % cfg.save_every == 0 or is_last):
                save(done, last)
                metrics.flush()
                yield {"event": "save", "step": done, "path": str(last)}
    finally:
        if metrics is not None:
            metrics.close()
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    yield {"event": "done", "step": cfg.steps, "best_psnr": best, "path": str(last)}
