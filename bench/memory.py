"""What a long film costs in memory: `colorize video`'s peak resident memory on a film, against
the same command on a film four times as long, on this machine in one run.

    python bench/memory.py [--seconds 16] [--size 640x272] [--segment 1] [--route both]

Each film is coloured in segments of ``--segment`` seconds (so the long one has four times as
many) and, with ``--route both``, again as one encode (``--segment-seconds 0``). Printed per
route: the peak of each (VmHWM, read from /proc every 0.2 s while it runs) and the growth per
extra segment (or per extra minute of film). A run whose memory grows with the film cannot
finish a two-hour film: until this bench was written, each finished segment kept its
encoder, 28 MiB a segment at 640x272 (1,440 segments of 5 s in two hours). Linux only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.video import make_source  # noqa: E402


def peak_rss_mb(cmd: list[str]) -> float:
    """The peak resident memory (MiB) of ``cmd`` while it runs, from /proc's high-water mark."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.2)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.wait() != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=16.0, help="the short film's length")
    ap.add_argument("--size", default="640x272")
    ap.add_argument("--segment", type=float, default=1.0, help="segment length (s)")
    ap.add_argument("--route", choices=["segments", "both"], default="both")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        films = {}
        for k in (1, 4):
            films[k] = make_source(Path(tmp) / f"film{k}.mp4", w, h, args.seconds * k)
        routes = {"segments": str(args.segment)}
        if args.route == "both":
            routes["one encode"] = "0"
        for name, seg in routes.items():
            peaks = {}
            for k, src in films.items():
                dst = Path(tmp) / f"out{k}_{seg}.mkv"
                cmd = [sys.executable, "-m", "colorcli", "video", str(src), str(dst), "-q"]
                cmd += ["--device", "cpu", "--segment-seconds", seg]
                peaks[k] = peak_rss_mb(cmd)
            extra = 3 * args.seconds
            per = (
                f"{(peaks[4] - peaks[1]) / (extra / args.segment):+.1f} MiB a segment"
                if seg != "0"
                else f"{(peaks[4] - peaks[1]) / (extra / 60):+.1f} MiB a minute of film"
            )
            print(
                f"{name}: {args.seconds:.0f} s film {peaks[1]:.0f} MiB, "
                f"{4 * args.seconds:.0f} s film {peaks[4]:.0f} MiB "
                f"(x{peaks[4] / peaks[1]:.2f}; {per})"
            )


if __name__ == "__main__":
    main()
