"""GIMP's own files (.xcf): the picture a restorer saved, its visible layers blended as GIMP's
normal mode does, read and coloured like any photo; damaged ones refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.errors import MediaError
from colorcli.imageio import read_image
from colorcli.photometa import read_meta
from tests import profiles
from tests.xcfmake import Layer, write_xcf

DATA = Path(__file__).parent / "data"

H, W = 100, 150  # two tile columns and rows, the last ones partial


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _photo() -> np.ndarray:
    y, x = np.mgrid[:H, :W]
    a = np.dstack([(x + y) % 256, (2 * x) % 256, (3 * y) % 256]).astype(np.uint8)
    a[10:40, 10:60] = 77  # runs, coded as such
    return a


@pytest.mark.parametrize("version,compression", [(3, 1), (11, 1), (11, 2), (0, 0)])
def test_a_single_layer_reads_as_it_was_saved(tmp_path, version, compression):
    """RLE (GIMP's default), zlib, or none; 32-bit pointers before version 11, 64 after."""
    a = _photo()
    img = read_image(write_xcf(tmp_path / "a.xcf", W, H, [Layer(a)], version, compression))
    assert img.pixels.dtype == np.uint8 and np.array_equal(img.pixels, a)
    assert img.alpha is None


def test_a_16_bit_gray_scan_stays_16_bit(tmp_path):
    y, x = np.mgrid[:H, :W]
    g = ((x * 400 + y * 7) % 65536).astype(np.uint16)[..., None]
    img = read_image(write_xcf(tmp_path / "g.xcf", W, H, [Layer(g)], 12))
    assert img.pixels.dtype == np.uint16 and np.array_equal(img.pixels, g[..., 0])


def _srgb(v):
    """sRGB-encoded values (0-255) from linear light in [0, 1]."""
    return 255 * np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)


def _light(v):
    """Linear light in [0, 1] from sRGB-encoded values (0-255)."""
    v = np.asarray(v, float) / 255
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def test_layers_are_blended_as_gimp_shows_them(tmp_path):
    """Offsets, opacity, a layer mask, a hidden layer; transparency where no layer covers.
    GIMP 2.10's normal mode blends in linear light (a half-opaque layer came out 20 levels
    darker than GIMP shows it); a legacy-mode layer, or one set to the perceptual space,
    on the stored values."""
    base, patch = _photo(), np.full((30, 40, 4), 200, np.uint8)
    patch[..., 3] = 255
    mask = np.zeros((30, 40), np.uint8)
    mask[:, :20] = 255
    hidden = Layer(np.zeros((H, W, 4), np.uint8) + 255, visible=False)
    layers = [
        hidden,
        Layer(patch, x=20, y=10, opacity=128, mask=mask, space=-1),
        Layer(patch, x=80, y=10, opacity=128, mode=0),  # legacy
        Layer(patch, x=80, y=50, opacity=128, space=2),  # set to perceptual
        Layer(base),
    ]
    img = read_image(write_xcf(tmp_path / "l.xcf", W, H, layers, 11, 2))
    want, k = base.astype(float), 128 / 255
    want[10:40, 20:40] = _srgb(k * _light(200) + (1 - k) * _light(base[10:40, 20:40]))
    for y, x in ((10, 80), (50, 80)):
        want[y : y + 30, x : x + 40] = 200 * k + base[y : y + 30, x : x + 40] * (1 - k)
    assert np.abs(img.pixels - want).max() <= 0.6 and img.alpha is None
    img = read_image(write_xcf(tmp_path / "t.xcf", W, H, [Layer(patch, x=5, y=5)]))
    assert img.alpha is not None and (img.alpha == 255).sum() == 30 * 40
    assert img.alpha.max() == 255 and img.alpha.min() == 0


def test_a_file_gimp_wrote_reads_as_gimp_shows_it():
    """tests/data/gimp_layers.xcf, saved by GIMP 2.10.34 (Debian 12), beside GIMP's own
    flattening of it: a half-opaque layer, a masked one, a legacy-mode one, one composited
    in the perceptual space, a group holding a hidden group (see tests/data/SOURCES.md)."""
    xcf = read_image(DATA / "gimp_layers.xcf")
    gimp = read_image(DATA / "gimp_layers.png")
    assert xcf.pixels.shape == gimp.pixels.shape
    assert np.abs(xcf.pixels.astype(int) - gimp.pixels.astype(int)).max() <= 1


