"""A run's schedule and its resumption: the learning rate at each step (warm-up, then a cosine,
stretched where --steps was raised on resume), and the settings a resumed run must find again
(or takes from its config.json)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from colorcli.errors import ConfigError
from colorcli.train.config import TrainConfig

# settings a resumed run may change: where it writes, how often it reports, what runs it
RESUME_MAY_CHANGE = frozenset(
    {"data", "val", "out", "save_every", "val_every", "val_images", "workers", "device"}
)
# where the weights started: a resumed run takes its weights from last.pt, so these need not be
# repeated (the run keeps the values it started with); given with another value they are refused
RESUME_KEEPS = frozenset({"pretrained", "init"})


def check_resume_config(
    saved: dict[str, Any], cfg: TrainConfig, at_step: int, given: frozenset[str] | None = None
) -> TrainConfig:
    """Refuse to resume a run with settings other than the ones it started with.

    saved: the run's config.json; at_step: the step of its last.pt. Every setting that shapes
    the batches, the model or the loss must match; a difference raises one ConfigError naming
    the options and both values. ``--steps`` may be raised (not below the run's step): the
    returned config records the stretch, so the curve stays the same on later resumes. The
    run's own ``pretrained`` / ``init`` are kept where they were left out. ``given``: the
    settings typed on the command line; the others are the run's own (``--out RUN --resume``
    alone continues it as it was: it was refused for each option not typed again, and a
    --steps left out stretched the run to the default 2000). None: every one counts as given.
    """
    fields = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    diffs, kept = [], {}
    before_steps = int(saved.get("steps", fields["steps"]))
    stretches = tuple(tuple(s) for s in saved.get("stretches", ()))
    if given is not None:
        own = {n for n in fields if n not in given and n in saved and n not in RESUME_MAY_CHANGE}
        kept = {n: saved[n] for n in own | ({"data", "val"} - given) if n in saved}
        kept.pop("stretches", None)
        cfg = dataclasses.replace(cfg, **kept)
    for name, default in fields.items():
        if name in RESUME_MAY_CHANGE or name in ("steps", "stretches"):
            continue
        before, now = saved.get(name, default), getattr(cfg, name)
        if name in RESUME_KEEPS and now == default:
            kept[name] = before
        elif before != now:
            diffs.append(f"--{name.replace('_', '-')} {before} (now {now})")
    if cfg.steps < before_steps:
        diffs.append(f"--steps {before_steps} (now {cfg.steps}; it may only be raised)")
    if diffs:
        raise ConfigError(
            f"--resume: {cfg.out} was started with {', '.join(diffs)}; pass the same options or start a new run"
        )
    if cfg.steps > before_steps:
        stretches += ((at_step, before_steps),)
    return dataclasses.replace(cfg, stretches=stretches, **kept)


def describe_stretch(cfg: TrainConfig) -> str | None:
    """One line on the last stretch of the schedule, or None if it was never stretched."""
    if not cfg.stretches:
        return None
    at, before = cfg.stretches[-1]
    if at <= cfg.warmup:
        return f"--steps {before} -> {cfg.steps}: the run was still warming up at step {at}, so the whole cosine curve is laid over {cfg.steps} steps"
    return f"--steps {before} -> {cfg.steps}: from step {at} the learning rate decays from where it was ({get_lr(at, cfg):.2e}) to the same floor along a cosine over the {cfg.steps - at} steps left"


def _cosine(t: float, top: float, floor: float) -> float:
    return floor + (top - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, t))))


def get_lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak. After a stretch (``--steps``
    raised on resume at step s), the curve from s on decays from the rate it had at s to the
    same floor over the new remainder, so the rate never jumps."""
    floor = 0.01 * cfg.lr
    totals = [before for _, before in cfg.stretches] + [cfg.steps]
    starts = [at for at, _ in cfg.stretches]
    # a stretch while still warming up re-lays the whole curve: it has no decay to continue
    first = 0
    while first < len(starts) and starts[first] <= cfg.warmup:
        first += 1
    total = totals[first]
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    lr = _cosine((step - cfg.warmup) / max(1, total - cfg.warmup), cfg.lr, floor)
    for i in range(first, len(starts)):
        at, end = starts[i], totals[i + 1]
        if step < at:
            break
        top = get_lr(at, dataclasses.replace(cfg, steps=totals[i], stretches=cfg.stretches[:i]))
        lr = _cosine((step - at) / max(1, end - at), top, floor)
    return lr
