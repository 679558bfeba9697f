"""Video pipeline benchmark, every figure measured in one run on this machine.

    python bench/fetch_media.py          # once: real footage for (e)
    python bench/video.py [--seconds 4] [--device cpu]

(a) pipeline frames/s / transcode-only floor (decode + the same libx264 settings, no model),
    with the shipped model, on a 480p and a 1080p clip; at the default keyframe interval
    (VideoOptions.keyframes_for: 4 on CPU, 1 on CUDA) and with every frame through the network
(b) the same with a trivial model (a 1x1 conv from L at 1/4 resolution): the pipeline's own
    overhead, annealed mean of Q logits per pixel included
(c) speed-up over the naive route: frames dumped to PNG, colorized one by one, re-encoded
(d) peak RSS of a whole run on a 10 s and a 60 s clip (separate processes)
(e) flicker (colorcli.metrics) with --smooth 0 and with the default, on real footage
(f) the segmented path (the default: segments of --segment-seconds 5, joined at the end) against
    one encode (--segment-seconds 0), each against the floor, on a 20 s clip: what resuming
    and --shard cost
Figures are medians of --repeat runs where timed, after an untimed warm-up run of each; a
ratio is the median over repeats of (pipeline / the floor timed in the same repeat).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does, before torch loads

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.events import VideoDone  # noqa: E402
from colorcli.options import VideoOptions  # noqa: E402
from colorcli.video import colorize_video, prepare_video  # noqa: E402
from tests.media import frame_picture  # noqa: E402

DEFAULT_SMOOTH = VideoOptions().smoothing

ENC = {"crf": "18", "preset": "medium"}


def make_source(path: Path, w: int, h: int, seconds: float, rate: int = 25) -> Path:
    """A gray clip with texture and motion (x264 ultrafast, so making it is quick)."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.codec_context.options = {"preset": "ultrafast", "crf": "16"}
        rng = np.random.default_rng(0)
        noise = rng.integers(-12, 12, (h, w), dtype=np.int16)
        for i in range(round(seconds * rate)):
            g = frame_picture(i, h, w, cut_at=round(seconds * rate * 0.6)).astype(
                np.int16
            ) + np.roll(noise, i, axis=1)
            g = np.clip(g, 0, 255).astype(np.uint8)
            f = av.VideoFrame.from_ndarray(np.repeat(g[..., None], 3, -1), "rgb24")
            f.pts = i
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    return path


def transcode_floor(src: Path, dst: Path) -> float:
    """Decode and re-encode with the pipeline's encoder settings; returns frames/s.

    Each decoded frame's picture type is cleared before it is encoded, as the ffmpeg command
    line does (``ffmpeg -i in.mp4 -c:v libx264 -crf 18 -preset medium out.mp4``): FFmpeg's
    libx264 wrapper obeys a frame's pict_type, so a frame left as decoded forces the source's
    frame types on the encoder (no B-frames, no frame-type decision, for this bench's all-P
    sources) and the floor would time a cheaper encode than the pipeline's, whose new frames
    leave the choice to x264."""
    t0 = time.perf_counter()
    n = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        v = out.add_stream("libx264", rate=vin.average_rate)
        v.width, v.height, v.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        v.time_base = v.codec_context.time_base = vin.time_base
        v.codec_context.options = dict(ENC)
        for frame in inp.decode(vin):
            frame.pict_type = av.video.frame.PictureType.NONE
            for p in v.encode(frame):
                out.mux(p)
            n += 1
        for p in v.encode():
            out.mux(p)
    return n / (time.perf_counter() - t0)


def pipeline(
    src: Path,
    dst: Path,
    colorizer,
    smooth: float = DEFAULT_SMOOTH,
    stats: bool = False,
    keyframes: int | None = None,
    segment_seconds: float = VideoOptions().segment_seconds,
) -> tuple[float, dict | None]:
    opts = VideoOptions(
        crf=int(ENC["crf"]),
        preset=ENC["preset"],
        smooth=smooth,
        stats=stats,
        keyframes=keyframes,
        segment_seconds=segment_seconds,
    )
    done = None
    for ev in colorize_video(prepare_video(src, dst, opts, overwrite=True), colorizer):
        if isinstance(ev, VideoDone):
            done = ev
    return done.frames / done.seconds, done.stats


def naive(src: Path, dst: Path, colorizer, work: Path) -> float:
    """What a script around a still-image colorizer does: PNGs in, PNGs out, re-encode."""
    t0 = time.perf_counter()
    frames_dir, out_dir = work / "frames", work / "colour"
    frames_dir.mkdir(exist_ok=True)
    out_dir.mkdir(exist_ok=True)
    with av.open(str(src)) as inp:
        vin = inp.streams.video[0]
        rate = vin.average_rate
        names = []
        for i, frame in enumerate(inp.decode(vin)):
            name = f"{i:06d}.png"
            cv2.imwrite(str(frames_dir / name), frame.to_ndarray(format="bgr24"))
            names.append(name)
    for name in names:
        bgr = cv2.imread(str(frames_dir / name))
        rgb = colorizer.colorize(np.ascontiguousarray(bgr[..., ::-1]))
        cv2.imwrite(str(out_dir / name), rgb[..., ::-1])
    with av.open(str(dst), "w") as out:
        first = cv2.imread(str(out_dir / names[0]))
        v = out.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        v.codec_context.options = dict(ENC)
        for i, name in enumerate(names):
            f = av.VideoFrame.from_ndarray(cv2.imread(str(out_dir / name)), "bgr24")
            f.pts = i
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    return len(names) / (time.perf_counter() - t0)


