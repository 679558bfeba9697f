"""Scanned PDFs (a printer's, a scanner's or a phone's "scan to PDF"): every photo or scan in
them coloured, the PDF written again as its own bytes with the coloured pictures appended
(its pages, text and the rest untouched); what cannot be read, one line."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.kernels import rgb_to_lab
from colorcli.pdfscan import pictures, read_scanned_pdf
from tests import profiles
from tests.pdfmake import INDEXED_COLOURS, write_pdf


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _scan(seed: int = 0, h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[:h, :w]
    rng = np.random.default_rng(seed)
    return np.clip((x + y) + rng.normal(0, 6, (h, w)), 0, 255).astype(np.uint8)


def _pictures(data: bytes) -> list[np.ndarray]:
    return [pixels for _, pixels in pictures(read_scanned_pdf(data, 10**8))]


def _lightness(a: np.ndarray) -> np.ndarray:
    rgb = np.repeat(a[..., None], 3, -1) if a.ndim == 2 else a
    return rgb_to_lab(rgb.astype(np.float32) / 255)[..., 0]


@pytest.mark.parametrize(
    "how,xref_stream",
    [("dct", False), ("png", True), ("flate", False), ("a85", False), ("lzw", True)],
)
def test_an_archive_of_scanned_pdfs_is_coloured_into_pdfs(tmp_path, tiny_ckpt, how, xref_stream):
    """colorize dir passed PDFs over ('cannot read them'). Each picture comes out in colour
    at its lightness, in a PDF that is the input's own bytes with an update appended (a
    classic table after a table, a stream after a stream, as PDF 1.5 writes them). ASCII85
    around Flate (ReportLab's pictures) and LZW (1990s scanners) were 'damaged' before."""
    root = tmp_path / "letters"
    root.mkdir()
    pages = [_scan(0), _scan(1)]
    src = write_pdf(root / "album.pdf", pages, how, xref_stream)
    out = tmp_path / "out"
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "1 colorized, 0 skipped (already there), 0 failed" in r.stderr, r.stderr
    data = (out / "album.pdf").read_bytes()
    assert data.startswith(src.read_bytes())  # nothing of the original changed
    got = _pictures(data)
    assert len(got) == 2 and all(g.ndim == 3 for g in got)
    tol = 3.0 if how == "dct" else 1.0  # JPEG in, JPEG out
    for a, g in zip(pages, got, strict=True):
        assert np.abs(_lightness(g) - _lightness(a)).mean() < tol
        assert np.abs(g[..., 0].astype(int) - g[..., 2]).mean() > 1  # in colour
    update = data[len(src.read_bytes()) :]
    assert bool(re.search(rb"/Type\s*/XRef", update)) == xref_stream
    # its information dictionary says its pictures were coloured (colorcli.provenance)
    from colorcli.pdfobjects import PdfFile
    from colorcli.provenance import WORDS

    info = int(re.findall(rb"/Info\s*(\d+)\s+0\s+R", update)[-1])
    assert PdfFile(data).object(info)["Colourised"] == WORDS.encode()


def test_image_colours_a_pdf_and_its_errors_are_one_line(tmp_path, tiny_ckpt):
    src = write_pdf(tmp_path / "scan.pdf", [_scan()], "dct")
    r = run("image", src, tmp_path / "out.pdf", "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    assert "scan.pdf -> " in r.stdout + r.stderr and "(1 pictures coloured)" in r.stdout + r.stderr
    r = run("image", src, tmp_path / "out.png", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "a PDF is coloured into a PDF" in r.stderr
    assert r.stderr.count("\n") == 1
    r = run("image", src, tmp_path / "h.pdf", "--model", tiny_ckpt, "--hint", "1,1,#ff0000")
    assert r.exit_code == 1 and "not a PDF" in r.stderr and r.stderr.count("\n") == 1
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html>a download that was a web page</html>")
    r = run("image", fake, tmp_path / "f.pdf", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "not a PDF" in r.stderr and r.stderr.count("\n") == 1
    locked = tmp_path / "locked.pdf"
    data = src.read_bytes().replace(b"/Root 1 0 R", b"/Root 1 0 R/Encrypt 99 0 R")
    locked.write_bytes(data)
    r = run("image", locked, tmp_path / "l.pdf", "--model", tiny_ckpt)
    assert r.exit_code == 1 and "encrypted PDF" in r.stderr and r.stderr.count("\n") == 1


def test_what_is_no_scan_is_left_and_said(tmp_path, tiny_ckpt):
    """A PDF of a small logo only is copied as it is, with a notice; in one with a scan and
    a logo, the scan is coloured and the logo left, and said."""
    logo = np.full((16, 16), 128, np.uint8)
    root = tmp_path / "docs"
    root.mkdir()
    write_pdf(root / "letterhead.pdf", [logo], "flate")
    write_pdf(root / "mixed.pdf", [_scan(), logo], "flate")
    out = tmp_path / "out"
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert (out / "letterhead.pdf").read_bytes() == (root / "letterhead.pdf").read_bytes()
    assert "letterhead.pdf: no photo or scan in it to colour: copied as it is" in r.stderr
    assert "mixed.pdf: 1 of its 2 pictures left as they are (too small to be a scan)" in r.stderr
    assert len(_pictures((out / "mixed.pdf").read_bytes())) == 1


def test_a_pdf_whose_table_is_damaged_is_coloured_with_a_table_made_anew(tmp_path, tiny_ckpt):
    """A copy cut or patched so that its startxref points nowhere: its objects are found by
    their own headers, and the coloured PDF gets a whole cross-reference table of its own."""
    src = write_pdf(tmp_path / "scan.pdf", [_scan()], "flate")
    data = src.read_bytes()
    at = data.rindex(b"startxref")
    src.write_bytes(data[:at] + b"startxref\n99999999\n%%EOF\n")
    dst = tmp_path / "out.pdf"
    r = run("image", src, dst, "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    out = dst.read_bytes()
    start = int(re.findall(rb"startxref\s+(\d+)", out)[-1])
    assert out.startswith(b"xref\n0 ", start)  # one table of every object, from 0
    assert len(_pictures(out)) == 1


def test_a_scanned_book_is_coloured_page_by_page_under_the_limit_on_pixels(tmp_path, tiny_ckpt):
    """The limit on pixels holds for each picture, not for the book: its pages are decoded
    and coloured one at a time, and only their coded bytes kept (a book of hundreds of pages
    had all but its first pages left uncoloured)."""
    from colorcli.colorizer import Colorizer
    from colorcli.pages import colorize_pdf

    src = write_pdf(tmp_path / "book.pdf", [_scan(k) for k in range(4)], "dct")
    colorizer = Colorizer(tiny_ckpt, device="cpu")
    count, said = colorize_pdf(colorizer, src, tmp_path / "out.pdf", False, max_pixels=20_000)
    assert count == 4 and said == ()
    count, said = colorize_pdf(colorizer, src, tmp_path / "small.pdf", False, max_pixels=10_000)
    assert count == 0 and "over the limit of 0.01 megapixels" in " ".join(said)


def test_a_pictures_colour_profile_is_followed(tmp_path):
    """A scanner's PDF says how its samples look (an ICCBased colour space): read as a PDF
    viewer shows them (a linear gray's mid tones lighter in sRGB), not as sRGB codes."""
    flat = np.full((96, 128), 60, np.uint8)
    src = write_pdf(tmp_path / "scan.pdf", [flat], "flate", icc=profiles.gray(profiles.curv(1.0)))
    assert _pictures(src.read_bytes())[0].mean() > 120
    plain = write_pdf(tmp_path / "plain.pdf", [flat], "flate")
    assert _pictures(plain.read_bytes())[0].mean() == 60


def test_format_leaves_pdfs_as_pdfs_and_says_so(tmp_path, tiny_ckpt):
    root = tmp_path / "mixed"
    root.mkdir()
    write_pdf(root / "letter.pdf", [_scan()], "dct")
    r = run("dir", root, "-o", tmp_path / "out", "--format", "png", "--model", tiny_ckpt, "-q")
    assert r.exit_code == 0, r.stderr
    assert "--format png is for pictures: the 1 PDFs stay PDFs" in r.stderr
    assert (tmp_path / "out" / "letter.pdf").is_file()


def test_an_indexed_picture_reads_as_its_palette_says(tmp_path):
    """img2pdf writes a palette PNG (a GIF) as an Indexed picture: it was left as 'not 8- or
    16-bit gray or RGB'. Its palette, a long hex string, pushed '/Image' past the first
    kilobyte of its dictionary, where the picture was not even looked for."""
    idx = _scan()
    src = write_pdf(tmp_path / "pal.pdf", [idx], "indexed")
    (got,) = _pictures(src.read_bytes())
    assert np.array_equal(got, INDEXED_COLOURS[idx])
