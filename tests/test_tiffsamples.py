"""TIFF samples read as stored, where OpenCV's libtiff converted them: CIELab TIFFs (Photoshop's
Lab mode, a museum's L*a*b* masters), whose own L* is the lightness coloured and kept, and whose
colours a --reference shows; gray TIFFs with alpha, at their own depth with their alpha."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.compose import lightness
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from tests.conftest import gradient_rgb
from tests.media import write_tiff


def _encode(lab: np.ndarray, kind: int, bits: int) -> np.ndarray:
    """L*a*b* (H, W, 3) float as a TIFF of photometric ``kind`` stores it (TIFF 6.0's CIELab:
    signed a* and b*, 1/256 units at 16 bits; Adobe's ICCLab: offset to the middle)."""
    if bits == 8:
        lum = np.rint(lab[..., 0] * 255 / 100)
        ab = np.rint(lab[..., 1:]) + (128 if kind == 9 else 0)
        raw = np.dstack([lum, np.mod(ab, 256)]).astype(np.uint8)
    else:
        lum = np.rint(lab[..., 0] * (65535 if kind == 8 else 65280) / 100)
        ab = np.rint(lab[..., 1:] * 256) + (32768 if kind == 9 else 0)
        raw = np.dstack([lum, np.mod(ab, 65536)]).astype(np.uint16)
    return raw


@pytest.mark.parametrize(
    "kind,bits,kw",
    [
        (8, 8, {}),
        (8, 16, {}),
        (9, 8, {}),
        (9, 16, {}),
        (8, 8, {"deflate": True, "rows": 7}),
        (8, 8, {"tile": 16, "orientation": 6}),
    ],
)
def test_a_lab_tiff_is_read_by_its_own_lightness_and_colours(tmp_path, kind, bits, kw):
    """libtiff's own conversion of a CIELab TIFF to RGB (what OpenCV gave) made it lighter by
    1.5 L* on average, by 8 in the shadows, and tinted: the "original lightness" kept was not
    the file's. Its samples are now read as stored: L* within quantization, colours as sRGB."""
    picture = gradient_rgb(40, 52, seed=kind + bits)
    lab = rgb_to_lab(picture.astype(np.float32) / 255)
    raw = _encode(lab, kind, bits)
    got = read_image(write_tiff(tmp_path / "lab.tif", raw, photometric=kind, **kw))
    stored = raw[..., 0] * (100 / {8: 255, 16: 65535 if kind == 8 else 65280}[bits])
    turn = (lambda a: np.rot90(a, -1)) if kw.get("orientation") == 6 else (lambda a: a)
    upright = turn(picture)
    assert got.pixels.shape == upright.shape and got.pixels.dtype == np.dtype(f"uint{bits}")
    l_err = np.abs(lightness(got.pixels) - turn(stored))
    assert np.median(l_err) < (0.15 if bits == 8 else 0.01) and l_err.max() < 0.6
    scale = 1 if bits == 8 else 257
    err = np.abs(got.pixels.astype(np.float32) / scale - upright)
    # a saturated colour near black moves by many 8-bit codes with a* and b* in whole units
    assert np.median(err) <= 1.0 and np.percentile(err, 99) <= (8.0 if bits == 8 else 0.2)
    assert got.info.notices == ()


def test_an_l_only_lab_tiff_stays_gray_and_a_cut_one_is_gray_where_it_ends(tmp_path):
    """A CIELab TIFF of L* alone (one sample) reads as gray of its L*; one cut short is read
    as far as its strips go, the rest mid-gray as for any TIFF cut short (its missing a* and
    b* would otherwise have read as a colour)."""
    lum = np.linspace(0, 100, 30 * 40, dtype=np.float32).reshape(30, 40)
    raw = np.rint(lum * 255 / 100).astype(np.uint8)[..., None]
    gray = read_image(write_tiff(tmp_path / "l.tif", raw, photometric=8))
    stored = raw[..., 0] * np.float32(100 / 255)
    assert gray.pixels.ndim == 2 and np.abs(lightness(gray.pixels) - stored).max() < 0.3
    picture = gradient_rgb(60, 40, seed=3)
    lab = rgb_to_lab(picture.astype(np.float32) / 255)
    raw = _encode(lab, 8, 8)
    whole = write_tiff(tmp_path / "w.tif", raw, photometric=8, rows=6)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    got = read_image(cut)
    top, bottom, _, _ = got.missing
    assert bottom == 60 and 20 < top < 40
    assert (got.pixels[top:] == 128).all()
    stored = raw[:top, :, 0] * np.float32(100 / 255)
    assert np.median(np.abs(lightness(got.pixels[:top]) - stored)) < 0.15
    assert "missing and left gray" in got.info.notices[0]


def test_a_lab_tiff_from_an_editor_is_coloured_at_its_own_lightness(tmp_path, tiny_ckpt):
    """A Lab-mode TIFF as Pillow writes one (a Lab colour profile embedded): coloured without
    the old notice that its profile was not followed, the output's L* the file's."""
    lum = np.asarray(Image.fromarray(gradient_rgb(48, 64, seed=5)).convert("L"))
    lab = Image.merge(
        "LAB", [Image.fromarray(lum), Image.new("L", (64, 48), 0), Image.new("L", (64, 48), 0)]
    )
    src = tmp_path / "scan.tif"
    lab.save(src, compression="tiff_lzw")
    out = tmp_path / "scan_color.png"
    r = CliRunner().invoke(main, ["image", str(src), str(out), "--model", str(tiny_ckpt)])
    assert r.exit_code == 0, r.output
    assert "not followed" not in r.output
    coloured = np.asarray(Image.open(out).convert("RGB"))
    assert np.abs(lightness(coloured) - lum.astype(np.float32) * 100 / 255).max() < 1.0


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"deflate": True, "predictor": True, "rows": 5},
        {"tile": 16, "deflate": True, "predictor": True},
        {"tile": 16, "orientation": 6},
        {"rows": 4, "cut": 0.6},
    ],
    ids=["strip", "deflate-predictor", "tiles-predictor", "tiles-turned", "cut"],
)
def test_a_gray_tiff_with_alpha_keeps_its_depth_and_its_alpha(tmp_path, bits, kw):
    """A gray scan with transparency (Photoshop's gray with an alpha channel): OpenCV read it
    as 8-bit gray without its alpha (a 16-bit scan lost its depth, and what was transparent
    was coloured as opaque). Now its samples as stored: the gray at its depth, the alpha."""
    kw = dict(kw)
    cut = kw.pop("cut", None)
    dtype = np.dtype(f"uint{bits}")
    rng = np.random.default_rng(bits)
    gray = rng.integers(0, np.iinfo(dtype).max, (45, 37), endpoint=True).astype(dtype)
    alpha = np.zeros_like(gray)
    alpha[:, 10:] = np.iinfo(dtype).max
    alpha[30:, 20:] //= 3
    path = write_tiff(tmp_path / "ga.tif", np.dstack([gray, alpha]), extra=2, **kw)
    if cut:
        path.write_bytes(path.read_bytes()[: int(path.stat().st_size * cut)])
    got = read_image(path)
    turn = (lambda a: np.rot90(a, -1)) if kw.get("orientation") == 6 else (lambda a: a)
    held = slice(None, got.missing[0] if cut else None)
    assert got.pixels.dtype == dtype and got.pixels.shape == turn(gray).shape
    assert np.array_equal(got.pixels[held], turn(gray)[held])
    assert np.array_equal(got.alpha[held], turn(alpha)[held])
    if cut:
        assert 15 < got.missing[0] < 35 and (got.present_alpha[got.missing[0] :] == 0).all()
        assert "missing and left gray" in got.info.notices[0]
    else:
        assert got.info.notices == ()


