"""Uncompressed rasters cut short (BMP as old Windows scanners saved, Netpbm as scanning
tools on Unix write): coloured as far as their rows go, the rest left gray and said."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from tests import procs


def _photo(h: int = 120, w: int = 90) -> np.ndarray:
    """A gray photo with detail everywhere (a flat gray row would read as missing)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w]
    return np.clip(60 + x + y * 0.5 + rng.normal(0, 6, (h, w)), 0, 255).astype(np.uint8)


def _chroma(a: np.ndarray) -> np.ndarray:
    return np.hypot(*np.moveaxis(rgb_to_lab(a)[..., 1:], -1, 0))


@pytest.mark.parametrize(
    "name,mode,missing",
    [
        ("gray.bmp", "L", "top"),  # 8 bits with a gray palette, stored bottom row first
        ("rgb.bmp", "RGB", "top"),
        ("scan.pgm", "L", "bottom"),  # binary Netpbm, top row first
        ("scan.ppm", "RGB", "bottom"),
    ],
)
def test_a_raster_cut_short_keeps_its_rows(tmp_path, tiny_ckpt, name, mode, missing):
    root = tmp_path / "in"
    root.mkdir()
    gray = _photo()
    Image.fromarray(gray).convert(mode).save(root / name)
    data = (root / name).read_bytes()
    (root / name).write_bytes(data[: len(data) * 6 // 10])  # 40% of the rows lost
    out = tmp_path / "out"
    r = procs.run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.returncode == 0, r.stderr
    fmt = "bmp" if name.endswith(".bmp") else "pnm"
    assert (
        f"{root / name}: truncated {fmt} data" in r.stderr
        and "% of the picture is missing" in r.stderr
    )
    got = read_image(out / (name if fmt == "bmp" else name[:-4] + ".png")).pixels
    assert got.shape[:2] == gray.shape
    c = _chroma(got)
    lost, kept = (c[:40], c[-40:]) if missing == "top" else (c[-40:], c[:40])
    assert lost.max() < 2.0 and kept.mean() > 3.0  # gray where the file ends, coloured elsewhere
    lum = rgb_to_lab(got)[..., 0]
    want = rgb_to_lab(np.repeat(gray[..., None], 3, 2))[..., 0]
    rows = slice(-40, None) if missing == "top" else slice(0, 40)
    assert np.abs(lum[rows] - want[rows]).mean() < 1.5  # the rows it holds are its own


def test_a_raster_without_one_whole_row_is_still_refused(tmp_path, tiny_ckpt):
    Image.fromarray(_photo()).save(tmp_path / "a.bmp")
    data = (tmp_path / "a.bmp").read_bytes()
    (tmp_path / "a.bmp").write_bytes(data[:80])  # the header and part of one row
    r = procs.run("image", tmp_path / "a.bmp", tmp_path / "o.png", "--model", tiny_ckpt)
    assert r.returncode == 1 and "damaged or truncated bmp data" in r.stderr
