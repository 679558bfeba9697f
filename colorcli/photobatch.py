"""Photos in batches, the library's photo API for ``colorcli.colorizer.Colorizer``: runs of
pictures bounded in count and pixels, each picture's margins, card mount and album prints
found (``colorcli.borders``, ``colorcli.mounts``, ``colorcli.albumpages``), the network's
colours composed on the full-resolution lightness, and title cards and blanks left in their
tone (``colorcli.cards``).

A mixin: it uses the colorizer's network (``predict_ab``, ``l_net``) and settings.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from colorcli.albumpages import colour_pages, page_notice, page_prints
from colorcli.borders import compose_framed, framed, inner
from colorcli.cards import PROBE_SIDE, colour_share, is_page
from colorcli.compose import lightness
from colorcli.errors import DeviceError
from colorcli.guide import Guide, guide_net
from colorcli.mounts import framing
from colorcli.negative import positive
from colorcli.photocorners import find_corners, held_by_corners


def _prints(image: np.ndarray) -> list | None:
    """``page_prints``; a print held by photo corners, scanned to its edges, as the one print
    of its picture (``colorcli.photocorners``); or None: neither, or looking for them ran out
    of memory (the picture is then coloured whole, where running out again is said of it)."""
    try:
        if (prints := page_prints(image)) is not None:
            return prints
        if find_corners(image):
            return [(slice(0, image.shape[0]), slice(0, image.shape[1]), None, None)]
    except (MemoryError, cv2.error):
        pass
    return None


class PhotoBatchMixin:
    """``colorize_batch`` and ``colorize`` for ``Colorizer``."""

    last_pages: tuple[str | None, ...] = ()  # see colorize_batch
    negative: bool = False  # photos are scanned negatives (``Colorizer``'s setting)

    def prints_of(self, images: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
        """The pictures as given, or, where the colorizer takes negatives (``negative``),
        the prints they make (``colorcli.negative.positive``: gray, of their type)."""
        return [positive(im) for im in images] if self.negative else images

    def _chunks(self, images: Sequence[np.ndarray]) -> list[Sequence[np.ndarray]]:
        """Runs of at most ``batch_size`` images and ``max_batch_pixels`` full-resolution
        pixels (an image over that goes alone), so memory does not grow with the batch."""
        chunks, start, pixels = [], 0, 0
        for i, im in enumerate(images):
            n = im.shape[0] * im.shape[1]
            if i > start and (i - start >= self.batch_size or pixels + n > self.max_batch_pixels):
                chunks.append(images[start:i])
                start, pixels = i, 0
            pixels += n
        if start < len(images):
            chunks.append(images[start:])
        return chunks

    def colorize_batch(
        self,
        images: Sequence[np.ndarray],
        guides: Sequence[Guide | None] | None = None,
        printed: bool = False,
    ) -> list[np.ndarray]:
        """Colorize several images (any sizes) in batches (see ``_chunks``).

        images: (H, W) gray or (H, W, 3) RGB, uint8 or uint16. guides: per image None or a
        :class:`Guide` at that image's size (a hint model only). Returns (H, W, 3) RGB of the
        same dtype and size for each; ``last_plain`` then says, for each, whether it was left
        in its tone as a title card ("card"), a typed page ("page") or a blank ("blank"), or
        None. Out of memory for a single image is a DeviceError. An album page of several
        prints (unguided) has each print coloured alone and the page kept as scanned
        (``colorcli.albumpages``), a print on it already in colour kept as scanned too;
        ``last_pages`` then says, for each image, what there is to say of such prints
        (``page_notice``), or None. With ``negative``
        each image is a scanned negative, coloured as its print (``prints_of``), unless
        ``printed``: the images are prints already (a film's frames, by the film's curve).
        """
        images = images if printed else self.prints_of(images)
        gs = list(guides) if guides is not None else [None] * len(images)
        prints = [
            _prints(im) if self.margins and g is None else None
            for im, g in zip(images, gs, strict=True)
        ]
        self.last_pages = tuple(page_notice(p) for p in prints)
        if not any(p is not None for p in prints):
            return self._colorize_batch(images, gs)
        plain: list = []

        def colour(items: list[np.ndarray], item_guides: list) -> list[np.ndarray]:
            done = self._colorize_batch(items, item_guides)
            plain.extend(self.last_plain)
            return done

        out, index = colour_pages(colour, images, gs, prints)
        self.last_plain = tuple(None if k is None else plain[k] for k in index)
        return out

    def _colorize_batch(
        self, images: Sequence[np.ndarray], guides: Sequence[Guide | None]
    ) -> list[np.ndarray]:
        """``colorize_batch`` of pictures that are no album pages."""
        out: list[np.ndarray] = []
        at, plain = 0, []
        for chunk in self._chunks(images):
            gs = list(guides[at : at + len(chunk)]) if guides is not None else [None] * len(chunk)
            at += len(chunk)
            try:
                l_fulls = [lightness(im) for im in chunk]
                cuts = [
                    framed(framing(im, lf), g) if self.margins else (None, g)
                    for im, lf, g in zip(chunk, l_fulls, gs, strict=True)
                ]
                boxes, gs = [c[0] for c in cuts], [c[1] for c in cuts]
                l_ins = [inner(lf, b) for lf, b in zip(l_fulls, boxes, strict=True)]
                # a print on its mount held by photo corners: kept as scanned, unseen
                held = [
                    held_by_corners(im, b, li) if self.margins else (b, li)
                    for im, b, li in zip(chunk, boxes, l_ins, strict=True)
                ]
                boxes, l_ins = [h[0] for h in held], [h[1] for h in held]
                # a photo the user guides keeps the size the hint attention was fitted at
                sizes = [self.photo_size if g is None or g.empty else self.size for g in gs]
                l_nets = [self.photo_l_net(li, z) for li, z in zip(l_ins, sizes, strict=True)]
                g_nets = [
                    None if g is None or g.empty else guide_net(g, li.shape, ln.shape)
                    for g, li, ln in zip(gs, l_ins, l_nets, strict=True)
                ]
                palettes = [None if g is None else g.palette for g in gs]
                found = self.cards_found, self.blanks_found
                abs_ = self.predict_ab(l_nets, g_nets, palettes, spread=True, photo=True)
                which = self._which(found, l_nets, g_nets, abs_)
                plain += self._pages(l_ins, l_nets, g_nets, abs_, which)
                for im, lf, ab, b in zip(chunk, l_fulls, abs_, boxes, strict=True):
                    dtype = im.dtype if im.dtype in (np.uint8, np.uint16) else np.float32
                    # a colour scan's margins, a print's mount: as scanned
                    out.append(compose_framed(lf, ab, b, dtype, im))
            except (MemoryError, cv2.error, DeviceError) as e:
                if (blamed := self._host_blamed(chunk, e)) is None:
                    raise
                raise blamed from e
        self.last_plain = tuple(plain)
        return out

    def _which(self, found: tuple[int, int], l_nets, g_nets, abs_: list) -> list[str | None]:
        """Which of the pictures just predicted were left in their tone ("card", "blank"),
        ``found`` the counts of both before: an unguided blank's or card's ab is zero."""
        if (self.cards_found, self.blanks_found) == found:
            return [None] * len(abs_)
        return [
            None if g is not None or ab.any() else "blank" if colour_share(ln) == 0.0 else "card"
            for ln, g, ab in zip(l_nets, g_nets, abs_, strict=True)
        ]

    def _pages(self, l_ins, l_nets, g_nets, abs_: list, plain: list) -> list[str | None]:
        """``plain`` with the pages of lettering found too: a typed or written page whose
        letters are too small to read at the network's size, looked at larger where the
        picture has the pixels (``is_page``); their ab (in ``abs_``) made zero."""
        for i, (li, ln, g) in enumerate(zip(l_ins, l_nets, g_nets, strict=True)):
            if not self.cards or g is not None or plain[i] or min(li.shape) < 2 * PROBE_SIDE:
                continue
            if is_page(li, ln):
                abs_[i] = np.zeros_like(abs_[i])
                self.cards_found += 1
                plain[i] = "page"
        return plain

    def colorize(
        self, image: np.ndarray, guide: Guide | None = None, printed: bool = False
    ) -> np.ndarray:
        """Colorize one image; see :meth:`colorize_batch`."""
        return self.colorize_batch([image], [guide], printed)[0]


__all__ = ["PhotoBatchMixin"]