def test_gray_with_alpha_that_cannot_be_read_as_stored_says_so(tmp_path):
    """Gray with alpha whose width, doubled, no longer fits its ImageWidth (a SHORT) is left to
    libtiff's reading, 8-bit gray without the alpha, and says so."""
    import struct

    from colorcli.walkers import bytes_reader, tiff_entries

    gray = np.tile(np.arange(40000, dtype=np.uint32) % 251, (2, 1)).astype(np.uint8)
    path = write_tiff(tmp_path / "wide.tif", np.dstack([gray, gray]), extra=2)
    data = bytearray(path.read_bytes())
    field = tiff_entries(bytes_reader(bytes(data)))[1][256][2]
    struct.pack_into("<H", data, field - 6, 3)  # its type: SHORT, its value the same
    path.write_bytes(bytes(data))
    got = read_image(path)
    assert got.alpha is None and np.array_equal(got.pixels, gray)
    assert got.info.notices == (
        "gray with transparency: read as 8-bit gray, its transparency is not kept",
    )


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("alpha", [False, True, "planar"])
def test_gray_stored_with_zero_as_white_is_not_read_as_a_negative(tmp_path, bits, alpha):
    """A gray TIFF whose 0 is white (MinIsWhite, as some scanners write): OpenCV read a
    16-bit one as stored, a negative, which was coloured as one. Each is read as its gray
    (with its alpha beside it, or in a plane of its own)."""
    dtype = np.dtype(f"uint{bits}")
    gray = np.tile(np.linspace(0, np.iinfo(dtype).max, 30).astype(dtype), (12, 1))
    stored = (np.iinfo(dtype).max - gray).astype(dtype)
    samples = np.dstack([stored, np.full_like(gray, 7)]) if alpha else stored[..., None]
    extra, planar = (2 if alpha else None), alpha == "planar"
    got = read_image(
        write_tiff(tmp_path / "w.tif", samples, photometric=0, extra=extra, planar=planar)
    )
    assert got.pixels.dtype == dtype and np.array_equal(got.pixels, gray)
    assert (got.alpha == 7).all() if alpha else got.alpha is None
    assert got.info.notices == ()


