"""Numba kernels against their numpy twins, measured in one run on one machine.

    python bench/kernels.py [--repeat 9] [--pixels 65536]

Prints, per kernel, the median time of each and the ratio numpy/numba (higher is better) on a
256x256 image: logits (65536, Q) for the annealed mean, ab (65536, 2) for soft-encoding and the
histogram, (65536, 3) for the Lab conversions. Q is our 261 gamut bins, and 313 (the classic
count, with 52 extra random centres) to match the literature's size. All numba timings are taken
before any numpy one, so BLAS worker threads left spinning by numpy's matmul do not steal the
second core from numba.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numba as nb
import numpy as np

from colorcli import kernels as K


def median_time(fn, args, repeat: int) -> float:
    fn(*args)  # compile / warm caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--pixels", type=int, default=256 * 256)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = args.pixels
    bins261 = K.ab_gamut_bins()
    extra = rng.uniform(-100, 100, (313 - len(bins261), 2)).astype(np.float32)
    bins313 = np.concatenate([bins261, extra])
    ab = rng.uniform(-80, 80, (n, 2)).astype(np.float32)
    rgb_u8 = rng.integers(0, 256, (n, 3), dtype=np.uint8)
    lab = K.rgb_to_lab(rng.random((n, 3), dtype=np.float32))
    cases = []
    for bins in (bins261, bins313):
        q = len(bins)
        logits = (rng.standard_normal((n, q)) * 3).astype(np.float32)
        cases += [
            (f"annealed_mean  Q={q}", K.annealed_mean, K.annealed_mean_np, (logits, bins, 0.38)),
            (f"soft_encode    Q={q}", K.soft_encode, K.soft_encode_np, (ab, bins, 5, 5.0)),
            (f"ab_histogram   Q={q}", K.ab_histogram, K.ab_histogram_np, (ab, bins)),
        ]
    lum = lab[:, 0].copy()
    ab_pred = (rng.standard_normal((n, 2)) * 15).astype(np.float32)
    # a picture 256 wide, its ab at a fifth of the rows (as a scan's network output is)
    h = n // 256
    y = np.clip((np.arange(h) + 0.5) * (h // 5) / h - 0.5, 0, h // 5 - 1)
    lo = np.floor(y).astype(np.intp)
    rows = (
        lum[: h * 256].reshape(h, 256),
        ab_pred[: h // 5 * 256].reshape(h // 5, 256, 2),
        lo,
        np.minimum(lo + 1, h // 5 - 1),
        (y - lo).astype(np.float32),
    )
    cases += [
        ("rgb_to_lab     uint8", K.rgb_to_lab, K.rgb_to_lab_np, (rgb_u8,)),
        ("rgb_to_l       uint8", K.rgb_to_l, K.rgb_to_l_np, (rgb_u8,)),
        ("lab_to_rgb     float32", K.lab_to_rgb, K.lab_to_rgb_np, (lab,)),
        ("compose_rgb8   L+ab", K.compose_rgb8, K.compose_rgb8_np, (lum, ab_pred)),
        ("lab_to_ycbcr   L+ab", K.lab_to_ycbcr, K.lab_to_ycbcr_np, (lum, ab_pred)),
        ("compose_rows_rgb8", K.compose_rows_rgb8, K.compose_rows_rgb8_np, rows),
        ("compose_rows_rgb16", K.compose_rows_rgb16, K.compose_rows_rgb16_np, rows),
        ("lab_distance   uint8", K.lab_distance, K.lab_distance_np, (rgb_u8, lab[0])),
        (
            "add_half_res   luma",
            K.add_half_res,
            K.add_half_res_np,
            (
                np.ascontiguousarray(rgb_u8[:, 0]).reshape(-1, 256)[: n // 256 // 2 * 2],
                ab_pred[: n // 4, 0].reshape(-1, 128)[: n // 256 // 2],
            ),
        ),
        (
            "temporal_smooth",
            K.temporal_smooth,
            K.temporal_smooth_np,
            (ab_pred, lum, ab_pred[::-1].copy(), lum[::-1].copy(), 0.7),
        ),
    ]
    fast = {name: median_time(f, a, args.repeat) for name, f, _, a in cases}
    slow = {name: median_time(f, a, args.repeat) for name, _, f, a in cases}
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"numba {nb.__version__} ({nb.get_num_threads()} threads), numpy {np.__version__}, "
        f"{n} pixels, median of {args.repeat}"
    )
    print(f"{'kernel':<24}{'numba ms':>10}{'numpy ms':>10}{'numpy/numba':>13}")
    for name, *_ in cases:
        print(
            f"{name:<24}{fast[name] * 1e3:>10.2f}{slow[name] * 1e3:>10.2f}{slow[name] / fast[name]:>12.1f}x"
        )


if __name__ == "__main__":
    main()
