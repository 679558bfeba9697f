"""A scan's embedded colour profile is followed to sRGB: the conversion agrees with LittleCMS
(Pillow's ImageCms), and a gray scan under a gamma or table profile is coloured with the
lightness the profile gives it."""

import io

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms

from colorcli.cli import main
from colorcli.icc import parse, to_srgb
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from tests import procs, profiles

X = np.linspace(0, 1, 4096)
CASES = {
    "gamma 1.8": profiles.gray(profiles.curv(1.8)),
    "table (dot gain)": profiles.gray(profiles.curv(table=1 - (1 - X) ** 1.25)),
    "parametric (Rec. 709)": profiles.gray(
        profiles.para(1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081)
    ),
    "adobe-like RGB": profiles.adobe_like(),
    "gray over Lab (L* curve)": profiles.gray(profiles.curv(table=X**0.8), pcs=b"Lab "),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_conversion_agrees_with_littlecms(name, dtype):
    icc = CASES[name]
    prof = parse(icc)
    assert prof is not None
    rng = np.random.default_rng(0)
    gray = prof.space == "GRAY"
    a8 = rng.integers(0, 256, (32, 32) if gray else (32, 32, 3), dtype=np.uint8)
    cms = ImageCms.profileToProfile(
        Image.fromarray(a8, "L" if gray else "RGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    want = np.asarray(cms).astype(int)
    want = want[..., 0] if gray else want
    a = a8 if dtype == np.uint8 else a8.astype(np.uint16) * 257
    ours = to_srgb(a, prof)
    assert ours.dtype == dtype and ours.shape == a.shape
    got = np.rint(ours / (257 if dtype == np.uint16 else 1)).astype(int)
    # LittleCMS interpolates its 8-bit gray tables linearly below code 8: compared above it
    fair = a8 >= 8 if gray else np.ones_like(a8, bool)
    assert np.abs(got - want)[fair].max() <= 2
    assert np.abs(got - a8.astype(int)).max() > 10  # the profile does change these pixels


def test_srgb_and_unfollowed_profiles_leave_pixels_alone():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert to_srgb(a, parse(srgb)) is a
    plane = a[..., 0]
    assert to_srgb(plane, parse(CASES["adobe-like RGB"])) is plane  # does not fit
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    assert parse(lab) is None and parse(b"not a profile" * 20) is None


def test_a_gray_scan_is_coloured_with_the_lightness_its_profile_gives(tmp_path, tiny_ckpt):
    """A Photoshop gray scan (here gamma 1.0 and 1.8 profiles, in PNG, TIFF, BigTIFF, JPEG and
    WebP) keeps the lightness the archivist saw, not the one of its numbers read as sRGB (a
    BigTIFF's profile and dpi were not read)."""
    root = tmp_path / "scans"
    root.mkdir()
    x = np.linspace(0.1, 0.9, 96)[None, :] * np.ones((64, 1))
    g = Image.fromarray(np.rint(x * 255).astype(np.uint8), "L")
    linear, g18 = profiles.gray(profiles.curv(1.0)), profiles.gray(profiles.curv(1.8))
    g.save(root / "linear.png", icc_profile=linear)
    g.save(root / "g18.tif", icc_profile=g18)
    g.save(root / "g18big.tif", icc_profile=g18, big_tiff=True, dpi=(4000, 4000))  # a slide's
    g.save(root / "g18.jpg", icc_profile=g18, quality=100)
    g.convert("RGB").save(root / "rgb.webp", icc_profile=profiles.adobe_like(), lossless=True)
    g.save(root / "plain.png")
    r = CliRunner().invoke(main, ["dir", str(root), "-o", str(tmp_path / "out"), "--model",
                                  str(tiny_ckpt), "-q"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    srgb = rgb_to_lab(np.repeat(x[..., None], 3, -1).astype(np.float32))[..., 0]
    luminance = {"linear": x, "g18": x**1.8, "g18big": x**1.8, "rgb": x**2.2, "plain": None}
    for name in ("linear.png", "g18.tif", "g18big.tif", "g18.jpg", "rgb.webp", "plain.png"):
        y = luminance[name.split(".")[0]]
        want = srgb if y is None else 116 * np.cbrt(y) - 16
        out = read_image(tmp_path / "out" / name).pixels.astype(np.float32) / 255
        got = rgb_to_lab(out)[..., 0]
        assert np.abs(got - want).mean() < 1.0, name
    with Image.open(tmp_path / "out" / "g18big.tif") as big:  # a BigTIFF's dpi carried too
        assert [round(v) for v in big.info["dpi"]] == [4000, 4000]


def test_a_profile_that_is_not_followed_is_named_and_libpng_stays_quiet(tmp_path, tiny_ckpt):
    """A CMYK or table profile (a print workflow's, a scanner's) is not followed: the photo
    goes through read as sRGB, and one notice says so (it went unsaid). libpng's own lines
    about a profile it dislikes ("libpng warning: iCCP: ...", printed by the decoder itself)
    do not reach the terminal: the profile is read apart, so the decoder never sees it."""
    root = tmp_path / "scans"
    root.mkdir()
    g = Image.fromarray(np.tile(np.linspace(40, 200, 24), (16, 1)).astype(np.uint8), "L")
    g.convert("CMYK").save(root / "print.jpg", icc_profile=profiles.profile(b"CMYK", []))
    g.convert("RGB").save(root / "scanner.png", icc_profile=profiles.profile(b"RGB ", []))
    g.save(root / "gamma.png", icc_profile=profiles.gray(profiles.curv(1.8)))
    r = procs.run("dir", root, "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "libpng" not in r.stderr, lines
    note = "its colour profile ({}) is not followed: its colours are read as sRGB"
    assert f"notice: {root / 'print.jpg'}: {note.format('CMYK')}" in lines
    assert f"notice: {root / 'scanner.png'}: {note.format('RGB by tables')}" in lines
    assert not [x for x in lines if "gamma.png" in x]  # followed: nothing to say
    assert len(lines) == 3  # the two notices and the summary


def _with_chunks(png: bytes, *chunks: tuple[bytes, bytes]) -> bytes:
    """A PNG's bytes with ``chunks`` (type, body) put right after its IHDR."""
    import struct
    import zlib

    extra = b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )
    return png[:33] + extra + png[33:]


@pytest.mark.parametrize("mode", ["L", "RGB"])
@pytest.mark.parametrize("gamma", [1.0, 1 / 1.8])
def test_a_png_whose_gamma_alone_says_how_its_light_is_coded_is_read_by_it(tmp_path, mode, gamma):
    """A PNG with a gAMA chunk and no sRGB or iCCP chunk: an old Mac's 1/1.8, a scanner's
    linear 1.0. Viewers that follow it show it lighter than its code values read as sRGB,
    which is how it was read; now its light is read as its gAMA codes it. With an sRGB chunk
    (which overrides gAMA), or gAMA at 1/2.2, the code values stay as they are."""
    import struct

    codes = np.tile(np.arange(256, dtype=np.uint8), (4, 1))
    buf = io.BytesIO()
    Image.fromarray(codes).convert(mode).save(buf, format="png")
    gama = (b"gAMA", struct.pack(">I", round(gamma * 100000)))
    (tmp_path / "g.png").write_bytes(_with_chunks(buf.getvalue(), gama))
    (tmp_path / "s.png").write_bytes(_with_chunks(buf.getvalue(), gama, (b"sRGB", b"\x00")))
    got = read_image(tmp_path / "g.png").pixels
    got = got if got.ndim == 2 else got[..., 1]
    light = (codes / 255.0) ** (1 / gamma)
    srgb = np.where(light <= 0.0031308, 12.92 * light, 1.055 * light ** (1 / 2.4) - 0.055)
    assert np.abs(got.astype(float) - srgb * 255).max() <= 0.6
    kept = read_image(tmp_path / "s.png").pixels
    assert np.array_equal(kept if kept.ndim == 2 else kept[..., 1], codes)
    usual = (b"gAMA", struct.pack(">I", 45455))
    (tmp_path / "u.png").write_bytes(_with_chunks(buf.getvalue(), usual))
    plain = read_image(tmp_path / "u.png").pixels
    assert np.array_equal(plain if plain.ndim == 2 else plain[..., 1], codes)
