"""A copy of gather_wide.py's photos small enough to travel to a lent GPU machine with the repo
(the device tool carries 64 MiB in all, the working tree included).

    python train/recipes/compact_data.py runs/wide-data runs/wide-data-c

Training photos are scaled to a short side of at most 768 (the recipes crop at up to 4x a load
size of 256, so little detail above 768 is used) and stored as JPEG quality 85: 690 photos,
37 MB. The validation photos are copied as they are, so their figures compare with earlier ones.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2

SIDE, QUALITY = 768, 85


def compact(src: Path, dst: Path) -> int:
    shutil.rmtree(dst, ignore_errors=True)
    n = 0
    for p in sorted((src / "train").rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        a = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if a is None:
            sys.exit(f"{p}: unreadable")
        h, w = a.shape[:2]
        if min(h, w) > SIDE:
            f = SIDE / min(h, w)
            a = cv2.resize(a, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        out = dst / p.relative_to(src).with_suffix(".jpg")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            sys.exit(f"{out}: two photos of one name")
        cv2.imwrite(str(out), a, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        n += 1
    shutil.copytree(src / "val", dst / "val")
    return n


if __name__ == "__main__":
    print(compact(Path(sys.argv[1]), Path(sys.argv[2])), "training photos")
