"""Documents of many pictures: multi-page TIFFs (an album scanned into one file), every page
read on its own and coloured, one file written; scanned PDFs, each photo or scan in them
coloured and the PDF written again with them (``colorcli.pdfscan``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from colorcli.albumpages import photo_in_colour
from colorcli.atomic import write_bytes_atomic
from colorcli.errors import MediaError, write_failure
from colorcli.headermeta import mark_alpha
from colorcli.imageio import DEFAULT_MAX_PIXELS, Image, decode_bytes, follow_profile, read_image
from colorcli.imageprobe import probe_image
from colorcli.imagewrite import tiff_packing
from colorcli.pdfobjects import PdfError
from colorcli.pdfscan import encode_picture, pictures, read_scanned_pdf, updated_pdf
from colorcli.photometa import Meta, apply_meta, coloured_copy, read_meta, tiff_params
from colorcli.tiffmend import point_at_page
from colorcli.walkers import array_reader, tiff_ifds, tiff_tags


def read_pages(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Image]:
    """Every page of a multi-page TIFF (an album scanned into one file), each as
    :func:`read_image` gives the first, and decoded on its own: a page cut short is coloured
    as far as it goes, and a page that cannot be decoded is left out with a notice (on the
    first page's info) while the others are read; only an album of no readable page is
    refused. The limit on pixels holds for all pages together, checked before each decode."""
    path = Path(path)
    info = probe_image(path)
    if info.format != "tiff" or info.pages < 2:
        return [read_image(path, max_pixels)]
    data = np.fromfile(path, np.uint8)
    ifds = tiff_ifds(array_reader(data))
    view, pages, lost, total = data.copy(), [], [], 0
    for k, ifd in enumerate(ifds):
        point_at_page(view, ifd)
        size = tiff_tags(array_reader(view), 0, {256, 257})
        total += size.get(256, 0) * size.get(257, 0)
        if total > max_pixels:
            raise MediaError(
                path,
                f"refused: its {len(ifds)} pages are over the limit of {max_pixels / 1e6:.0f} megapixels together",
            )
        try:
            page = decode_bytes(view, path, info)
            said = tuple(f"page {k + 1} of {len(ifds)}: {n}" for n in page.info.notes)
            pages.append(dataclasses.replace(page, info=dataclasses.replace(page.info, notes=said)))
        except MediaError as e:
            if "out of memory" in str(e):
                raise
            lost.append(k + 1)
    if not pages:
        raise MediaError(path, "damaged or truncated tiff data (no page can be decoded)")
    meta = read_meta(path)
    pages = [follow_profile(p, meta) for p in pages]
    if lost:
        which = ", ".join(map(str, lost))
        note = f"page{'s' if len(lost) > 1 else ''} {which} of {len(ifds)} cannot be decoded (damaged or cut short): left out, the other pages coloured"
        first = pages[0]
        pages[0] = dataclasses.replace(
            first, info=dataclasses.replace(first.info, notes=(*first.info.notes, note))
        )
    return pages


def colorize_pages(
    colorizer,
    src: Path,
    dst: Path,
    overwrite: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    reference: np.ndarray | None = None,
    keep_colour: bool = False,
    pages: list[Image] | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Colour every page of ``src`` into the multi-page TIFF ``dst`` (written whole, then
    renamed: never half an album under its name); returns the page count and what the user
    is to be told (a page cut short, pages left out: ``read_pages``). Each page is coloured
    on its own, after ``reference`` if given; what a page lacks stays gray. ``keep_colour``:
    a page already in colour (``incolour``) is written as it is. ``pages``: its pages, where
    already read. MediaError names a file at fault."""
    coloured, notes, kept = [], [], 0
    pages = read_pages(src, max_pixels) if pages is None else pages
    for num, page in enumerate(pages, 1):
        if _keeps(keep_colour, reference, page.pixels):
            coloured.append((page.pixels, page.alpha))
            kept += 1
        else:
            rgb, said = _colour(colorizer, page.pixels, reference)
            coloured.append((page.gray_where_missing(rgb), page.alpha))
            notes += [f"page {num}: {said}"] if said else []
        notes += page.info.notes
    if kept:
        notes.append(f"{kept} of its {len(pages)} pages already in colour kept as they are")
    meta = coloured_copy(pages[0].meta) if kept < len(pages) else pages[0].meta
    write_whole(dst, lambda: encode_pages(coloured, meta), overwrite)
    return len(coloured), tuple(notes)


def _keeps(keep_colour: bool, reference: np.ndarray | None, pixels: np.ndarray) -> bool:
    """Whether a page or picture is kept as it is (--keep-colour, no reference: one in colour)."""
    return keep_colour and reference is None and photo_in_colour(pixels)


def _colour(
    colorizer, pixels: np.ndarray, reference: np.ndarray | None
) -> tuple[np.ndarray, str | None]:
    """A page or picture coloured, after ``reference`` where one is given, and what there is
    to say of the prints in colour on it, where it is an album page (``page_notice``)."""
    if reference is not None:
        return colorizer.colorize_like(pixels, reference), None
    rgb = colorizer.colorize(pixels)
    return rgb, colorizer.last_pages[0]


def write_whole(dst: Path, encode, overwrite: bool) -> None:
    """The bytes ``encode()`` makes written to ``dst`` whole (then renamed: never half a
    document under its name); MediaError naming ``dst``."""
    try:
        write_bytes_atomic(dst, encode(), overwrite=overwrite)
    except FileExistsError as e:
        raise MediaError(dst, "exists already (use --overwrite)") from e
    except OSError as e:
        raise write_failure(dst, e) from e


def colorize_pdf(
    colorizer,
    src: Path,
    dst: Path,
    overwrite: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    reference: np.ndarray | None = None,
    keep_colour: bool = False,
) -> tuple[int, tuple[str, ...]]:
    """Colour every photo or scan in the PDF ``src`` into the PDF ``dst`` (its own bytes with
    the coloured pictures appended as an update; written whole, then renamed); returns how
    many were coloured and what the user is to be told. A PDF with none is copied as it is,
    with a notice. ``keep_colour``: a picture already in colour is left as it is. MediaError
    names a file that cannot be read or written."""
    try:
        doc = read_scanned_pdf(src.read_bytes(), max_pixels)
    except PdfError as e:
        raise MediaError(src, str(e)) from e
    except OSError as e:
        raise MediaError(src, f"cannot be read ({e.strerror or e})") from e
    coloured, kept = {}, 0
    pages_said = []
    for im, pixels in pictures(doc):  # one at a time: only their coded bytes are kept
        if _keeps(keep_colour, reference, pixels):
            kept += 1
            continue
        rgb, said = _colour(colorizer, pixels, reference)
        coloured[im.num] = encode_picture(rgb, im.lossy)
        pages_said += [f"picture {im.num}: {said}"] if said else []
    left = [im.why for im in doc.images if im.why is not None and im.why != "a mask"]
    notes = [f"picture {im.num}: {im.note}" for im in doc.images if im.note] + pages_said
    if kept:
        notes.append(f"{kept} of its pictures already in colour left as they are")
    if not coloured and not kept:
        notes.append("no photo or scan in it to colour: copied as it is")
    if left:
        kinds = sorted(set(left), key=left.index)
        notes.append(
            f"{len(left)} of its {len(left) + len(coloured)} pictures left as they are ({'; '.join(kinds)})"
        )
    try:
        data = updated_pdf(doc, coloured) if coloured else doc.data
    except PdfError as e:
        raise MediaError(src, str(e)) from e
    write_whole(dst, lambda: data, overwrite)
    return len(coloured), tuple(notes)


def encode_pages(
    pages: list[tuple[np.ndarray, np.ndarray | None]], meta: Meta | None
) -> bytes | bytearray:
    """(RGB, alpha) pages as one multi-page TIFF, each at its own depth, alpha kept, and
    ``meta``'s density and XMP (a coloured copy's mark) written in."""
    import cv2

    bgr = []
    for rgb, alpha in pages:
        page = np.ascontiguousarray(rgb[..., ::-1])
        bgr.append(page if alpha is None else np.dstack([page, alpha.astype(page.dtype)]))
    # compressed where LZW pays on the first page (OpenCV takes one setting for all)
    ok, buf = cv2.imencodemulti(".tif", bgr, tiff_params(meta) + tiff_packing(bgr[0]))
    if not ok:
        raise ValueError("OpenCV could not encode a multi-page tiff")
    data = mark_alpha(buf.tobytes())
    return apply_meta(data, "tiff", meta) if meta is not None else data
