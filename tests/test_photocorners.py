"""Photo corners: the paper triangles glued over a print's corners on an album page. They
were painted with the print (dark purple) and broke the ring of its white border; now they
are kept as scanned and the network sees the print without them."""

import numpy as np
import pytest

from colorcli.albumpages import page_prints
from colorcli.colorizer import Colorizer
from colorcli.kernels import rgb_to_lab
from colorcli.photocorners import corner_mask, filled, find_corners
from tests.conftest import gradient_rgb
from tests.test_mounts import _album, _card, _print

BLACK, GOLD = (22, 20, 24), (176, 142, 64)


def _corners(img: np.ndarray, box, leg: int, colour, which=range(4)) -> np.ndarray:
    """``img`` with photo corners of ``leg`` pixels over the corners of ``box`` (y0, y1, x0,
    x1), each reaching 3 pixels past the print as glued ones do; the mask of them."""
    y0, y1, x0, x1 = box
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), bool)
    tips = [
        (y0 - 3, x0 - 3, 1, 1),
        (y0 - 3, x1 + 2, 1, -1),
        (y1 + 2, x0 - 3, -1, 1),
        (y1 + 2, x1 + 2, -1, -1),
    ]
    for k in which:
        cy, cx, sy, sx = tips[k]
        dy, dx = (yy - cy) * sy, (xx - cx) * sx
        mask |= (dy >= 0) & (dx >= 0) & (dy + dx < leg)
    img[mask] = colour
    return mask


@pytest.mark.parametrize("colour", [BLACK, GOLD])
def test_photo_corners_are_found_and_nothing_else(colour):
    scan = _print(240, 320)
    _corners(scan, (3, 237, 3, 317), 30, colour)
    found = find_corners(scan)
    assert sorted(w for w, _ in found) == [0, 1, 2, 3]
    assert all(abs(leg - 30) <= 2 for _, leg in found), found
    assert find_corners(_print(240, 320)) == []
    assert find_corners(gradient_rgb(240, 320)) == []
    # a dark sky that ends at a hill, not along a straight diagonal, is no photo corner
    sky = _print(240, 320)
    yy, xx = np.mgrid[0:240, 0:320]
    for cy, cx in ((0, 0), (0, 319)):
        sky[np.hypot(yy - cy, xx - cx) < 40 + 8 * np.sin(xx / 5.0)] = 20
    assert find_corners(sky) == []


def test_filled_carries_the_print_into_the_triangle():
    scan = _print(200, 260)
    held = _corners(scan, (3, 197, 3, 257), 24, BLACK)
    corners = find_corners(scan)
    assert np.array_equal(corner_mask(scan.shape, corners) & ~held, np.zeros_like(held))
    out = filled(scan, corners)
    assert np.array_equal(out[~held], scan[~held])
    assert (np.abs(out[held].astype(int) - BLACK[0]) > 10).mean() > 0.8  # print, not the corner


@pytest.mark.parametrize("paper", [(84, 2, 12), (12, 1, 2)])
def test_an_album_pages_photo_corners_are_kept_as_scanned(tiny_ckpt, paper):
    prints = [_print(160, 200), _print(150, 210)[:, ::-1]]
    page, places = _album(prints, paper)
    held = np.zeros(page.shape[:2], bool)
    for box in places:
        held |= _corners(page, box, 26, BLACK)
    assert page_prints(page) is not None
    out = Colorizer(tiny_ckpt, device="cpu").colorize(page)
    assert np.array_equal(out[held], page[held])
    for y0, y1, x0, x1 in places:  # the prints themselves coloured
        inside = ~held[y0:y1, x0:x1]
        assert np.abs(rgb_to_lab(out[y0:y1, x0:x1])[..., 1:][inside]).mean() > 1.0


def test_a_white_border_is_found_behind_photo_corners(tiny_ckpt):
    """A print with a white border, held by black corners on a cream page: the corners broke
    the border's ring, so the border was not found and took the network's tint."""
    bordered = np.full((200, 260, 3), 242, np.uint8)
    bordered[14:-14, 14:-14] = _print(172, 232)
    page, places = _album([bordered, bordered[:, ::-1].copy()], (84, 2, 12))
    held = np.zeros(page.shape[:2], bool)
    for box in places:
        held |= _corners(page, box, 30, BLACK)
    out = Colorizer(tiny_ckpt, device="cpu").colorize(page)
    for y0, y1, x0, x1 in places:
        ring = np.zeros(page.shape[:2], bool)
        ring[y0:y1, x0:x1] = True
        ring[y0 + 14 : y1 - 14, x0 + 14 : x1 - 14] = False
        ring &= ~held
        ab = rgb_to_lab(out)[..., 1:][ring]
        assert np.abs(ab).max() < 1.5, np.abs(ab).max()


def test_a_print_scanned_to_its_edges_keeps_its_corners(tiny_ckpt):
    scan = _print(240, 320)
    held = _corners(scan, (3, 237, 3, 317), 30, BLACK)
    out = Colorizer(tiny_ckpt, device="cpu").colorize(scan)
    assert np.array_equal(out[held], scan[held])
    assert np.abs(rgb_to_lab(out)[..., 1:][~held]).mean() > 1.0


@pytest.mark.parametrize("card", [(96, 0, 1), (82, 2, 14), (28, 8, 16)])
@pytest.mark.parametrize("colour", [BLACK, GOLD])
def test_a_print_on_its_card_keeps_its_corners(tiny_ckpt, card, colour):
    """One print on a white, cream or brown card (or album page), held by black or gold
    corners: they were painted with the print, and gold ones made the card a colour photo's
    ground (the print was then coloured with its card)."""
    scan, box = _card(_print(240, 320), card, jpeg=False)
    held = _corners(scan, box, 30, colour)
    out = Colorizer(tiny_ckpt, device="cpu").colorize(scan)
    off = np.linalg.norm(rgb_to_lab(out)[held] - rgb_to_lab(scan)[held], axis=-1)
    assert np.median(off) < 0.5 and off.mean() < 4.0, (np.median(off), off.mean())
    y0, y1, x0, x1 = box
    card_px = np.ones(scan.shape[:2], bool)
    card_px[y0 - 4 : y1 + 4, x0 - 4 : x1 + 4] = False  # the corners' tips reach 3 past it
    assert np.array_equal(out[card_px], scan[card_px])


def test_a_print_coloured_after_a_reference_keeps_its_corners(tiny_ckpt):
    scan, box = _card(_print(240, 320), (82, 2, 14), jpeg=False)
    held = _corners(scan, box, 30, BLACK)
    out = Colorizer(tiny_ckpt, device="cpu").colorize_like(scan, gradient_rgb(200, 300))
    assert np.array_equal(out[held], scan[held])
