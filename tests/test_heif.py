"""A phone's HEIC and an AVIF read as the photos they are: one coded picture or an iPhone's grid
of tiles, turned, mirrored and cropped as the file says, its colour by its own matrix and
range, its alpha, Exif and profile kept; damaged ones refused in one line."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.heifboxes import heif_layout
from colorcli.imageio import read_image
from colorcli.photometa import read_meta
from colorcli.walkers import bytes_reader
from tests import profiles
from tests.heifmake import box, full_box, write_heif


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def picture(h: int = 96, w: int = 160) -> np.ndarray:
    """Smooth colour ramps with a saturated block near the top left: no two of its turns or
    mirrors alike, and easy on a lossy codec."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([40 + 180 * x / w, 40 + 160 * y / h, 200 - 120 * x / w], -1)
    rgb[8:40, 12:56] = (200, 40, 40)
    return rgb.astype(np.uint8)


def close(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


@pytest.mark.parametrize(
    "kw",
    [
        {},  # one HEVC picture
        {"tile": 64},  # an iPhone's grid: 2 x 3 tiles, the last row and column cut
        {"codec": "av1"},  # AVIF
        {"codec": "av1", "tile": 64},
        {"matrix": 1, "full": False},  # BT.709, video range: as the nclx box says
        {"matrix": 9},
    ],
    ids=["hevc", "hevc-grid", "av1", "av1-grid", "bt709-limited", "bt2020"],
)
def test_heif_pictures_read_as_their_source(tmp_path, kw):
    src = picture()
    img = read_image(write_heif(tmp_path / "p.heic", src, **kw))
    assert img.info.format == "heif" and (img.info.width, img.info.height) == (160, 96)
    assert img.pixels.dtype == np.uint8 and img.alpha is None
    assert close(img.pixels, src) < 2.5


@pytest.mark.parametrize(
    "kw, shown",
    [
        ({"irot": 1}, lambda a: np.rot90(a, 1)),  # a quarter turn anticlockwise
        ({"irot": 3, "tile": 64}, lambda a: np.rot90(a, 3)),  # a portrait taken on a phone
        ({"imir": 0}, lambda a: a[::-1]),  # the mirror as iPhones and libheif read it
        ({"imir": 1}, lambda a: a[:, ::-1]),
        ({"irot": 1, "imir": 1}, lambda a: np.rot90(a, 1)[:, ::-1]),  # turned, then mirrored
        ({"clap": (120, 64, 6, -4)}, lambda a: a[12:76, 26:146]),  # a centred crop, moved
    ],
    ids=["irot1", "irot3-grid", "imir0", "imir1", "irot1-imir1", "clap"],
)
def test_heif_turn_mirror_and_crop_are_applied(tmp_path, kw, shown):
    src = picture()
    img = read_image(write_heif(tmp_path / "p.heic", src, **kw))
    want = np.ascontiguousarray(shown(src))
    assert (img.info.width, img.info.height) == (want.shape[1], want.shape[0])
    assert close(img.pixels, want) < 2.5
    # the same picture as it would be read another way round is far off
    assert close(img.pixels, np.ascontiguousarray(want[::-1])) > 20


def test_monochrome_heic_is_read_as_gray(tmp_path):
    src = picture()
    gray = (src @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    img = read_image(write_heif(tmp_path / "scan.heic", src, gray=True, tile=64))
    assert img.pixels.ndim == 2
    assert close(img.pixels, gray) < 2.0


@pytest.mark.parametrize("codec", ["hevc", "av1"])
def test_heif_alpha_plane_is_the_images_alpha(tmp_path, codec):
    src = picture()
    alpha = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (96, 1))
    img = read_image(write_heif(tmp_path / "a.heic", src, codec=codec, alpha=alpha))
    assert img.alpha is not None and close(img.alpha, alpha) < 3.0


def linear_srgb() -> bytes:
    """sRGB's colorants with straight (linear) tone curves: its mid grey is lighter in sRGB."""
    colorants = [(0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7142)]
    tags = [(n, profiles.curv(1.0)) for n in (b"rTRC", b"gTRC", b"bTRC")]
    tags += [(n, profiles.xyz(*c)) for n, c in zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants, strict=True)]  # fmt: skip
    return profiles.profile(b"RGB ", tags)


