"""Fit a checkpoint's decode (annealed-mean temperature, prior correction) on validation photos
(issue 16: honest confidence).

    python train/recipes/calibrate.py MODEL VAL_DIR [--out CKPT] [--min-colour 0.8] [--resize 512]
        [--corrections 0,0.1,...] [--flip] [--size N]

A higher temperature moves each pixel's colour toward the mean of its predicted distribution, so
where the model is unsure (a broad distribution) the colour is muted, where it is sure it stays
vivid. The prior correction divides the predicted distribution by a power of the rebalancing
weights: a network trained with weighted cross-entropy predicts rare, saturated colours more
often than they are (``Checkpoint.prior_correction``). For each pair of a grid the network runs
once per photo (its logits are kept) and the decode is redone: the rule is the pair of the
highest mean PSNR among those whose colourfulness is at least ``--min-colour`` of the truth's.
With ``--out`` the checkpoint is written again with that pair as its default decode (what
colouring uses unless told). With ``--flip`` the photo decode is fitted instead: each photo's
logits averaged with the mirrored photo's, as photos (not films' frames) are then coloured;
with ``--size`` too, at that network size, which the photo decode then keeps (photos without
hints are coloured at it).
Choose on validation photos only; a test set scored here is no longer a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from colorcli.checkpoint import decode_shift, load_checkpoint, save_checkpoint
from colorcli.colorizer import Colorizer
from colorcli.compose import compose_rgb, lightness
from colorcli.kernels import annealed_mean
from colorcli.quality import colorfulness, psnr
from colorcli.train.evaluate import _load_rgb8, eval_paths

TEMPERATURES = (0.1, 0.2, 0.3, 0.38, 0.45, 0.5, 0.6, 0.7, 0.85, 1.0)
CORRECTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def logits_of(c: Colorizer, truth: np.ndarray, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the photo's L*, the network's (h, w, Q) logits for it; with ``flip``, averaged with
    those of the mirrored photo, mirrored back, as photos are decoded with a photo decode
    that flips): the colorizer's own forward passes (``colorcli.netrun``)."""
    l_full = lightness(truth)
    l_net = c.l_net(l_full)
    x = c._batch([l_net])
    out = c._forward(x)
    if flip:
        out = (out + c._mirrored(x, None, None)) / 2
    h, w = c._out_hw(l_net)
    return l_full, out[0, :, :h, :w].permute(1, 2, 0).contiguous().numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("val", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--min-colour", type=float, default=0.8)
    ap.add_argument("--resize", type=int, default=512)
    ap.add_argument("--size", type=int, help="network size (short side) to fit at")
    ap.add_argument(
        "--flip",
        action="store_true",
        help="fit the photo decode, the mirrored photo's logits averaged in (films keep theirs)",
    )
    ap.add_argument(
        "--corrections",
        type=lambda v: tuple(float(x) for x in v.split(",")),
        default=CORRECTIONS,
        help="prior corrections to try (0 alone: the temperature only, as before)",
    )
    a = ap.parse_args()
    ckpt = load_checkpoint(a.model)
    c = Colorizer(ckpt, device="cpu", size=a.size)
    if c.model.head_kind != "classification" or c.space != "lab":
        raise SystemExit("calibrate.py fits the temperature of a Lab classification model")
    photos = []
    for p in eval_paths(a.val):
        truth = _load_rgb8(p, a.resize)
        if colorfulness(truth) >= 15.0:
            photos.append((truth, *logits_of(c, truth, a.flip)))
    truth_c = float(np.mean([colorfulness(t) for t, _, _ in photos]))
    rows = []
    for k in a.corrections:
        shift = decode_shift(ckpt, k)
        for t in TEMPERATURES:
            ps, cs = [], []
            for truth, l_full, lg in photos:
                x = lg.reshape(-1, lg.shape[-1])
                x = np.ascontiguousarray(x if shift is None else x + shift)
                ab = annealed_mean(x, c.ab_bins, t).reshape(*lg.shape[:2], 2)
                out = compose_rgb(l_full, ab)
                ps.append(psnr(out, truth))
                cs.append(colorfulness(out))
            rows.append(
                {
                    "prior_correction": k,
                    "temperature": t,
                    "psnr": float(np.mean(ps)),
                    "colour": np.mean(cs) / truth_c,
                }
            )
            print(
                f"correction {k:.2f} T {t:.2f}: PSNR {rows[-1]['psnr']:.2f} dB, "
                f"colourfulness {rows[-1]['colour']:.0%}"
            )
    ok = [r for r in rows if r["colour"] >= a.min_colour] or rows
    best = max(ok, key=lambda r: r["psnr"])
    print(json.dumps({"photos": len(photos), "chosen": best}))
    if a.out:
        if a.flip:
            decode = {k: best[k] for k in ("temperature", "prior_correction")}
            if a.size:  # photos without hints at the size it was fitted at
                decode["size"] = a.size
            fitted = dataclasses.replace(ckpt, photo_decode={"flip": True, **decode})
        else:
            fitted = dataclasses.replace(
                ckpt, temperature=best["temperature"], prior_correction=best["prior_correction"]
            )
        save_checkpoint(fitted, a.out, half=True)
        print(
            f"wrote {a.out} ({'photo decode, mirrored: ' if a.flip else ''}temperature "
            f"{best['temperature']}, prior correction {best['prior_correction']})"
        )


if __name__ == "__main__":
    main()
