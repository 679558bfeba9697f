"""Films of many formats through `colorize video` into every container, checked as a user would.

    python bench/film_matrix.py [--model CKPT] [--out DIR] [--into mp4,mkv,mov,webm,avi]

One gray photo (a sample) becomes a short film in each of a set of formats that archives hold
(4:2:0 and 4:2:2 H.264, ProRes 10-bit tagged BT.709, MJPEG at full range, RGB H.264, FFV1
16-bit gray, HEVC 10-bit BT.2020 PQ, VP9 with alpha, MPEG-2 in TS, 59.94 fps, an odd size, AC-3
5.1 and other sound), and each is coloured into each container. For every pair it prints:
frames and their times against the input's (same count, within 1 ms after the first frame),
the size, the sound tracks (and their channels), and the mean |L*| difference between the
input's first frame and the output's, each decoded with its own matrix, range and curve
tags, as a player shows them. A figure well above the codec's own loss (about 0.5 on these)
means the output's pixels and its tags disagree. Exit status 1 if any pair fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MATRIX = {1: "ITU709", 5: "ITU601", 6: "SMPTE170M", 9: "BT2020"}
# name: (container, codec, pix_fmt, (colorspace, range) or None, rate, sound (codec, layout))
FILMS = {
    "h264.mp4": ("mp4", "libx264", "yuv420p", (1, 1), 25, ("aac", "stereo")),
    "h264_422.mkv": ("matroska", "libx264", "yuv422p", (6, 1), 25, ("flac", "stereo")),
    "prores.mov": ("mov", "prores_ks", "yuv422p10le", (1, 1), 24, ("pcm_s24le", "stereo")),
    "mjpeg.avi": ("avi", "mjpeg", "yuvj422p", (5, 2), 25, ("pcm_s16le", "mono")),
    "rgb.mkv": ("matroska", "libx264rgb", "rgb24", None, 25, None),
    "ffv1_gray16.mkv": ("matroska", "ffv1", "gray16le", None, 24, None),
    "hevc_pq.mkv": ("matroska", "libx265", "yuv420p10le", (9, 1), 25, ("ac3", "5.1")),
    "vp9_alpha.webm": ("webm", "libvpx-vp9", "yuva420p", (1, 1), 30, ("libopus", "stereo")),
    "mpeg2.ts": ("mpegts", "mpeg2video", "yuv420p", (6, 1), 25, ("mp2", "stereo")),
    "ntsc.mp4": ("mp4", "libx264", "yuv420p", (6, 1), Fraction(60000, 1001), ("aac", "stereo")),
    "odd.mkv": ("matroska", "libx264", "yuv444p", (6, 1), 25, None),
}


def gray_picture(w: int, h: int) -> np.ndarray:
    img = cv2.imread(str(ROOT / "samples" / "aitzgorri_bw.jpg"), cv2.IMREAD_GRAYSCALE)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def make_film(path: Path, spec, n: int = 12) -> None:
    fmt, codec, pix, tags, rate, sound = spec
    w, h = (161, 91) if path.stem == "odd" else (160, 96)
    g = gray_picture(w, h)
    with av.open(str(path), "w", format=fmt) as out:
        v = out.add_stream(codec, rate=rate)
        v.width, v.height, v.pix_fmt = w, h, pix
        if codec == "libx265":
            v.codec_context.options = {"x265-params": "log-level=error"}
            v.codec_context.color_primaries, v.codec_context.color_trc = 9, 16
        kw = {}
        if tags is not None:
            v.codec_context.colorspace, v.codec_context.color_range = tags
            kw = {
                "dst_colorspace": MATRIX[tags[0]],
                "dst_color_range": "JPEG" if tags[1] == 2 else "MPEG",
            }
        a = None
        if sound is not None:
            a = out.add_stream(sound[0], rate=48000)
            a.layout = sound[1]
        for i in range(n):
            rgb = np.repeat(np.roll(g, 2 * i, axis=1)[..., None], 3, axis=2)
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix, **kw)
            f.pts = i
            out.mux(v.encode(f))
        out.mux(v.encode())
        if a is not None:
            _sound(out, a, sound[1], float(n / Fraction(rate)))


def _sound(out, a, layout: str, seconds: float) -> None:
    n = len(av.AudioLayout(layout).channels)
    size = a.codec_context.frame_size or 1024
    fmt = a.codec_context.format.name if a.codec_context.format else "fltp"
    total, t = int(48000 * seconds), 0
    while t + size <= total:
        x = np.sin(np.arange(t, t + size) / 20.0)[None, :].repeat(n, 0) * 0.2
        x = (x * 32767).astype(np.int16) if fmt.startswith("s16") else x.astype(np.float32)
        if fmt.startswith("s32"):
            x = (x * 2**31).astype(np.int32)
        if not av.AudioFormat(fmt).is_planar:
            x = x.T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format=fmt, layout=layout)
        frame.sample_rate, frame.pts = 48000, t
        out.mux(a.encode(frame))
        t += size
    out.mux(a.encode())


def shown(path: Path):
    """(times, size, sound tracks, L* of the first frame as shown)."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times, first = [], None
        for f in c.decode(v):
            times.append(float(f.time or 0.0))
            if first is None:
                first = _as_shown(f)
        sound = [
            (s.codec_context.name, len(s.codec_context.layout.channels)) for s in c.streams.audio
        ]
        size = (v.codec_context.width, v.codec_context.height)
    lab = cv2.cvtColor(first.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    return times, size, sound, lab[..., 0]


def _as_shown(f: av.VideoFrame) -> np.ndarray:
    name = f.format.name
    if name.startswith(("gbr", "rgb", "bgr", "gray")):
        return f.to_ndarray(format="rgb24")
    space = MATRIX.get(int(f.colorspace), "ITU709" if f.height >= 720 else "ITU601")
    full = int(f.color_range) == 2 or name.startswith("yuvj")
    return f.reformat(
        format="rgb24", src_colorspace=space, src_color_range="JPEG" if full else "MPEG"
    ).to_ndarray()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--into", default="mp4,mkv,mov,webm,avi")
    args = ap.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="film_matrix_"))
    work.mkdir(parents=True, exist_ok=True)
    model = ["--model", args.model] if args.model else []
    bad = 0
    print(
        f"{'input':18s} {'into':5s} {'frames':>6s} {'times':>5s} {'size':>4s} {'sound':22s} {'|dL*|':>6s}  notice"
    )
    for name, spec in FILMS.items():
        src = work / name
        make_film(src, spec)
        t0, s0, a0, l0 = shown(src)
        for ext in args.into.split(","):
            dst = work / f"{src.stem}.to.{ext}"
            cmd = [
                "colorize",
                "video",
                str(src),
                str(dst),
                "-q",
                "--overwrite",
                "--size",
                "64",
                *model,
            ]
            r = subprocess.run(cmd, capture_output=True, text=True)
            said = r.stderr.strip().replace("\n", " | ")
            if r.returncode != 0:
                bad += 1
                print(f"{name:18s} {ext:5s} FAILED: {said[:200]}")
                continue
            t1, s1, a1, l1 = shown(dst)
            same_t = (
                len(t0) == len(t1)
                and max(abs((a - t0[0]) - (b - t1[0])) for a, b in zip(t0, t1, strict=True)) < 1e-3
            )
            dl = float(np.abs(l1 - l0).mean())
            ok = len(t0) == len(t1) and same_t and s0 == s1 and len(a1) >= len(a0) and dl < 1.5
            bad += not ok
            sound = ",".join(f"{c}/{k}" for c, k in a1) or "-"
            print(
                f"{name:18s} {ext:5s} {len(t1):3d}/{len(t0):<3d}{'ok' if same_t else 'OFF':>5s} "
                f"{'ok' if s0 == s1 else 'OFF':>4s} {sound:22s} {dl:6.2f}{'' if ok else '  <-'}  {said[:90]}"
            )
    print(f"{bad} failing pairs; films in {work}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