class Trivial(torch.nn.Module):
    """Stands in for a network: a 1x1 conv on the 4x-pooled input, so Q logits per pixel at
    1/4 of network resolution (the grid of the classic Zhang et al. network) for next to no
    compute: what is left is the pipeline's own work, annealed mean of those logits included."""

    input_multiple = 8
    output_stride = 4
    head_kind = "classification"
    encoder_prefixes = ()
    takes_hints = False

    def __init__(self, q: int) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(q) * 0.1)
        self.b = torch.nn.Parameter(torch.zeros(q))

    def forward(self, x):
        # a 1x1 convolution from one channel, written as a broadcast so the logits come out
        # channels-last like a real network's on the CPU (no layout copy before annealed mean)
        pooled = torch.nn.functional.avg_pool2d(x, 4).permute(0, 2, 3, 1)
        return torch.addcmul(self.b, pooled, self.w).permute(0, 3, 1, 2)


def trivial_colorizer(device: str, batch: int) -> Colorizer:
    from colorcli.checkpoint import load_checkpoint
    from colorcli.colorizer import resolve_device

    ckpt = load_checkpoint(None)
    m = Trivial(len(ckpt.ab_bins)).to(resolve_device(device))
    if m.w.device.type == "cpu":  # as Colorizer prepares every model on the CPU
        m = m.to(memory_format=torch.channels_last)
    return Colorizer(ckpt, batch_size=batch, model=m)


