"""Numba kernels for colorcli (numpy + numba only; no torch).

Every kernel follows one pattern: a private ``_name_nb`` compiled with numba, a public
``name`` wrapper that validates shapes and dtypes, and a plain-numpy twin ``name_np`` with the
same signature that the parity tests compare against.
"""

from colorcli.kernels.bins import ab_gamut_bins
from colorcli.kernels.decode import annealed_mean, annealed_mean_np
from colorcli.kernels.distance import lab_distance, lab_distance_np
from colorcli.kernels.encode import ab_histogram, ab_histogram_np, soft_encode, soft_encode_np
from colorcli.kernels.lab import (
    AB_NORM,
    L_CENT,
    L_NORM,
    LAB_CONSTANTS,
    compose_rgb8,
    compose_rgb8_np,
    lab_to_rgb,
    lab_to_rgb_np,
    rgb_to_l,
    rgb_to_l_np,
    rgb_to_lab,
    rgb_to_lab_np,
)
from colorcli.kernels.luma import add_half_res, add_half_res_np
from colorcli.kernels.rows import (
    compose_rows_rgb8,
    compose_rows_rgb8_np,
    compose_rows_rgb16,
    compose_rows_rgb16_np,
)
from colorcli.kernels.temporal import temporal_smooth, temporal_smooth_np
from colorcli.kernels.ycbcr import (
    lab_to_ycbcr,
    lab_to_ycbcr_np,
    luma_l_table,
    luma_to_l,
)

__all__ = [
    "AB_NORM",
    "L_CENT",
    "L_NORM",
    "LAB_CONSTANTS",
    "add_half_res",
    "add_half_res_np",
    "ab_gamut_bins",
    "ab_histogram",
    "compose_rgb8",
    "compose_rgb8_np",
    "compose_rows_rgb8",
    "compose_rows_rgb8_np",
    "compose_rows_rgb16",
    "compose_rows_rgb16_np",
    "rgb_to_l",
    "rgb_to_l_np",
    "ab_histogram_np",
    "annealed_mean",
    "annealed_mean_np",
    "lab_distance",
    "lab_distance_np",
    "lab_to_rgb",
    "lab_to_rgb_np",
    "lab_to_ycbcr",
    "lab_to_ycbcr_np",
    "luma_l_table",
    "luma_to_l",
    "rgb_to_lab",
    "rgb_to_lab_np",
    "soft_encode",
    "soft_encode_np",
    "temporal_smooth",
    "temporal_smooth_np",
]
