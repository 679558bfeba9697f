"""Margins around a photo (a print's white border, black bars) keep their own neutral tone and
do not change the colours of what they frame; backdrops and skies are not margins."""

import cv2
import numpy as np
import pytest

from colorcli.borders import content_box
from colorcli.colorizer import Colorizer
from colorcli.compose import lightness
from colorcli.guide import Guide
from colorcli.kernels import rgb_to_lab
from tests.conftest import gradient_rgb


@pytest.fixture(scope="module")
def colorizer(tiny_ckpt):
    return Colorizer(tiny_ckpt, device="cpu")


def _photo(h: int, w: int) -> np.ndarray:
    """A gray photo: texture everywhere, at mid lightness at its edges."""
    return np.repeat(lightness_u8(gradient_rgb(h, w))[..., None], 3, -1)


def lightness_u8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(lightness(rgb) * 2.55, 0, 255).astype(np.uint8)


def _framed(photo: np.ndarray, margins: list[tuple[int, int, int, int, int]], seed: int = 0):
    """``photo`` inside margins (top, bottom, left, right, gray level), the outermost last,
    each with a little scanner noise; returns the picture and where the photo lies in it."""
    rng = np.random.default_rng(seed)
    img, y0, x0 = photo, 0, 0
    for top, bottom, left, right, level in margins:
        h, w = img.shape[:2]
        out = np.full((h + top + bottom, w + left + right), float(level))
        out += rng.normal(0, 1.5, out.shape)
        out = np.repeat(np.clip(out, 0, 255).astype(np.uint8)[..., None], 3, -1)
        out[top : top + h, left : left + w] = img
        img, y0, x0 = out, y0 + top, x0 + left
    return img, (y0, y0 + photo.shape[0], x0, x0 + photo.shape[1])


def _chroma(rgb: np.ndarray) -> np.ndarray:
    return np.hypot(*rgb_to_lab(rgb)[..., 1:].transpose(2, 0, 1))