def test_heic_exif_is_carried_and_its_profile_followed(tmp_path, tiny_ckpt):
    # Exif with an artist and orientation 6 (the pixels are turned by irot, not by it)
    entries = [(315, 2, b"Grandma\x00"), (274, 3, struct.pack("<HH", 6, 0))]
    exif = b"II*\x00" + struct.pack("<IH", 8, len(entries))
    data_at = 8 + 2 + 12 * len(entries) + 4
    for tag, kind, value in sorted(entries):
        if len(value) <= 4:
            exif += struct.pack("<HHI", tag, kind, 1) + value.ljust(4, b"\x00")
        else:
            exif += struct.pack("<HHII", tag, kind, len(value), data_at)
    exif += b"\x00" * 4 + b"Grandma\x00"
    icc = linear_srgb()
    src = np.full((64, 96, 3), 60, np.uint8)
    (tmp_path / "in").mkdir()
    path = write_heif(tmp_path / "in" / "IMG_0001.HEIC", src, exif=exif, icc=icc, irot=3)
    meta = read_meta(path)
    assert meta.exif is not None and b"Grandma" in meta.exif and meta.icc == icc
    img = read_image(path)
    assert img.pixels.shape == (96, 64, 3) and img.pixels.mean() > 120  # profile followed
    out = tmp_path / "out"
    r = run("dir", tmp_path / "in", "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    written = read_meta(out / "IMG_0001.jpg")
    assert written.exif is not None and b"Grandma" in written.exif
    assert read_image(out / "IMG_0001.jpg").info.orientation == 1  # upright as written


def test_heic_beside_its_jpeg_and_an_avif_of_the_same_name_are_all_kept(tmp_path, tiny_ckpt):
    """An iPhone export holds IMG_1.HEIC and IMG_1.JPG; each is coloured, neither over the
    other (both would be IMG_1.jpg), and a HEIC and an AVIF of one name likewise."""
    root = tmp_path / "phone"
    root.mkdir()
    src = picture()
    write_heif(root / "IMG_1.HEIC", src)
    from PIL import Image

    Image.fromarray(src).save(root / "IMG_1.JPG")
    write_heif(root / "b.heic", src)
    write_heif(root / "b.avif", src, codec="av1")
    write_heif(root / "lone.heic", src)
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["IMG_1.HEIC.jpg", "IMG_1.JPG", "b.avif.jpg", "b.heic.jpg", "lone.jpg"]
    assert "5 colorized" in r.stderr


def _overlay(path):
    """A HEIF file whose primary picture is an overlay (iovl), which colorize does not make."""
    write_heif(path, picture())
    data = path.read_bytes()
    return path.write_bytes(data.replace(b"hvc1", b"iovl", 1))


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-400]), "truncated heif data"),
        (_overlay, "an overlay of pictures: not supported"),
        (lambda p: p.write_bytes(box(b"ftyp", b"heic\x00\x00\x00\x00mif1") + box(b"mdat", b"x" * 64)), "no meta box"),
        (lambda p: p.write_bytes(box(b"ftyp", b"heic\x00\x00\x00\x00mif1") + full_box(b"meta", 0, 0, box(b"iinf", b"\xff" * 40))), "heic"),
    ],
    ids=["truncated", "overlay", "sequence", "damaged-boxes"],
)  # fmt: skip
def test_damaged_or_unsupported_heif_is_one_line_and_the_rest_go_through(
    tmp_path, tiny_ckpt, make, words
):
    root = tmp_path / "in"
    root.mkdir()
    write_heif(root / "good.heic", picture())
    bad = root / "bad.heic"
    write_heif(bad, picture())
    make(bad)
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code != 0
    lines = [x for x in r.stderr.splitlines() if x.startswith("failed:")]
    assert len(lines) == 1 and "bad.heic" in lines[0] and words in lines[0], r.stderr
    assert "Traceback" not in r.output
    assert (tmp_path / "out" / "good.jpg").is_file()
    assert not (tmp_path / "out" / "bad.jpg").exists()
    r = run("image", bad, tmp_path / "one.png", "--model", tiny_ckpt)
    assert r.exit_code != 0 and "bad.heic" in r.stderr and words in r.stderr


