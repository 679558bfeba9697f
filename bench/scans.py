"""Large scans: seconds per photo against the floor of reading and writing it, in one run.

    python bench/scans.py [--repeat 5] [--megapixels 12 --megapixels 24]

Each scan is one held-out-like picture (a sample photo, enlarged, fine grain added, made
gray) written as an 8-bit gray JPEG, an 8-bit RGB JPEG whose three channels are equal (how
many scanners save gray) and a 16-bit gray PNG. For each, in turns, --repeat rounds after a
warm-up: the floor (read_image + write_image of the same pixels, the same format) and the
whole job (read, ``Colorizer.colorize``, write). Quotes medians and their ratio, and the
colorize step alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402
from colorcli.imagewrite import write_image  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "aitzgorri_bw.jpg"


def make_scans(folder: Path, megapixels: float) -> list[Path]:
    """The three scans of one size (see the module's note)."""
    g = cv2.imread(str(SAMPLE), cv2.IMREAD_GRAYSCALE)
    k = np.sqrt(megapixels * 1e6 / g.size)
    big = cv2.resize(g, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big += np.random.default_rng(0).normal(0, 2.0, big.shape).astype(np.float32)
    tag = f"{megapixels:g}mp"
    gray8 = np.clip(big, 0, 255).astype(np.uint8)
    paths = [folder / f"{tag}_gray.jpg", folder / f"{tag}_rgb.jpg", folder / f"{tag}_gray16.png"]
    cv2.imwrite(str(paths[0]), gray8, [cv2.IMWRITE_JPEG_QUALITY, 92])
    cv2.imwrite(str(paths[1]), np.dstack([gray8] * 3), [cv2.IMWRITE_JPEG_QUALITY, 92])
    cv2.imwrite(str(paths[2]), np.clip(big * 257.0, 0, 65535).astype(np.uint16))
    return paths


def once(colorizer: Colorizer | None, src: Path, dst: Path) -> tuple[float, float]:
    """Seconds for the whole job (or the floor, colorizer None) and for colorize alone."""
    t0 = time.perf_counter()
    image = read_image(src)
    t1 = time.perf_counter()
    rgb = image.pixels if colorizer is None else colorizer.colorize(image.pixels)
    t2 = time.perf_counter()
    bits = 16 if rgb.dtype == np.uint16 else 8
    write_image(dst, rgb, bits=bits)
    return time.perf_counter() - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--megapixels", type=float, action="append", default=None)
    a = ap.parse_args()
    colorizer = Colorizer(None, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scans = [p for mp in a.megapixels or [12.0] for p in make_scans(folder, mp)]
        print(f"{'scan':<18}{'floor s':>9}{'job s':>9}{'ratio':>8}{'colorize s':>12}")
        for src in scans:
            dst = folder / f"out_{src.name}"
            once(None, src, dst), once(colorizer, src, dst)  # warm-up
            floor, job, step = [], [], []
            for _ in range(a.repeat):
                floor.append(once(None, src, dst)[0])
                t, s = once(colorizer, src, dst)
                job.append(t)
                step.append(s)
            f, j = statistics.median(floor), statistics.median(job)
            s = statistics.median(step)
            print(f"{src.name:<18}{f:>9.2f}{j:>9.2f}{j / f:>8.2f}{s:>12.2f}")


if __name__ == "__main__":
    main()