def peak_rss_mb() -> float:
    """Peak resident memory of this process image. On Linux, VmHWM of /proc/self/status:
    getrusage's ru_maxrss survives exec, so a child started from a large parent would report
    the parent's size (this bench's parent holds two models and several runs' worth)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_child(src: str, device: str) -> None:
    c = Colorizer(None, device=device, batch_size=4)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline(Path(src), Path(tmp) / "out.mp4", c)
    print(json.dumps({"maxrss_mb": peak_rss_mb()}))


def median(xs):
    return statistics.median(xs)


def segmented_vs_one_encode(tmp: Path, colorizer, repeat: int) -> None:
    """(f): the default segmented path against one encode, each against the floor timed in
    the same repeat (the two in turns first), on 20 s clips (four 5 s segments and a join)."""
    for label, (w, h) in {"480p": (854, 480), "1080p": (1920, 1080)}.items():
        src = make_source(tmp / f"seg-{label}.mp4", w, h, 20.0)
        default = VideoOptions().segment_seconds
        ratios: dict[float, list[float]] = {default: [], 0.0: []}
        for r in range(repeat):
            floor = transcode_floor(src, tmp / "floor.mp4")
            order = list(ratios) if r % 2 == 0 else list(ratios)[::-1]  # neither always first
            for seconds in order:
                fps = pipeline(src, tmp / "seg.mp4", colorizer, segment_seconds=seconds)[0]
                ratios[seconds].append(fps / floor)
        seg, one = median(ratios[default]), median(ratios[0.0])
        print(
            f"(f) {label} 20 s, shipped model: segmented {seg:.3f} x floor, one encode {one:.3f} x floor (difference {seg - one:+.3f})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the 480p/1080p clips")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--rss-size", default="640x360", help="WxH of the 10 s / 60 s RSS clips")
    ap.add_argument("--real", type=Path, default=Path(__file__).with_name("media") / "bikes.mp4")
    ap.add_argument("--skip", default="", help="comma list of a,b,c,d,e,f to skip")
    ap.add_argument("--model", type=Path, help="checkpoint in place of the shipped model")
    ap.add_argument(
        "--precision", default="auto", help="the shipped model's (colorize --precision)"
    )
    ap.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, args.device)
        return
    skip = set(args.skip.split(","))
    torch.set_num_threads(os.cpu_count() or 1)
    shipped = Colorizer(
        args.model, device=args.device, batch_size=args.batch_size, precision=args.precision
    )
    trivial = trivial_colorizer(args.device, args.batch_size)
    auto = VideoOptions().keyframes_for(shipped.device_type)
    print(
        f"# {os.cpu_count()} cpus, device {args.device}, torch {torch.__version__}, av {av.__version__}, libx264 crf {ENC['crf']} preset {ENC['preset']}, batch {args.batch_size}, precision {args.precision}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, (w, h) in {"480p": (854, 480), "1080p": (1920, 1080)}.items():
            print(rates(tmp, label, w, h, args, shipped, trivial, auto, skip), flush=True)
        if "d" not in skip:
            print(peak_rss(tmp, args), flush=True)
        if "f" not in skip:
            segmented_vs_one_encode(tmp, shipped, args.repeat)
        if "e" not in skip:
            print(flicker(tmp, args.real, shipped), flush=True)


def rates(tmp: Path, label: str, w: int, h: int, args, shipped, trivial, auto, skip) -> str:
    """Rows (a), (b), (c) at one size: frames/s and the ratio to the floor, medians."""
    src = make_source(tmp / f"{label}.mp4", w, h, args.seconds)
    # one untimed second first: thread pools, cached kernels and allocator warm up (about
    # 0.25 s once per process), which a film of any length pays once
    warm = make_source(tmp / f"{label}-warm.mp4", w, h, 1.0)
    transcode_floor(warm, tmp / "floor.mp4")
    for c in (shipped, trivial):
        for k in {1, auto}:
            pipeline(warm, tmp / "warm.mp4", c, keyframes=k)
    # each repeat times the floor and then every configuration right after it, and a ratio
    # is taken against that repeat's floor: the machine's drift between repeats (other
    # tenants, frequency) then cancels; medians over repeats are reported
    runs = {"a": [(shipped, None), (shipped, 1)], "b": [(trivial, None), (trivial, 1)]}
    todo = [(key, c, k) for key in "ab" if key not in skip for c, k in runs[key]]
    floors, fps_runs, ratio_runs = [], {}, {}
    for _ in range(args.repeat):
        f = transcode_floor(src, tmp / "floor.mp4")
        floors.append(f)
        for key, c, k in todo:
            v = pipeline(src, tmp / "ours.mp4", c, keyframes=k)[0]
            fps_runs.setdefault((key, k), []).append(v)
            ratio_runs.setdefault((key, k), []).append(v / f)
    line = f"{label}: floor {median(floors):.1f} frames/s"
    ks = f"keyframes {auto}"
    fig = {kk: (median(v), median(ratio_runs[kk])) for kk, v in fps_runs.items()}
    if "a" not in skip:
        (fps, r), (fps1, r1) = fig[("a", None)], fig[("a", 1)]
        line += f"\n  (a) shipped model, default ({ks}): {fps:.1f} frames/s = {r:.2f} x floor; every frame (keyframes 1): {fps1:.1f} frames/s = {r1:.2f} x floor"
    if "b" not in skip:
        (fps_t, r), (fps_t1, r1) = fig[("b", None)], fig[("b", 1)]
        line += f"\n  (b) trivial model, default ({ks}): {fps_t:.1f} frames/s = {r:.2f} x floor; every frame: {fps_t1:.1f} frames/s = {r1:.2f} x floor"
    if "c" not in skip and "a" not in skip:
        fps_n = naive(src, tmp / "naive.mp4", shipped, tmp)
        line += f"\n  (c) naive route {fps_n:.1f} frames/s: pipeline {fps / fps_n:.1f}x faster at the default, {fps1 / fps_n:.1f}x with every frame through the network"
    return line


def peak_rss(tmp: Path, args) -> str:
    """Row (d): the peak memory of a 10 s and a 60 s clip, each in a process of its own."""
    w, h = (int(x) for x in args.rss_size.split("x"))
    rss = {}
    for secs in (10, 60):
        src = make_source(tmp / f"rss{secs}.mp4", w, h, secs)
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(src), "--device", args.device],
            capture_output=True,
            text=True,
            check=True,
        )
        rss[secs] = json.loads(out.stdout.strip().splitlines()[-1])["maxrss_mb"]
    return f"(d) peak RSS {w}x{h}: 10 s clip {rss[10]:.0f} MB, 60 s clip {rss[60]:.0f} MB, ratio {rss[60] / rss[10]:.3f}"


def flicker(tmp: Path, real: Path, shipped) -> str:
    """Row (e): flicker with and without temporal smoothing, on real footage where fetched."""
    src = real if real.exists() else make_source(tmp / "flicker.mp4", 640, 272, 10)
    what = (
        real.name
        if real.exists()
        else "synthetic 640x272 (run bench/fetch_media.py for real footage)"
    )
    _, s0 = pipeline(src, tmp / "s0.mp4", shipped, smooth=0.0, stats=True)
    _, s1 = pipeline(src, tmp / "s1.mp4", shipped, smooth=DEFAULT_SMOOTH, stats=True)
    return f"(e) flicker on {what}: --smooth 0 {s0['flicker']:.3f}, --smooth {DEFAULT_SMOOTH} {s1['flicker']:.3f} ({100 * (1 - s1['flicker'] / s0['flicker']):.0f}% lower); CDC {s0['cdc']:.4f} -> {s1['cdc']:.4f}; scene cuts {s1['scene_cuts']}"


if __name__ == "__main__":
    main()
