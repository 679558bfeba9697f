"""A scan's EXIF and XMP reach a coloured WebP, and a WebP's own reach its coloured copy."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.photometa import apply_meta, read_meta
from tests.conftest import gradient_rgb

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:title>Picnic</dc:title></x:xmpmeta>'


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E], exif[0x0132] = "Grandma, 1950", "1950:06:01 12:00:00"
    exif[0x0112] = orientation
    return exif


def _check(path: Path, size: tuple[int, int], alpha: bool = False) -> None:
    """The coloured WebP: decodable, upright, in colour, with the scan's EXIF and XMP."""
    out = Image.open(path)
    assert out.format == "WEBP" and out.size == size
    assert ("A" in out.mode) == alpha
    ex = out.getexif()
    assert ex[0x010E] == "Grandma, 1950" and ex[0x0132] == "1950:06:01 12:00:00"
    assert ex.get(0x0112, 1) == 1  # the pixels were turned upright
    assert b"Picnic" in (out.info.get("xmp") or b"")
    rgb = np.asarray(out.convert("RGB"), np.int16)
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() > 0  # coloured


def test_a_scans_exif_and_xmp_reach_a_coloured_webp(tmp_path, tiny_ckpt):
    src = tmp_path / "in"
    src.mkdir()
    gray = gradient_rgb(40, 60, seed=3)[..., 0]
    Image.fromarray(gray).save(src / "a.jpg", exif=_exif(6), xmp=XMP)  # stored on its side
    r = run("dir", src, "-o", tmp_path / "out", "--format", "webp", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    _check(tmp_path / "out" / "a.webp", (40, 60))


@pytest.mark.parametrize("quality", [90, 101])  # lossy (VP8), lossless (VP8L)
@pytest.mark.parametrize("alpha", [False, True])
def test_every_kind_of_webp_takes_the_metadata(tmp_path, quality, alpha):
    rgb = gradient_rgb(30, 50, seed=2)
    bgr = rgb[..., ::-1]
    if alpha:
        bgr = np.dstack([bgr, np.full(rgb.shape[:2], 180, np.uint8)])
    ok, buf = cv2.imencode(".webp", np.ascontiguousarray(bgr), [cv2.IMWRITE_WEBP_QUALITY, quality])
    assert ok
    src = tmp_path / "a.jpg"
    Image.fromarray(rgb).save(src, exif=_exif(3), xmp=XMP)
    (tmp_path / "a.webp").write_bytes(apply_meta(buf.tobytes(), "webp", read_meta(src)))
    out = Image.open(tmp_path / "a.webp")
    assert out.size == (50, 30) and ("A" in out.mode) == alpha
    assert out.getexif()[0x010E] == "Grandma, 1950" and out.getexif().get(0x0112) == 1
    assert b"Picnic" in out.info["xmp"]
    assert (
        np.abs(
            np.asarray(out.convert("RGB"), int) - cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
        ).max()
        == 0
    )


def test_a_webps_own_exif_and_xmp_stay_and_cross_to_png(tmp_path, tiny_ckpt):
    src = tmp_path / "in"
    src.mkdir()
    gray = gradient_rgb(40, 60, seed=4)[..., 0]
    Image.fromarray(gray).convert("RGB").save(src / "a.webp", exif=_exif(), xmp=XMP, quality=95)
    la = Image.merge("LA", [Image.fromarray(gray), Image.fromarray(np.full_like(gray, 200))])
    la.save(src / "b.png", exif=_exif())
    r = run("dir", src, "-o", tmp_path / "same", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    _check(tmp_path / "same" / "a.webp", (60, 40))
    r = run("dir", src, "-o", tmp_path / "png", "--format", "webp", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    out = Image.open(tmp_path / "png" / "b.webp")  # a scan with transparency: kept, with its EXIF
    assert "A" in out.mode and out.getexif()[0x010E] == "Grandma, 1950"
    r = run("image", src / "a.webp", tmp_path / "a.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert Image.open(tmp_path / "a.png").getexif()[0x010E] == "Grandma, 1950"


def test_an_animated_webp_keeps_its_exif(tmp_path, tiny_ckpt):
    frames = [
        Image.fromarray(np.roll(gradient_rgb(40, 60, seed=5)[..., 0], 6 * k, 1)) for k in range(3)
    ]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:],
                   duration=120, exif=_exif(), xmp=XMP, lossless=True)  # fmt: skip
    r = run("image", tmp_path / "anim.webp", tmp_path / "out.webp", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    out = Image.open(tmp_path / "out.webp")
    assert out.n_frames == 3
    _check(tmp_path / "out.webp", (60, 40))
