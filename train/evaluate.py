"""``colorize eval``: how close a model's colours come to the truth, beside the gray baseline.

For every colour photo of a folder (DIV2K layout: ``DIV2K_valid_HR``), the photo's lightness is
colorized at the Colorizer's settings and compared with the photo: PSNR and SSIM on 8-bit RGB
(NTIRE 2019), and colourfulness. The gray baseline outputs the lightness alone (a = b = 0).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from colorcli.compose import compose_rgb
from colorcli.errors import ColorcliError, MediaError
from colorcli.imageio import read_image
from colorcli.kernels import compose_rgb8, rgb_to_l
from colorcli.quality import colorfulness, psnr, ssim
from colorcli.train.data import _list_images
from colorcli.train.filmgray import film_lightness, gray_look
from colorcli.train.hinteval import simulate_hints, spread_hints


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


def gray_of(truth: np.ndarray) -> np.ndarray:
    """The gray baseline of an (H, W, 3) uint8 photo: its lightness alone (a = b = 0)."""
    lum = rgb_to_l(truth)
    return compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))


def plain_input(truth: np.ndarray) -> np.ndarray:
    """What a plain eval colours: the photo's own L* as a 16-bit gray picture (within 0.01
    L*). None of the truth's colour goes in: fed the truth, what the colorizer keeps as
    scanned (a colour scan's margins, a colour print on an album page) would score as its
    colours."""
    lum = rgb_to_l(truth)
    return compose_rgb(lum, np.zeros((1, 1, 2), np.float32), np.uint16)[..., 0]


def _as_8bit(rgb: np.ndarray) -> np.ndarray:
    """A colorizer's output (uint8, or uint16 from a 16-bit input) as 8-bit RGB."""
    if rgb.dtype == np.uint8:
        return rgb
    return np.round(rgb.astype(np.float32) / 257.0).astype(np.uint8)


def made_gray(truth: np.ndarray, gray_kind: str = "plain", name: str = "") -> np.ndarray:
    """The gray input of an eval: the photo's own lightness, or as a film made it (the random
    kinds seeded by the file name, so every model sees the same grays)."""
    look = gray_look(gray_kind, np.random.default_rng(zlib.crc32(name.encode())))
    if look is None:
        return gray_of(truth)
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    lum = film_lightness(truth, look, rng)
    return compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))


def eval_paths(data: Path) -> list[Path]:
    """Evaluation photos: DIV2K_valid_HR in the DIV2K layout, else every image under ``data``."""
    data = Path(data)
    if not data.is_dir():
        raise MediaError(data, "no such folder")
    div = data / "DIV2K_valid_HR"
    paths = _list_images(div if div.is_dir() else data)
    if not paths:
        raise MediaError(data, "no images to evaluate on")
    return paths


def _load_rgb8(path: Path, resize: int | None) -> np.ndarray:
    img = read_image(path)
    if img.missing is not None:  # a file cut short: its gray band would score as colour
        raise MediaError(path, "truncated: part of the picture is missing")
    px = img.rgb
    if px.dtype == np.uint16:
        px = (px // 257).astype(np.uint8)
    if resize:
        h, w = px.shape[:2]
        s = resize / min(h, w)
        if s < 1:
            px = cv2.resize(px, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(px)


def _scores(prefix: str, image: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}psnr": psnr(image, truth),
        f"{prefix}ssim": ssim(image, truth),
        f"{prefix}colorfulness": colorfulness(image),
    }


def evaluate(
    colorizer,
    paths: list[Path],
    resize: int | None = None,
    min_colorfulness: float = 15.0,
    hints: int = 0,
    gray: str = "plain",
) -> Iterator[dict[str, Any]]:
    """Yield one record per photo, or a "skipped" record for an unreadable one and for one
    below ``min_colorfulness`` (a gray truth says nothing about colour and makes PSNR infinite).
    With ``hints`` N > 0 (a hint model), also the scores with N seeded simulated hints
    (``hinted_*``) and of the Gaussian spread of the same hints (``spread_*``). ``gray``: how
    the photo is made gray (``colorcli.train.filmgray``; the baseline is that gray)."""
    for p in paths:
        try:
            truth = _load_rgb8(p, resize)
        except ColorcliError as e:
            yield {"path": str(p), "skipped": str(e)}
            continue
        if colorfulness(truth) < min_colorfulness:
            yield {
                "path": str(p),
                "skipped": f"{p}: colourfulness {colorfulness(truth):.1f} below {min_colorfulness}",
            }
            continue
        made = made_gray(truth, gray_kind=gray, name=p.name)
        # plain: the photo's own L*, in 16 bits (8 would round it)
        source = plain_input(truth) if gray == "plain" else made
        ours = _as_8bit(colorizer.colorize(source))
        record = {
            "path": str(p),
            "size": [int(truth.shape[1]), int(truth.shape[0])],
            **_scores("", ours, truth),
            "gray_psnr": psnr(made, truth),
            "gray_ssim": ssim(made, truth),
            "truth_colorfulness": colorfulness(truth),
            "_images": (made, ours, truth),
        }
        if hints:
            sim = simulate_hints(truth, hints, p.name)
            hinted = _as_8bit(colorizer.colorize(source, sim.guide))
            record.update(_scores("hinted_", hinted, truth))
            record.update(_scores("spread_", spread_hints(truth, sim), truth))
            record["_images"] = (made, ours, hinted, truth)
        yield record


def summarize(records: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Means over the evaluated photos of ``folder``; colourfulness ratio = mean(ours) /
    mean(truth). MediaError naming the folder when none could be evaluated."""
    ok = [r for r in records if "skipped" not in r]
    if not ok:
        raise MediaError(folder, f"no photo could be evaluated ({len(records)} skipped)")

    def mean(k: str) -> float:
        return float(np.mean([r[k] for r in ok]))

    truth_c = mean("truth_colorfulness")

    def rows(prefix: str) -> dict[str, float]:
        c = mean(f"{prefix}colorfulness")
        return {
            "psnr": mean(f"{prefix}psnr"),
            "ssim": mean(f"{prefix}ssim"),
            "colorfulness": c,
            "colorfulness_ratio": c / truth_c if truth_c else 0.0,
        }

    guided = {}
    if all("hinted_psnr" in r for r in ok):
        guided = {"hinted": rows("hinted_"), "spread": rows("spread_")}
    return {
        "images": len(ok),
        "skipped": [r["path"] for r in records if "skipped" in r],
        "ours": rows(""),
        "gray": {
            "psnr": mean("gray_psnr"),
            "ssim": mean("gray_ssim"),
            "colorfulness": 0.0,
            "colorfulness_ratio": 0.0,
        },
        **guided,
        "truth": {"colorfulness": truth_c},
        "per_image": [{k: v for k, v in r.items() if not k.startswith("_")} for r in records],
    }


def sheet_of(records: list[dict[str, Any]], rows: int = 6, height: int = 192) -> np.ndarray:
    """Contact sheet gray | ours (| ours with hints) | truth of the first ``rows`` photos, each
    ``height`` tall."""
    tiles = []
    width = None
    for r in [r for r in records if "_images" in r][:rows]:
        row = []
        for im in r["_images"]:
            h, w = im.shape[:2]
            width = width or round(w * height / h)
            row.append(cv2.resize(im, (width, height), interpolation=cv2.INTER_AREA))
        tiles.append(row)
    return contact_sheet(tiles)
