"""The CUDA inference path against the CPU path, on one machine that has both (a lent GPU).

    python bench/cuda_parity.py [--model CKPT] [--json OUT.json]

(1) the on-device annealed mean (torch, any float dtype) against the numba kernel, on random
    logits at three temperatures; (2) the shipped model's photos in half precision on CUDA
    against float32 on the CPU, the seven samples, unguided, with 10 hints and with a reference
    photo (PSNR of the CUDA picture against the CPU one, and the mean Lab ab difference);
    (3) the out-of-memory back-off: 16 full-HD frames in one call under a shrinking cap on the
    GPU's memory (torch.cuda.set_per_process_memory_fraction), each result against the
    uncapped one, the batch size it ended at, or the error a user sees; (4) photos per second
    on both devices; (5) where the GPU's time goes on photos of many sizes (1.7 photos/s
    against 26 on the CPU cores, 2026-12-04): the samples again at sizes already seen, at
    new sizes with cuDNN off, and the top operators of one new size under the profiler.
    Prints one JSON document (and writes it with --json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import lightness  # noqa: E402
from colorcli.device import annealed_mean_torch  # noqa: E402
from colorcli.errors import DeviceError  # noqa: E402
from colorcli.guide import guide_from_points  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402
from colorcli.kernels import annealed_mean, rgb_to_lab  # noqa: E402
from colorcli.quality import psnr  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def ab_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean Euclidean Lab ab distance between two RGB8 pictures."""
    la, lb = rgb_to_lab(a), rgb_to_lab(b)
    return float(np.mean(np.linalg.norm(la[..., 1:] - lb[..., 1:], axis=-1)))


def annealed_parity() -> dict:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (2, 261, 40, 56)).astype(np.float32)
    bins = rng.uniform(-100, 100, (261, 2)).astype(np.float32)
    out = {}
    for t in (0.0, 0.38, 0.7):
        ref = annealed_mean(
            np.ascontiguousarray(logits.transpose(0, 2, 3, 1)).reshape(-1, 261), bins, t
        ).reshape(2, 40, 56, 2)
        for dt in (torch.float32, torch.float16):
            x = torch.from_numpy(logits).cuda().to(dt)
            got = annealed_mean_torch(x, torch.from_numpy(bins).cuda(), t).cpu().numpy()
            out[f"T={t} {str(dt).split('.')[-1]}"] = float(np.abs(got - ref).max())
    return out


