"""A real colour clip made gray, as it is, faded and washed toward gray, coloured by
``colorize video`` with the network's levels lift (``colorcli.levels``) and without it: the
mean PSNR of the output's colours on the true lightness, and flicker.

    python train/recipes/faded_film.py runs/clips/bikes.mp4 [as-is|faded|washed ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from colorcli.compose import lightness
from colorcli.kernels import compose_rgb8

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from train.recipes.refs_eval import colorize_after, colours_scored, flicker, frames_of  # noqa: E402

FADES = {
    "as-is": lambda g: g,
    "faded": lambda g: 255 - (255 - g) * 0.55,
    "washed": lambda g: 128 + (g - 128) * 0.45,
}


def made_gray(truth: list[np.ndarray], rate, fade, path: Path) -> None:
    with av.open(str(path), "w") as dst:
        v = dst.add_stream("ffv1", rate=rate)
        v.width, v.height, v.pix_fmt = truth[0].shape[1], truth[0].shape[0], "yuv444p"
        for t in truth:
            g = compose_rgb8(lightness(t), np.zeros(t.shape[:2] + (2,), np.float32))
            g = np.clip(fade(g.astype(np.float32)), 0, 255).astype(np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(g, "rgb24").reformat(format="yuv444p")):
                dst.mux(p)
        for p in v.encode():
            dst.mux(p)


def main() -> None:
    clip = Path(sys.argv[1])
    truth = frames_of(clip)
    with av.open(str(clip)) as src:
        rate = src.streams.video[0].average_rate
    with tempfile.TemporaryDirectory() as tmp:
        for kind in sys.argv[2:] or list(FADES):
            gray = Path(tmp) / f"{kind}.mkv"
            made_gray(truth, rate, FADES[kind], gray)
            row = []
            for lift in (False, True):
                switch = f"from colorcli.netrun import NetRunMixin; NetRunMixin.lift = {lift}"
                outs = colorize_after(switch, gray, Path(tmp) / f"{kind}_{lift}.mkv")
                p = np.mean(colours_scored(truth, outs))
                row.append(f"lift {lift}: {p:.2f} dB flicker {flicker(outs):.3f}")
            print(clip.name, f"{kind:<7}", "  ".join(row), flush=True)


if __name__ == "__main__":
    main()
