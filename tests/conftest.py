"""Fixtures: tiny random-weight checkpoints and tiny synthetic media of every supported kind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from colorcli.checkpoint import Checkpoint, save_checkpoint
from colorcli.kernels import ab_gamut_bins
from colorcli.models import GUIDANCE_PREFIXES, ModelConfig, build_model


@pytest.fixture(autouse=True)
def _normal_scheduling():
    """Each test leaves the suite's thread at normal priority: an encoder that made it
    real-time (SVT-AV1 does, as root) had every process the later tests start inherit it, and
    two of them spinning at that priority hung the suite (tests.heifmake puts it back)."""
    yield
    assert os.sched_getscheduler(0) == os.SCHED_OTHER, "a test left the thread real-time"


def make_checkpoint(
    path: Path,
    arch: str = "colorunet",
    head: str = "classification",
    seed: int = 0,
    sees: bool = False,
    **cfg,
) -> Path:
    """A tiny random-weight checkpoint; ``sees``: its colours follow what it sees (where it is,
    which way up), not mostly the one warm bin."""
    torch.manual_seed(seed)
    bins = ab_gamut_bins()
    mcfg = ModelConfig(num_bins=len(bins), head=head, width=cfg.pop("width", 4), **cfg)
    model = build_model(arch, mcfg)
    # random but non-trivial output: a strong bias towards one warm bin, so colour is visible
    if head == "classification" and sees:
        with torch.no_grad():
            model.head.bias.zero_()
            model.head.weight.mul_(4000.0)  # random features differ little
    elif head == "classification":
        with torch.no_grad():
            model.head.bias.zero_()
            model.head.bias[int(np.argmin(((bins - [20, 40]) ** 2).sum(1)))] = 6.0
            if mcfg.hints:  # guidance that counts from the start (a trained one would too)
                for name, p in model.named_parameters():
                    if name.startswith(GUIDANCE_PREFIXES):
                        p.normal_(0.0, 4.0)
    prior = np.full(len(bins), 1.0 / len(bins))
    ckpt = Checkpoint(
        arch=arch,
        model_config=mcfg.to_dict(),
        state_dict=model.state_dict(),
        ab_bins=bins,
        prior=prior,
        class_weights=np.ones(len(bins)),
        net_size=64,
    )
    return save_checkpoint(ckpt, path)


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", out_stride=2)


@pytest.fixture(scope="session")
def seeing_ckpt(tmp_path_factory) -> Path:
    """A tiny random-weight model whose colours follow the picture (``make_checkpoint``)."""
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "sees.pt", out_stride=2, sees=True)


@pytest.fixture(scope="session")
def hint_ckpt(tmp_path_factory) -> Path:
    """A tiny random-weight hint model whose guidance changes its colours."""
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "hints.pt", out_stride=2, hints=True)


def gradient_rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful test picture with some texture: (h, w, 3) uint8."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / max(w - 1, 1), y / max(h - 1, 1), 0.5 + 0.5 * np.sin((x + y) / 7.0)], -1)
    img = img * 200 + rng.integers(0, 40, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def media_tree(tmp_path) -> Path:
    """One file of every kind the archive command must handle, plus broken ones."""
    from PIL import Image

    root = tmp_path / "archive"
    (root / "nested" / "deeper").mkdir(parents=True)
    rgb = gradient_rgb(40, 56)
    Image.fromarray(rgb[..., 0]).save(root / "gray.png")
    Image.fromarray(rgb).save(root / "rgb.jpg", quality=95)
    Image.fromarray(rgb).convert("CMYK").save(root / "cmyk.jpg")
    Image.fromarray(rgb).convert("P").save(root / "palette.png")
    rgba = np.dstack([rgb, np.linspace(0, 255, 56, dtype=np.uint8)[None].repeat(40, 0)])
    Image.fromarray(rgba, "RGBA").save(root / "nested" / "alpha.png")
    Image.fromarray(rgb[..., 1].astype(np.uint16) * 257).save(root / "nested" / "gray16.png")
    import cv2

    cv2.imwrite(str(root / "nested" / "rgb16.tif"), (rgb.astype(np.uint16) * 257)[..., ::-1])
    Image.fromarray(rgb).save(root / "nested" / "deeper" / "pic.bmp")
    Image.fromarray(rgb).save(root / "nested" / "deeper" / "pic.webp", quality=90)
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    im.save(root / "rotated.jpg", exif=exif.tobytes(), quality=95)
    (root / "notes.txt").write_text("not an image, ignored")
    return root


@pytest.fixture
def broken_files(tmp_path) -> dict[str, Path]:
    d = tmp_path / "broken"
    d.mkdir()
    good = d / "good.png"
    from PIL import Image

    Image.fromarray(gradient_rgb(32, 32)).save(good)
    data = good.read_bytes()
    files = {
        "truncated": d / "truncated.png",
        "text": d / "text.jpg",
        "empty": d / "empty.png",
        "bomb": d / "bomb.png",
        "png header": d / "header.png",
        "cut header": d / "cut.bmp",
    }
    files["truncated"].write_bytes(data[:45])  # cut before its first whole row of pixels
    files["text"].write_text("this is not a jpeg")
    files["empty"].write_bytes(b"")
    # a PNG's signature, then a JPEG's bytes (a file mended by hand): no IHDR to read a size from
    files["cut header"].write_bytes(b"BM" + bytes(18))  # cut off 20 bytes into its header
    files["png header"].write_bytes(data[:8] + b"\xff\xd8\xff\xe0" + bytes(40))
    # a valid PNG signature and IHDR declaring 100000 x 100000 pixels, nothing else
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    files["bomb"].write_bytes(
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )
    files["good"] = good
    return files
