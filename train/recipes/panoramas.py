"""Blender's CC0 360-degree HDR panoramas (Debian blender-data, studiolights/world) as photos:
each equirectangular EXR tone-mapped to sRGB and cut into perspective views around the horizon.

Reading the EXRs needs the ``openexr`` wheel (BSD-3-Clause; OpenCV's build here cannot decode
their DWAB compression); ``train/recipes/gather_wide.py`` skips these, saying so, without it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

YAWS = tuple(range(0, 360, 45))  # degrees around the horizon
PITCHES = (0, -15)  # degrees: level, and a little down (the ground)
FOV = 70.0  # horizontal field of view of a view, degrees
VIEW = (300, 225)  # width, height of a view in pixels (the panoramas are 1024 x 512)


def read_exr(path: Path) -> np.ndarray:
    """(H, W, 3) float32 linear RGB of an EXR file."""
    import OpenEXR

    with OpenEXR.File(str(path)) as f:
        ch = f.channels()
        if "RGB" in ch:
            return np.asarray(ch["RGB"].pixels, np.float32)
        return np.dstack([np.asarray(ch[c].pixels, np.float32) for c in "RGB"])


def tone_map(rgb: np.ndarray) -> np.ndarray:
    """Linear HDR RGB -> (H, W, 3) uint8 sRGB: exposed so the median luminance lands at 0.18,
    Reinhard's curve on the luminance (colours keep their ratios), then the sRGB transfer."""
    lum = np.maximum(rgb @ np.float32([0.2126, 0.7152, 0.0722]), 1e-6)
    exposed = lum * (0.18 / float(np.median(lum)))
    mapped = exposed / (1.0 + exposed)
    out = np.clip(rgb * (mapped / lum)[..., None], 0.0, 1.0)
    srgb = np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.clip(srgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def view(pano: np.ndarray, yaw: float, pitch: float) -> np.ndarray:
    """A pinhole view of an equirectangular panorama looking at (yaw, pitch) degrees."""
    w, h = VIEW
    f = 0.5 * w / np.tan(np.radians(FOV) / 2)
    x, y = np.meshgrid(np.arange(w) - (w - 1) / 2, np.arange(h) - (h - 1) / 2)
    d = np.stack([x, -y, np.full_like(x, f)], -1)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    p, t = np.radians(pitch), np.radians(yaw)
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    d = d @ (ry @ rx).T
    lon = np.arctan2(d[..., 0], d[..., 2])
    lat = np.arcsin(np.clip(d[..., 1], -1, 1))
    ph, pw = pano.shape[:2]
    mx = ((lon / (2 * np.pi) + 0.5) * pw).astype(np.float32)
    my = ((0.5 - lat / np.pi) * ph).astype(np.float32)
    return cv2.remap(pano, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_WRAP)


def panorama_views(exr: Path) -> list[tuple[str, np.ndarray]]:
    """(name, (h, w, 3) uint8 RGB view) for every yaw and pitch of one panorama."""
    pano = tone_map(read_exr(exr))
    return [(f"{exr.stem}_y{y}_p{-p}", view(pano, y, p)) for y in YAWS for p in PITCHES]
