"""A contact sheet: strips of film frames on their film base, printed on paper. A strip was
coloured as one picture (its frames lending each other their colours, its base painted);
now each frame's picture is coloured alone and the base and paper are as scanned."""

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
    for (rows, cols), (y0, y1, x0, x1) in zip(found, places[:4], strict=True):
        got = (rows.start + 18, rows.stop + 18, cols.start + 16, cols.stop + 16)
        assert np.abs(np.subtract(got, (y0, y1, x0, x1))).max() <= 1, (got, (y0, y1, x0, x1))
    assert strip_frames(_print(120, 480)) is None  # a print is no strip


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
