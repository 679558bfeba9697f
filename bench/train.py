"""Training throughput and data-loading share, measured in one run.

    python bench/train.py [--data DIR] [--steps 40] [--batch-size 16] [--crop 128] [--device cpu]

Prints the median training images/s after a warm-up and the share of step time spent waiting
for the next batch (time blocked on the prefetch queue / step time; under 20% means the loader
keeps up with the model).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.events import Step  # noqa: E402
from colorcli.train.config import TrainConfig  # noqa: E402
from colorcli.train.loop import run_training  # noqa: E402
from tests.test_train import _write_colour_images  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="photo folder [default: 40 synthetic 384x512 images]",
    )
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "photos"
            _write_colour_images(data, 40, size=(384, 512))
        cfg = TrainConfig(
            data=str(data),
            out=str(Path(tmp) / "run"),
            width=args.width,
            out_stride=2,
            steps=args.steps,
            batch_size=args.batch_size,
            crop=args.crop,
            load_size=args.crop + args.crop // 4,
            warmup=5,
            save_every=10**9,
            val_every=10**9,
            min_colorfulness=0.0,
            workers=args.workers,
            device=args.device,
        )
        steps = [e for e in run_training(cfg) if isinstance(e, Step)][args.warmup :]
    ips = statistics.median(e.images_per_s for e in steps)
    wait = float(np.mean([e.data_wait for e in steps]))
    print(
        f"# colorunet width {args.width}, batch {args.batch_size} x {args.crop}px crops, {args.workers} loader threads, device {args.device}, {len(steps)} timed steps"
    )
    print(f"training: {ips:.1f} images/s (median), data wait {100 * wait:.1f}% of step time (mean)")


if __name__ == "__main__":
    main()