@pytest.mark.parametrize("irot, edge", [(0, "bottom"), (1, "right")])
def test_heic_grid_cut_short_is_coloured_as_far_as_its_tiles_go(tmp_path, tiny_ckpt, irot, edge):
    """A phone's grid whose copy stopped part way: the whole rows of tiles it holds are
    coloured, the rest is left gray (not a colour guessed for a flat fill), and a notice says
    how much is missing; on the edge where the picture, turned upright, lacks it."""
    root = tmp_path / "in"
    root.mkdir()
    path = write_heif(root / "IMG_2.HEIC", picture(), tile=32, irot=irot)  # 3 rows of 5
    data = path.read_bytes()
    layout = heif_layout(bytes_reader(data), len(data))
    cut = layout.items[2 + 11].extents[0][0] + 10  # inside the 12th tile: the third row's 2nd
    path.write_bytes(data[:cut])
    img = read_image(path)
    top, bottom, left, right = img.missing
    across = (top, bottom, right - left) if edge == "bottom" else (left, right, bottom - top)
    assert across == (64, 96, 160)
    assert "33% of the picture is missing and left gray" in img.info.notices[0]
    shown = np.rot90(picture(), irot)
    kept = (slice(0, 64), slice(None)) if edge == "bottom" else (slice(None), slice(0, 64))
    assert close(img.pixels[kept], shown[kept]) < 2.5
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "IMG_2.HEIC" in r.stderr and "33% of the picture is missing" in r.stderr
    out = read_image(tmp_path / "out" / "IMG_2.jpg").pixels.astype(int)
    # gray, as read (16 pixels on from its edge: JPEG's blocks carry colour across)
    gone = (slice(80, None), slice(None)) if edge == "bottom" else (slice(None), slice(80, None))
    assert np.abs(out[gone] - 128).max() <= 3


@pytest.mark.parametrize(
    "nclx, icc, words",
    [
        ((12, 13), None, "Display P3 colours (its nclx box): read as sRGB"),
        ((9, 16), None, "HDR (PQ) colours: read as if SDR"),
        ((12, 13), True, None),  # its ICC profile says the colours: followed, nothing to say
        ((1, 13), None, None),  # sRGB
    ],
    ids=["p3", "pq", "p3-with-icc", "srgb"],
)
def test_colours_an_nclx_box_says_but_are_not_followed_get_a_notice(tmp_path, nclx, icc, words):
    path = write_heif(
        tmp_path / "p.avif", picture(), codec="av1", nclx=nclx, icc=linear_srgb() if icc else None
    )
    said = [n for n in read_image(path).info.notices if "colours" in n]
    assert (len(said) == 1 and words in said[0]) if words else not said, said


_DAMAGED_IN_A_ROW = """
import random, sys
from pathlib import Path
from colorcli.errors import MediaError
from colorcli.imageio import read_image
data, rnd = Path(sys.argv[1]).read_bytes(), random.Random(0)
for k in range(400):
    d = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        d[rnd.randrange(len(d))] = rnd.randrange(256)
    case = Path(sys.argv[1]).with_name("case.avif")
    case.write_bytes(bytes(d))
    try:
        read_image(case)
    except MediaError:
        pass
print("done")
"""


def test_damaged_avifs_in_a_row_neither_hang_nor_crash(tmp_path):
    """400 AV1 grids with bytes flipped: each read or refused in words. With packets over
    Python's bytes, dav1d's worker freed one through Python while the decoder's freeing waited
    for it with the interpreter held: the run hung for good (here within 400)."""
    import subprocess
    import sys

    path = write_heif(tmp_path / "g.avif", picture(), codec="av1", tile=64)
    r = subprocess.run(
        [sys.executable, "-c", _DAMAGED_IN_A_ROW, str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr[-2000:]


def test_transparency_a_jpg_cannot_keep_is_said_not_lost_silently(tmp_path, tiny_ckpt):
    """An AVIF with alpha goes to jpg by default: the transparency cannot go, and the notice
    says so (and what keeps it); into png it is kept and nothing is said. An opaque alpha
    plane loses nothing: nothing said."""
    root = tmp_path / "in"
    root.mkdir()
    alpha = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (96, 1))
    write_heif(root / "logo.avif", picture(), codec="av1", alpha=alpha)
    write_heif(
        root / "opaque.avif", picture(), codec="av1", alpha=np.full((96, 160), 255, np.uint8)
    )
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    said = [x for x in r.stderr.splitlines() if "transparency is not kept" in x]
    assert len(said) == 1 and "logo.avif" in said[0], r.stderr
    assert "its transparency is not kept in jpeg (--format png keeps it)" in said[0]
    r = run("image", root / "logo.avif", tmp_path / "logo.png", "--model", tiny_ckpt)
    assert r.exit_code == 0 and "transparency is not kept" not in r.stderr
    assert read_image(tmp_path / "logo.png").alpha is not None
    r = run("image", root / "logo.avif", tmp_path / "logo.jpg", "--model", tiny_ckpt)
    assert r.exit_code == 0 and "its transparency is not kept in jpeg" in r.stderr