CASES = {
    "white print border": [(20, 20, 20, 20, 240)],
    "print border, wide": [(9, 31, 14, 26, 232)],
    "black bars above and below": [(40, 40, 0, 0, 8)],
    "black bars beside": [(0, 0, 50, 50, 14)],
    "a black line inside a white border": [(3, 3, 3, 3, 20), (25, 25, 25, 25, 238)],
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("size", [(120, 160), (700, 540)])
def test_margins_stay_neutral_and_the_photo_colours_as_alone(colorizer, case, size):
    photo = _photo(*size)
    img, (y0, y1, x0, x1) = _framed(photo, CASES[case])
    out = colorizer.colorize(img)
    alone = colorizer.colorize(photo)
    margin = np.ones(img.shape[:2], bool)
    margin[y0:y1, x0:x1] = False
    assert _chroma(out)[margin].max() < 1.5  # the model colours everything warm (conftest)
    assert _chroma(alone).mean() > 10
    assert np.abs(out[y0:y1, x0:x1].astype(int) - alone).max() <= 1
    assert np.abs(lightness(out) - lightness(img)).max() <= 1.0


def _with_backdrop(level: int, top_only: bool = False) -> np.ndarray:
    """A textured round subject in front of a flat backdrop (or a photo under a flat band)."""
    img = np.full((200, 300, 3), level, np.uint8)
    if top_only:
        img[60:] = _photo(140, 300)
    else:
        y, x = np.mgrid[0:200, 0:300]
        round_ = ((y - 120) / 75.0) ** 2 + ((x - 150) / 70.0) ** 2 < 1
        img[round_] = _photo(200, 300)[round_]
    return img


@pytest.mark.parametrize(
    "img",
    [
        pytest.param(_with_backdrop(150), id="a mid-gray wall all round"),
        pytest.param(_with_backdrop(245), id="a white studio backdrop"),
        pytest.param(_with_backdrop(10), id="a black stage"),
        pytest.param(_with_backdrop(250, top_only=True), id="a white sky, only above"),
        pytest.param(np.full((90, 120, 3), 3, np.uint8), id="a frame faded to black"),
        pytest.param(_photo(150, 200), id="a photo to its edges"),
    ],
)
def test_backdrops_and_blank_pictures_are_not_margins(colorizer, img):
    assert content_box(lightness(img)) is None


def test_a_backdrop_keeps_its_colour(colorizer):
    img = _with_backdrop(245)
    assert _chroma(colorizer.colorize(img))[:40].mean() > 3


def test_a_hint_on_a_margin_keeps_it(hint_ckpt):
    c = Colorizer(hint_ckpt, device="cpu")
    img, (y0, _, _, _) = _framed(_photo(120, 160), CASES["white print border"])
    mask = np.zeros(img.shape[:2], np.float32)
    ab = np.zeros(img.shape[:2] + (2,), np.float32)
    mask[5:12, 60:70], ab[5:12, 60:70] = 1.0, (-5.0, -20.0)  # a pale blue paper, wanted
    out = c.colorize(img, Guide(ab=ab, mask=mask))
    assert _chroma(out)[:y0].mean() > 3
    plain = c.colorize(img)
    assert _chroma(plain)[:y0].max() < 1.5


def test_a_reference_colours_what_the_border_frames(colorizer):
    img, (y0, y1, x0, x1) = _framed(_photo(120, 160), CASES["white print border"])
    out = colorizer.colorize_like(img, gradient_rgb(100, 100, seed=3))
    margin = np.ones(img.shape[:2], bool)
    margin[y0:y1, x0:x1] = False
    assert _chroma(out)[margin].max() < 1.5
    assert _chroma(out)[~margin].mean() > 3


def _askew(photo: np.ndarray, degrees: float, bed: int) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` as a print (a white border) scanned askew on a bed of gray ``bed``; returns
    the scan and where the photo lies in it (bool)."""
    print_ = np.pad(photo, ((30, 30), (30, 30), (0, 0)), constant_values=236)
    where = np.pad(np.ones(photo.shape[:2], np.uint8), 30)
    sheet = np.pad(print_, ((50, 50), (50, 50), (0, 0)), constant_values=bed)
    where = np.pad(where, 50)
    h, w = sheet.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    scan = cv2.warpAffine(sheet, turn, (w, h), borderValue=(bed, bed, bed))
    where = cv2.warpAffine(where, turn, (w, h), flags=cv2.INTER_NEAREST) > 0
    noise = np.random.default_rng(1).normal(0, 1.5, (h, w, 1))
    return np.clip(scan + noise, 0, 255).astype(np.uint8), where


@pytest.mark.parametrize("degrees", [1.0, -2.5])
@pytest.mark.parametrize("bed", [20, 240], ids=["black bed", "white bed"])
def test_a_print_scanned_askew_keeps_its_border_neutral(colorizer, degrees, bed):
    scan, where = _askew(_photo(300, 420), degrees, bed)
    out = _chroma(colorizer.colorize(scan))
    grown = cv2.dilate(where.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert out[~grown].max() < 1.5  # the border and the bed, up to 3 pixels from the photo
    inside = cv2.erode(where.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert out[inside].mean() > 10


def test_a_reference_in_a_print_border_colours_as_the_bare_reference(colorizer):
    photo = _photo(120, 160)
    bare = gradient_rgb(100, 140, seed=3)
    bordered = np.pad(bare, ((30, 30), (30, 30), (0, 0)), constant_values=240)
    out = colorizer.colorize_like(photo, bordered)
    assert np.array_equal(out, colorizer.colorize_like(photo, bare))


def test_colorize_dir_leaves_a_scanned_prints_border_neutral(tmp_path, tiny_ckpt):
    from click.testing import CliRunner

    from colorcli.cli import main
    from colorcli.imageio import read_image
    from colorcli.imagewrite import write_image

    img, (y0, y1, x0, x1) = _framed(_photo(90, 120), CASES["white print border"])
    (tmp_path / "in").mkdir()
    write_image(tmp_path / "in" / "print.png", img)
    r = CliRunner().invoke(
        main, ["dir", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(tiny_ckpt)]
    )
    assert r.exit_code == 0, r.output
    out = read_image(tmp_path / "out" / "print.png").pixels
    margin = np.ones(img.shape[:2], bool)
    margin[y0:y1, x0:x1] = False
    assert _chroma(out)[margin].max() < 1.5
    assert _chroma(out)[~margin].mean() > 10


def test_colour_margins_colours_the_border_too(tmp_path, tiny_ckpt):
    from click.testing import CliRunner

    from colorcli.cli import main
    from colorcli.imageio import read_image
    from colorcli.imagewrite import write_image

    img, (y0, y1, x0, x1) = _framed(_photo(90, 120), CASES["white print border"])
    write_image(tmp_path / "print.png", img)
    margin = np.ones(img.shape[:2], bool)
    margin[y0:y1, x0:x1] = False
    for extra, coloured in (([], False), (["--colour-margins"], True)):
        out = tmp_path / f"out{len(extra)}.png"
        args = ["image", str(tmp_path / "print.png"), str(out), "--model", str(tiny_ckpt)]
        r = CliRunner().invoke(main, args + extra)
        assert r.exit_code == 0, r.output
        tint = _chroma(read_image(out).pixels)[margin].mean()
        assert (tint > 3) if coloured else (tint < 0.5), (extra, tint)


@pytest.mark.parametrize("share", [0.2, 0.45])
def test_a_white_sky_meeting_part_of_a_white_border_leaves_it_found(colorizer, share):
    photo = _photo(200, 300)
    photo[:40, : int(share * 300)] = 240  # a blown-out sky, the border's own white
    img, (y0, y1, x0, x1) = _framed(photo, CASES["white print border"])
    box = content_box(lightness(img))
    assert box is not None and (box.y0, box.y1, box.x0, box.x1) == (y0, y1, x0, x1)


def test_nothing_is_cut_off_a_subject_on_a_black_cloth():
    """Cutlery on black: the spoon's handle makes a straight edge along most of the bottom,
    its bowl reaches below it; the box must hold all of it, or be none."""
    img = np.full((210, 320), 8, np.uint8)
    for y in (40, 85, 130):  # three handles
        img[y : y + 14, 25:300] = 150 + np.arange(275) % 40
    yy, xx = np.mgrid[0:210, 0:320]
    img[((yy - 150) / 38.0) ** 2 + ((xx - 250) / 55.0) ** 2 < 1] = 170  # the bowl
    img = np.repeat(img[..., None], 3, -1)
    box = content_box(lightness(img))
    if box is not None:
        outside = np.ones(img.shape[:2], bool)
        outside[box.rows, box.cols] = False
        assert img[..., 0][outside].max() < 30


def test_hints_inside_a_border_guide_the_photo_as_they_would_alone(hint_ckpt):
    c = Colorizer(hint_ckpt, device="cpu")
    photo = _photo(120, 160)
    img, (y0, y1, x0, x1) = _framed(photo, CASES["white print border"])
    mask = np.zeros(photo.shape[:2], np.float32)
    ab = np.zeros(photo.shape[:2] + (2,), np.float32)
    mask[30:40, 50:65], ab[30:40, 50:65] = 1.0, (-20.0, -30.0)
    alone = c.colorize(photo, Guide(ab=ab, mask=mask, points=((100.0, 80.0, (30.0, 10.0)),)))
    big_mask = np.zeros(img.shape[:2], np.float32)
    big_ab = np.zeros(img.shape[:2] + (2,), np.float32)
    big_mask[y0:y1, x0:x1], big_ab[y0:y1, x0:x1] = mask, ab
    point = ((100.0 + x0, 80.0 + y0, (30.0, 10.0)),)
    out = c.colorize(img, Guide(ab=big_ab, mask=big_mask, points=point))
    assert np.abs(out[y0:y1, x0:x1].astype(int) - alone).max() <= 1
    assert not np.array_equal(alone, c.colorize(photo))  # the hints did change the colours
