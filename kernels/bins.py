"""The quantized ab gamut: bin centres on a regular grid in ab.

Rule: a grid cell (centre ``grid * (i, j)``, side ``grid``) is a bin when at least one of the
16,777,216 8-bit sRGB colours, converted to Lab (D65), rounds into it (nearest centre). This is
the "in-gamut" test of Zhang et al. made exact over every displayable 8-bit colour at every
lightness. With ``grid=10`` it gives 261 bins spanning a in [-90, 100] and b in [-110, 90],
the same extent as the classic 313. The classic set also keeps a ring of edge cells that no
displayable colour rounds into (Zhang et al. took grid points inside a hull around the gamut);
keeping every grid node that surrounds an in-gamut colour (floor and ceil in a and b) gives 309,
near that. A ring of bins that no real pixel can land in only takes probability mass.
"""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np

from colorcli.kernels.lab import rgb_to_lab, rgb_to_lab_np


@lru_cache(maxsize=4)
def _gamut_cells(grid: float) -> tuple[tuple[int, int], ...]:
    half = int(np.ceil(130.0 / grid))
    occupied = np.zeros((2 * half + 1, 2 * half + 1), bool)
    v = np.arange(256, dtype=np.uint8)
    gb = np.stack(np.meshgrid(v, v, indexing="ij"), -1).reshape(-1, 2)
    # 16 red values per pass: 1M colours (16 MB of Lab) at a time instead of 200 MB.
    rgb = np.empty((16 * gb.shape[0], 3), np.uint8)
    rgb[:, 1:] = np.tile(gb, (16, 1))
    for r0 in range(0, 256, 16):
        rgb[:, 0] = np.repeat(np.arange(r0, r0 + 16, dtype=np.uint8), gb.shape[0])
        # 16.7M colours through the interpreted kernel would take minutes without the JIT
        to_lab = rgb_to_lab_np if nb.config.DISABLE_JIT else rgb_to_lab
        ij = np.round(to_lab(rgb)[:, 1:] / grid).astype(np.int64) + half
        occupied[ij[:, 0], ij[:, 1]] = True
    return tuple((int(i) - half, int(j) - half) for i, j in zip(*np.nonzero(occupied), strict=True))


def ab_gamut_bins(grid: float = 10.0) -> np.ndarray:
    """Centres of the in-gamut ab bins, sorted by (a, b).

    Returns (Q, 2) float32 in Lab units (Q == 261 for ``grid=10``).
    """
    cells = np.array(_gamut_cells(float(grid)), dtype=np.float32)
    return cells * np.float32(grid)
