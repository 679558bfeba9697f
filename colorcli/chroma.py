"""The chroma spaces a model may predict in: CIE Lab's ab (the default) and YUV's UV (BT.601).

A model sees a lightness-like channel and predicts two chroma channels; everything after the
network (smoothing, flow, hints, compose) works in Lab ab with the input's own L*, so a model of
another space has its prediction turned into ab here, at network resolution, before anything
else sees it.

- ``lab``: the input is L* in [0, 100]; chroma is (a, b) in Lab units.
- ``yuv``: the input is the luma Y' of the gray that has the pixel's L* (for a gray photo, its
  own gray level), times 100; chroma is (U, V) of analog BT.601 YUV times ``UV_SCALE``, so a
  10-unit cell is about as fine as a 10-unit cell of ab (U spans +-87, V +-123).

A colour space is recorded in a checkpoint as a plain dict (``space_record``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from colorcli.errors import ConfigError
from colorcli.kernels import lab_to_rgb, rgb_to_lab
from colorcli.options import COLOR_SPACES

UV_SCALE = 200.0
# chroma / norm is what a regression head predicts (tanh, so |chroma| must stay below norm)
CHROMA_NORM = {"lab": 110.0, "yuv": 125.0}
# BT.601 luma weights and the analog U, V scale factors
_KR, _KG, _KB = 0.299, 0.587, 0.114
_KU, _KV = 0.492, 0.877


def check_space(name: str) -> str:
    if name not in COLOR_SPACES:
        raise ConfigError(f"colour space must be one of {COLOR_SPACES}, got {name!r}")
    return name


def space_record(name: str) -> dict[str, Any]:
    """What a checkpoint stores of its colour space (all that turning chroma into ab needs)."""
    check_space(name)
    rec: dict[str, Any] = {"name": name, "chroma_norm": CHROMA_NORM[name]}
    if name == "yuv":
        rec.update(matrix="bt601", uv_scale=UV_SCALE)
    return rec


def luma_of_l(l_star: np.ndarray) -> np.ndarray:
    """L* in [0, 100] -> 100 x the sRGB gray level with that lightness (float32): the gray
    (L*, 0, 0) through ``lab_to_rgb``."""
    lab = np.zeros((*np.shape(l_star), 3), np.float32)
    lab[..., 0] = l_star
    return 100.0 * lab_to_rgb(lab)[..., 0]


def net_input(l_star: np.ndarray, space: str) -> np.ndarray:
    """What the network of ``space`` takes for a lightness map (0..100, float32)."""
    return l_star if space == "lab" else luma_of_l(l_star)


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 3) uint8 or float [0, 1] sRGB -> (100 Y', (U, V) x UV_SCALE), float32."""
    x = rgb.astype(np.float32) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float32)
    y = _KR * x[..., 0] + _KG * x[..., 1] + _KB * x[..., 2]
    uv = np.stack([_KU * (x[..., 2] - y), _KV * (x[..., 0] - y)], axis=-1) * np.float32(UV_SCALE)
    return (100.0 * y).astype(np.float32), uv.astype(np.float32)


def yuv_to_rgb(luma: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(100 Y', UV x UV_SCALE) -> (..., 3) float32 sRGB in [0, 1] (clipped to the cube)."""
    y = luma.astype(np.float32) / 100.0
    u = uv[..., 0].astype(np.float32) / np.float32(UV_SCALE * _KU)
    v = uv[..., 1].astype(np.float32) / np.float32(UV_SCALE * _KV)
    r, b = y + v, y + u
    g = (y - _KR * r - _KB * b) / _KG
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def to_space(rgb: np.ndarray, space: str) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs: (..., 3) uint8 sRGB -> (the network's input 0..100, chroma (..., 2)),
    float32."""
    if space == "yuv":
        return rgb_to_yuv(rgb)
    lab = rgb_to_lab(np.ascontiguousarray(rgb))
    return np.ascontiguousarray(lab[..., 0]), np.ascontiguousarray(lab[..., 1:])


def chroma_to_ab(chroma: np.ndarray, l_star: np.ndarray, space: str) -> np.ndarray:
    """A prediction in ``space`` -> Lab ab, given the lightness at the same pixels.

    chroma: (..., 2) float32; l_star: (...) float32 L*. Returns (..., 2) float32 (the chroma
    itself for lab). A UV colour the gray's luma cannot show is clipped to the sRGB cube first.
    """
    if space == "lab":
        return chroma
    rgb = yuv_to_rgb(luma_of_l(l_star), chroma)
    shape = rgb.shape
    lab = rgb_to_lab(np.ascontiguousarray(rgb.reshape(-1, 3)))
    return np.ascontiguousarray(lab[:, 1:]).reshape(*shape[:-1], 2)


@lru_cache(maxsize=4)
def _uv_cells(grid: float) -> tuple[tuple[int, int], ...]:
    # UV is linear in R'G'B': every UV an 8-bit colour has, (0.492 (B - Y'), 0.877 (R - Y')),
    # swept over all 16.7M colours, 16 red values (1M colours) at a time
    half = int(np.ceil(130.0 / grid))
    occupied = np.zeros((2 * half + 1, 2 * half + 1), bool)
    v = np.arange(256, dtype=np.float32) / 255.0
    g = np.tile(np.repeat(v, 256), 16)
    b = np.tile(v, 256 * 16)
    for r0 in range(0, 256, 16):
        r = np.repeat(v[r0 : r0 + 16], 256 * 256)
        y = _KR * r + _KG * g + _KB * b
        i = np.round(_KU * (b - y) * UV_SCALE / grid).astype(np.int64) + half
        j = np.round(_KV * (r - y) * UV_SCALE / grid).astype(np.int64) + half
        occupied[i, j] = True
    return tuple((int(i) - half, int(j) - half) for i, j in zip(*np.nonzero(occupied), strict=True))


def gamut_grid(space: str, grid: float = 10.0) -> np.ndarray:
    """The fixed grid of chroma classes of ``space``: every cell of side ``grid`` that some
    8-bit sRGB colour rounds into, sorted. (Q, 2) float32 (261 for lab, 347 for yuv)."""
    from colorcli.kernels import ab_gamut_bins

    if check_space(space) == "lab":
        return ab_gamut_bins(grid)
    return np.array(_uv_cells(float(grid)), np.float32) * np.float32(grid)
