"""Scanned negatives (``--negative``, ``colorcli/negative.py``): how close the print comes to
the photo the negative was made of, and what the colours score.

    python bench/negative.py [--data runs/wide-data/val] [--model M.pt] [--short 512]
                             [--film CLIP.mp4] [--sheet OUT.jpg]

Each held-out photo (colourfulness 15 and up) made gray, photographed on simulated film
(``tests/filmneg.py``: an S-shaped curve, not the straight line the print assumes) and scanned,
in five ways. For each: the mean L* distance of the picture the network is shown from the
photo's own lightness (the scan as it is, a plain inversion of its code values, the print)
and the PSNR of the coloured result against the photo (the scan coloured as it is, the plain
inversion coloured, ``--negative``, and the photo's own gray coloured: the best a print could
give). Medians of the time to print one scan.

``--film``: a colour clip made gray and filmed as negatives (x264, CRF 12), coloured as it is
and by ``colorize video --negative``, against its gray film coloured: mean PSNR against the
clip and the time of each run (one run each, model loading included). Then both guided by
``--refs``, the true colour of the first frame of each scene (found on the gray film) as the
stills: PSNR over the frames that are not stills, as ``train/recipes/refs_eval.py`` scores.

``--sheet``: the samples chelsea (a black-and-white negative) and aitzgorri (a colour one, its
orange mask) as scanned | inverted and coloured | coloured with ``--negative``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import lightness  # noqa: E402
from colorcli.imagewrite import eight_bit  # noqa: E402
from colorcli.negative import positive  # noqa: E402
from colorcli.quality import colorfulness, psnr  # noqa: E402
from colorcli.train.evaluate import _load_rgb8, eval_paths  # noqa: E402
from tests.filmneg import negative_scan, write_film  # noqa: E402

KINDS = {
    "black-and-white": {},
    "1 stop under, grain": {"exposure": 0.5, "grain": 0.03},
    "1 stop over, 16-bit": {"exposure": 2.0, "bits": 16},
    "colour (orange mask)": {"mask": (0.2, 0.5, 0.8)},
    "in a black holder": {"holder": -1},  # 3% of the short side
}


def _inverted(scan: np.ndarray) -> np.ndarray:
    """The scan's code values turned over (what a plain "invert" does)."""
    return (np.iinfo(scan.dtype).max - scan).astype(scan.dtype)


def one_kind(plain: Colorizer, negative: Colorizer, photos: list, how: dict) -> list[float]:
    """The row of one kind of scan: L* distances (as is, inverted, print), PSNR (as is,
    inverted, --negative, the photo's gray) and the time to print, in ms."""
    rows, spent = [], []
    for k, im in enumerate(photos):
        gray = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)
        kw = dict(how, seed=k)
        if kw.get("holder") == -1:
            kw["holder"] = max(1, round(0.03 * min(gray.shape)))
        scan = negative_scan(gray, **kw)
        t = time.perf_counter()
        printed = positive(scan)
        spent.append(1000 * (time.perf_counter() - t))
        inner = (slice(kw.get("holder") or None, -kw.get("holder", 0) or None),) * 2
        truth = lightness(gray)[inner]
        shown = (scan, _inverted(scan), printed)
        dists = [float(np.abs(lightness(p)[inner] - truth).mean()) for p in shown]
        outs = (
            plain.colorize(scan),
            plain.colorize(_inverted(scan)),
            negative.colorize(scan),
            plain.colorize(gray),
        )
        rows.append(dists + [psnr(eight_bit(o)[inner], im[inner]) for o in outs])
    return [*np.mean(rows, axis=0), float(np.median(spent))]


