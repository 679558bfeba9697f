"""Plain grounds found from the lightness alone, which keep the neutral tone the input gives
them: title cards (a silent film's intertitles, credits on black, a caption card, a typed
page: lettering on a plain ground) and blanks (a plain ground with nothing on it: leader, a
fade's middle, an empty frame, a blank page). The network never saw one: it painted the plain
ground of a dark card in blotches of navy and violet, a white one pale blue, and an even gray
frame as a clear sky (chroma 30 to 40 at middle grays).

A blank is looked at shrunk to ``EVEN_SIDE`` pixels on its short side, through a 3-pixel
median (a scratch, dust) and a Gaussian of ``EVEN_GRAIN`` (the grain): what is left of its
lightness once a lamp's falloff is taken out (a quadratic surface fitted to it) spans
``BLANK[0]`` L* or less from its ``EVEN_Q``-th to its ``100 - EVEN_Q``-th percentile, and all
of it at most ``FALLOFF[0]``. It gets none of the network's colour; a picture with ``BLANK[1]``
or more left, or spanning ``FALLOFF[1]`` or more, all of it; one between, a share in
proportion (the frames of a fade come and go by degrees). Of the 900 photos and clip frames
``bench/cards.py`` looks at, the evenest of those spanning under ``FALLOFF[1]`` leaves 10.0 L*
(wood's grain, a meadow's grass); of its 300 synthetic blanks (any gray, the lamp's falloff,
uneven light, grain up to 7 L*, dust, scratches, JPEG) 95% leave under 3.5, the most 5.8.

A card is looked for on the lightness shrunk to ``PROBE_SIDE`` pixels on its short side. Its
ground is what a median over a fifth of the picture leaves (the letters are thinner than
that); the ink is what stands out of it by ``INK`` L* or more once the grain is evened out,
all on one side (light letters on a dark ground, or dark on light), with most of the picture
plain ground and the ground itself even enough (a lamp's falloff, not a scene). Then, of the
ink's pieces (connected, specks of dust left out): the letters, each between
``LETTER_HEIGHT`` of the picture's height and at most half its width, must be ``MIN_LETTERS``
or more and hold ``LETTER_SHARE`` of the ink (rules and a border round the card count with
them; an object does not), be of about one height (``ALIKE`` of their ink within half to
twice the median height), and stand in lines (``IN_LINE`` of their ink): pieces side by side
at one height, a gap of about a letter between them, making a band at most ``BAND`` letters
high and longer than it is high. Fewer than ``MANY_LETTERS`` in lines (an end card's "FIN",
or "The End" with its T and h touching) must also be drawn in strokes: the median letter's
thickest stroke, its holes filled, at most ``STROKE`` of its height. A hammer on a white
table, leaves on a branch against a wall, birds in a sky, a caterpillar's stripes, eggs in a
row: one object, pieces not in lines, a band as high as it is long, or solids, not strokes.
A street with its signs is no plain ground.

A typed or written page's letters are a pixel or two high in the network's copy: a photo at
least twice ``PROBE_SIDE`` on its short side, most of it one even ground at the network's
size (``plain_share``: a scene seldom is), is looked at again at ``PAGE_SIDE``, where
letters need ``LETTER_PIXELS`` pixels rather than their share of the height. A densely typed
page (full lines, single spaced, in columns) is plain on less of it there (its lines are gray
bands) and holds thousands of letters: at ``DENSE_PLAIN`` it is looked at again at
``DENSE_SIDE``, reading up to ``MAX_PAGE_LETTERS`` (before, none of 30 such pages was found,
and each was coloured as a photo, pale blue).

``python bench/cards.py``: of 300 synthetic intertitles (dark and light grounds, five faces,
grain, dust, scratches, vignettes, JPEG) it finds 248 (``CUT`` and ``STROKE`` were chosen on
them, so this is no untouched test), the rest mostly lettering a few pixels high at the
network's size, 30 of 30 typed pages and 29 of 30 densely typed ones looked at as pages
(164 ms each, median); of the 775 training, held-out, outside and sample photos (450 of
them also looked at as pages) and 125 frames of the four test clips, it takes none for a
card. About 1.5 ms a picture at 256; 10 ms for a page's look at a 1.5-megapixel photo,
which 11 of those 450 are plain enough to get, and 28 the dense look (18 ms median, 324 at
most).
"""

from __future__ import annotations

import cv2
import numpy as np

from colorcli.compose import shrunk_to