def test_a_lab_tiff_with_alpha_keeps_its_lightness_and_alpha(tmp_path):
    """L* and alpha, 16 bits (a Lab-mode scan with transparency): both as stored."""
    lum = np.linspace(0, 100, 30 * 40).reshape(30, 40)
    alpha = np.full((30, 40), 50000, np.uint16)
    raw = np.dstack([np.rint(lum * 655.35).astype(np.uint16), alpha])
    got = read_image(write_tiff(tmp_path / "la.tif", raw, photometric=8, extra=2))
    assert got.pixels.dtype == np.uint16 and np.array_equal(got.alpha, alpha)
    assert np.abs(lightness(got.pixels) - raw[..., 0] / 655.35).max() < 0.01


@pytest.mark.parametrize("bits", [8, 16])
def test_a_cmyk_tiff_is_read_as_its_colours_without_an_alpha(tmp_path, bits):
    """A CMYK TIFF (a print workflow's scan): OpenCV refused a 16-bit one as "damaged or
    truncated", and gave an 8-bit one an opaque alpha that was written out beside it. Both are
    read as libtiff turns 8-bit inks into colour, with no alpha."""
    rgb = gradient_rgb(20, 24, seed=bits)
    inks = np.asarray(Image.fromarray(rgb).convert("CMYK"))  # naive: K = 0, C = 255 - R, ...
    dtype = np.dtype(f"uint{bits}")
    scale = 1 if bits == 8 else 257
    got = read_image(write_tiff(tmp_path / "c.tif", (inks.astype(dtype) * scale), photometric=5))
    assert got.alpha is None and got.pixels.dtype == dtype
    assert np.abs(got.pixels.astype(np.int64) - rgb.astype(np.int64) * scale).max() <= scale


