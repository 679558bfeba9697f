"""Training data: find photos, drop the colourless ones, cache them small, make batches.

``find_dataset`` accepts the DIV2K layout (``DIV2K_train_HR/`` and ``DIV2K_valid_HR/``) or any
folder of images (recursive), with an automatic seeded validation split.

Batches are a pure function of (seed, step): the crop positions, flips and image choice for
step s come from ``np.random.default_rng([seed, s])``, so a resumed run sees exactly the batches
an uninterrupted one would, with no sampler state to save.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from colorcli.entries import system_entry
from colorcli.errors import ColorcliError, ConfigError, MediaError
from colorcli.imageio import read_image
from colorcli.options import PHOTO_EXTS
from colorcli.quality import colorfulness

CHROMA_MIN = 5.0  # a crop with no pixel beyond |ab| = 5 carries no colour to learn


def is_run_folder(folder: Path) -> bool:
    """A colorize train run folder (its config.json beside its log or checkpoint): its
    contact sheets (gray | ours | truth) are no photos to learn from or to measure on."""
    return (folder / "config.json").is_file() and any(
        (folder / n).is_file() for n in ("metrics.jsonl", "last.pt")
    )


def out_apart_from_photos(out: Path, data: str, val: str | None) -> None:
    """ConfigError where the run folder is the folder of photos itself (--data or --val):
    its checkpoints and contact sheets would lie among them, the sheets learned from by the
    next run."""
    for flag, folder in (("--data", data), ("--val", val)):
        if folder is not None and out.resolve() == Path(folder).resolve():
            raise ConfigError(
                f"--out {out} is the {flag} folder: the run's checkpoints and contact sheets would lie among the photos; give --out a folder of its own (one inside {flag} is passed over)"
            )


def _list_images(root: Path) -> list[Path]:
    """The photos under ``root``, passing over NAS thumbnails, trash, and training runs (an
    --out inside --data: its contact sheets were trained on by the next run); MediaError
    where ``root`` is itself a run's folder (``eval --data RUN`` scored its sheets)."""
    if is_run_folder(root):
        raise MediaError(
            root,
            "a training run's folder (its pictures are colorize's own contact sheets, not photos): give the folder of photos",
        )
    out = []
    for r, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if not system_entry(d, True) and not is_run_folder(Path(r) / d)
        )
        out += [
            Path(r) / f
            for f in sorted(files)
            if Path(f).suffix.lower() in PHOTO_EXTS and not f.startswith(".")
        ]
    return out


def find_dataset(
    data: Path, val: Path | None = None, val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[Path], list[Path]]:
    """Training and validation image paths.

    DIV2K layout: ``DIV2K_train_HR`` for training, ``DIV2K_valid_HR`` for validation. Otherwise
    every image under ``data``; validation from ``val`` if given, else a seeded split.
    """
    data = Path(data)
    if not data.is_dir():
        raise MediaError(data, "no such folder")
    div_train, div_val = data / "DIV2K_train_HR", data / "DIV2K_valid_HR"
    if div_train.is_dir():
        train = _list_images(div_train)
        vals = (
            _list_images(Path(val)) if val else (_list_images(div_val) if div_val.is_dir() else [])
        )
    else:
        train = _list_images(data)
        vals = _list_images(Path(val)) if val else []
    if val and not vals:  # asked for, so not silently replaced by a split of --data
        raise MediaError(val, "no validation photos found (jpg, png, tif, bmp, webp)")
    if not vals and train:
        order = np.random.default_rng(seed).permutation(len(train))
        n_val = max(1, round(len(train) * val_fraction)) if len(train) > 1 else 0
        vals = [train[i] for i in sorted(order[:n_val])]
        train = [train[i] for i in sorted(order[n_val:])]
    if not train:
        raise MediaError(data, "no training images found (jpg, png, tif, bmp, webp)")
    return train, vals


def leave_out(train: list[Path], val: list[Path]) -> tuple[list[Path], int]:
    """The training photos without those that are validation photos too (a --val folder
    inside --data, or the same folder): a photo learned from says nothing of photos unseen.
    Returns them and how many were left out; ConfigError where none would be left."""
    held = {p.resolve() for p in val}
    kept = [p for p in train if p.resolve() not in held]
    if train and not kept:
        raise ConfigError(
            "every photo under --data is a --val photo too: give --val a folder of its own, "
            "or leave it out for a seeded split"
        )
    return kept, len(train) - len(kept)


# photos smaller than this on a side, or longer than wide by more than this, are not learned
# from: each is cached at the load size on its short side, so a web page's 2000x1 divider
# became 576000x288 pixels (166 Mpx, half a gigabyte) of stretched mush, and a 30x20 icon a
# blur 14 times its size. The photos the recipes gather are 119 pixels and up, 2.9:1 at most.
MIN_SIDE = 32
MAX_ASPECT = 16


