"""Guided colour for photos: hint layers, points, gamut mapping, the network's view of hints,
the image and dir commands with hints, and the simulated hints that score them."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.errors import ConfigError, MediaError
from colorcli.guide import Guide, guide_from_layer, guide_from_points, guide_net, parse_point
from colorcli.kernels import rgb_to_lab
from colorcli.train.hinteval import simulate_hints, spread_hints
from tests.conftest import gradient_rgb


def _layer(h, w, box, rgb, alpha=255):
    """An RGBA hint layer: transparent but for ``box`` (y0, y1, x0, x1) painted ``rgb``."""
    layer = np.zeros((h, w, 4), np.uint8)
    y0, y1, x0, x1 = box
    layer[y0:y1, x0:x1, :3] = rgb
    layer[y0:y1, x0:x1, 3] = alpha
    return layer


def test_hint_points_parse_and_bad_ones_are_named():
    assert parse_point("12,7,#1a2B3c") == (12, 7, (0x1A, 0x2B, 0x3C))
    # a colour by its CSS name or short form, a place by a share of the picture's sides
    assert parse_point("3, 4, navy") == (3, 4, (0, 0, 128))
    assert parse_point("50%,0%,Dark Olive Green") == (0.5, 0.0, (85, 107, 47))
    assert parse_point("100%,12.5%,#fa0") == (1.0, 0.125, (255, 170, 0))
    for bad in ("12,7", "a,b,#ffffff", "1,2,", "-1,2,red", "1,2"):
        with pytest.raises(ConfigError, match="expected X,Y,COLOUR"):
            parse_point(bad)
    with pytest.raises(ConfigError, match=r"'navvy' is not a colour \(did you mean navy\?\)"):
        parse_point("1,2,navvy")
    with pytest.raises(ConfigError, match="'#gggggg' is not a colour: use #RRGGBB"):
        parse_point("1,2,#gggggg")
    with pytest.raises(ConfigError, match="150% is past the picture's edge"):
        parse_point("150%,2,red")
    with pytest.raises(ConfigError, match="outside the 10x8 image"):
        guide_from_points([(10, 0, (255, 0, 0))], np.full((8, 10), 50.0, np.float32))
    # shares land on the pixels they name: 100% is the last, 50% the middle
    g = guide_from_points([(1.0, 0.5, (255, 0, 0))], np.full((9, 11), 50.0, np.float32))
    assert g.points[0][:2] == (10.0, 4.0)


def test_every_css_colour_name_is_the_one_browsers_show():
    """The names a hint may use are CSS's colour keywords, each the colour it is everywhere
    else (Pillow knows them too)."""
    from PIL import ImageColor

    from colorcli.colournames import NAMED

    assert set(NAMED) == set(ImageColor.colormap)
    for name, rgb in NAMED.items():
        assert ImageColor.getrgb(name) == rgb, name


def test_a_layer_hints_only_where_opaque_with_the_chroma_it_asks_for():
    l_full = np.full((40, 60), 55.0, np.float32)
    layer = _layer(20, 30, (2, 6, 3, 9), (40, 90, 200))
    layer[10:12, 10:12] = (255, 0, 0, 100)  # under half opaque: no hint
    g = guide_from_layer(layer[..., :3], layer[..., 3], l_full, "h.png")  # scaled x2 to the photo
    assert g.mask.shape == (40, 60) and set(np.unique(g.mask)) == {0.0, 1.0}
    assert g.mask[4:12, 6:18].all() and g.mask.sum() == 8 * 12
    want = rgb_to_lab(np.array([[[40, 90, 200]]], np.uint8))[0, 0, 1:]
    np.testing.assert_allclose(g.ab[5, 8], want, atol=1.5)  # its chroma; its L is not used
    assert not g.notices
    with pytest.raises(MediaError, match="needs transparency"):
        guide_from_layer(layer[..., :3], None, l_full, "h.png")
    empty = guide_from_layer(layer[..., :3], np.zeros((20, 30), np.uint8), l_full, "h.png")
    assert empty.empty and "no pixel is opaque enough" in empty.notices[0]
    # a layer of another shape (cropped, or painted on another canvas): stretched, and said
    square = guide_from_layer(layer[:, :20, :3], layer[:, :20, 3], l_full, "h.png")
    assert square.notices == (
        "h.png: 20x20, not the photo's shape (60x40): stretched onto it, so its hints may "
        "land beside their places (a cropped or resized canvas?)",
    )


def test_a_colour_the_pixels_lightness_cannot_show_is_gamut_mapped_with_a_notice():
    l_full = np.full((8, 8), 97.0, np.float32)  # near white: no saturated blue exists there
    layer = _layer(8, 8, (0, 8, 0, 8), (0, 0, 255))
    g = guide_from_layer(layer[..., :3], layer[..., 3], l_full, "h.png")
    assert "64 hint pixels asked for more colour" in g.notices[0]
    blue = rgb_to_lab(np.array([[[0, 0, 255]]], np.uint8))[0, 0, 1:]
    chroma = np.hypot(*g.ab[0, 0])
    assert 0 < chroma < 0.5 * np.hypot(*blue)
    hue = np.degrees(np.arctan2(g.ab[0, 0, 1], g.ab[0, 0, 0]) - np.arctan2(blue[1], blue[0]))
    assert abs((hue + 180) % 360 - 180) < 5  # the same hue, less of it
    pts = guide_from_points([(1, 1, (0, 0, 255)), (2, 2, (128, 128, 128))], l_full)
    assert "1 of 2 hints asked for more colour" in pts.notices[0]


def test_a_one_pixel_hint_in_a_large_scan_reaches_the_network_whole():
    h, w = 2000, 3000
    ab, mask = np.zeros((h, w, 2), np.float32), np.zeros((h, w), np.float32)
    ab[1000, 1500], mask[1000, 1500] = (30.0, -20.0), 1.0
    net = guide_net(Guide(ab=ab, mask=mask), (h, w), (100, 150))
    assert net.shape == (3, 100, 150) and net[2].max() == 1.0 and (net[2] > 0).sum() <= 4
    y, x = np.unravel_index(net[2].argmax(), net[2].shape)
    assert abs(y - 50) <= 1 and abs(x - 75) <= 1
    np.testing.assert_allclose(net[:2, y, x] * 110, (30.0, -20.0), atol=0.1)
    pts = guide_net(Guide(points=((1500.0, 1000.0, (30.0, -20.0)),)), (h, w), (100, 150))
    assert (pts[2] > 0).sum() == 25  # a point is a 5x5 square of network pixels


def test_hints_change_a_hint_models_colours_and_keep_the_lightness(hint_ckpt, tiny_ckpt):
    img = gradient_rgb(48, 64)
    c = Colorizer(hint_ckpt, device="cpu")
    l_full = rgb_to_lab(img)[..., 0]
    layer = _layer(48, 64, (0, 48, 0, 32), (20, 160, 40))
    g = guide_from_layer(layer[..., :3], layer[..., 3], l_full)
    plain, hinted = c.colorize(img), c.colorize(img, g)
    assert np.abs(plain.astype(int) - hinted.astype(int)).max() > 10
    for out in (plain, hinted):
        assert np.abs(rgb_to_lab(out)[..., 0] - l_full).mean() < 1.0
    batch = c.colorize_batch([img, img], [None, g])  # guides go with their own image
    assert np.abs(batch[0].astype(int) - plain).max() <= 2
    assert np.abs(batch[1].astype(int) - hinted).max() <= 2
    with pytest.raises(ConfigError, match="not trained to take hints"):
        Colorizer(tiny_ckpt, device="cpu").colorize(img, g)


def test_colorize_image_with_hints_and_points(tmp_path, hint_ckpt, tiny_ckpt):
    src, hints = tmp_path / "in.png", tmp_path / "paint.png"
    Image.fromarray(gradient_rgb(48, 64)[..., 0]).save(src)
    Image.fromarray(_layer(24, 32, (0, 24, 0, 16), (20, 160, 40)), "RGBA").save(hints)
    run = CliRunner().invoke
    base = ["image", "--model", str(hint_ckpt), "--quiet"]
    r = run(main, [*base, str(src), str(tmp_path / "plain.png")])
    assert r.exit_code == 0, r.output
    r = run(
        main,
        [
            *base,
            "--hints",
            str(hints),
            "--hint",
            "60,40,#0000ff",
            str(src),
            str(tmp_path / "h.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    plain = np.asarray(Image.open(tmp_path / "plain.png"), int)
    hinted = np.asarray(Image.open(tmp_path / "h.png"), int)
    assert np.abs(plain - hinted).max() > 4
    # a layer with nothing opaque on it: the automatic colours, and a notice that says why
    Image.fromarray(np.zeros((24, 32, 4), np.uint8), "RGBA").save(tmp_path / "clear.png")
    r = run(
        main, [*base, "--hints", str(tmp_path / "clear.png"), str(src), str(tmp_path / "c.png")]
    )
    assert r.exit_code == 0 and "clear.png: no pixel is opaque enough" in r.output, r.output
    assert np.abs(np.asarray(Image.open(tmp_path / "c.png"), int) - plain).max() <= 1
    # the error paths: one line each, naming the file or the option
    Image.fromarray(gradient_rgb(8, 8)).save(tmp_path / "opaque.png")
    cases = [
        (["--hint", "1,2"], 2, "expected X,Y,COLOUR"),
        (["--hint", "1,2,navvy"], 2, "'navvy' is not a colour (did you mean navy?)"),
        (["--hint", "999,2,#ff0000"], 1, "outside the 64x48 image"),
        (["--hints", str(tmp_path / "missing.png")], 1, "missing.png"),
        (
            ["--hints", str(tmp_path / "opaque.png")],
            1,
            "opaque.png: a hint image needs transparency",
        ),
    ]
    for extra, code, msg in cases:
        r = run(main, [*base, *extra, str(src), str(tmp_path / "x.png")])
        assert r.exit_code == code and msg in r.output, (extra, r.output)
        assert "Traceback" not in r.output and not (tmp_path / "x.png").exists()
    r = run(
        main,
        [
            "image",
            "--model",
            str(tiny_ckpt),
            "--hint",
            "1,2,#ff0000",
            str(src),
            str(tmp_path / "x.png"),
        ],
    )
    assert r.exit_code == 1 and "was not trained to take hints" in r.output


def test_hints_count_the_pixels_of_a_photo_as_it_is_shown(tmp_path, hint_ckpt):
    """A camera's photo stored on its side (EXIF orientation 6: stored 100 x 60, shown 60 x
    100): --hint counts pixels as the photo is shown, and the summary gives that size."""
    img = Image.fromarray(np.full((60, 100), 128, np.uint8))
    exif = img.getexif()
    exif[0x0112] = 6
    src = tmp_path / "side.jpg"
    img.save(src, exif=exif)
    base = ["image", str(src), "--model", str(hint_ckpt)]
    r = CliRunner().invoke(main, [*base, str(tmp_path / "a.png"), "--hint", "59,99,navy"])
    assert r.exit_code == 0 and "(60x100," in r.output, r.output
    assert np.asarray(Image.open(tmp_path / "a.png")).shape == (100, 60, 3)
    r = CliRunner().invoke(main, [*base, str(tmp_path / "b.png"), "--hint", "99,59,navy"])
    assert r.exit_code == 1 and "--hint 99,59: outside the 60x100 image" in r.output, r.output


def test_dir_takes_sidecar_hints_and_never_colours_them(tmp_path, hint_ckpt, tiny_ckpt):
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("a", "b"):
        Image.fromarray(gradient_rgb(48, 64)[..., 0]).save(root / f"{name}.jpg")
    Image.fromarray(_layer(48, 64, (0, 48, 0, 32), (20, 160, 40)), "RGBA").save(
        root / "a.hints.png"
    )
    r = CliRunner().invoke(
        main, ["dir", str(root), "-o", str(tmp_path / "out"), "--model", str(hint_ckpt), "--quiet"]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jpg", "b.jpg"]
    a = np.asarray(Image.open(tmp_path / "out" / "a.jpg"), int)
    b = np.asarray(Image.open(tmp_path / "out" / "b.jpg"), int)
    assert np.abs(a - b).max() > 4  # the same photo, guided and not
    # a sidecar whose photo is not beside it under that name is said to be unused
    Image.fromarray(_layer(48, 64, (0, 8, 0, 8), (20, 160, 40)), "RGBA").save(root / "c.hints.png")
    r = CliRunner().invoke(
        main, ["dir", str(root), "-o", str(tmp_path / "o1"), "--model", str(hint_ckpt), "--quiet"]
    )
    assert r.exit_code == 0 and "c.hints.png: not used: no photo beside it" in r.output
    assert sorted(p.name for p in (tmp_path / "o1").iterdir()) == ["a.jpg", "b.jpg"]
    assert "a.hints.png: not used" not in r.output
    (root / "c.hints.png").unlink()
    # a sidecar without transparency fails its photo only, naming the sidecar
    Image.fromarray(gradient_rgb(8, 8)).save(root / "b.hints.png")
    r = CliRunner().invoke(
        main, ["dir", str(root), "-o", str(tmp_path / "o2"), "--model", str(hint_ckpt), "--quiet"]
    )
    assert r.exit_code == 1 and "b.hints.png: a hint image needs transparency" in r.output
    assert "1 colorized" in r.output and (tmp_path / "o2" / "a.jpg").exists()
    r = CliRunner().invoke(
        main, ["dir", str(root), "-o", str(tmp_path / "o3"), "--model", str(tiny_ckpt), "--quiet"]
    )
    assert (
        r.exit_code == 1
        and "a.hints.png: not used: the model was not trained to take hints" in r.output
    )


def test_simulated_hints_are_seeded_and_the_spread_baseline_follows_them():
    truth = gradient_rgb(60, 80, seed=3)
    a, b = simulate_hints(truth, 10, "photo.jpg"), simulate_hints(truth, 10, "photo.jpg")
    np.testing.assert_array_equal(a.centres, b.centres)
    assert a.guide.mask.sum() <= 10 * 25 and len(a.lum) == 10
    assert not np.array_equal(simulate_hints(truth, 10, "other.jpg").centres, a.centres)
    spread = rgb_to_lab(spread_hints(truth, a))
    x, y = (int(v) for v in a.centres[0])
    lab = rgb_to_lab(truth)
    assert np.abs(spread[..., 0] - lab[..., 0]).mean() < 1.0  # the photo's L is kept
    assert np.hypot(*(spread[y, x, 1:] - a.ab[0])) < np.hypot(*a.ab[0]) + 1e-3


def test_colorize_image_after_a_reference_photo(tmp_path, tiny_ckpt, hint_ckpt):
    gray = gradient_rgb(48, 64)[..., 0]
    lum = rgb_to_lab(np.repeat(gray[..., None], 3, -1))[..., 0]
    want = np.float32((-15.0, 10.0))  # a mild green the tiny models never predict
    from colorcli.kernels import compose_rgb8

    ref = compose_rgb8(lum, np.broadcast_to(want, lum.shape + (2,)).copy())
    src, refp = tmp_path / "in.png", tmp_path / "ref.jpg"
    Image.fromarray(gray).save(src)
    Image.fromarray(ref[4:, 6:]).save(refp, quality=95)  # another framing of the same view
    for ckpt in (tiny_ckpt, hint_ckpt):
        out = tmp_path / f"out_{ckpt.stem}.png"
        r = CliRunner().invoke(
            main,
            ["image", str(src), str(out), "--model", str(ckpt), "--reference", str(refp), "-q"],
        )
        assert r.exit_code == 0 and "almost no colour" not in r.output, r.output
        ab = rgb_to_lab(np.asarray(Image.open(out)))[..., 1:].reshape(-1, 2).mean(axis=0)
        assert np.hypot(*(ab - want)) < 6, ab
    # the gray photo itself given as the reference: coloured, with a notice that says why gray
    r = CliRunner().invoke(
        main,
        [
            "image",
            str(src),
            str(tmp_path / "g.png"),
            "--model",
            str(hint_ckpt),
            "--reference",
            str(src),
        ],
    )
    assert r.exit_code == 0 and "in.png: has almost no colour" in r.output, r.output
    base = ["image", str(src), str(tmp_path / "x.png"), "--model", str(hint_ckpt)]
    r = CliRunner().invoke(main, [*base, "--reference", str(tmp_path / "none.jpg")])
    assert r.exit_code == 1 and "none.jpg" in r.output and not (tmp_path / "x.png").exists()
    r = CliRunner().invoke(main, [*base, "--reference", str(refp), "--hint", "1,1,#ff0000"])
    # one line, before the hints are read (it came after a notice on a hint out of gamut)
    assert r.exit_code == 1 and r.output.startswith("error: --reference goes alone"), r.output
    assert len(r.output.splitlines()) == 1


def test_colorize_dir_after_a_reference_photo(tmp_path, tiny_ckpt):
    from colorcli.kernels import compose_rgb8

    gray = gradient_rgb(48, 64)[..., 0]
    lum = rgb_to_lab(np.repeat(gray[..., None], 3, -1))[..., 0]
    want = np.float32((-15.0, 10.0))
    refp = tmp_path / "ref.png"
    Image.fromarray(compose_rgb8(lum, np.broadcast_to(want, lum.shape + (2,)).copy())).save(refp)
    src = tmp_path / "album"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(gray).save(src / "a.png")
    Image.fromarray(gray[::-1]).save(src / "sub" / "b.png")
    out = tmp_path / "out"
    args = ["dir", str(src), "-o", str(out), "--model", str(tiny_ckpt), "-q"]
    r = CliRunner().invoke(main, [*args, "--reference", str(refp)])
    assert r.exit_code == 0, r.output
    for name in ("a.png", "sub/b.png"):  # every photo takes the reference's colours
        ab = rgb_to_lab(np.asarray(Image.open(out / name)))[..., 1:].reshape(-1, 2).mean(axis=0)
        assert np.hypot(*(ab - want)) < 6, (name, ab)
    # a reference that cannot be read stops the run before any work, naming it
    r = CliRunner().invoke(
        main,
        [*args[:3], str(tmp_path / "o2"), *args[4:], "--reference", str(tmp_path / "none.jpg")],
    )
    assert r.exit_code == 1 and "none.jpg" in r.output and not (tmp_path / "o2").exists()