def test_a_palette_tiff_with_alpha_is_not_called_gray(tmp_path):
    """A palette TIFF with alpha (Pillow's PA): its colours are read and its alpha is not;
    the notice said it was read as 8-bit gray."""
    rgb = Image.fromarray(gradient_rgb(20, 24, seed=1))
    rgb.convert("PA").save(tmp_path / "pa.tif")
    got = read_image(tmp_path / "pa.tif")
    assert got.pixels.ndim == 3 and got.info.notices == (
        "palette colours with transparency: read as colours, its transparency is not kept",
    )


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("channels", [2, 3, 4])
@pytest.mark.parametrize(
    "kw",
    [{"rows": 7}, {"tile": 16}, {"tile": 16, "deflate": True, "predictor": True}],
    ids=["strips", "tiles", "deflate-tiles-predictor"],
)
def test_a_tiff_stored_plane_by_plane_is_read_as_stored(tmp_path, bits, channels, kw):
    """A TIFF of separate planes (PlanarConfiguration 2: some scanners, GDAL's band
    interleave): OpenCV read 16-bit ones scrambled, without a word, our Deflate copy of
    uncompressed tiles took only the first plane's, and gray with alpha lost its alpha. Each
    plane is now decoded on its own: every sample as stored."""
    dtype = np.dtype(f"uint{bits}")
    rng = np.random.default_rng(channels)
    samples = rng.integers(0, np.iinfo(dtype).max, (40, 35, channels), endpoint=True)
    samples = samples.astype(dtype)
    extra = 2 if channels in (2, 4) else None
    got = read_image(write_tiff(tmp_path / "p.tif", samples, planar=True, extra=extra, **kw))
    colour = samples[..., 0] if channels == 2 else samples[..., :3]
    assert got.pixels.dtype == dtype and np.array_equal(got.pixels, colour)
    if extra:
        assert np.array_equal(got.alpha, samples[..., -1])
    assert got.info.notices == ()


@pytest.mark.parametrize("kw", [{}, {"tile": 16, "deflate": True}], ids=["strip", "tiles"])
def test_colours_under_a_faint_unassociated_alpha_are_read_as_stored(tmp_path, kw):
    """An 8-bit RGBA TIFF with unassociated alpha: libtiff multiplied its colours by the
    alpha and we divided back, losing up to 255 / (2 alpha) codes (and every colour where the
    alpha is 0: black). Its colours are now read as stored."""
    rgb = np.random.default_rng(5).integers(0, 256, (24, 32, 3)).astype(np.uint8)
    alpha = np.tile(np.arange(32, dtype=np.uint8) * 3, (24, 1))  # 0 to 93
    got = read_image(write_tiff(tmp_path / "f.tif", np.dstack([rgb, alpha]), extra=2, **kw))
    assert np.array_equal(got.pixels, rgb) and np.array_equal(got.alpha, alpha)


@pytest.mark.parametrize(
    "channels,kw",
    [(1, {}), (3, {"tile": 16}), (2, {"extra": 2}), (3, {"planar": True, "deflate": True})],
    ids=["gray", "rgb-tiles", "gray-alpha", "rgb-planar"],
)
def test_half_float_tiffs_are_read(tmp_path, channels, kw):
    """16-bit floating point TIFFs (HDR tools', Krita's): OpenCV refused them as "damaged or
    truncated tiff data". They are read as the floats they are, 0..1 at 16 bits."""
    values = np.linspace(0.0, 1.0, 30 * 20 * channels).reshape(30, 20, channels)
    halves = values.astype(np.float16).view(np.uint16)
    got = read_image(write_tiff(tmp_path / "h.tif", halves, sample_format=3, **kw))
    colour = values[..., 0] if channels <= 2 else values
    assert got.pixels.dtype == np.uint16 and got.info.notices == ()
    assert np.abs(got.pixels / 65535 - colour).max() < 1e-3
    if channels == 2:
        assert np.abs(got.alpha / 65535 - values[..., 1]).max() < 1e-3


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_a_float_tiff_with_alpha_cut_short_is_coloured_as_far_as_it_goes(tmp_path, dtype):
    """A float TIFF with alpha from a stopped copy: filling its missing rows crashed
    ("unexpected ValueError: Invalid integer data type 'f'"). Now the rows it holds at 16
    bits, the rest gray, with the cut-short notice."""
    values = np.random.default_rng(1).random((60, 40, 4)).astype(dtype)
    raw = values.view(np.uint16) if dtype == np.float16 else values
    path = write_tiff(tmp_path / "f.tif", raw, extra=2, rows=5, sample_format=3)
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 6 // 10])
    got = read_image(path)
    top = got.missing[0]
    assert got.pixels.dtype == np.uint16 and 20 < top < 45
    assert np.abs(got.pixels[:top] / 65535 - values[:top, :, :3]).max() < 1e-3
    assert "missing and left gray" in got.info.notices[0]


