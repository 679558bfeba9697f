"""Photos already in colour in a black-and-white archive: told apart from toned and yellowed
prints, named when recoloured, and with --keep-colour written as they are."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.imageio import read_image
from colorcli.incolour import IN_COLOUR, bilevel, colour_spread
from tests.conftest import gradient_rgb


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _gray(h=120, w=160, seed=0) -> np.ndarray:
    """(h, w) uint8: a textured black-and-white picture, black to white."""
    return cv2.cvtColor(gradient_rgb(h, w, seed), cv2.COLOR_RGB2GRAY)


def _toned(g: np.ndarray, dark, light) -> np.ndarray:
    """A print toned by a curve of its lightness: ``dark`` tint in the shadows, ``light``
    in the highlights (RGB factors), through a scan's JPEG."""
    t = g[..., None] / 255.0
    rgb = np.clip(g[..., None] * ((1 - t) * np.array(dark) + t * np.array(light)), 0, 255)
    ok, buf = cv2.imencode(".jpg", rgb.astype(np.uint8)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]


@pytest.mark.parametrize(
    "dark,light",
    [
        ((1.0, 0.78, 0.55), (1.0, 0.95, 0.85)),  # sepia
        ((0.35, 0.55, 1.0), (0.85, 0.95, 1.0)),  # cyanotype
        ((1.0, 0.97, 0.85), (1.0, 0.97, 0.85)),  # yellowed paper
        ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),  # gray, in RGB, through JPEG
    ],
)
def test_toned_prints_are_not_colour_photographs(dark, light):
    assert colour_spread(_toned(_gray(), dark, light)) < IN_COLOUR / 2


def test_colour_photographs_are_and_gray_ones_spread_nothing():
    assert colour_spread(gradient_rgb(120, 160)) > 2 * IN_COLOUR
    assert colour_spread(np.repeat(_gray()[..., None], 3, axis=2)) < 1e-3
    assert colour_spread(_gray()) == 0.0  # one channel
    deep = gradient_rgb(120, 160).astype(np.uint16) * 257
    assert colour_spread(deep) == pytest.approx(colour_spread(gradient_rgb(120, 160)), rel=0.01)


def _archive(root: Path) -> tuple[Path, Path]:
    root.mkdir()
    colour, sepia = root / "colour.jpg", root / "sepia.jpg"
    Image.fromarray(gradient_rgb(96, 128, seed=1)).save(colour, quality=90)
    Image.fromarray(_toned(_gray(96, 128), (1.0, 0.78, 0.55), (1.0, 0.95, 0.85))).save(sepia)
    return colour, sepia


def test_a_colour_photo_recoloured_is_named(tmp_path, tiny_ckpt):
    """A family archive holds colour prints too: they were recoloured from their lightness
    without a word (their true colours replaced by guesses). Now a notice names each; a
    toned print is recoloured, as it should be, and says nothing."""
    colour, sepia = _archive(tmp_path / "in")
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert f"notice: {colour}: already in colour: recoloured from its lightness alone" in r.stderr
    assert str(sepia) not in r.stderr
    assert "2 colorized, 0 skipped (already there), 0 failed" in r.stderr


