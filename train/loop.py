"""The training loop of Zhang et al. (2016), straight through, with small named helpers.

quantize ab (gamut bins) -> empirical prior (numba histogram) -> Gaussian smoothing -> rebalancing
weights -> soft-encoded targets at the model's output resolution (``colorcli.train.step``) ->
rebalanced cross-entropy -> AdamW with warm-up and cosine decay -> atomic checkpoints, resumable
exactly. Validation colours its crops through the Colorizer on the in-memory model.

``run_training`` is a generator of events (``colorcli.events``); the CLI draws them, tests read
them. Under ``torchrun`` (WORLD_SIZE > 1) it runs DDP (gloo on CPU, NCCL on CUDA); each rank
draws its own batches from ``rng([seed, step, rank])`` (a stateless stand-in for
DistributedSampler that also makes resume exact), and only rank 0 logs and saves.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from colorcli.atomic import Claim, check_folder_writable, write_bytes_atomic
from colorcli.checkpoint import Checkpoint, read_payload, save_checkpoint
from colorcli.chroma import space_record
from colorcli.colorizer import Colorizer
from colorcli.device import resolve_device
from colorcli.errors import ColorcliError, ConfigError
from colorcli.events import (
    Event,
    PriorReady,
    Resumed,
    Saved,
    Step,
    TrainDone,
    Validation,
)
from colorcli.imagewrite import write_image
from colorcli.models import arch_strides, build_model, clean_state_dict
from colorcli.quality import psnr
from colorcli.train.config import TrainConfig
from colorcli.train.data import center_crops, out_apart_from_photos, prefetch
from colorcli.train.evaluate import contact_sheet, gray_of
from colorcli.train.gan import Adversary
from colorcli.train.loading import load_data
from colorcli.train.prior import colour_classes
from colorcli.train.schedule import check_resume_config, describe_stretch, get_lr
from colorcli.train.step import (
    check_init,
    compute_loss,
    ema_update,
    init_from_checkpoint,
    init_guide_out,
    make_batch,
    model_config,
    param_groups,
    train_mode,
)


# ------------------------------------------------------------------ helpers
def to_checkpoint(model, cfg: TrainConfig, bins, prior, weights, step: int) -> Checkpoint:
    """The self-describing checkpoint of ``model`` at ``step`` (weights by reference)."""
    return Checkpoint(
        arch=cfg.arch,
        model_config=model.config.to_dict(),
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
        color_space=space_record(cfg.color_space),
        temperature=cfg.temperature,
        net_size=cfg.load_size,  # the scale of the training images, not of the crops
        train_config=cfg.to_dict(),
        step=step,
    )


def estimate_val(model, ckpt: Checkpoint, val_rgb: np.ndarray, crop: int) -> tuple[float, list]:
    """Mean PSNR of ``model``'s colours on the validation crops (through the Colorizer, as
    users colour), and the predictions."""
    was_training = model.training
    colorizer = Colorizer(ckpt, batch_size=8, size=crop, model=model)
    preds = colorizer.colorize_batch(list(val_rgb))
    model.train(was_training)
    return float(np.mean([psnr(p, t) for p, t in zip(preds, val_rgb, strict=True)])), preds


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


def _device(cfg: TrainConfig, rank: int) -> torch.device:
    """The process's device: "auto" is CUDA where there is one; "cuda" is the GPU of the
    process's local rank (under torchrun), "cuda:N" that GPU; either refused (DeviceError)
    where there is none, rather than trained on the CPU unasked."""
    if cfg.device == "cpu" or (cfg.device == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if cfg.device.startswith("cuda:"):
        return resolve_device(cfg.device)
    resolve_device("cuda")
    return torch.device(
        f"cuda:{int(os.environ.get('LOCAL_RANK', rank)) % torch.cuda.device_count()}"
    )


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


def _resolve(
    cfg: TrainConfig, resume: bool, overwrite: bool = False, given: frozenset[str] | None = None
) -> tuple[TrainConfig, dict | None]:
    """The run's config (the architecture's own stride filled in; on resume checked against
    config.json, --steps possibly stretched: one more entry in ``stretches``) and last.pt's
    payload when resuming. A new run in a folder that holds one is refused unless
    ``overwrite``: a rerun without --resume would have trained from scratch over its last.pt
    and best.pt."""
    if cfg.out_stride is None:
        cfg = dataclasses.replace(cfg, out_stride=arch_strides(cfg.arch)[0])
    out = Path(cfg.out)
    out_apart_from_photos(out, cfg.data, cfg.val)
    last = out / "last.pt"
    if not resume:
        if last.exists() and not overwrite:
            raise ConfigError(
                f"{out} holds a training run already ({_saved_step(last)}): --resume "
                "continues it, --overwrite starts a new one there"
            )
        return cfg, None
    if not last.exists():
        raise ConfigError(f"--resume: no {last} to resume from")
    payload = read_payload(last)
    if (out / "config.json").exists():
        try:
            saved = json.loads((out / "config.json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"--resume: {out / 'config.json'} is unreadable ({e})") from e
        if not isinstance(saved, dict):
            raise ConfigError(f"--resume: {out / 'config.json'} is not a training config")
        cfg = check_resume_config(saved, cfg, int(payload["train"]["step"]), given)
    return cfg, payload


def _saved_step(last: Path) -> str:
    """What a run's last.pt says of how far it got, for the refusal to start over it."""
    try:
        return f"its last.pt at step {int(read_payload(last)['train']['step'])}"
    except (ColorcliError, KeyError, TypeError, ValueError):
        return "a last.pt"