def test_gimp_files_go_through_an_archive_and_damaged_ones_are_one_line(tmp_path, tiny_ckpt):
    """colorize dir passed them over ('cannot read them'); coloured into .tif at their
    lightness; a file cut short, or one of a precision not read, fails with one line."""
    root = tmp_path / "restored"
    root.mkdir()
    write_xcf(root / "grandma.xcf", W, H, [Layer(_photo())])
    data = write_xcf(root / "cut.xcf", W, H, [Layer(_photo())]).read_bytes()
    (root / "cut.xcf").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 1
    assert "1 colorized, 0 skipped (already there), 1 failed" in r.stderr, r.stderr
    assert "cut.xcf: damaged GIMP file" in r.stderr
    assert read_image(out / "grandma.tif").pixels.shape == (H, W, 3)
    floaty = bytearray(data)
    floaty[26:30] = (600).to_bytes(4, "big")  # 32-bit float precision
    (tmp_path / "f.xcf").write_bytes(bytes(floaty))
    with pytest.raises(MediaError, match="floating-point or 32-bit GIMP image"):
        read_image(tmp_path / "f.xcf")


def test_a_layer_reaching_past_the_canvas_is_read_where_it_shows(tmp_path):
    """A photo pasted larger than the canvas and moved (GIMP keeps what lies outside): only
    the part on the canvas shows, and only its tiles are decoded."""
    big = np.random.default_rng(3).integers(0, 256, (H + 150, W + 200, 3), dtype=np.uint8)
    img = read_image(write_xcf(tmp_path / "p.xcf", W, H, [Layer(big, x=-70, y=-90)]))
    assert np.array_equal(img.pixels, big[90 : 90 + H, 70 : 70 + W])


def test_a_gimp_files_profile_and_resolution_are_followed_and_carried(tmp_path, tiny_ckpt):
    """Its colour profile (a parasite) turns its samples into sRGB, as GIMP shows them; a
    GIMP 2.10 image in linear light is read as such; its resolution reaches the .tif."""
    flat = np.full((H, W, 1), 60, np.uint8)
    (tmp_path / "in").mkdir()
    linear_icc = profiles.gray(profiles.curv(1.0))  # linear: its mid grey is lighter in sRGB
    path = write_xcf(tmp_path / "in" / "scan.xcf", W, H, [Layer(flat)], 11, dpi=600, icc=linear_icc)
    assert read_image(path).pixels.mean() > 120
    linear = write_xcf(tmp_path / "lin.xcf", W, H, [Layer(flat)], 11, precision=100)
    assert read_image(linear).pixels.mean() > 120
    assert (
        abs(read_image(write_xcf(tmp_path / "g.xcf", W, H, [Layer(flat)])).pixels.mean() - 60) < 1
    )
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    assert read_meta(tmp_path / "out" / "scan.tif").dpi == (600.0, 600.0)


def test_a_hidden_layer_group_hides_its_layers(tmp_path):
    """GIMP hides a group's layers with it (a restorer's earlier attempts, kept in a hidden
    group): they were blended in as if not grouped, and a group at the top of the stack,
    which GIMP writes without a path, hid nothing. A group's opacity dims its layers."""
    base, patch = _photo(), np.full((30, 40, 4), 200, np.uint8)
    patch[..., 3] = 255
    clear = np.zeros((H, W, 4), np.uint8)
    layers = [
        Layer(clear, visible=False, group=True),  # GIMP gives top-level items no path
        Layer(patch, x=20, y=10, path=(0, 0)),  # visible itself, in the hidden group
        Layer(clear, opacity=128, group=True),
        Layer(patch, x=80, y=50, path=(1, 0)),
        Layer(clear, group=True),
        Layer(clear, visible=False, group=True, path=(2, 0)),  # a hidden group in a group
        Layer(patch, x=20, y=50, path=(2, 0, 0)),
        Layer(base),
    ]
    img = read_image(write_xcf(tmp_path / "g.xcf", W, H, layers))
    want, k = base.astype(float), 128 / 255
    want[50:80, 80:120] = _srgb(k * _light(200) + (1 - k) * _light(base[50:80, 80:120]))
    assert np.abs(img.pixels - want).max() <= 0.6


def test_an_indexed_gimp_file_reads_as_its_colour_map_says(tmp_path):
    """Indices into the image's colour map; an indexed layer's alpha all or nothing."""
    cmap = np.stack([np.arange(256), 255 - np.arange(256), np.arange(256) // 2], -1)
    idx = (_photo()[..., :1].astype(int) * 7 % 256).astype(np.uint8)
    top = np.dstack([np.full((30, 40), 9, np.uint8), np.full((30, 40), 140, np.uint8)])
    path = write_xcf(tmp_path / "i.xcf", W, H, [Layer(top, x=5, y=5), Layer(idx)], colormap=cmap)
    img = read_image(path)
    want = cmap[idx[..., 0]].astype(np.uint8)
    want[5:35, 5:45] = cmap[9]  # alpha 140 of 255: opaque, as GIMP shows indexed layers
    assert np.array_equal(img.pixels, want) and img.alpha is None