def test_keep_colour_writes_colour_photos_as_they_are(tmp_path, tiny_ckpt):
    colour, sepia = _archive(tmp_path / "in")
    out = tmp_path / "out"
    r = run("dir", tmp_path / "in", "-o", out, "--model", tiny_ckpt, "-q", "--keep-colour")
    assert r.exit_code == 0, r.stderr
    assert f"notice: {colour}: already in colour: kept as it is" in r.stderr
    assert "1 colorized, 1 kept in colour, 0 skipped (already there), 0 failed" in r.stderr
    assert (out / "colour.jpg").read_bytes() == colour.read_bytes()  # not even re-encoded
    # an album in colour is copied whole, every page, and no page is said to be left out
    pages = [Image.fromarray(gradient_rgb(48, 64, seed=k)) for k in range(3)]
    pages[0].save(tmp_path / "in" / "album.tif", save_all=True, append_images=pages[1:])
    r = run("dir", tmp_path / "in", "-o", out, "--model", tiny_ckpt, "-q", "--keep-colour")
    assert r.exit_code == 0, r.stderr
    album = tmp_path / "in" / "album.tif"
    assert r.stderr.strip().splitlines()[0] == f"notice: {album}: already in colour: kept as it is"
    assert "pages" not in r.stderr and Image.open(out / "album.tif").n_frames == 3
    toned = read_image(sepia).pixels.astype(int)
    assert np.abs(read_image(out / "sepia.jpg").pixels.astype(int) - toned).mean() > 1
    # into another format: decoded and written, its pixels as they were
    r = run(
        "dir", tmp_path / "in", "-o", tmp_path / "png", "--model", tiny_ckpt, "-q",
        "--keep-colour", "--format", "png",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    np.testing.assert_array_equal(
        read_image(tmp_path / "png" / "colour.png").pixels, read_image(colour).pixels
    )


def _film(path: Path, colour: bool, black: int = 0) -> Path:
    """Six pictures, in colour or not, after ``black`` frames of a fade in from black."""
    pictures = []
    for i in range(black + 6):
        rgb = gradient_rgb(96, 128, seed=i)
        if not colour:
            rgb = np.repeat(rgb[..., :1], 3, axis=2)
        if i < black:
            rgb = (rgb * (i / (4 * black))).astype(np.uint8)  # dim: the fade's start
        pictures.append(rgb)
    return _film_of(path, pictures)


def _film_of(path: Path, pictures: list[np.ndarray]) -> Path:
    """A 25 fps H.264 film of (h, w, 3) uint8 RGB ``pictures``, a keyframe every 5."""
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.height, v.width = pictures[0].shape[:2]
        v.pix_fmt, v.codec_context.gop_size = "yuv420p", 5
        for rgb in pictures:
            out.mux(v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(v.encode())
    return path


@pytest.mark.parametrize("command", ["image", "video"])
def test_a_colour_photo_or_film_coloured_alone_is_named(tmp_path, tiny_ckpt, command):
    """`colorize image` and `colorize video` name a colour picture they recolour (a film by
    its first picture past a dim opening: a home video among the reels); a toned print or a
    black-and-white film says nothing."""
    if command == "image":
        (colour, plain), ext, what = _archive(tmp_path / "in"), "png", ""
    else:
        # the film opens dim, fading in from black (as most do): its first picture tells
        colour = _film(tmp_path / "colour.mp4", True, black=12)
        plain = _film(tmp_path / "bw.mp4", False, black=12)
        ext, what = "mkv", " (its opening pictures)"
    r = run(command, colour, tmp_path / f"a.{ext}", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    said = f"notice: {colour}: already in colour{what}: recoloured from its lightness alone"
    if command == "video":
        said += " (--keep-colour keeps its scenes in colour)"
    assert r.stderr.strip() == said
    r = run(command, plain, tmp_path / f"b.{ext}", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and r.stderr == "", r.stderr


def test_only_black_and_white_is_told_apart():
    g = _gray()
    line_art = np.where(g > 128, 255, 0).astype(np.uint8)
    assert bilevel(line_art) and bilevel(np.repeat(line_art[..., None], 3, axis=2))
    assert bilevel(line_art.astype(np.uint16) * 257)
    assert not bilevel(g)  # shades of gray
    one_gray = line_art.copy()
    one_gray[50, 61] = 128  # off the sample's grid: the whole picture is looked at
    assert not bilevel(one_gray)
    red = np.zeros((40, 50, 3), np.uint8)
    red[..., 0] = 255  # 0 and 255 in its channels, but red
    assert not bilevel(red)


@pytest.mark.parametrize("stored", ["1-bit.png", "8-bit.png", "1-bit.tif"])
def test_a_one_bit_scan_is_said_to_hold_no_colour(tmp_path, tiny_ckpt, stored):
    """A 1-bit scan (text, line art, a halftone) came out exactly as it went in, without a
    word: pure black and pure white admit no colour. Now a notice says so, and why."""
    (tmp_path / "in").mkdir()
    art = Image.fromarray(np.where(_gray(60, 80) > 128, 255, 0).astype(np.uint8))
    scan = tmp_path / "in" / f"scan{Path(stored).suffix}"
    if stored.startswith("1-bit"):
        art.convert("1").save(scan, **({"compression": "group4"} if scan.suffix == ".tif" else {}))
    else:
        art.save(scan)
    Image.fromarray(_gray(60, 80)).save(tmp_path / "in" / "photo.png")
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert f"notice: {scan}: only pure black and white" in r.stderr
    assert "photo.png" not in r.stderr
    assert "2 colorized" in r.stderr
    r = run("image", scan, tmp_path / "one.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and "they hold no colour" in r.stderr


@pytest.mark.parametrize("level,shade", [(0, "black"), (255, "white")])
def test_a_blank_picture_is_named_blank_not_a_one_bit_scan(tmp_path, tiny_ckpt, level, shade):
    """An all-black or all-white picture (an empty scanner bed) was told it was a 1-bit scan
    of text or line art, to be scanned again in shades of gray."""
    (tmp_path / "in").mkdir()
    blank = tmp_path / "in" / "blank.png"
    Image.fromarray(np.full((40, 60), level, np.uint8)).save(blank)
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    said = f"notice: {blank}: a blank picture (all {shade}): nothing in it to colour"
    assert said in r.stderr and "1-bit" not in r.stderr
    r = run("image", blank, tmp_path / "one.png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0 and said[8:] in r.stderr and "1-bit" not in r.stderr


@pytest.mark.parametrize("kind", ["colour in places", "gray", "toned", "colour throughout"])
def test_a_film_in_colour_in_places_is_named(tmp_path, tiny_ckpt, kind):
    """A documentary's colour interviews among black-and-white archive footage: only a film
    in colour at its opening was named, the rest recoloured from their lightness without a
    word. Now the film's sampled pictures name the places; a gray or toned film says
    nothing, a film in colour from its start is named once, as before."""
    colour = [gradient_rgb(64, 96, seed=k) for k in range(50)]
    gray = [np.repeat(_gray(64, 96, seed=k)[..., None], 3, axis=2) for k in range(50)]
    pictures = {
        "colour in places": gray[:25] + colour[25:],
        "gray": gray,
        "toned": [_toned(g[..., 0], (1.0, 0.78, 0.55), (1.0, 0.95, 0.85)) for g in gray],
        "colour throughout": colour,
    }[kind]
    src = _film_of(tmp_path / "doc.mp4", pictures)
    r = run("video", src, tmp_path / "out.mp4", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    places = f"notice: {src}: in colour in places ("
    if kind == "colour in places":
        assert places in r.stderr and "pictures sampled through it, at 0:00:01" in r.stderr
        # each time once (the samples of a 2 s film all fall in its second second)
        assert "at 0:00:01): recoloured from its lightness alone (--keep-colour keeps" in r.stderr
    else:
        assert places not in r.stderr
    assert ("already in colour (its opening pictures)" in r.stderr) == (kind == "colour throughout")


@pytest.mark.parametrize("how", ["video", "segments", "frames", "dir"])
def test_keep_colour_writes_a_films_scenes_in_colour_as_they_came(tmp_path, tiny_ckpt, how):
    """--keep-colour: the colour interviews among a documentary's black-and-white footage
    come out as they went in, the black-and-white footage coloured; in one encode, in
    segments, as numbered frames and in `colorize dir`."""
    import av

    colour = [gradient_rgb(64, 96, seed=k) for k in range(50)]
    gray = [np.repeat(_gray(64, 96, seed=k)[..., None], 3, axis=2) for k in range(50)]
    pictures = gray[:25] + colour[25:]
    (tmp_path / "in").mkdir()
    src = _film_of(tmp_path / "in" / "doc.mp4", pictures)
    args = ["--model", tiny_ckpt, "-q", "--keep-colour"]
    if how == "dir":
        r = run("dir", tmp_path / "in", "-o", tmp_path / "out", *args)
        out = tmp_path / "out" / "doc.mp4"
    elif how == "frames":
        (tmp_path / "f").mkdir()
        r = run("video", src, tmp_path / "f" / "%03d.png", *args)
    else:
        out = tmp_path / "out.mkv"
        seconds = "0" if how == "video" else "0.4"
        r = run("video", src, out, "--segment-seconds", seconds, *args)
    assert r.exit_code == 0, r.stderr
    if how == "frames":
        frames = [np.asarray(Image.open(tmp_path / "f" / f"{i:03d}.png")) for i in range(50)]
    else:
        with av.open(str(out)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(src)) as c:  # as the film holds them (its H.264 made them a little off)
        inputs = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 50
    kept = [np.abs(frames[i].astype(int) - inputs[i]).mean() for i in range(33, 50)]
    coloured = [np.abs(frames[i].astype(int) - inputs[i]).mean() for i in range(25)]
    # as they came, but for encoding again (x264 at crf 18 loses 4 levels of this noise;
    # recoloured, they are 56 levels off)
    assert max(kept) < 8, kept
    assert min(coloured) > 30, coloured  # the gray footage coloured (the tiny model's tint)
    if how != "dir":  # without the flag, the colour scenes are recoloured
        r = run("video", src, tmp_path / "re.mkv", "--model", tiny_ckpt, "-q")
        with av.open(str(tmp_path / "re.mkv")) as c:
            again = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert min(np.abs(again[i].astype(int) - inputs[i]).mean() for i in range(33, 50)) > 30


@pytest.mark.parametrize("how", ["video", "segments", "frames"])
def test_the_summary_counts_the_frames_kept_in_colour(tmp_path, tiny_ckpt, how):
    """The last line says how many frames were already in colour and kept as they came: the
    colour half of the film (less its first keys, recoloured while the scene is told), in
    segments without the frames each segment decodes before its own to warm up."""
    import re

    colour = [gradient_rgb(64, 96, seed=k) for k in range(50)]
    gray = [np.repeat(_gray(64, 96, seed=k)[..., None], 3, axis=2) for k in range(50)]
    src = _film_of(tmp_path / "doc.mp4", gray[:25] + colour[25:])
    if how == "frames":
        (tmp_path / "f").mkdir()
        out, extra = tmp_path / "f" / "%03d.png", []
    else:
        out, extra = tmp_path / "out.mkv", ["--segment-seconds", "0" if how == "video" else "0.4"]
    r = run("video", src, out, "--model", tiny_ckpt, "--keep-colour", *extra)
    assert r.exit_code == 0, r.stderr
    said = re.search(
        r"50 frames in .*, (\d+) of them already in colour, kept as they came\)", r.output
    )
    assert said, r.output
    assert 17 <= int(said.group(1)) <= 25
    r = run("video", src, tmp_path / "plain.mkv", "--model", tiny_ckpt)  # without the flag
    assert r.exit_code == 0 and "50 frames in" in r.output and "kept as they came" not in r.output


def test_a_scene_is_taken_in_colour_at_its_first_clear_key_and_turns_on_two_that_agree():
    from colorcli.incolour import ColourScenes

    colour = gradient_rgb(64, 96, seed=1)
    gray = np.repeat(_gray(64, 96, seed=1)[..., None], 3, axis=2)
    scenes = ColourScenes(dim=5.0)
    assert not scenes(colour, True, 1.0)  # a dim opening tells nothing
    assert scenes(colour, False, 30.0)  # the first clear key tells at once
    assert scenes(gray, False, 30.0)  # one key that says otherwise does not turn it
    assert scenes(colour, False, 30.0)
    assert scenes(gray, False, 30.0) and not scenes(gray, False, 30.0)  # two in a row do
    assert scenes(colour, True, 30.0)  # a cut: told afresh at once


@pytest.mark.parametrize("kind", ["tiff", "pdf"])
def test_keep_colour_keeps_an_albums_pages_in_colour_and_colours_the_rest(
    tmp_path, tiny_ckpt, kind
):
    """An album (a multi-page TIFF, a scanned PDF) of a colour print and a black-and-white
    one: with --keep-colour the colour page stays as it is and the gray one is coloured. The
    album was kept whole where its first page was in colour (the gray pages uncoloured), and
    recoloured whole otherwise."""
    from colorcli.pages import read_pages
    from colorcli.pdfscan import pictures, read_scanned_pdf
    from tests.pdfmake import write_pdf

    colour = gradient_rgb(150, 200, seed=3)  # a PDF picture under 64 pixels is no scan
    gray = np.repeat(_gray(150, 200, seed=4)[..., None], 3, axis=2)
    (tmp_path / "in").mkdir()
    if kind == "tiff":
        src = tmp_path / "in" / "album.tif"
        first, *rest = [Image.fromarray(a) for a in (colour, gray)]
        first.save(src, save_all=True, append_images=rest, compression="tiff_lzw")
    else:
        src = write_pdf(tmp_path / "in" / "album.pdf", [colour, gray], "flate")
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt, "-q",
            "--keep-colour")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "1 of its" in r.stderr and "already in colour" in r.stderr, r.stderr
    out = tmp_path / "out" / src.name
    if kind == "tiff":
        got = [p.pixels for p in read_pages(out)]
    else:
        got = [px for _, px in pictures(read_scanned_pdf(out.read_bytes(), 10**8))]
    assert np.abs(got[0].astype(int) - colour).max() == 0  # the colour print as it was
    assert np.abs(got[1].astype(int) - gray).mean() > 10  # the gray one coloured
