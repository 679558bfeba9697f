"""A black-and-white print on its card mount, scanned in colour (a cabinet card, a carte de
visite, an album page): the print is coloured as it is alone, the card keeps the colours the
scan shows, lettering and all, and the scan does not count as a colour photograph."""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.albumpages import page_prints, photo_in_colour
from colorcli.borders import content_box
from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.kernels import lab_to_rgb, rgb_to_lab
from colorcli.mounts import mount_box
from tests.conftest import gradient_rgb

# Lab of cards as archives hold them
CARDS = {
    "cream": (82, 2, 14),
    "brown": (28, 8, 16),
    "gray-green": (55, -4, 6),
    "maroon": (30, 25, 10),
    "mid gray": (50, 0, 0),
}
GILT = (170, 140, 60)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _print(h: int, w: int) -> np.ndarray:
    """A black-and-white print: texture everywhere, in shades of gray."""
    g = np.clip(lightness(gradient_rgb(h, w)) * 2.55, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, -1)


def _card(photo: np.ndarray, lab, seed: int = 0, jpeg: bool = True):
    """``photo`` on a card of colour ``lab`` (a little texture), wider below, a studio's
    name in gilt under it; the card as a scan saved as JPEG, and where the print lies."""
    rng = np.random.default_rng(seed)
    h, w = photo.shape[:2]
    top, side, bottom = h // 8, w // 10, h // 4
    card = np.zeros((h + top + bottom, w + 2 * side, 3), np.float32)
    card[:] = lab
    card[..., 0] += rng.normal(0, 1.0, card.shape[:2])
    out = (lab_to_rgb(card) * 255).clip(0, 255).astype(np.uint8)
    out[top : top + h, side : side + w] = photo
    scale = w / 500
    cv2.putText(out, "PHOTOGRAPHER", (side + w // 8, top + h + bottom // 2), 0, scale, GILT, 2)
    if jpeg:
        _, enc = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        out = np.ascontiguousarray(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1])
    return out, (top, top + h, side, side + w)


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("size", [(150, 200), (600, 480)])
def test_a_print_on_its_card_is_found(card, size):
    scan, (y0, y1, x0, x1) = _card(_print(*size), CARDS[card])
    box = mount_box(scan, lightness(scan))
    assert box is not None
    assert max(abs(box.y0 - y0), abs(box.y1 - y1), abs(box.x0 - x0), abs(box.x1 - x1)) <= 2
    # the same card scanned in gray: its mount is found too (and kept gray)
    gray = np.ascontiguousarray(scan[..., 1])
    assert mount_box(gray, lightness(gray)) is not None


def test_what_is_no_mount_is_left():
    """A colour photograph of a thing on a plain ground, a photo without a plain ring, and
    a white print border (colorcli.borders's own) are not mounts."""
    thing = gradient_rgb(120, 160)  # in colour
    scan, _ = _card(thing, CARDS["brown"])
    assert mount_box(scan, lightness(scan)) is None
    photo = gradient_rgb(200, 260)
    assert mount_box(photo, lightness(photo)) is None
    white, _ = _card(_print(120, 160), (96, 0, 0))
    assert mount_box(white, lightness(white)) is None


def test_the_card_keeps_its_colours_and_the_print_colours_as_alone(tiny_ckpt):
    c = Colorizer(tiny_ckpt, device="cpu")
    photo = _print(240, 320)
    scan, (y0, y1, x0, x1) = _card(photo, CARDS["maroon"], jpeg=False)
    out = c.colorize(scan)
    card = np.ones(scan.shape[:2], bool)
    card[y0:y1, x0:x1] = False
    assert np.array_equal(out[card], scan[card])  # the card, its gilt lettering, as scanned
    alone = c.colorize(photo)
    d = np.abs(rgb_to_lab(out[y0:y1, x0:x1])[..., 1:] - rgb_to_lab(alone)[..., 1:]).mean()
    assert d < 0.5, d


def test_a_print_on_a_brown_card_is_no_colour_photograph(tmp_path, tiny_ckpt):
    """It was called 'already in colour: recoloured from its lightness alone', and with
    --keep-colour written as it was, its print left black and white."""
    scan, _ = _card(_print(240, 320), CARDS["brown"])
    assert not photo_in_colour(scan)
    (tmp_path / "in").mkdir()
    cv2.imwrite(str(tmp_path / "in" / "card.png"), scan[..., ::-1])
    r = run(
        "dir", tmp_path / "in", "-o", tmp_path / "out", "--keep-colour", "--model", tiny_ckpt, "-q"
    )
    assert r.exit_code == 0, r.stderr
    assert "already in colour" not in r.stderr and "as they are" not in r.stderr, r.stderr
    assert "1 colorized" in r.stderr
    out = cv2.imread(str(tmp_path / "out" / "card.png"))[..., ::-1]
    assert not np.array_equal(out, scan)  # coloured, not copied
    assert photo_in_colour(gradient_rgb(200, 260))  # a colour photograph still is one


def test_a_colour_scans_margins_keep_what_the_scan_shows(tiny_ckpt):
    """A red date stamp on a print's white border, scanned in colour: the border was given
    its lightness alone (the stamp came out gray); now it is as the scan shows it."""
    photo = _print(200, 260)
    scan = np.full((260, 320, 3), 238, np.uint8)
    scan[30:230, 30:290] = photo
    scan[240:252, 40:120] = (200, 30, 30)  # the stamp
    out = Colorizer(tiny_ckpt, device="cpu").colorize(scan)
    assert np.array_equal(out[240:252, 40:120], scan[240:252, 40:120])
    assert np.array_equal(out[:30], scan[:30])


def _album(prints: list[np.ndarray], lab, ink=(235, 235, 235)):
    """Prints side by side on a page of colour ``lab``, a caption under each; the page (no
    JPEG) and where each print lies."""
    h = max(p.shape[0] for p in prints)
    W = sum(p.shape[1] for p in prints) + 40 * (len(prints) + 1)
    page = np.zeros((h + 110, W, 3), np.float32)
    page[:] = lab
    page[..., 0] += np.random.default_rng(1).normal(0, 1.0, page.shape[:2])
    out = (lab_to_rgb(page) * 255).clip(0, 255).astype(np.uint8)
    places, x = [], 40
    for p in prints:
        out[40 : 40 + p.shape[0], x : x + p.shape[1]] = p
        cv2.putText(out, "Summer 1952", (x + 10, 40 + p.shape[0] + 30), 0, 0.5, ink, 1)
        places.append((40, 40 + p.shape[0], x, x + p.shape[1]))
        x += p.shape[1] + 40
    return out, places


@pytest.mark.parametrize("paper", [(12, 1, 2), (84, 2, 12), (30, 8, 14)])
def test_an_album_pages_prints_are_coloured_alone_and_the_page_kept(tiny_ckpt, paper):
    """Three prints on black, cream or brown paper, captioned: the page was coloured as one
    photo (the paper between the prints painted). Each print is now coloured as it is
    alone, and the paper and captions are as scanned."""
    prints = [_print(160, 200), _print(200, 150)[::-1], _print(140, 180)[:, ::-1]]
    page, places = _album(prints, paper)
    assert len(page_prints(page)) == 3
    c = Colorizer(tiny_ckpt, device="cpu")
    out = c.colorize(page)
    paper_px = np.ones(page.shape[:2], bool)
    for y0, y1, x0, x1 in places:
        paper_px[y0:y1, x0:x1] = False
    assert np.array_equal(out[paper_px], page[paper_px])
    for (y0, y1, x0, x1), p in zip(places, prints, strict=True):
        alone = c.colorize(np.ascontiguousarray(p))
        d = np.abs(rgb_to_lab(out[y0:y1, x0:x1])[..., 1:] - rgb_to_lab(alone)[..., 1:]).mean()
        assert d < 0.5, d
    assert not photo_in_colour(page)
    assert c.last_plain == (None,)


def test_what_is_no_album_page_is_left():
    """One print on a page is a mount's (or a margin's) job; colour photos on a page, and a
    photo, are not album pages."""
    assert page_prints(_album([_print(160, 200)], (30, 8, 14))[0]) is None
    colour, _ = _album([gradient_rgb(160, 200), gradient_rgb(150, 200)], (30, 8, 14))
    assert page_prints(colour) is None
    assert page_prints(gradient_rgb(300, 400)) is None


def _mixed_page(tmp_path):
    """A page of two black-and-white prints and a colour print between them, on cream
    paper, written as in/page.png; the page and where its colour print lies."""
    page, places = _album([_print(160, 200), gradient_rgb(150, 200), _print(140, 180)], (84, 2, 12))
    (tmp_path / "in").mkdir()
    cv2.imwrite(str(tmp_path / "in" / "page.png"), page[..., ::-1])
    return page, places


def test_a_colour_print_among_black_and_white_ones_is_found_as_a_print():
    """A family album of the 1960s holds colour prints beside black-and-white ones: the page
    was taken for a colour photograph (--keep-colour left it all as scanned, its
    black-and-white prints too) or coloured whole (the paper painted)."""
    page, places = _album([_print(160, 200), gradient_rgb(150, 200), _print(140, 180)], (12, 1, 2))
    found = sorted(page_prints(page), key=lambda p: p[1].start)
    assert [p[3] for p in found] == [None, "colour", None]
    for (rows, cols, _, _), place in zip(found, places, strict=True):
        got = (rows.start, rows.stop, cols.start, cols.stop)
        assert np.abs(np.subtract(got, place)).max() <= 3, (got, place)
    assert not photo_in_colour(page)


@pytest.mark.parametrize("keep", [True, False])
def test_an_album_pages_colour_print_is_kept_as_scanned(tmp_path, tiny_ckpt, keep):
    """Its colours are real: kept with or without --keep-colour (which keeps whole files)."""
    page, places = _mixed_page(tmp_path)
    flag = ["--keep-colour"] if keep else []
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", *flag, "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "page.png: 1 of its 3 prints already in colour kept as they are" in r.stderr
    assert "recoloured" not in r.stderr, r.stderr
    out = cv2.imread(str(tmp_path / "out" / "page.png"))[..., ::-1]
    on_page = np.ones(page.shape[:2], bool)
    for y0, y1, x0, x1 in places:
        on_page[y0:y1, x0:x1] = False
    assert np.array_equal(out[on_page], page[on_page])  # paper and captions
    y0, y1, x0, x1 = places[1]
    assert np.array_equal(out[y0:y1, x0:x1], page[y0:y1, x0:x1])  # the colour print
    for y0, y1, x0, x1 in places[::2]:  # the black-and-white ones coloured
        assert np.abs(rgb_to_lab(out[y0:y1, x0:x1])[..., 1:]).mean() > 1.0


def test_colorize_image_says_an_album_pages_colour_prints_are_kept(tmp_path, tiny_ckpt):
    page, places = _mixed_page(tmp_path)
    r = run("image", tmp_path / "in" / "page.png", tmp_path / "one.png", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "1 of its 3 prints already in colour kept as they are" in r.stderr, r.stderr
    assert "recoloured" not in r.stderr, r.stderr
    out = cv2.imread(str(tmp_path / "one.png"))[..., ::-1]
    y0, y1, x0, x1 = places[1]
    assert np.array_equal(out[y0:y1, x0:x1], page[y0:y1, x0:x1])


@pytest.mark.parametrize("ground", [30, 238])
def test_a_colour_target_beside_a_print_is_kept_as_scanned(tiny_ckpt, ground):
    """A museum's scan: the print on a black or white ground, a colour target (patches of
    known colours, the calibration of the scan) beside it. The target was painted with the
    rest (its patches off by 35 Lab), and it made the scan a colour photograph."""
    rng = np.random.default_rng(0)
    target = np.full((190, 282, 3), 15, np.uint8)
    for i in range(4):
        for j in range(6):
            target[6 + 46 * i : 46 + 46 * i, 6 + 46 * j : 46 + 46 * j] = rng.integers(30, 230, 3)
    scan = np.full((520, 420, 3), ground, np.uint8)
    scan[30:270, 40:380] = _print(240, 340)
    scan[300:490, 40:322] = target
    assert not photo_in_colour(scan)
    c = Colorizer(tiny_ckpt, device="cpu")
    out = c.colorize(scan)
    assert np.array_equal(out[300:490, 40:322], target)
    assert np.abs(rgb_to_lab(out[40:260, 50:370])[..., 1:]).mean() > 1.0  # the print coloured
    assert c.last_pages == ("1 of its 2 prints already in colour kept as they are",)


def test_a_mixed_page_in_a_multi_page_tiff_is_said_by_its_page(tmp_path, tiny_ckpt):
    """A page of a multi-page TIFF: its colour print kept, said by the page's number."""
    from PIL import Image

    from colorcli.pages import read_pages

    page, places = _album([_print(160, 200), gradient_rgb(150, 200), _print(140, 180)], (84, 2, 12))
    (tmp_path / "in").mkdir()
    first, second = Image.fromarray(_print(150, 200)), Image.fromarray(page)
    first.save(tmp_path / "in" / "album.tif", save_all=True, append_images=[second])
    r = run("dir", tmp_path / "in", "-o", tmp_path / "out", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "page 2: 1 of its 3 prints already in colour kept as they are" in r.stderr, r.stderr
    got = read_pages(tmp_path / "out" / "album.tif")[1].pixels
    y0, y1, x0, x1 = places[1]
    assert np.array_equal(got[y0:y1, x0:x1], page[y0:y1, x0:x1])


def test_a_card_scanned_askew_keeps_its_corners(tiny_ckpt):
    scan, _ = _card(_print(300, 400), CARDS["brown"], jpeg=False)
    h, w = scan.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0)
    scan = cv2.warpAffine(scan, turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
    box = mount_box(scan, lightness(scan))
    assert box is not None and box.margin is not None  # slanted: its corners are card
    out = Colorizer(tiny_ckpt, device="cpu").colorize(scan)
    inside = out[box.rows, box.cols]
    assert np.array_equal(inside[box.margin], scan[box.rows, box.cols][box.margin])
    assert np.array_equal(out[: box.y0], scan[: box.y0])


@pytest.mark.parametrize("ink", [(40, 60, 160), (90, 90, 90)])
def test_a_caption_across_a_prints_white_border_is_kept(tiny_ckpt, ink):
    """A caption in blue ink or pencil across most of a print's bottom border: that side
    was not found (the lettering crossed more than half of it), and the border and caption
    went to the network. The print is now found all round, the caption kept as written."""
    scan = np.full((410, 460, 3), 238, np.uint8)
    scan += np.random.default_rng(0).integers(0, 3, scan.shape).astype(np.uint8)
    scan[30:330, 30:430] = _print(300, 400)
    cv2.putText(scan, "Grandma and Tom, Brighton, 1952", (40, 375), 3, 0.9, ink, 2)
    box = content_box(lightness(scan), mount_box(scan, lightness(scan)))
    assert (box.y0, box.y1, box.x0, box.x1) == (30, 330, 30, 430)
    out = Colorizer(tiny_ckpt, device="cpu").colorize(scan)
    assert np.array_equal(out[330:], scan[330:])


def test_prints_with_deckled_white_borders_on_a_black_page(tiny_ckpt):
    """Prints of the 1950s: a white border with a scalloped (deckled) outer edge, on black
    paper. Each is found, and what lies outside its box is as scanned."""
    page = np.full((420, 700, 3), 14, np.uint8)
    boxes = []
    for x in (40, 370):
        y0, y1, x0, x1 = 30, 370, x, x + 290
        yy, xx = np.mgrid[y0:y1, x0:x1]
        wave = lambda t: (4 * (0.5 + 0.5 * np.cos(2 * np.pi * t / 14))).astype(int)  # noqa: E731
        inside = (yy - y0 >= wave(xx)) & (y1 - 1 - yy >= wave(xx))
        inside &= (xx - x0 >= wave(yy)) & (x1 - 1 - xx >= wave(yy))
        page[y0:y1, x0:x1][inside] = 240
        page[y0 + 14 : y1 - 14, x0 + 14 : x1 - 14] = _print(312, 262)
        boxes.append((y0, y1, x0, x1))
    found = page_prints(page)
    assert found is not None and len(found) == 2
    out = Colorizer(tiny_ckpt, device="cpu").colorize(page)
    paper = np.ones(page.shape[:2], bool)
    for rows, cols, *_ in found:
        paper[rows, cols] = False
    assert np.array_equal(out[paper], page[paper])
    got = sorted((r.start, r.stop, c.start, c.stop) for r, c, *_ in found)
    off = np.abs(np.asarray(got) - np.asarray(boxes))
    assert off.max() <= 5, off


def test_colour_margins_colours_the_card_and_the_page_whole(tiny_ckpt):
    """--colour-margins (Colorizer(margins=False)): the network sees the whole scan, as
    before, card and page included."""
    c = Colorizer(tiny_ckpt, device="cpu", margins=False)
    scan, (y0, y1, x0, x1) = _card(_print(240, 320), CARDS["maroon"], jpeg=False)
    out = c.colorize(scan)
    assert not np.array_equal(out[:y0], scan[:y0])
    page, _ = _album([_print(160, 200), _print(150, 180)], (30, 8, 14))
    assert not np.array_equal(c.colorize(page)[:30], page[:30])


def test_a_gray_scale_beside_a_print_stays_neutral(tiny_ckpt):
    """A step wedge scanned beside the print (numbers on its patches) came out blue."""
    from colorcli.targets import gray_scale

    wedge = np.zeros((50, 600, 3), np.uint8)
    for k in range(20):
        wedge[:, 30 * k : 30 * k + 30] = 245 - 12 * k
        ink = (255,) * 3 if k > 9 else (0,) * 3
        cv2.putText(wedge, str(k), (30 * k + 5, 35), 0, 0.5, ink, 1)
    scan = np.full((420, 680, 3), 20, np.uint8)
    scan[30:330, 40:640] = _print(300, 600)
    scan[350:400, 40:640] = wedge
    assert gray_scale(wedge) and not gray_scale(_print(60, 300))
    ramp = np.repeat(np.linspace(250, 5, 600).astype(np.uint8)[None, :, None], 50, 0)
    assert not gray_scale(np.repeat(ramp, 3, 2))  # a smooth ramp has no steps
    c = Colorizer(tiny_ckpt, device="cpu")
    out = c.colorize(scan)
    assert np.array_equal(out[350:400, 40:640], wedge)
    assert np.abs(rgb_to_lab(out[40:320, 50:630])[..., 1:]).mean() > 1.0
    assert c.last_pages == (None,)  # nothing in colour to speak of