@pytest.mark.parametrize("bits", [8, 16])
def test_a_planar_lab_tiff_is_read_by_its_own_lightness(tmp_path, bits):
    """Lab stored plane by plane: its photometric called RGB, then each plane decoded on its
    own, then its L*a*b* read (the two changes compose)."""
    picture = gradient_rgb(40, 52, seed=3)
    raw = _encode(rgb_to_lab(picture.astype(np.float32) / 255), 8, bits)
    got = read_image(write_tiff(tmp_path / "lp.tif", raw, photometric=8, planar=True))
    stored = raw[..., 0] * (100 / (255 if bits == 8 else 65535))
    assert got.pixels.shape == picture.shape and got.info.notices == ()
    assert np.median(np.abs(lightness(got.pixels) - stored)) < (0.15 if bits == 8 else 0.01)


@pytest.mark.parametrize("bits", [8, 16])
def test_a_planar_cmyk_tiff_is_read_as_its_colours(tmp_path, bits):
    """CMYK stored plane by plane: 16-bit decoded a plane at a time and its inks turned into
    colour; 8-bit by libtiff as before. Neither gains an alpha."""
    rgb = gradient_rgb(20, 24, seed=bits)
    inks = np.asarray(Image.fromarray(rgb).convert("CMYK"))
    scale = 1 if bits == 8 else 257
    samples = inks.astype(np.dtype(f"uint{bits}")) * scale
    got = read_image(write_tiff(tmp_path / "cp.tif", samples, photometric=5, planar=True))
    assert got.alpha is None
    assert np.abs(got.pixels.astype(np.int64) - rgb.astype(np.int64) * scale).max() <= scale


@pytest.mark.parametrize(
    "bits,kw",
    [(4, {}), (2, {}), (4, {"deflate": True, "rows": 7}), (4, {"orientation": 6})],
    ids=["4-bit", "2-bit", "4-bit-deflate", "4-bit-on-its-side"],
)
def test_gray_of_few_bits_is_read(tmp_path, bits, kw):
    """Gray of 2 or 4 bits a sample (an early flatbed's or a fax tool's scan, ImageMagick's
    -depth 4): OpenCV refused it as "damaged or truncated tiff data". FFmpeg's decoder reads
    it: each level at its place on 0..255, the picture turned upright by its Orientation."""
    top = (1 << bits) - 1
    y, x = np.mgrid[:21, :33]
    levels = ((x + 3 * y) % (top + 1)).astype(np.uint8)
    got = read_image(write_tiff(tmp_path / "s.tif", levels[..., None], bits=bits, **kw))
    want = levels.astype(int) * 255 // top
    want = np.rot90(want, -1) if kw.get("orientation") == 6 else want
    assert got.pixels.dtype == np.uint8 and np.array_equal(got.pixels, want)


def test_half_floats_stored_as_differences_are_refused_in_one_line(tmp_path):
    """ImageMagick writes 16-bit float TIFFs with the floating-point predictor: "damaged or
    truncated tiff data" said the file was broken; it is a kind not read, and says so."""
    halves = np.zeros((8, 8, 3), np.float16).view(np.uint16)
    path = write_tiff(tmp_path / "h.tif", halves, sample_format=3, predictor=3, deflate=True)
    r = CliRunner().invoke(main, ["image", str(path), str(tmp_path / "o.png"), "-q"])
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert "h.tif: 16-bit floating-point samples stored as differences" in r.output


def _ramp(h: int = 30, w: int = 40) -> np.ndarray:
    return np.linspace(0.0, 1.0, h * w).reshape(h, w, 1)


