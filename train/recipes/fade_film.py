"""A real colour clip given a fade out and back in (to white, through gray or to black, in
linear light, colours and all), made gray and coloured by ``colorize video`` with the veils
taken off for the network (``colorcli.veil``) and without: the mean PSNR of the output's
colours on the true lightness over the fade's frames and over the whole clip, the fade's mean
chroma against the truth's, and flicker.

    python train/recipes/fade_film.py runs/clips/bikes.mp4 [white|gray|black ...] [--grain S]

--grain S: the gray film gets grain (Gaussian, S 8-bit levels, fixed seed) as film has.
--strip OUT.jpg: the first fade's truth, before and now, six of its frames a row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

from colorcli.kernels import rgb_to_lab

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from train.recipes.refs_eval import (  # noqa: E402
    colorize_after,
    colours_scored,
    flicker,
    frames_of,
    write_gray,
)

VEILS = {"white": 1.0, "gray": 0.2, "black": 0.0}  # the light a fade goes to (linear)
BLANK = 6  # frames of blank between the fade out and the fade in


def _linear(rgb: np.ndarray) -> np.ndarray:
    v = rgb.astype(np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _srgb(lin: np.ndarray) -> np.ndarray:
    v = np.clip(lin, 0.0, 1.0)
    v = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.round(v * 255).astype(np.uint8)


def with_fades(
    frames: list[np.ndarray], to: float
) -> tuple[list[np.ndarray], list[int], list[int]]:
    """The clip with a fifth from 30% on faded out toward ``to`` and the next fifth faded in
    from it, a blank between: (frames, the fading frames, the blank ones)."""
    n = len(frames)
    a, k = (3 * n) // 10, max(8, n // 5)
    out = list(frames[:a])
    for i in range(k):  # out: the picture's share falls from k/(k+1) to 1/(k+1)
        g = 1 - (i + 1) / (k + 1)
        out.append(_srgb(g * _linear(frames[a + i]) + (1 - g) * to))
    out += [_srgb(np.full(frames[0].shape, to))] * BLANK
    for i in range(k):
        g = (i + 1) / (k + 1)
        out.append(_srgb(g * _linear(frames[a + k + i]) + (1 - g) * to))
    out += list(frames[a + 2 * k :])
    fading = list(range(a, a + k)) + list(range(a + k + BLANK, a + 2 * k + BLANK))
    return out, fading, list(range(a + k, a + k + BLANK))


def _chroma(rgb: np.ndarray) -> float:
    lab = rgb_to_lab(rgb)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def grainy(path: Path, rate, sigma: float) -> None:
    """The gray film at ``path`` rewritten with grain of ``sigma`` 8-bit levels."""
    grays = [f[..., 0] for f in frames_of(path)]
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        s = out.add_stream("ffv1", rate=rate)
        s.width, s.height, s.pix_fmt = grays[0].shape[1], grays[0].shape[0], "gray"
        for g in grays:
            g = np.clip(g + rng.normal(0, sigma, g.shape), 0, 255).astype(np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(g, format="gray")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def write_strip(path: Path, rows: list[list[np.ndarray]], fade: list[int]) -> None:
    """Six frames spread over the fade, 240 pixels wide, one row per film given."""
    picks = [fade[round(i * (len(fade) - 1) / 5)] for i in range(6)]
    h, w = rows[0][0].shape[:2]
    size = (240, max(1, round(h * 240 / w)))
    lines = [
        np.hstack([cv2.resize(r[i], size, interpolation=cv2.INTER_AREA) for i in picks])
        for r in rows
    ]
    cv2.imwrite(
        str(path), cv2.cvtColor(np.vstack(lines), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip", type=Path)
    ap.add_argument("kinds", nargs="*", help="white, gray, black (default: all)")
    ap.add_argument("--grain", type=float, default=0.0)
    ap.add_argument("--strip", type=Path, help="write the first fade's frames: truth, before, now")
    a = ap.parse_args()
    if unknown := set(a.kinds) - set(VEILS):
        ap.error(f"no fade {sorted(unknown)}: {', '.join(VEILS)}")
    clip = a.clip
    frames = frames_of(clip)
    with av.open(str(clip)) as src:
        rate = src.streams.video[0].average_rate
    for kind in a.kinds or list(VEILS):
        truth, fade, blanks = with_fades(frames, VEILS[kind])
        scored = [i for i in range(len(truth)) if i not in blanks]
        with tempfile.TemporaryDirectory() as tmp:
            gray = Path(tmp) / "gray.mkv"
            write_gray(truth, rate, gray)
            if a.grain:
                grainy(gray, rate, a.grain)
            row, rows = [], [truth]
            for veils in (False, True):
                switch = f"from colorcli.film import FilmColourer; FilmColourer.veils = {veils}"
                outs = colorize_after(switch, gray, Path(tmp) / f"{veils}.mkv")
                scores = colours_scored(truth, outs)
                rows.append(outs)
                in_fade = [scores[i] for i in fade]
                whole = [scores[i] for i in scored]
                chroma = np.mean([_chroma(outs[i]) for i in fade])
                row.append(
                    f"veils {veils}: fade {np.mean(in_fade):.2f} dB (chroma {chroma:.1f}), "
                    f"all {np.mean(whole):.2f} dB, flicker {flicker(outs):.3f}"
                )
            if a.strip is not None:
                write_strip(a.strip, rows, fade)
                a.strip = None
            grain = f" grain {a.grain:g}" if a.grain else ""
            truth_chroma = np.mean([_chroma(truth[i]) for i in fade])
            print(
                f"{clip.name}{grain} {kind:<5} truth chroma {truth_chroma:.1f} | "
                + " | ".join(row),
                flush=True,
            )


if __name__ == "__main__":
    main()