PROBE_SIDE = 256  # short side of the lightness a card is looked for on
PAGE_SIDE = 768  # ... and a photo at least twice that large, again at this (a typed page)
# where at the network's size this much of it is plain ground, its ground this even (L*)
PAGE_PLAIN, PAGE_SPREAD = 0.75, 20.0
# a densely typed page (full lines, single spacing, columns: thousands of letters) is plain
# on less of it at the network's size; looked at again at DENSE_SIDE, where its letters are
# letters and not runs of ink, reading up to MAX_PAGE_LETTERS of them
DENSE_PLAIN, DENSE_SIDE, MAX_PAGE_LETTERS = 0.4, 1536, 20000
MIN_SIDE = 64  # smaller pictures are never cards (too few pixels to read lettering in)
INK = 20.0  # L*: ink stands this far from the ground at least
FLAT = 5.0  # L*: ground pixels lie within this of it (the grain averaged out)
CUT = 0.7  # of the ink's contrast: where its pieces are cut from the ground
FLAT_SHARE = 0.6  # of the picture, plain ground at least
INK_SHARE = (0.005, 0.4)  # of the picture, ink between these
MID_PER_INK = 3.0  # pixels between ground and ink (the letters' soft edges): at most this per ink
ONE_SIDE = 0.9  # of the ink, at least this on the one side of the ground
GROUND_SPREAD = 40.0  # L*: the ground's 5th to 95th percentile at most (vignetting, uneven light)
LETTER_HEIGHT = (0.015, 0.4)  # of the picture's height
LETTER_PIXELS = 4  # ... or this many pixels, where fewer than the share (a page looked at large)
MIN_LETTERS = 3  # "FIN", "The End" (its T and h touching)
MANY_LETTERS = 6  # fewer pieces than this must be drawn in strokes:
STROKE = 0.65  # a letter's thickest stroke at most this of its height (the median letter's)
MAX_LETTERS = 1500  # more pieces than this: too fine to be read as letters here
NEIGHBOURS = 1000  # pieces looked at after each, by height on the page, for one beside it
LETTER_SHARE = 0.9
ALIKE = 0.7
IN_LINE = 0.7
BAND = 2.0  # a line of lettering is at most this many letters high (ascenders, descenders)
SPECK = 4  # pixels: a piece smaller than this is dust, not a letter
GRAIN = 0.8  # pixels: the Gaussian that evens out grain before the ink is told from the ground
RULE = 8.0  # a piece this many times longer than thick is a rule or a piece of a border
EVEN_SIDE = 64  # short side a picture's spread of lightness is measured at (a blank's)
EVEN_Q = 2.0  # ... from this percentile to 100 less it
EVEN_GRAIN = 0.7  # pixels there: the Gaussian that evens out what grain is left
BLANK = (5.0, 8.0)  # L*: at most this left after the lamp's falloff, blank; this on, a picture
FALLOFF = (20.0, 30.0)  # L*: a blank spans at most this; a picture spanning this or more never is

# what is said of a picture left in its tone, by kind
LEFT_IN_TONE = {
    "card": "lettering on a plain ground (a title card): left in its own tone (--colour-cards colours it)",
    "page": "lettering on a plain ground (a typed or written page): left in its own tone (--colour-cards colours it)",
    "blank": "nothing on it (an even ground, a blank): left in its own tone (--colour-cards colours it)",
}


def is_card(l_net: np.ndarray, side: int = PROBE_SIDE, letters: int = MAX_LETTERS) -> bool:
    """Whether ``l_net``, an (h, w) float32 L* map (a picture at the network's size), is
    lettering on a plain ground; looked at shrunk to ``side`` pixels on its short side where
    larger, reading at most ``letters`` pieces as letters."""
    if min(l_net.shape) < MIN_SIDE:
        return False
    ground, stands = _ground_and_stands(l_net, side)
    ink = _ink(stands, ground)
    return ink is not None and _lettering(ink, letters)


def colour_share(l_net: np.ndarray) -> float:
    """How much of the network's colour ``l_net`` (an (h, w) float32 L* map) keeps by how
    much there is in it: 0 for a blank, 1 for any picture, a share for one that is nearly
    blank (see the module's docstring)."""
    small = cv2.medianBlur(shrunk_to(l_net, EVEN_SIDE), 3)  # a scratch, a speck of dust
    small = cv2.GaussianBlur(small, (0, 0), EVEN_GRAIN)
    q = (EVEN_Q, 100 - EVEN_Q)
    lo, hi = np.percentile(small, q)
    y, x = (np.linspace(-0.5, 0.5, n, dtype=np.float32) for n in small.shape)
    y, x = np.meshgrid(y, x, indexing="ij")
    lamp = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], -1).reshape(-1, 6)
    fit = np.linalg.lstsq(lamp, small.ravel(), rcond=None)[0]
    left_lo, left_hi = np.percentile(small.ravel() - lamp @ fit, q)

    def ramp(v: float, at: tuple[float, float]) -> float:
        return float(np.clip((v - at[0]) / (at[1] - at[0]), 0.0, 1.0))

    return max(ramp(left_hi - left_lo, BLANK), ramp(hi - lo, FALLOFF))


