"""A restorer's Photoshop file, a 1990s PCX or Targa scan, SGI and Sun raster files: read
(through FFmpeg's decoders) as the pictures they hold, their profile and resolution followed,
coloured into an archive's output like any photo; damaged ones refused in one line."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

from colorcli.cli import main
from colorcli.errors import MediaError
from colorcli.imageio import read_image
from colorcli.photometa import read_meta
from tests import profiles
from tests.psdmake import resolution, resource, write_psd


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def samples(h: int = 29, w: int = 41, c: int = 3, seed: int = 1) -> np.ndarray:
    """Noise in runs of 4 (PackBits gets repeats and literals alike)."""
    rng = np.random.default_rng(seed)
    a = np.repeat(rng.integers(0, 256, (h, -(-w // 4), c), dtype=np.uint8), 4, axis=1)[:, :w]
    return a[..., 0].copy() if c == 1 else a


@pytest.mark.parametrize(
    "mode, rle, a",
    [
        ("rgb", False, samples()),
        ("rgb", True, samples()),
        ("gray", True, samples(c=1)),
        ("rgb", True, samples().astype(np.uint16) * 257 + 3),  # a 16-bit master stays 16-bit
        ("gray", False, samples(c=1).astype(np.uint16) * 200),
    ],
    ids=["rgb-raw", "rgb-packbits", "gray", "rgb16", "gray16"],
)
def test_photoshop_files_read_as_their_flattened_picture(tmp_path, mode, rle, a):
    img = read_image(write_psd(tmp_path / "master.psd", a, mode, rle))
    assert img.info.format == "psd" and (img.info.width, img.info.height) == (41, 29)
    assert img.pixels.dtype == a.dtype and np.array_equal(img.pixels, a)


@pytest.mark.parametrize("a", [samples(), samples(c=1), samples(c=1).astype(np.uint16) * 257])
def test_an_imagemagick_photoshop_file_reads_whole(tmp_path, a):
    """ImageMagick ends each run-length row with PackBits' no-op code: FFmpeg refused every
    such file ("damaged or truncated psd data"). Cut short, it is still one line."""
    mode = "rgb" if a.ndim == 3 else "gray"
    path = write_psd(tmp_path / "im.psd", a, mode, rle=True, noops=True)
    assert np.array_equal(read_image(path).pixels, a)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(MediaError, match="damaged or truncated psd"):
        read_image(path)


def test_cmyk_photoshop_file_is_read_as_rgb_as_pillow_reads_it(tmp_path):
    path = write_psd(tmp_path / "print.psd", samples(c=4), "cmyk", True)
    want = np.asarray(PILImage.open(path).convert("RGB")).astype(int)
    assert np.abs(read_image(path).pixels.astype(int) - want).mean() < 1.0


def test_photoshop_profile_and_resolution_are_followed_and_carried(tmp_path, tiny_ckpt):
    gray_22 = profiles.gray(profiles.curv(1.0))  # linear: its mid grey is lighter in sRGB
    a = np.full((24, 32), 60, np.uint8)
    res = resource(1039, gray_22) + resolution(600)
    (tmp_path / "in").mkdir()
    path = write_psd(tmp_path / "in" / "restored.psd", a, "gray", True, res)
    meta = read_meta(path)
    assert meta.icc == gray_22 and meta.dpi == (600.0, 600.0)
    assert read_image(path).pixels.mean() > 120
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.output
    out = tmp_path / "out" / "restored.tif"  # a master stays lossless (and 16-bit where so)
    assert read_meta(out).dpi == (600.0, 600.0)


@pytest.mark.parametrize(
    "name, mode, kw",
    [
        ("scan.pcx", "RGB", {}),
        ("scan.pcx", "P", {}),
        ("scan.pcx", "L", {}),  # Pillow writes gray as a gray palette: read as gray
        ("scan.tga", "RGB", {}),
        ("scan.tga", "RGB", {"compression": "tga_rle"}),
        ("scan.tga", "RGB", {"orientation": 1}),  # stored top row first
        ("scan.tga", "L", {}),
        ("scan.tga", "RGBA", {}),
        ("scan.tga", "LA", {}),  # FFmpeg read gray and alpha as RGB555
        ("scan.tga", "LA", {"compression": "tga_rle"}),
        ("scan.tga", "LA", {"orientation": 1}),
        ("scan.sgi", "RGB", {}),
        ("scan.sgi", "L", {}),
    ],
    ids=["pcx", "pcx-palette", "pcx-gray", "tga", "tga-rle", "tga-top", "tga-gray", "tga-alpha",
         "tga-gray-alpha", "tga-gray-alpha-rle", "tga-gray-alpha-top", "sgi", "sgi-gray"],
)  # fmt: skip
def test_old_raster_formats_read_as_pillow_writes_them(tmp_path, name, mode, kw):
    c = {"RGB": 3, "P": 3, "L": 1, "RGBA": 4, "LA": 2}[mode]
    pil = PILImage.fromarray(samples(c=c))
    if mode == "P":
        pil = pil.convert("P", palette=PILImage.ADAPTIVE, colors=200)
    pil.save(tmp_path / name, **kw)
    want = np.asarray(PILImage.open(tmp_path / name).convert("RGB" if mode == "P" else mode))
    img = read_image(tmp_path / name)
    got = img.pixels if img.alpha is None else np.dstack([img.pixels, img.alpha])
    assert got.shape == want.shape and np.array_equal(got, want)


def test_sun_raster_reads_as_its_rows(tmp_path):
    """Sun raster, written by hand (Pillow reads it only): 24-bit BGR rows, each padded to an
    even length, after a 32-byte header."""
    a = samples(h=5, w=7)
    rows = b"".join(r[:, ::-1].tobytes() + b"\x00" for r in a)  # 21 bytes a row, padded
    head = struct.pack(">8I", 0x59A66A95, 7, 5, 24, len(rows), 1, 0, 0)
    (tmp_path / "frame.ras").write_bytes(head + rows)
    img = read_image(tmp_path / "frame.ras")
    assert img.info.format == "sunrast" and np.array_equal(img.pixels, a)


def test_old_formats_go_through_an_archive_and_damaged_ones_are_one_line(tmp_path, tiny_ckpt):
    root = tmp_path / "archive"
    root.mkdir()
    PILImage.fromarray(samples()).save(root / "a.pcx")
    PILImage.fromarray(samples()).save(root / "b.tga")
    write_psd(root / "c.psd", samples(), "rgb", True)
    write_psd(root / "cut.psd", samples(), "rgb", True)
    (root / "cut.psd").write_bytes((root / "cut.psd").read_bytes()[:-300])
    (root / "bomb.psd").write_bytes(write_psd(tmp_path / "x.psd", samples()).read_bytes())
    data = bytearray((root / "bomb.psd").read_bytes())
    data[14:22] = (100_000).to_bytes(4, "big") * 2  # says 100000 x 100000
    (root / "bomb.psd").write_bytes(bytes(data))
    (root / "notga.tga").write_bytes(b"\x00" * 10)
    lab = bytearray(write_psd(tmp_path / "y.psd", samples()).read_bytes())
    lab[24:26] = (9).to_bytes(2, "big")  # Lab colour: FFmpeg's decoder does not take it
    (root / "lab.psd").write_bytes(bytes(lab))
    r = run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code != 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c.tif"]
    failed = [x for x in r.stderr.splitlines() if x.startswith("failed:")]
    assert len(failed) == 4, r.stderr
    said = dict((x.split(": ")[1].rsplit("/", 1)[1], x) for x in failed)
    assert "damaged or truncated psd data" in said["cut.psd"]
    assert "decompression bomb" in said["bomb.psd"]
    assert "not a supported image" in said["notga.tga"]
    assert "a Lab colour Photoshop file: not supported" in said["lab.psd"]
    assert "Traceback" not in r.output


def test_a_gray_jpeg_2000_with_alpha_is_read_with_its_alpha(tmp_path):
    """A JPEG 2000 of gray and alpha: OpenCV reads no 2-channel JPEG 2000 and it was refused
    as "damaged or truncated jp2 data". FFmpeg's decode is read instead: gray and alpha as
    stored (lossless here). One cut short is still refused in one line."""
    gray, alpha = samples(c=1), samples(c=1, seed=2)
    path = tmp_path / "la.jp2"
    PILImage.merge("LA", [PILImage.fromarray(gray), PILImage.fromarray(alpha)]).save(
        path, irreversible=False
    )
    img = read_image(path)
    assert np.array_equal(img.pixels, gray) and np.array_equal(img.alpha, alpha)
    (tmp_path / "cut.jp2").write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(MediaError, match="damaged or truncated jp2 data"):
        read_image(tmp_path / "cut.jp2")


@pytest.mark.parametrize("mode,extra", [("gray", 0), ("gray", 1), ("rgb", 1), ("rgb", 2)])
def test_a_photoshop_files_channels_beyond_its_colours_are_said_to_be_left(tmp_path, mode, extra):
    """A restorer's PSD with a transparency or saved-selection channel: its flattened picture
    was coloured and the channels left without a word. They are still left (FFmpeg's picture
    has none of them), now with a notice; a file without them says nothing."""
    base = samples(c=1 if mode == "gray" else 3)
    planes = base if base.ndim == 3 else base[..., None]
    arr = np.dstack([planes] + [samples(c=1, seed=5 + k)[..., None] for k in range(extra)])
    img = read_image(
        write_psd(tmp_path / "master.psd", arr[..., 0] if arr.shape[2] == 1 else arr, mode)
    )
    assert np.array_equal(img.pixels, base)
    said = [n for n in img.info.notices if "beyond its colours" in n]
    assert len(said) == (1 if extra else 0)
    if extra:
        assert said[0].startswith(f"its {extra} channel")


def _bmp(path, pixels: bytes, bits: int, h: int, w: int, header: str = "v5", masks=None):
    """A BMP with an OS/2 1.x header ("core", 12 bytes) or a Windows V5 one (its masks inside
    it, as GIMP and Photoshop write 16-bit files), rows bottom-up and padded to 4 bytes."""
    if header == "core":
        dib = struct.pack("<IHHHH", 12, w, h, 1, bits)
    else:
        comp = 3 if masks else 0
        dib = struct.pack("<IiiHHIIiiII", 124, w, h, 1, bits, comp, len(pixels), 2835, 2835, 0, 0)
        dib += struct.pack("<IIII", *(masks or (0, 0, 0, 0))) + b"\0" * (124 - 56)
    off = 14 + len(dib)
    path.write_bytes(b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off) + dib + pixels)
    return path


def _rows(a: np.ndarray) -> bytes:
    return b"".join(r.tobytes() + b"\0" * (-r.nbytes % 4) for r in a[::-1])


def test_bmps_opencv_reads_wrongly_are_read_as_pillow_reads_them(tmp_path):
    """An OS/2 1.x BMP (early 1990s scanning software) was refused as a 'decompression bomb'
    (its 16-bit size read as 32 bits), and OpenCV read its 24-bit pixels as one garbled
    channel; a 16-bit 565 BMP as GIMP and Photoshop write it (masks in a V5 header) was
    'damaged'. FFmpeg's decoder reads both, as Pillow does (565 and 555 within 1 code: how
    the low bits are filled)."""
    rgb = samples(13, 17)
    os2 = _bmp(tmp_path / "os2.bmp", _rows(rgb[..., ::-1]), 24, 13, 17, header="core")
    r5, g6, b5 = (rgb[..., 0] >> 3).astype(np.uint16), rgb[..., 1] >> 2, rgb[..., 2] >> 3
    packed = ((r5 << 11) | (g6.astype(np.uint16) << 5) | b5).astype("<u2")
    v5 = _bmp(tmp_path / "565.bmp", _rows(packed), 16, 13, 17, masks=(0xF800, 0x07E0, 0x1F, 0))
    for path, tol in ((os2, 0), (v5, 1)):
        want = np.asarray(PILImage.open(path).convert("RGB")).astype(int)
        got = read_image(path).pixels.astype(int)
        assert got.shape == want.shape and np.abs(got - want).max() <= tol, path.name
