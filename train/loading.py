"""The photos a training run learns from and is measured on: listed (``train.data``), sampled
(--max-photos), read and cached within this machine's memory, with a Loading event per chunk
and the DataLoaded that sums them up. No model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from colorcli.errors import ConfigError
from colorcli.events import DataLoaded, Loading
from colorcli.train.config import TrainConfig
from colorcli.train.data import find_dataset, free_memory, leave_out, load_images

# photos read between two Loading events, and how many are read before their memory is
# extrapolated to the whole of --data (a run that would not fit stops then, not hours later,
# killed by the kernel without a word)
LOAD_CHUNK = 64
# of the memory free when a run starts, the share its cached photos may take (the network,
# its batches and the prefetching workers need the rest), less a reserve
CACHE_SHARE, CACHE_RESERVE = 0.8, 1 << 30


def _cache_budget() -> int | None:
    """Bytes the training photos may take in memory here (shared by the ranks of a torchrun
    on this machine), or None where the free memory cannot be read."""
    free = free_memory()
    if free is None:
        return None
    ranks = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1))
    return max(0, int(free * CACHE_SHARE) - CACHE_RESERVE) // ranks


def _read_training_photos(paths: list[Path], cfg: TrainConfig):
    """load_images over ``paths`` in chunks: yields Loading events and returns (images,
    dropped, bad); ConfigError as soon as the photos cached so far, extrapolated to all of
    them, would not fit in this machine's memory."""
    short = round(cfg.load_size * cfg.max_zoom)
    budget = _cache_budget()
    images, dropped, bad, cached = [], [], [], 0
    for start in range(0, len(paths), LOAD_CHUNK):
        kept, gray, unread = load_images(
            paths[start : start + LOAD_CHUNK], short, cfg.min_colorfulness
        )
        images += kept
        dropped += gray
        bad += unread
        cached += sum(im.rgb.nbytes for im in kept)
        done = min(start + LOAD_CHUNK, len(paths))
        need = cached * len(paths) // done
        if budget is not None and need > budget:
            fit = int(budget * done // max(cached, 1))
            raise ConfigError(
                f"--data {cfg.data}: its {len(paths)} photos, cached at {short} pixels on the short side, would take about {need / 1e9:.1f} GB of memory, and {budget / 1e9:.1f} GB is free for them here: give --max-photos {max(fit, 1)} (about as many as fit), or a smaller --load-size (or --max-zoom)"
            )
        yield Loading(done, len(paths))
    return images, dropped, bad


def load_data(cfg: TrainConfig):
    """The training and validation photos, read (yields Loading events); returns (images,
    validation images, their DataLoaded)."""
    train_paths, val_paths = find_dataset(
        Path(cfg.data), Path(cfg.val) if cfg.val else None, seed=cfg.seed
    )
    train_paths, in_val = leave_out(train_paths, val_paths)
    if cfg.max_photos is not None and len(train_paths) > cfg.max_photos:  # seeded, in order
        pick = np.random.default_rng(cfg.seed).choice(len(train_paths), cfg.max_photos, False)
        train_paths = [train_paths[i] for i in sorted(pick)]
    images, dropped, bad = yield from _read_training_photos(train_paths, cfg)
    # a colourless photo is no test of colour (a gray one's gray baseline is infinite), as
    # colorize eval leaves it out
    val_imgs, val_gray, val_bad = load_images(
        val_paths[: cfg.val_images], cfg.load_size, cfg.min_colorfulness
    )
    if not images:
        raise ConfigError(f"--data {cfg.data}: {_none_left(dropped, bad, cfg)}")
    if cfg.val and val_paths and not val_imgs:  # asked for, so not trained without
        raise ConfigError(f"--val {cfg.val}: {_none_left(val_gray, val_bad, cfg)}")
    pixels = int(sum(im.rgb.shape[0] * im.rgb.shape[1] for im in images))
    skipped = tuple((str(p), why) for p, why in bad + val_bad)
    loaded = DataLoaded(
        len(images), len(dropped), len(skipped), len(val_imgs), pixels, skipped,
        in_val=in_val, val_dropped=len(val_gray),
    )  # fmt: skip
    return images, val_imgs, loaded


def _none_left(colourless: list, bad: list, cfg: TrainConfig) -> str:
    """Why none of a folder's photos can be used, in words (the first skipped one named)."""
    why = (
        [f"{len(colourless)} below --min-colorfulness {cfg.min_colorfulness}"] if colourless else []
    )
    if bad:
        why.append(f"{len(bad)} skipped, the first {bad[0][0]}: {bad[0][1]}")
    return f"no photo in it can be used ({'; '.join(why)})"