def plain_share(l_net: np.ndarray) -> float:
    """How much of ``l_net`` (at the network's size) is one even ground, as a page's is (0
    where its ground is not even): what makes a page's look (``PAGE_SIDE`` from
    ``PAGE_PLAIN``, ``DENSE_SIDE`` from ``DENSE_PLAIN``) worth its time (a photo of a scene
    seldom is)."""
    if min(l_net.shape) < MIN_SIDE:
        return 0.0
    ground, stands = _ground_and_stands(l_net, PROBE_SIDE)
    lo, hi = np.percentile(ground, [5, 95])
    return float(np.mean(np.abs(stands) < FLAT)) if hi - lo <= PAGE_SPREAD else 0.0


def is_page(l_full: np.ndarray, l_net: np.ndarray) -> bool:
    """Whether a photo (``l_full``, its (H, W) float32 L*; ``l_net``, the same at the
    network's size) is a typed or written page whose letters are too small to read at the
    network's size: looked at ``PAGE_SIDE`` pixels large where most of it is plain ground
    there, and at ``DENSE_SIDE`` where two fifths of it are (a densely typed page)."""
    plain = plain_share(l_net)
    if plain >= PAGE_PLAIN and is_card(l_full, PAGE_SIDE):
        return True
    return plain >= DENSE_PLAIN and is_card(l_full, DENSE_SIDE, MAX_PAGE_LETTERS)


