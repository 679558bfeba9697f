"""Margins around a photo (``colorcli/borders.py``): does the photo inside them colour as it
does alone, and do they stay neutral?

    python bench/margins.py [--data runs/wide-data/val] [--model M.pt] [--sheet OUT.jpg]

Part 1: each held-out photo (colourfulness 15 and up, short side at most 384) put inside a
white print border (1/14 of its long side, gray 238 with scanner noise), black bars above and
below (1/4 of its height each, gray 12) and black bars beside it (1/4 of its width each):
how many colour exactly as alone, the mean ab change of the photo's pixels against alone,
the margins' mean chroma and the photo's PSNR against the truth.
Part 2: the aitzgorri sample (600 pixels high) as a print with a 40-pixel white border
(gray 236), scanned askew at 0 to 3 degrees on a black bed (gray 20), on a white bed (240),
and cropped inside its border: the mean and 99th-percentile chroma of what lies more than 2
pixels outside the photo.
For the figures before the margins were looked for, run it with the colorizer of 46f7e7d:
`git show 46f7e7d:colorcli/colorizer.py > colorcli/colorizer.py` (and put it back after).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import lightness  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402
from colorcli.kernels import compose_rgb8, rgb_to_lab  # noqa: E402
from colorcli.quality import colorfulness, psnr  # noqa: E402
from colorcli.train.evaluate import _load_rgb8, eval_paths  # noqa: E402


def chroma(rgb: np.ndarray) -> np.ndarray:
    return np.hypot(*rgb_to_lab(rgb)[..., 1:].transpose(2, 0, 1))


def gray(rgb: np.ndarray) -> np.ndarray:
    lum = lightness(rgb)
    return compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))


def framed(im: np.ndarray, kind: str, rng: np.random.Generator):
    """The photo inside margins of ``kind``, and where it lies (y0, y1, x0, x1)."""
    h, w = im.shape[:2]
    if kind == "black bars above and below":
        b, level, noise, pad = h // 4, 12, 3, ((h // 4,) * 2, (0, 0))
    elif kind == "black bars beside":
        b, level, noise, pad = w // 4, 12, 3, ((0, 0), (w // 4,) * 2)
    else:
        b, level, noise = max(h, w) // 14, 238, 2
        pad = ((b, b), (b, b))
    out = np.full((h + sum(pad[0]), w + sum(pad[1])), float(level))
    out = np.repeat((out + rng.normal(0, noise, out.shape))[..., None], 3, -1)
    out = np.clip(out, 0, 255).astype(np.uint8)
    y0, x0 = pad[0][0], pad[1][0]
    out[y0 : y0 + h, x0 : x0 + w] = im
    return out, (y0, y0 + h, x0, x0 + w)


def part_one(c: Colorizer, data: Path) -> None:
    photos = [im for im in (_load_rgb8(p, 384) for p in eval_paths(data)) if colorfulness(im) >= 15]
    rng = np.random.default_rng(0)
    kinds = ("white print border", "black bars above and below", "black bars beside")
    print(f"{len(photos)} photos of {data}, short side at most 384")
    print(f"{'margins':<28}{'as alone':>10}{'|d ab|':>8}{'chroma':>8}{'PSNR':>8}")
    for kind in kinds:
        same, moved, tint, scores = 0, [], [], []
        for im in photos:
            alone = c.colorize(gray(im))
            img, (y0, y1, x0, x1) = framed(im, kind, rng)
            out = c.colorize(gray(img))
            inside = out[y0:y1, x0:x1]
            d = np.abs(rgb_to_lab(inside)[..., 1:] - rgb_to_lab(alone)[..., 1:]).sum(-1).mean()
            margin = np.ones(img.shape[:2], bool)
            margin[y0:y1, x0:x1] = False
            same += int(d < 0.01)
            moved.append(d)
            tint.append(chroma(out)[margin].mean())
            scores.append(psnr(inside, im))
        print(
            f"{kind:<28}{same:>6} / {len(photos):<3}{np.mean(moved):>6.2f}"
            f"{np.mean(tint):>8.2f}{np.mean(scores):>8.2f}"
        )


def askew(im: np.ndarray, degrees: float, bed: int, inside: bool, rng: np.random.Generator):
    h, w = im.shape[:2]
    sheet = np.full((h + 160, w + 160, 3), bed, np.uint8)
    sheet[40:-40, 40:-40] = 236
    sheet[80:-80, 80:-80] = im
    where = np.zeros(sheet.shape[:2], np.uint8)
    where[80:-80, 80:-80] = 1
    turn = cv2.getRotationMatrix2D((sheet.shape[1] / 2, sheet.shape[0] / 2), degrees, 1.0)
    size = (sheet.shape[1], sheet.shape[0])
    scan = cv2.warpAffine(sheet, turn, size, borderValue=(bed, bed, bed))
    where = cv2.warpAffine(where, turn, size, flags=cv2.INTER_NEAREST)
    if inside:  # cropped 25 pixels inside the print's edge
        scan, where = scan[65:-65, 65:-65], where[65:-65, 65:-65]
    scan = np.clip(scan + rng.normal(0, 1.5, scan.shape[:2])[..., None], 0, 255)
    return scan.astype(np.uint8), where.astype(bool)


def part_two(c: Colorizer) -> None:
    root = Path(__file__).resolve().parents[1]
    im = read_image(root / "samples" / "aitzgorri_bw.jpg").rgb
    im = cv2.resize(im, (im.shape[1] * 600 // im.shape[0], 600), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    print("aitzgorri as a print scanned askew: chroma outside the photo, mean / 99th pct")
    for name, bed, inside in (
        ("black bed", 20, False),
        ("white bed", 240, False),
        ("cropped inside", 236, True),
    ):
        cells = []
        for degrees in (0, 0.5, 1, 2, 3):
            scan, where = askew(im, degrees, bed, inside, rng)
            ring = cv2.dilate(where.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
            ch = chroma(c.colorize(scan))[ring]
            cells.append(f"{degrees:>3} deg {ch.mean():5.2f} / {np.percentile(ch, 99):5.2f}")
        print(f"  {name:<15}" + "  ".join(cells))


def sheet(c: Colorizer, path: Path) -> None:
    """The scan (aitzgorri as a print askew by 2 degrees on a black bed), coloured with
    --colour-margins and as by default, side by side, written to ``path``."""
    root = Path(__file__).resolve().parents[1]
    im = read_image(root / "samples" / "aitzgorri_bw.jpg").rgb
    im = cv2.resize(im, (im.shape[1] * 600 // im.shape[0], 600), interpolation=cv2.INTER_AREA)
    scan, _ = askew(im, 2.0, 20, False, np.random.default_rng(0))
    whole = Colorizer(c.ckpt, device="cpu", margins=False).colorize(scan)
    row = np.hstack([scan, np.full((scan.shape[0], 8, 3), 255, np.uint8), whole])
    row = np.hstack([row, np.full((scan.shape[0], 8, 3), 255, np.uint8), c.colorize(scan)])
    small = cv2.resize(row, (row.shape[1] // 2, row.shape[0] // 2), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("runs/wide-data/val"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--sheet", type=Path, default=None, help="also write the picture here")
    a = ap.parse_args()
    c = Colorizer(a.model, device="cpu")
    if a.sheet is not None:
        sheet(c, a.sheet)
    if a.data.is_dir():
        part_one(c, a.data)
    else:
        print(f"{a.data}: not there (train/recipes/gather_wide.py makes it); part 1 left out")
    part_two(c)


if __name__ == "__main__":
    main()
