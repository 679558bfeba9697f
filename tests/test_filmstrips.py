"""A contact sheet: strips of film frames on their film base, printed on paper. A strip was
coloured as one picture (its frames lending each other their colours, its base painted);
now each frame's picture is coloured alone and the base and paper are as scanned."""

import cv2
import numpy as np

from colorcli.albumpages import page_prints
from colorcli.colorizer import Colorizer
from colorcli.filmstrips import strip_frames
from colorcli.kernels import rgb_to_lab
from tests.test_mounts import _print


def _sheet(strips: int = 3, frames: int = 4, fw: int = 120, fh: int = 80):
    """Strips of frames (gray textured prints) on black film base, on white paper; the
    sheet and where each frame's picture lies."""
    sheet = np.full((40 + strips * (fh + 40), 40 + frames * (fw + 8), 3), 240, np.uint8)
    places = []
    for r in range(strips):
        y = 30 + r * (fh + 40)
        sheet[y - 12 : y + fh + 12, 16 : 24 + frames * (fw + 8)] = 18
        for k in range(frames):
            x = 20 + k * (fw + 8)
            frame = _print(fh, fw)
            sheet[y : y + fh, x : x + fw] = frame if (r + k) % 2 else frame[:, ::-1]
            places.append((y, y + fh, x, x + fw))
    return sheet, places


def test_a_strips_frames_are_found():
    sheet, places = _sheet()
    found = strip_frames(sheet[30 - 12 : 110 + 12, 16:540])
    assert found is not None and len(found) == 4
    for (rows, cols, outside), (y0, y1, x0, x1) in zip(found, places[:4], strict=True):
        assert outside is None
        got = (rows.start + 18, rows.stop + 18, cols.start + 16, cols.stop + 16)
        assert np.abs(np.subtract(got, (y0, y1, x0, x1))).max() <= 1, (got, (y0, y1, x0, x1))
    assert strip_frames(_print(120, 480)) is None  # a print is no strip


def _strip(frames: int = 5, fw: int = 120, fh: int = 80, margin: int = 12, perforated=False):
    """One strip of gray textured frames on black film base (``perforated``: 35 mm film's
    clear perforations in the base above and below), its second frame a night scene whose
    black ground meets the base on its left and right; the strip and each frame's columns."""
    gap = 8
    strip = np.full((fh + 2 * margin, frames * (fw + gap) + gap, 3), 18, np.uint8)
    if perforated:
        for x in np.arange(3, strip.shape[1] - 10, fw / 8).astype(int):
            for y in (margin // 3, fh + margin + margin // 3):
                strip[y : y + margin // 3, x : x + fw // 14] = 235
    cols = []
    for k in range(frames):
        x = gap + k * (fw + gap)
        frame = _print(fh, fw)
        if k == 1:  # a night: black all round a lit window
            frame[:] = 18
            frame[fh // 3 : fh // 3 + fh // 3, fw // 3 : fw // 3 + fw // 3] = _print(
                fh // 3, fw // 3
            )
        strip[margin : margin + fh, x : x + fw] = frame
        cols.append((x, x + fw))
    return strip, cols


def test_frames_found_where_a_frame_is_black_at_its_edges_and_on_perforated_film():
    """A frame whose black ground meets the base widened its gaps: the strip was coloured
    whole. Perforations beside the gaps hid lines of them."""
    for perforated in (False, True):
        strip, cols = _strip(perforated=perforated)
        found = strip_frames(strip)
        assert found is not None and len(found) == len(cols), (perforated, found)
        for k, ((_, c, _), (x0, x1)) in enumerate(zip(found, cols, strict=True)):
            if k != 1:  # the night's black edge columns may stay with the base
                assert abs(c.start - x0) <= 1 and abs(c.stop - x1) <= 1, (perforated, k, c)
            else:
                assert x0 - 1 <= c.start and c.stop <= x1 + 1, (perforated, c)
        rows = found[0][0]
        assert abs(rows.start - 12) <= 1 and abs(rows.stop - 92) <= 1, rows


def test_a_contact_sheets_frames_are_coloured_alone(tiny_ckpt):
    sheet, places = _sheet()
    prints = page_prints(sheet)
    assert prints is not None and len(prints) == len(places)
    c = Colorizer(tiny_ckpt, device="cpu")
    out = c.colorize(sheet)
    pictures = np.zeros(sheet.shape[:2], bool)
    for y0, y1, x0, x1 in places:
        pictures[y0:y1, x0:x1] = True
        alone = c.colorize(np.ascontiguousarray(sheet[y0:y1, x0:x1]))
        d = np.abs(rgb_to_lab(out[y0:y1, x0:x1])[..., 1:] - rgb_to_lab(alone)[..., 1:]).mean()
        assert d < 0.5, d
    assert np.array_equal(out[~pictures], sheet[~pictures])  # the base and the paper


def test_a_strip_askew_is_read_turned_straight():
    """A strip laid or scanned a degree or two askew: its gaps are no lines of the picture,
    and it was coloured whole. Now each frame is its box with the pixels outside the frame
    kept as scanned."""
    strip, cols = _strip()
    h, w = strip.shape[:2]
    paper = np.full((h + 80, w + 80, 3), 240, np.uint8)
    paper[40 : 40 + h, 40 : 40 + w] = strip
    for degrees in (1.5, -2.0):
        turn = cv2.getRotationMatrix2D((paper.shape[1] / 2, paper.shape[0] / 2), degrees, 1.0)
        askew = cv2.warpAffine(paper, turn, paper.shape[1::-1], borderValue=(240, 240, 240))
        ys, xs = np.nonzero(askew.min(axis=2) < 200)
        y0, x0 = ys.min(), xs.min()
        found = strip_frames(askew[y0 : ys.max() + 1, x0 : xs.max() + 1])
        assert found is not None and len(found) == len(cols), (degrees, found)
        for (rows, cs, outside), (a, b) in zip(found, cols, strict=True):
            assert outside is not None and outside.shape == (
                rows.stop - rows.start,
                cs.stop - cs.start,
            )
            centre = turn @ np.array([40 + (a + b) / 2, 40 + h / 2, 1.0])
            got = ((cs.start + cs.stop) / 2 + x0, (rows.start + rows.stop) / 2 + y0)
            assert np.abs(np.subtract(got, centre)).max() <= 3, (degrees, got, centre)
            assert 0.01 < outside.mean() < 0.2  # the corners of its box, not the frame


def test_a_contact_sheet_askew_keeps_all_but_its_frames_as_scanned(tiny_ckpt):
    sheet, _ = _sheet()
    h, w = sheet.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 1.0)
    askew = cv2.warpAffine(sheet, turn, (w, h), borderValue=(240, 240, 240))
    prints = page_prints(askew)
    assert prints is not None and len(prints) == 12  # 3 strips of 4 frames
    coloured = np.zeros((h, w), bool)
    for rows, cols, outside, _ in prints:
        assert outside is not None
        coloured[rows, cols] |= ~outside
    out = Colorizer(tiny_ckpt, device="cpu").colorize(askew)
    assert np.array_equal(out[~coloured], askew[~coloured])  # the base and the paper
    assert 0.2 < coloured.mean() < 0.6


def test_stripes_are_no_strip_of_frames():
    """Lines of one tone at a narrow pitch (a fence, stripes) cut a print into slivers that
    were taken for fifty frames, each coloured alone."""
    stripes = np.zeros((100, 1000, 3), np.uint8)
    stripes[:, ::20] = 255
    assert strip_frames(stripes) is None