def _ground_and_stands(l_net: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The ground (a median over a fifth of the picture) and how far each pixel stands out of
    it once the grain is evened out, in L*, of ``l_net`` shrunk to ``side`` where larger. The
    ground of a look finer than ``PAGE_SIDE`` is taken at that size and enlarged: it is
    smooth, and the median's time grows with its width (3.4 s at 1536)."""
    code = _coded(shrunk_to(l_net, side))
    coarse = code if min(code.shape) <= PAGE_SIDE else _coded(shrunk_to(l_net, PAGE_SIDE))
    ground = cv2.medianBlur(coarse, (min(coarse.shape) // 5) | 1).astype(np.float32) / 2.55
    if ground.shape != code.shape:
        ground = cv2.resize(ground, code.shape[::-1], interpolation=cv2.INTER_LINEAR)
    stands = cv2.GaussianBlur(code, (0, 0), GRAIN).astype(np.float32) / 2.55 - ground
    return ground, stands


def _coded(lum: np.ndarray) -> np.ndarray:
    """L* as 8-bit codes (2.55 a unit)."""
    return np.clip(lum * 2.55, 0, 255).astype(np.uint8)


def _ink(stands: np.ndarray, ground: np.ndarray) -> np.ndarray | None:
    """The ink as a uint8 mask where the picture is a plain ground with marks of one side on
    it, else None. ``stands``: how far each pixel stands out of the ground, in L*."""
    far = np.abs(stands)
    ink_share = float(np.mean(far > INK))
    if not INK_SHARE[0] <= ink_share <= INK_SHARE[1]:
        return None
    mid_share = float(np.mean((far >= FLAT) & (far <= INK)))
    if np.mean(far < FLAT) < FLAT_SHARE or mid_share > MID_PER_INK * ink_share + 0.03:
        return None
    light, dark = np.count_nonzero(stands > INK), np.count_nonzero(stands < -INK)
    if max(light, dark) < ONE_SIDE * (light + dark):
        return None
    side = 1.0 if light >= dark else -1.0
    lo, hi = np.percentile(ground, [5, 95])
    if hi - lo > GROUND_SPREAD:
        return None
    # the letters cut at CUT of their contrast (their ink's median), not at INK: small bold
    # lettering, blurred, ran together into words at INK
    contrast = float(np.percentile(stands * side, 100 * (1 - ink_share / 2)))
    return (stands * side > max(INK, CUT * contrast)).astype(np.uint8)


def _lettering(ink: np.ndarray, most: int = MAX_LETTERS) -> bool:
    """Whether the ink's pieces are letters in lines (see the module's docstring)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (stats[1:, i].astype(np.float64) for i in range(5))
    big, tall = ink.shape[1], ink.shape[0]
    kept = area >= SPECK
    low = min(LETTER_PIXELS, LETTER_HEIGHT[0] * tall)  # pixels: too few to read a letter in
    letter = kept & (h >= low) & (h <= LETTER_HEIGHT[1] * tall)
    letter &= w <= 0.5 * big
    border = kept & ~letter & ((h > 0.5 * tall) | (w > 0.5 * big)) & (area < 0.2 * w * h)
    border |= kept & ~letter & (np.maximum(w, h) >= RULE * np.minimum(w, h))  # a rule
    if not MIN_LETTERS <= np.count_nonzero(letter) <= most:
        return False
    order = np.argsort(h[letter])
    heavy = np.cumsum(area[letter][order])
    median = h[letter][order][np.searchsorted(heavy, heavy[-1] / 2)]  # by ink: specks weigh little
    dust = letter & (h < 0.5 * median)  # far smaller than the letters: specks, not letters
    letter, kept = letter & ~dust, kept & ~dust
    if (area[letter].sum() + area[border].sum()) < LETTER_SHARE * area[kept].sum():
        return False
    piece = np.flatnonzero(letter) + 1  # each letter's label in ``labels``
    x, y, w, h, area = (v[letter] for v in (x, y, w, h, area))
    if area[h <= 2 * median].sum() < ALIKE * area.sum():
        return False
    lined = np.zeros(len(x), bool)
    for line in _groups(len(x), _beside(x, w, y + h / 2, float(np.median(h)))):
        top, bottom = y[line].min(), (y + h)[line].max()
        band, extent = bottom - top, (x + w)[line].max() - x[line].min()
        # a line of lettering: one band about a letter high, longer than high
        if len(line) >= 3 and band <= BAND * np.median(h[line]) and extent >= 2 * band:
            lined[line] = True
    if np.count_nonzero(lined) < MIN_LETTERS or area[lined].sum() < IN_LINE * area.sum():
        return False
    # a word or two ("FIN", "The End"): drawn in strokes, as eggs or pebbles in a row are not
    # (more letters than that may run together into solid words, small and bold)
    if np.count_nonzero(lined) >= MANY_LETTERS:
        return True
    stroke = _strokes(ink, labels, n)[piece[lined]]
    return float(np.median(stroke / h[lined])) <= STROKE


def _strokes(ink: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Each of the ``n`` labels' thickest stroke: twice the farthest its ink lies from the
    ground, its holes filled (a solid thing the broad median took in part for ground is a
    ring)."""
    solid = _filled(ink)
    m, whole = cv2.connectedComponents(solid, connectivity=8)
    peak, owner = np.zeros(m, np.float32), np.zeros(n, np.int64)
    np.maximum.at(peak, whole.ravel(), cv2.distanceTransform(solid, cv2.DIST_L2, 5).ravel())
    np.maximum.at(owner, labels.ravel(), whole.ravel())  # the filled piece each piece is in
    return 2 * peak[owner]


def _filled(ink: np.ndarray) -> np.ndarray:
    """``ink`` with its holes filled: the ground no path along the ground leads out from."""
    outside = np.pad(1 - ink, 1, constant_values=1)
    cv2.floodFill(outside, None, (0, 0), 2)
    return (outside[1:-1, 1:-1] != 2).astype(np.uint8)


def _beside(x: np.ndarray, w: np.ndarray, mid_y: np.ndarray, tall: float) -> np.ndarray:
    """(E, 2) pairs of pieces side by side: their middles within 0.35 of a letter's height
    ``tall`` of each other, a gap under 1.2 of it between them. Looked for along the pieces
    sorted by height on the page, each against the next ones until none is near enough (a
    page's thousands of letters: no table of every pair), at most ``NEIGHBOURS`` on."""
    order = np.argsort(mid_y, kind="stable")
    ys, x0, x1 = mid_y[order], x[order], (x + w)[order]
    pairs = []
    for k in range(1, min(len(order), NEIGHBOURS + 1)):
        near = ys[k:] - ys[:-k] < 0.35 * tall
        if not near.any():
            break
        gap = np.maximum(x0[k:] - x1[:-k], x0[:-k] - x1[k:])
        i = np.flatnonzero(near & (gap < 1.2 * tall))
        pairs.append(np.stack([order[i], order[i + k]], 1))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.intp)


def _groups(n: int, pairs: np.ndarray) -> list[np.ndarray]:
    """The ``n`` pieces' groups (each piece with those paired with it, and theirs)."""
    root = np.arange(n)

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = int(root[i])
        return i

    for i, j in pairs:
        root[find(int(i))] = find(int(j))
    heads = np.unique([find(i) for i in range(n)], return_inverse=True)[1]
    return np.split(np.argsort(heads, kind="stable"), np.cumsum(np.bincount(heads))[:-1])


__all__ = ["PAGE_SIDE", "PROBE_SIDE", "is_card", "is_page", "plain_share"]
