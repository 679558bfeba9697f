"""Multi-page TIFFs (an album scanned into one file): every page coloured, one file written."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from colorcli.atomic import write_bytes_atomic
from colorcli.errors import MediaError, write_failure
from colorcli.headermeta import mark_alpha
from colorcli.imageio import DEFAULT_MAX_PIXELS, read_pages
from colorcli.photometa import Meta, tiff_params


def colorize_pages(
    colorizer,
    src: Path,
    dst: Path,
    overwrite: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    reference: np.ndarray | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Colour every page of ``src`` into the multi-page TIFF ``dst`` (written whole, then
    renamed: never half an album under its name); returns the page count and what the user
    is to be told (a page cut short, pages left out: ``read_pages``). Each page is coloured
    on its own, after ``reference`` if given; what a page lacks stays gray. MediaError names
    a file at fault."""
    coloured, notes = [], []
    pages = read_pages(src, max_pixels)
    for page in pages:
        if reference is not None:
            rgb = colorizer.colorize_like(page.pixels, reference)
        else:
            rgb = colorizer.colorize(page.pixels)
        coloured.append((page.gray_where_missing(rgb), page.alpha))
        notes += page.info.notes
    try:
        data = encode_pages(coloured, pages[0].meta)
        write_bytes_atomic(dst, data, overwrite=overwrite)
    except FileExistsError as e:
        raise MediaError(dst, "exists already (use --overwrite)") from e
    except OSError as e:
        raise write_failure(dst, e) from e
    return len(coloured), tuple(notes)


def encode_pages(pages: list[tuple[np.ndarray, np.ndarray | None]], meta: Meta | None) -> bytes:
    """(RGB, alpha) pages as one multi-page TIFF, each at its own depth, alpha kept."""
    import cv2

    bgr = []
    for rgb, alpha in pages:
        page = np.ascontiguousarray(rgb[..., ::-1])
        bgr.append(page if alpha is None else np.dstack([page, alpha.astype(page.dtype)]))
    ok, buf = cv2.imencodemulti(".tif", bgr, tiff_params(meta))
    if not ok:
        raise ValueError("OpenCV could not encode a multi-page tiff")
    return mark_alpha(buf.tobytes())