def unfit(h: int, w: int) -> str | None:
    """Why a photo of h x w pixels is not learned from, or None."""
    if min(h, w) < MIN_SIDE:
        return f"too small ({w}x{h} pixels: under {MIN_SIDE} on a side)"
    if max(h, w) > MAX_ASPECT * min(h, w):
        return f"a strip, not a photo ({w}x{h} pixels: over {MAX_ASPECT} times as long as wide)"
    return None


def free_memory() -> int | None:
    """Bytes of memory free for new work on this machine (Linux's MemAvailable), or None
    where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass
class CachedImage:
    path: Path
    rgb: np.ndarray  # (H, W, 3) uint8, short side == load size
    colorfulness: float


def load_images(
    paths: list[Path], short_side: int, min_colorfulness: float
) -> tuple[list[CachedImage], list[Path], list[tuple[Path, str]]]:
    """Decode, resize (short side), score colourfulness. Returns (kept, dropped, unreadable:
    (path, why) each)."""
    kept, dropped, bad = [], [], []
    for p in paths:
        try:
            img = read_image(p)
        except (ColorcliError, MemoryError) as e:
            bad.append((p, str(getattr(e, "reason", None) or e)))
            continue
        if img.missing is not None:  # a file cut short: its gray band is no colour to learn
            bad.append((p, "truncated: part of the picture is missing"))
            continue
        px = img.rgb
        if px.dtype == np.uint16:
            px = (px // 257).astype(np.uint8)
        h, w = px.shape[:2]
        if (why := unfit(h, w)) is not None:
            bad.append((p, why))
            continue
        s = short_side / min(h, w)
        px = cv2.resize(
            px,
            (max(short_side, round(w * s)), max(short_side, round(h * s))),
            interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC,
        )
        c = colorfulness(px)
        if c < min_colorfulness:
            dropped.append(p)
            continue
        kept.append(CachedImage(p, np.ascontiguousarray(px), c))
    return kept, dropped, bad


def sample_batch(
    images: list[CachedImage],
    batch_size: int,
    crop: int,
    rng: np.random.Generator,
    flip: bool = True,
    max_zoom: float = 1.0,
) -> np.ndarray:
    """Random crops (and horizontal flips). Returns (B, crop, crop, 3) uint8 RGB.

    With ``max_zoom`` > 1 the images are cached ``max_zoom`` times larger than the network's
    scale; each crop then draws a zoom z in [1, max_zoom] (log-uniform), cuts a square of
    ``crop * max_zoom / z`` pixels and shrinks it to ``crop``. z = 1 is the scale the model
    sees at inference; larger z shows finer detail, so a few high-resolution photos give many
    distinct crops.
    """
    out = np.empty((batch_size, crop, crop, 3), np.uint8)
    for i in range(batch_size):
        im = images[rng.integers(len(images))].rgb
        h, w = im.shape[:2]
        side = crop
        if max_zoom > 1.0:
            z = float(np.exp(rng.uniform(0.0, np.log(max_zoom))))
            side = min(h, w, max(crop, round(crop * max_zoom / z)))
        y = rng.integers(h - side + 1)
        x = rng.integers(w - side + 1)
        c = im[y : y + side, x : x + side]
        if side != crop:
            c = cv2.resize(c, (crop, crop), interpolation=cv2.INTER_AREA)
        out[i] = c[:, ::-1] if flip and rng.random() < 0.5 else c
    return out


def center_crops(images: list[CachedImage], crop: int) -> np.ndarray:
    """Deterministic validation crops: (N, crop, crop, 3) uint8."""
    out = np.empty((len(images), crop, crop, 3), np.uint8)
    for i, im in enumerate(images):
        h, w = im.rgb.shape[:2]
        y, x = (h - crop) // 2, (w - crop) // 2
        out[i] = im.rgb[y : y + crop, x : x + crop]
    return out


def prefetch(make, steps: range, depth: int = 4, workers: int = 2) -> Iterator:
    """Run ``make(step)`` on ``workers`` threads, up to ``depth`` steps ahead; yield in order.

    The numba kernels release the GIL, so batch preparation overlaps the model's step.
    """
    it = iter(steps)
    window: deque = deque()
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="colorcli-data") as pool:
        for s in itertools.islice(it, max(1, depth)):
            window.append((s, pool.submit(make, s)))
        try:
            while window:
                s, fut = window.popleft()
                item = fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    window.append((nxt, pool.submit(make, nxt)))
                yield s, item
        finally:
            for _, fut in window:
                fut.cancel()