def film(clip: Path, model: str | None) -> None:
    """The clip filmed as negatives and coloured with --negative, beside its gray film;
    then both guided by the true colour of each scene's first frame (--refs)."""
    import tempfile

    import av

    from colorcli.scenestarts import scene_starts
    from tests.media import shown_frames

    with av.open(str(clip)) as c:
        rate = c.streams.video[0].average_rate
    truth = shown_frames(clip)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in truth]
    with tempfile.TemporaryDirectory() as tmp:
        negatives = [negative_scan(g, seed=k) for k, g in enumerate(gray)]
        refs = Path(tmp) / "refs"
        refs.mkdir()
        write_film(Path(tmp) / "in.mp4", gray, rate)
        net_hw = Colorizer(model, device="cpu").net_shape(*gray[0].shape)
        starts = scene_starts(Path(tmp) / "in.mp4", float(rate), net_hw)[0]
        for k in starts:
            cv2.imwrite(str(refs / f"{k}.png"), truth[k][..., ::-1])
        guided = ["--refs", str(refs)]
        runs = {"gray film": (gray, []), "negative film as it is": (negatives, []),
                "negative film, --negative": (negatives, ["--negative"]),
                "gray film, --refs": (gray, guided),
                "negative film, --negative --refs": (negatives, ["--negative", *guided])}  # fmt: skip
        print(f"{clip.name}: {len(truth)} frames, stills at {starts}")
        for name, (frames, flags) in runs.items():
            out, spent = _coloured(Path(tmp), frames, rate, model, flags)
            scored = [k for k in range(len(truth)) if not flags or k not in starts]
            score = np.mean([psnr(out[k], truth[k]) for k in scored])
            print(f"{clip.name}, {name:<34}{score:>7.2f} dB {spent:>7.1f} s")


def _coloured(tmp: Path, frames: list, rate, model: str | None, flags: list[str]) -> tuple:
    """``frames`` written as a film and coloured by ``colorize video`` with ``flags``: the
    output's frames and the run's time (model loading included)."""
    import subprocess

    from tests.media import shown_frames

    src, dst = tmp / "in.mp4", tmp / "out.mp4"
    write_film(src, frames, rate)
    cmd = [sys.executable, "-m", "colorcli", "video", str(src), str(dst), "-q", "--overwrite"]
    cmd += ["--model", model] if model else []
    t = time.perf_counter()
    subprocess.run([*cmd, *flags], check=True)
    return shown_frames(dst), time.perf_counter() - t


def sheet(out: Path, model: str | None) -> None:
    """Two samples filmed as negatives: as scanned | inverted, coloured | --negative."""
    plain = Colorizer(model, device="cpu")
    negative = Colorizer(model, device="cpu", negative=True)
    root = Path(__file__).resolve().parents[1] / "samples"
    rows = []
    for name, how in (("chelsea_bw.jpg", {}), ("aitzgorri_bw.jpg", {"mask": (0.2, 0.5, 0.8)})):
        gray = cv2.imread(str(root / name), cv2.IMREAD_GRAYSCALE)
        scan = negative_scan(gray, **how)
        scan_rgb = np.dstack([scan] * 3) if scan.ndim == 2 else scan
        row = [scan_rgb, plain.colorize(_inverted(scan_rgb)), negative.colorize(scan)]
        height = 240
        rows.append(np.hstack([cv2.resize(r, (round(r.shape[1] * height / r.shape[0]), height),
                                          interpolation=cv2.INTER_AREA) for r in row]))  # fmt: skip
    width = min(r.shape[1] for r in rows)
    picture = np.vstack([r[:, :width] for r in rows])
    cv2.imwrite(str(out), picture[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"{out}: {picture.shape[1]}x{picture.shape[0]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("runs/wide-data/val"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--short", type=int, default=512)
    ap.add_argument("--film", type=Path, default=None)
    ap.add_argument("--sheet", type=Path, default=None)
    a = ap.parse_args()
    if a.sheet is not None:
        sheet(a.sheet, a.model)
        return
    if a.film is not None:
        film(a.film, a.model)
        return
    plain = Colorizer(a.model, device="cpu")
    negative = Colorizer(a.model, device="cpu", negative=True)
    photos = [_load_rgb8(p, a.short) for p in eval_paths(a.data)]
    photos = [im for im in photos if colorfulness(im) >= 15]
    print(f"{len(photos)} photos from {a.data}, short side {a.short}")
    print(f"{'':<22}{'L* distance':^24}{'PSNR of the colours (dB)':^44}")
    head = ("as is", "invert", "print", "as is", "invert", "--negative", "photo", "ms")
    print(f"{'scan':<22}" + "".join(f"{h:>8}" for h in head[:3]) + "".join(
        f"{h:>11}" for h in head[3:]))  # fmt: skip
    for name, how in KINDS.items():
        r = one_kind(plain, negative, photos, how)
        cells = "".join(f"{v:>8.1f}" for v in r[:3]) + "".join(f"{v:>11.2f}" for v in r[3:7])
        print(f"{name:<22}{cells}{r[7]:>11.0f}")


if __name__ == "__main__":
    main()