@pytest.mark.parametrize(
    "dtype, fmt, top, white",
    [
        (np.float32, 3, 255.0, 255),  # ImageJ's and numpy's floats of 0 to 255
        (np.float32, 3, 65535.0, 65535),
        (np.float64, 3, 1000.0, 1000),  # a scale of its own: stretched to its largest
        (np.float32, 3, 40.0, 40),  # under a quarter of 255: its own scale
        (np.int32, 2, 65535, 65535),  # a 16-bit scan written as 32-bit integers
        (np.int32, 2, 255000, 255000),  # a scientific camera's counts
        (np.uint32, 1, 4000, 4000),  # a 12-bit camera's counts
        (np.int16, 2, 255, 255),
        (np.int16, 2, 30000, 32767),  # signed 16 bits: 32767 is white
    ],
)
def test_wide_samples_are_read_with_the_white_they_hold(tmp_path, dtype, fmt, top, white):
    """Samples of 0 to 255 stored as floats were clipped at 1 (the picture came out white
    and was coloured as white); 32-bit and signed integers were refused ("unsupported sample
    format int32"). Now the value that stands for white is found from the samples, and said."""
    ramp = _ramp()
    raw = (ramp * top).astype(dtype)
    got = read_image(write_tiff(tmp_path / "w.tif", raw, sample_format=fmt))
    assert got.pixels.dtype == np.uint16 and got.pixels.shape == (30, 40)
    want = np.clip(raw[..., 0].astype(np.float64) / white, 0, 1)
    assert np.abs(got.pixels / 65535 - want).max() < 1e-3
    assert [f"read with {white} as white" in n for n in got.info.notices] == [True]


def test_floats_of_0_to_1_keep_their_white_and_an_hdr_picture_its_highlights_clip(tmp_path):
    ramp = _ramp().astype(np.float32)
    got = read_image(write_tiff(tmp_path / "u.tif", ramp, sample_format=3))
    assert got.info.notices == () and np.abs(got.pixels / 65535 - ramp[..., 0]).max() < 1e-4
    hdr = ramp.copy()
    hdr[:3] = 6.0  # a sunlit window, six times the paper white
    got = read_image(write_tiff(tmp_path / "h.tif", hdr, sample_format=3))
    assert got.info.notices == ()
    assert (got.pixels[:3] == 65535).all()
    assert np.abs(got.pixels[3:] / 65535 - hdr[3:, :, 0]).max() < 1e-4


def test_the_alpha_of_wide_samples_finds_its_own_white(tmp_path):
    """Floats of 0 to 255 beside an alpha of 0 to 1: each channel group its own white."""
    ramp = np.repeat(_ramp(), 3, axis=2)
    raw = np.concatenate([ramp * 255, np.full_like(ramp[..., :1], 0.5)], axis=2)
    got = read_image(
        write_tiff(tmp_path / "a.tif", raw.astype(np.float32), extra=2, sample_format=3)
    )
    assert np.abs(got.pixels / 65535 - ramp).max() < 1e-3
    assert np.abs(got.alpha / 65535 - 0.5).max() < 1e-3


def test_a_float_scan_of_0_to_255_is_coloured_from_its_own_picture(tmp_path, tiny_ckpt):
    picture = gradient_rgb(48, 64, seed=4).astype(np.float32)
    (tmp_path / "in").mkdir()
    write_tiff(tmp_path / "in" / "scan.tif", picture, sample_format=3)
    r = CliRunner().invoke(
        main, ["dir", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q",
               "--model", str(tiny_ckpt), "--device", "cpu"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "scan.tif: its floating-point samples run up to" in r.output
    assert "read with 255 as white" in r.output
    out = read_image(tmp_path / "out" / "scan.tif").pixels
    want = lightness(picture.astype(np.uint8))
    assert np.abs(lightness(out) - want).mean() < 1.0


def test_a_float_scan_with_samples_that_are_not_numbers_says_so(tmp_path, tiny_ckpt):
    """NaN samples (a stitched or processed scan's holes) are read as black, and said: one
    notice giving their share; a float scan without any says nothing of them."""
    picture = gradient_rgb(48, 64, seed=5).astype(np.float32) / 255.0
    holed = picture.copy()
    holed[:12] = np.nan  # a quarter of the rows
    (tmp_path / "in").mkdir()
    write_tiff(tmp_path / "in" / "holed.tif", holed, sample_format=3)
    write_tiff(tmp_path / "in" / "whole.tif", picture, sample_format=3)
    r = CliRunner().invoke(
        main, ["dir", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
               "--model", str(tiny_ckpt), "--device", "cpu"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    said = [line for line in r.output.splitlines() if "not numbers" in line]
    assert len(said) == 1 and said[0].endswith(
        "holed.tif: 25% of its samples are not numbers (NaN): read as black"
    )
    out = read_image(tmp_path / "out" / "holed.tif").pixels
    assert out[:12].max() == 0 and out[12:].max() > 0
