"""What a rerun after a crash costs: a film killed half way (SIGKILL) and rerun, against one
uninterrupted run of the same command, on this machine in one run.

    python bench/resume.py [--seconds 40] [--size 640x360] [--repeat 3]

Each repeat times an uninterrupted `colorize video` (whole command: start-up, planning, the
film, the join), then twice runs it again from nothing, kills it with SIGKILL (once when half
the uninterrupted run's time has passed, once when half the film's frames are in finished
segments), reruns it and times the rerun. Printed: the medians, their ratios to the
uninterrupted run, and whether every resumed film has the input's frame count and pts. A run's
fixed cost (Python, PyTorch, the model: about 3 s here) is in every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.video import make_source  # noqa: E402
from tests.media import read_clip  # noqa: E402


def colorize(src: Path, dst: Path, seconds: float | None) -> list[str]:
    cmd = [sys.executable, "-m", "colorcli", "video", str(src), str(dst), "-q", "--device", "cpu"]
    return cmd + (["--segment-seconds", str(seconds)] if seconds is not None else [])


def _finished_frames(dst: Path) -> int:
    """Frames in the finished segments of ``dst``'s work folder."""
    work = dst.with_name(f".{dst.name}.colorcli-work")
    total = 0
    for rec in work.glob("seg-*.json"):
        try:
            total += json.loads(rec.read_text())["frames"]
        except (OSError, ValueError, KeyError):
            continue
    return total


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--segment-seconds", type=float, default=None, help="[default: colorcli's]")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = make_source(tmp / "in.mp4", w, h, args.seconds)
        whole, rerun, ok = [], {"time": [], "frames": []}, []
        n_frames = len(read_clip(src)["pts"])
        for _ in range(args.repeat):
            dst = tmp / "out.mp4"
            for p in tmp.glob("*out.mp4*"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            full = timed(colorize(src, dst, args.segment_seconds))
            whole.append(full)
            dst.unlink()
            for kill in ("time", "frames"):
                p = subprocess.Popen(colorize(src, dst, args.segment_seconds))
                if kill == "time":  # at half the uninterrupted run's wall time
                    time.sleep(full / 2)
                else:  # once half the film's frames are in finished segments
                    while _finished_frames(dst) < n_frames / 2 and p.poll() is None:
                        time.sleep(0.05)
                p.send_signal(signal.SIGKILL)
                p.wait()
                kept = _finished_frames(dst)
                rerun[kill].append(timed(colorize(src, dst, args.segment_seconds)))
                a, b = read_clip(src), read_clip(dst)
                ok.append(len(a["pts"]) == len(b["pts"]) and a["pts"] == b["pts"])
                dst.unlink()
                print(
                    f"  {kill}: whole {full:.1f} s, killed with {kept} of {n_frames} frames in finished segments, rerun {rerun[kill][-1]:.1f} s",
                    flush=True,
                )
        t = statistics.median(whole)
        rt, rf = statistics.median(rerun["time"]), statistics.median(rerun["frames"])
        print(
            f"# {args.seconds:.0f} s {w}x{h} clip, shipped model on the CPU, segments {args.segment_seconds or 'default'}, {args.repeat} repeats, medians"
        )
        print(
            f"uninterrupted {t:.1f} s; killed at half that time, the rerun took {rt:.1f} s = {rt / t:.2f} of it; killed once half the frames were in finished segments, {rf:.1f} s = {rf / t:.2f}; every output had the input's frame count and pts: {all(ok)}"
        )


if __name__ == "__main__":
    main()