def photo_parity(model: str | None) -> dict:
    paths = sorted(SAMPLES.glob("*.jpg"))
    images = [read_image(p).pixels for p in paths]
    ref = read_image(Path(__file__).resolve().parents[1] / "train/recipes/hints_sheet.jpg").pixels
    res: dict = {}
    outs = {}
    for dev in ("cpu", "cuda"):
        c = Colorizer(model, device=dev, batch_size=4)
        c.colorize_batch(images[:1])  # warm-up
        res[f"{dev} photos/s"], plain = _photos_per_s(c, images)
        hinted = []
        for im in images:
            h, w = im.shape[:2]
            pts = [
                (w * (i + 1) // 11, h * ((i * 7) % 10 + 1) // 11, (40, 90, 200)) for i in range(10)
            ]
            hinted.append(c.colorize(im, guide_from_points(pts, lightness(im))))
        refd = [c.colorize_like(im, ref) for im in images[:3]]
        outs[dev] = (plain, hinted, refd)
    for k, name in enumerate(("plain", "10 hints", "reference")):
        pairs = list(zip(outs["cpu"][k], outs["cuda"][k], strict=True))
        res[name] = {
            "min PSNR cuda vs cpu": round(min(psnr(a, b) for a, b in pairs), 2),
            "max mean ab diff": round(max(ab_diff(a, b) for a, b in pairs), 3),
        }
    return res


def _photos_per_s(c: Colorizer, images: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """How many of ``images`` a second ``c`` colours in one call, and the pictures."""

    def sync() -> None:
        if c.device.type == "cuda":
            torch.cuda.synchronize()

    sync()
    t = time.perf_counter()
    out = c.colorize_batch(images)
    sync()
    return round(len(images) / (time.perf_counter() - t), 2), out


def _net_s(c: Colorizer, images: list[np.ndarray]) -> float:
    """Seconds the network (with the on-device annealed mean) takes for ``images``' inputs."""
    l_nets = [c.l_net(lightness(im)) for im in images]
    torch.cuda.synchronize()
    t = time.perf_counter()
    c.predict_ab(l_nets)
    torch.cuda.synchronize()
    return round(time.perf_counter() - t, 3)


def shape_cost(model: str | None) -> dict:
    """Is the GPU's cost on photos a setup per network input size? The samples at sizes the
    colorizer has seen, then at sizes it has not (cropped to other shapes; a photo's scale
    alone does not change the network's input): whole photos per second as colorcli runs them
    (cuDNN only for a size that recurs: colorcli.netrun.CUDNN_FROM) and with cuDNN at once,
    one size again and again as a film's frames; then the network's seconds alone, cuDNN
    asked at once, on and off and in float32; and the operators that took the time on one
    new size."""
    images = [read_image(p).pixels for p in sorted(SAMPLES.glob("*.jpg"))]
    crops = iter(np.linspace(0.95, 0.5, 14))

    def cropped() -> list[np.ndarray]:  # another shape each time: a new network input size
        f = next(crops)
        return [np.ascontiguousarray(im[:, : max(8, int(im.shape[1] * f))]) for im in images]

    c = Colorizer(model, device="cuda", batch_size=4)
    res = {"photos": len(images), "new sizes": _photos_per_s(c, images)[0]}
    res["sizes seen"] = _photos_per_s(c, images)[0]
    # each twice on new sizes: a first pass also loads the kernels its engine uses
    res["other new sizes"] = [_photos_per_s(c, cropped())[0] for _ in range(2)]
    c._gate_cudnn = False  # cuDNN from a shape's first batch, as before colorcli.netrun.CUDNN_FROM
    res["other new sizes, cuDNN at once"] = [_photos_per_s(c, cropped())[0] for _ in range(2)]
    c._gate_cudnn = True
    film = [images[0]] * 48  # one size again and again, in batches of 4: a film's frames
    res["one size x 48, photos/s, first pass"] = _photos_per_s(c, film)[0]
    res["one size x 48, photos/s, again"] = _photos_per_s(c, film)[0]
    c._gate_cudnn = False  # below: the engines themselves, cuDNN asked at once
    res["network s, new sizes"] = _net_s(c, cropped())
    same = cropped()
    _net_s(c, same)
    res["network s, sizes seen"] = _net_s(c, same)
    torch.backends.cudnn.enabled = False
    try:
        res["network s, new sizes, cuDNN off"] = _net_s(c, cropped())
        res["photos/s, new sizes, cuDNN off"] = _photos_per_s(c, cropped())[0]
    finally:
        torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = True
    res["network s, new sizes, cuDNN benchmark"] = _net_s(c, cropped())
    torch.backends.cudnn.benchmark = False
    c.model.float()
    c.half = False
    res["network s, new sizes, float32"] = _net_s(c, cropped())
    c.model.half()
    c.half = True
    from torch.profiler import ProfilerActivity, profile

    one = cropped()[:1]
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        c.colorize_batch(one)
        torch.cuda.synchronize()
    for key in ("self_cpu_time_total", "self_device_time_total", "self_cuda_time_total"):
        try:  # torch names the GPU's column device or cuda, by version
            table = prof.key_averages().table(sort_by=key, row_limit=12)
        except Exception as e:
            table = f"{type(e).__name__}: {e}"
        res[f"one new size, top operators by {key}"] = table.splitlines()
    return res


def oom_backoff(model: str | None) -> list[dict]:
    frame = (np.random.default_rng(1).random((1080, 1920)) * 255).astype(np.uint8)
    frame = cv2.GaussianBlur(frame, (0, 0), 3)
    frames = [frame] * 16
    c = Colorizer(model, device="cuda", batch_size=16)
    l_nets = [c.l_net(frame.astype(np.float32) * (100 / 255))] * 16
    want = c.predict_ab(l_nets)
    total = torch.cuda.get_device_properties(0).total_memory
    rows = []
    for cap_mb in (4096, 512, 128, 48, 16):
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(cap_mb * 2**20 / total)
        c.batch_size = 16
        row: dict = {"cap MiB": cap_mb}
        try:
            got = c.predict_ab(l_nets)
            row["batch after"] = c.batch_size
            row["max ab diff vs uncapped"] = float(
                max(np.abs(g - w).max() for g, w in zip(got, want, strict=True))
            )
            c.batch_size = 16
            row["colorize_batch ok"] = len(c.colorize_batch(frames)) == 16
        except DeviceError as e:
            row["DeviceError"] = str(e)
        except Exception as e:  # what would reach a user as "unexpected"
            row["other error"] = f"{type(e).__name__}: {str(e)[:300]}"
        rows.append(row)
    torch.cuda.set_per_process_memory_fraction(1.0)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", help="run one section: annealed, photos, oom or sizes")
    a = ap.parse_args()
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    sections = {
        "annealed": ("annealed mean max abs diff", annealed_parity),
        "photos": ("photos", lambda: photo_parity(a.model)),
        "oom": ("out-of-memory back-off", lambda: oom_backoff(a.model)),
        "sizes": ("photo sizes", lambda: shape_cost(a.model)),
    }
    for key, (name, fn) in sections.items():
        if a.only and key != a.only:
            continue
        try:
            report[name] = fn()
        except Exception as e:  # report and go on: one failure should not hide the others
            import traceback

            report[name] = {
                "FAILED": f"{type(e).__name__}: {e}",
                "tb": traceback.format_exc()[-2000:],
            }
        print(name, json.dumps(report[name], indent=1), flush=True)
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
