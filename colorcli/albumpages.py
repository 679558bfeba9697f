"""Several black-and-white prints on one album page, scanned whole: each print found and
coloured alone, the page kept as the scan shows it. No model, no files: the colouring is
the caller's.

A page of four prints on black, cream or brown paper was coloured as one photo: the network
painted the page between them (purple and blue patches on black paper, pale blue on cream)
and coloured each print beside the others. A page is a picture whose outer ring is one
colour (``colorcli.mounts.ring_colour``, black and white paper included), on which at least
two pieces unlike the paper (``colorcli.mounts.pieces``), each at least ``PIECE`` of the
page, are prints: each, with ``PAD`` probe lines of paper around it, holds a box with
straight edges (``colorcli.borders.content_box`` on its distance from the paper, captions
beside it set apart as on a card), at least one of them in black and white or toned. The
network sees each print's box (with its own white border, if any, then found as a margin);
everything outside the boxes is as scanned. Anything else, and the picture is coloured whole
as before.

A family album of the 1960s and 70s holds colour prints beside black-and-white ones, and a
museum's scan puts a colour target beside the print: a print (or target) already in colour is
found as one of the page's pieces and kept as scanned, its colours being real, and so is a
gray scale (``colorcli.targets``); only the black-and-white prints are coloured. A strip of
film frames (a contact sheet's row, ``colorcli.filmstrips``) is cut into its frames' pictures,
each coloured alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from colorcli.borders import overlapping
from colorcli.compose import lightness
from colorcli.filmstrips import strip_frames
from colorcli.incolour import in_colour
from colorcli.mounts import mount_box, pieces, print_in, probe_lab, ring_colour
from colorcli.photocorners import corner_mask, filled, find_corners
from colorcli.targets import gray_scale

PIECE = 0.02  # of the page's area (on the probe): the smallest print
PAD = 3  # lines of the probe: the paper kept around each print for its margins to be found

# a print's rows, columns, the paper inside its box, and why it is kept as scanned: "colour"
# (a colour photograph), "scale" (a gray scale, ``colorcli.targets``) or None (coloured)
Print = tuple[slice, slice, np.ndarray | None, str | None]
# what is said of an album page holding prints already in colour, with the counts
KEPT_PRINTS = "{k} of its {n} prints already in colour kept as they are"


def page_prints(rgb: np.ndarray) -> list[Print] | None:
    """The prints on an album page, each as the rows and columns of its box, the page's
    pixels inside that box (a print glued askew: its box's corners; None: none) and why the
    print is kept as scanned (``Print``), or None (see the module's note). rgb: (H, W) gray
    or (H, W, 3 or 4), uint8, uint16 or float in [0, 1]."""
    if rgb.ndim == 3 and rgb.shape[2] < 3:
        return None
    lab = probe_lab(rgb)
    colour = None if lab is None else ring_colour(lab, neutral=True)
    if colour is None:
        return None
    labels, stats = pieces(np.linalg.norm(lab - colour, axis=-1))
    sh, sw = labels.shape
    big = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] >= PIECE * sh * sw]
    if len(big) < 2:
        return None
    h, w = rgb.shape[:2]
    fy, fx = h / sh, w / sw
    prints = []
    for x, y, cw, ch, _ in big:
        y0, x0 = max(0, int((y - PAD) * fy)), max(0, int((x - PAD) * fx))
        rows = slice(y0, min(h, int(np.ceil((y + ch + PAD) * fy))))
        cols = slice(x0, min(w, int(np.ceil((x + cw + PAD) * fx))))
        found = print_in(rgb[rows, cols], colour)
        if found is None:
            return None
        box, in_colour_ = found
        at = (slice(y0 + box.y0, y0 + box.y1), slice(x0 + box.x0, x0 + box.x1))
        kept = "colour" if in_colour_ else "scale" if gray_scale(rgb[at]) else None
        frames = None if kept else strip_frames(rgb[at])  # a contact sheet's strip
        if frames is None:
            prints.append((*at, box.margin, kept))
            continue
        for r, c, outside in frames:  # a strip askew: the pixels outside its frame as scanned
            prints.append((_within(at[0], r), _within(at[1], c), outside, None))
    if all(p[3] for p in prints):  # colour photos on a page: a colour photograph
        return None
    # prints whose boxes share pixels: too close for their paper to be read
    return None if overlapping([p[:2] for p in prints]) else prints


def _within(outer: slice, inner: slice) -> slice:
    """``inner`` (of a crop) as a slice of the picture ``outer`` cut the crop from."""
    return slice(outer.start + inner.start, outer.start + inner.stop)


def photo_in_colour(rgb: np.ndarray, negative: bool = False) -> bool:
    """Whether a picture is a colour photograph (``colorcli.incolour.in_colour``); a
    black-and-white print on a coloured card (``colorcli.mounts.mount_box``), prints on an
    album page and a scanned negative (``negative``: a colour negative's mask is no colour)
    are not."""
    if negative or not in_colour(rgb):
        return False
    return mount_box(rgb, lightness(rgb)) is None and page_prints(rgb) is None


def colour_pages(
    colour: Callable[[list[np.ndarray], list], list[np.ndarray]],
    images: Sequence[np.ndarray],
    guides: Sequence,
    prints: Sequence[list[Print] | None],
) -> tuple[list[np.ndarray], list[int | None]]:
    """``colour`` (a list of pictures and their guides in, coloured ones out) applied to
    ``images``, each album page's ``prints`` coloured alone (in one call with the rest) and
    put on a copy of the page as scanned (the paper inside an askew print's box left as it
    is); a print already in colour stays as scanned too. A print's photo
    corners (``colorcli.photocorners``) stay as scanned, and the network sees the print
    without them. Returns the coloured pictures, and for each the index of its item in the
    call (None for a page split into prints)."""
    items, gs, where = [], [], []
    for i, (im, g, found) in enumerate(zip(images, guides, prints, strict=True)):
        if found is None:
            items.append(im)
            gs.append(g)
            where.append((i, None))
            continue
        for rows, cols, paper, kept in found:
            if kept:
                continue
            crop = np.ascontiguousarray(im[rows, cols])
            corners = find_corners(crop)  # photo corners: as scanned, unseen by the network
            if corners:
                crop, held = filled(crop, corners), corner_mask(crop.shape, corners)
                paper = held if paper is None else paper | held
            items.append(crop)
            gs.append(None)
            where.append((i, (rows, cols, paper)))
    done = colour(items, gs)
    out: list[np.ndarray | None] = [None] * len(images)
    for (i, print_), res in zip(where, done, strict=True):
        if print_ is None:
            out[i] = res
            continue
        if out[i] is None:
            out[i] = _page_copy(images[i], res.dtype)
        rows, cols, paper = print_
        if paper is None:
            out[i][rows, cols] = res
        else:
            region = out[i][rows, cols]
            region[~paper] = res[~paper]
    index = {i: k for k, (i, print_) in enumerate(where) if print_ is None}
    return out, [index.get(i) for i in range(len(images))]


def page_notice(prints: list[Print] | None) -> str | None:
    """What is said of an album page (``page_prints``) that holds prints already in colour
    (kept as scanned); None for any other picture."""
    k = sum(p[3] == "colour" for p in prints or ())
    return KEPT_PRINTS.format(k=k, n=len(prints)) if k else None


def _page_copy(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The page as scanned, as an (H, W, 3) picture of ``dtype`` (the coloured prints')."""
    rgb = image if image.ndim == 3 else image[..., None]
    rgb = np.broadcast_to(rgb[..., :3], image.shape[:2] + (3,))
    if dtype.kind == "f" and image.dtype.kind in "ui":
        return rgb.astype(dtype) / np.iinfo(image.dtype).max
    return np.array(rgb, dtype=dtype)


__all__ = ["colour_pages", "page_notice", "page_prints", "photo_in_colour"]