def _build(cfg: TrainConfig, bins, prior, device, resume: bool, init=None):
    model = build_model(cfg.arch, model_config(cfg, len(bins))).to(device)
    step = max(model.output_stride, model.input_multiple)
    if cfg.crop % step:
        raise ConfigError(f"crop {cfg.crop} must be a multiple of {step} for {cfg.arch}")
    if cfg.hints and not resume:
        init_guide_out(model, bins)
    if init is not None:
        init_from_checkpoint(model, init, Path(cfg.init), bins)
    elif cfg.pretrained and not resume:
        model.load_imagenet()
    if cfg.prior_bias_init and not cfg.init and cfg.loss == "classification":
        # start from the prior instead of uniform over Q bins: the first steps then refine
        # colours instead of climbing out of a gray average
        with torch.no_grad():
            model.head.bias.copy_(torch.from_numpy(np.log(np.maximum(prior, 1e-6))).float())
    return model


class _Run:
    """The state a run saves and restores: model, its moving average, optimizer, best PSNR,
    and for ``--loss gan`` the discriminator with its optimizer (in last.pt only)."""

    def __init__(self, cfg: TrainConfig, model, bins, prior, weights, world: int = 1) -> None:
        self.cfg, self.raw, self.bins, self.prior, self.weights = cfg, model, bins, prior, weights
        self.opt = torch.optim.AdamW(
            param_groups(model, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        self.best, self.start = -math.inf, 0
        # exponential moving average of the weights: what checkpoints hold and validation
        # scores when cfg.ema > 0, so the shipped weights are not one noisy step
        self.ema = None
        if cfg.ema > 0:
            self.ema = copy.deepcopy(model).eval()
            for p in self.ema.parameters():
                p.requires_grad_(False)
        self.adv = None
        if cfg.loss == "gan":
            self.adv = Adversary(next(model.parameters()).device, distributed=world > 1)

    @property
    def shown(self):
        """The weights that are validated and saved."""
        return self.ema or self.raw

    def restore(self, payload: dict[str, Any]) -> None:
        self.raw.load_state_dict(
            clean_state_dict(payload.get("raw_state_dict", payload["state_dict"]))
        )
        if self.ema is not None:
            self.ema.load_state_dict(clean_state_dict(payload["state_dict"]))
        self.opt.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["torch_rng"])
        self.start = int(payload["train"]["step"])
        if self.adv is not None:
            if not isinstance(payload.get("discriminator"), dict):
                raise ConfigError("--resume: last.pt of a --loss gan run has no discriminator")
            self.adv.load(payload["discriminator"])
        self.best = float(payload.get("best_psnr", -math.inf))

    def checkpoint(self, step: int) -> Checkpoint:
        return to_checkpoint(self.shown, self.cfg, self.bins, self.prior, self.weights, step)

    def save(self, step: int, path: Path, resumable: bool = True) -> None:
        """A checkpoint with what resuming needs; the discriminator goes only where the run
        resumes from (``resumable``: last.pt)."""
        extra: dict[str, Any] = {
            "optimizer": self.opt.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "best_psnr": self.best,
        }
        if self.ema is not None:
            extra["raw_state_dict"] = clean_state_dict(self.raw.state_dict())
        if self.adv is not None and resumable:
            extra["discriminator"] = self.adv.state()
        save_checkpoint(self.checkpoint(step), path, extra=extra)

    def validate(self, step: int, val_rgb: np.ndarray, out: Path) -> Validation:
        """Score, write the contact sheet, keep best.pt."""
        val_psnr, preds = estimate_val(self.shown, self.checkpoint(step), val_rgb, self.cfg.crop)
        gray = [gray_of(t) for t in val_rgb]
        gray_psnr = float(np.mean([psnr(g, t) for g, t in zip(gray, val_rgb, strict=True)]))
        rows = [[g, p, t] for g, p, t in list(zip(gray, preds, val_rgb, strict=True))[:6]]
        write_image(out / f"val_{step:07d}.png", contact_sheet(rows))
        if val_psnr > self.best:
            self.best = val_psnr
            self.save(step, out / "best.pt", resumable=False)
        return Validation(step, val_psnr, gray_psnr)


# ------------------------------------------------------------------ the loop
def run_training(
    cfg: TrainConfig,
    resume: bool = False,
    overwrite: bool = False,
    given: frozenset[str] | None = None,
) -> Iterator[Event]:
    """Train; yield Loading, DataLoaded, PriorReady, Resumed, Step, Validation, Saved,
    TrainDone. ``overwrite``: a new run where ``cfg.out`` holds one (its checkpoints are
    replaced as the new run saves, its log starts again). ``given``: on resume, the settings
    the user gave; the others are the run's own (``check_resume_config``)."""
    rank, world = _dist()
    main_rank = rank == 0
    device = _device(cfg, rank)
    cfg, payload = _resolve(cfg, resume, overwrite, given)
    out = Path(cfg.out)
    init = check_init(Path(cfg.init), cfg) if cfg.init and not resume else None
    claim = None
    if main_rank:  # made, and written to once, before any work: one line where it cannot be
        check_folder_writable(out)
        claim = Claim(out / "last.pt")  # held while the run lives (the kernel drops it after)
        if not claim.acquire():
            raise ConfigError(
                f"{out}: another colorize train is running in this folder; wait for it to "
                "end, or give another --out"
            )
    try:
        yield from _train(cfg, payload, init, out, resume, rank, world, device)
    finally:
        if claim is not None:
            claim.release()


def _train(cfg, payload, init, out: Path, resume: bool, rank, world, device) -> Iterator[Event]:
    """``run_training``'s work, once the run folder is claimed: data, prior, model, steps."""
    main_rank = rank == 0
    torch.manual_seed(cfg.seed)
    images, val_imgs, loaded = yield from load_data(cfg)
    yield loaded
    bins, prior, weights = colour_classes(images, cfg, out / "prior.npz" if main_rank else None)
    yield PriorReady(len(bins), float(-(prior * np.log(np.maximum(prior, 1e-300))).sum()))
    model = _build(cfg, bins, prior, device, resume, init)
    run = _Run(cfg, model, bins, prior, weights, world)
    if payload is not None:
        run.restore(payload)
        if main_rank:
            _trim_metrics(out / "metrics.jsonl", run.start)
        stretched = (
            bool(cfg.stretches)
            and cfg.stretches[-1][0] == run.start
            and (len(cfg.stretches) > len(payload["train"]["config"].get("stretches", ())))
        )
        yield Resumed(run.start, describe_stretch(cfg) if stretched else None)
    if main_rank:  # a stretched run's new total is its own from now on
        write_bytes_atomic(
            out / "config.json", (json.dumps(cfg.to_dict(), indent=2) + "\n").encode()
        )
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    train_mode(model, cfg)
    val_rgb = center_crops(val_imgs, cfg.crop) if val_imgs else None
    # line-buffered: tail -f works; a new run's log starts empty (not after another run's)
    mode = "a" if payload is not None else "w"
    metrics = open(out / "metrics.jsonl", mode, buffering=1) if main_rank else None
    try:
        yield from _steps(cfg, model, run, images, val_rgb, rank, world, device, metrics)
        if world > 1:  # every rank done with the group before any tears it down: the
            # second rank of the two-process gloo test was once aborted at exit ("terminate
            # called without an active exception") while the first still wrote its last
            # checkpoint (a clean clone's suite, 2026-12-05; not seen in 12 runs since)
            torch.distributed.barrier()
    finally:
        if metrics is not None:
            metrics.close()
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    yield TrainDone(cfg.steps, run.best, str(out / "last.pt"))


def _steps(cfg, model, run: _Run, images, val_rgb, rank, world, device, metrics) -> Iterator[Event]:
    """The optimizer steps from ``run.start`` to ``cfg.steps``, with validation and saves."""
    out, stride = Path(cfg.out), run.raw.output_stride
    use_amp = device.type == "cuda"
    batches = prefetch(
        lambda s: make_batch(s, rank, images, run.bins, run.weights, stride, cfg),
        range(run.start, cfg.steps),
        workers=cfg.workers,
    )
    t_prev = time.perf_counter()
    while True:
        t_wait = time.perf_counter()
        try:
            step, batch = next(batches)
        except StopIteration:
            break
        wait = time.perf_counter() - t_wait
        lr = get_lr(step, cfg)
        for g in run.opt.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            out_t = model(batch["l"], batch.get("guide"), batch.get("palette"))
        loss = compute_loss(out_t, batch, cfg)
        d_loss = None
        if run.adv is not None:  # pix2pix: the discriminator's step, then the generator's
            d_loss = run.adv.step(batch["l"], out_t, batch["ab"], lr, use_amp)
            loss = loss + cfg.gan_weight * run.adv.generator_loss(batch["l"], out_t, use_amp)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        run.opt.step()
        if run.ema is not None:
            ema_update(run.ema, run.raw, min(cfg.ema, (1.0 + step) / (10.0 + step)))
        now = time.perf_counter()
        dt, t_prev = now - t_prev, now
        done = step + 1
        rate = cfg.batch_size * world / dt
        ev = Step(done, cfg.steps, loss.item(), lr, gnorm, rate, wait / dt, d_loss)
        if metrics is not None:
            metrics.write(json.dumps(ev.to_dict()) + "\n")
        yield ev
        is_last = done == cfg.steps
        if metrics is not None and val_rgb is not None and (done % cfg.val_every == 0 or is_last):
            vev = run.validate(done, val_rgb, out)
            train_mode(model, cfg)
            metrics.write(json.dumps(vev.to_dict()) + "\n")
            yield vev
        if metrics is not None and (done % cfg.save_every == 0 or is_last):
            run.save(done, out / "last.pt")
            metrics.flush()
            yield Saved(done, str(out / "last.pt"))
