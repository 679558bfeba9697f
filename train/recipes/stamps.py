"""Tux Paint's photo cut-outs (Debian tuxpaint-stamps-default) pasted onto training photos, so
the model learns animals, fruit, tools and vehicles in a scene rather than on a blank.

The package mixes photographs with drawings and renders; a stamp counts as a photograph when its
opaque pixels vary as a photo's do (most differ from their right-hand neighbour and there are
thousands of distinct colours), minus the folders of renders (road signs, planets, cartoons).
Each stamp is pasted once, at a seeded place and size, onto a seeded crop of one of the
background photos; both names go into the source column."""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np

FLAT_MAX = 0.2  # at most this share of opaque pixels equal to their right-hand neighbour
COLOURS_MIN = 3000  # at least this many distinct colours among the opaque pixels
OPAQUE_MIN = 2000  # opaque pixels: smaller stamps are icons
SKIP_FOLDERS = ("symbols", "seasonal", "roadsigns", "planets", "cartoon")
CROP = 512  # short side of the background crop


def is_photo(bgra: np.ndarray) -> bool:
    """Whether a stamp (H, W, 4) uint8 BGRA looks like a cut-out photograph."""
    if bgra.ndim != 3 or bgra.shape[2] != 4:
        return False
    opaque = bgra[..., 3] >= 250
    if opaque.sum() < OPAQUE_MIN:
        return False
    rgb = bgra[..., :3].astype(np.int32)
    both = opaque[:, 1:] & opaque[:, :-1]
    same = (np.abs(rgb[:, 1:] - rgb[:, :-1]).sum(-1) == 0) & both
    codes = np.unique(rgb[opaque] @ np.array([65536, 256, 1]))
    return same.sum() <= FLAT_MAX * max(1, both.sum()) and len(codes) >= COLOURS_MIN


def paste(bgra: np.ndarray, background: np.ndarray, seed: int) -> np.ndarray:
    """The stamp over a seeded crop of ``background`` (BGR), its longer side 35-70% of the
    crop's shorter side, at a seeded place; (h, w, 3) uint8 BGR."""
    rng = np.random.default_rng(seed)
    h, w = background.shape[:2]
    s = CROP / min(h, w)
    if s < 1:
        background = cv2.resize(
            background, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA
        )
    h, w = background.shape[:2]
    side = min(h, w)
    y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    canvas = background[y0 : y0 + side, x0 : x0 + side].astype(np.float32)
    k = rng.uniform(0.35, 0.7) * side / max(bgra.shape[:2])
    st = cv2.resize(
        bgra, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    )
    sh, sw = st.shape[:2]
    y, x = int(rng.integers(0, side - sh + 1)), int(rng.integers(0, side - sw + 1))
    a = st[..., 3:4].astype(np.float32) / 255.0
    region = canvas[y : y + sh, x : x + sw]
    canvas[y : y + sh, x : x + sw] = a * st[..., :3] + (1 - a) * region
    return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)


def composite_stamps(
    stamps_root: Path, backgrounds: list[tuple[Path, str]], dst: Path, version: str
) -> list[tuple[Path, str, str]]:
    """Every photo stamp under ``stamps_root`` pasted onto one of ``backgrounds`` ((path,
    licence) pairs, chosen by a hash of the stamp's name) as ``dst/<folder>_<name>.jpg``.
    Returns (file, source, licence) rows."""
    rows = []
    for p in sorted(stamps_root.rglob("*.png")):
        rel = p.relative_to(stamps_root)
        if any(part in SKIP_FOLDERS for part in rel.parts[:-1]):
            continue
        bgra = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if bgra is None or not is_photo(bgra):
            continue
        seed = zlib.crc32(str(rel).encode())
        bg_path, bg_lic = backgrounds[seed % len(backgrounds)]
        bg = cv2.imread(str(bg_path), cv2.IMREAD_COLOR)
        out = dst / (str(rel.with_suffix("")).replace("/", "_") + ".jpg")
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), paste(bgra, bg, seed), [cv2.IMWRITE_JPEG_QUALITY, 95])
        rows.append(
            (
                out,
                f"tuxpaint-stamps-default {version} (usr/share/tuxpaint/stamps/{rel}) on {bg_path.name}",
                f"GPL-2 (stamp); {bg_lic} (background)",
            )
        )
    return rows
