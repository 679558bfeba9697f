"""A faded, washed-out or dark picture's lightness spread to the levels the network learned
from, for the network's eyes only: the output keeps the picture's own lightness.

The network learned from photos whose lightness runs from near black to near white. A faded
print (its blacks lifted toward the paper's white), a washed-out scan, a film faded through
gray or an underexposed negative's print shows it a range it never saw, and it answered with
confident wrong colours (on the held-out photos made so, 1.1 to 1.2 dB below their colours seen
as they were). So where a picture's lightness, from its ``LEVELS_Q``-th to its
``100 - LEVELS_Q``-th percentile, does not reach down to ``LEVELS[0]`` or up to ``LEVELS[1]``,
it is stretched (one gain and offset) until it does, by at most ``MAX_LIFT`` (a blank's grain
is not made a picture); a picture that reaches both is left as it is.

A film goes by its own levels, the same for every frame (``film_levels``: the median of
pictures sampled through it): a faded film is faded throughout, while a dark shot in it is dark
on purpose, and levels taken frame by frame flickered (bikes: 2.6% more flicker, where the
film's levels leave it as it was).
"""

from __future__ import annotations

import numpy as np

from colorcli.compose import shrunk_to

# L*: the network sees a picture's levels reach at least from the one to the other
LEVELS = (15.0, 85.0)
LEVELS_Q = 1.0  # percentile: a picture's levels run from this one to 100 less it
MAX_LIFT = 4.0  # the most a picture's levels are stretched
SIDE = 256  # a film's sampled pictures are measured at most this large on the short side
FLAT = 10.0  # L*: a sampled picture spanning less is left out of a film's levels


def lifted(l_net: np.ndarray, levels: tuple[float, float] | None = None) -> np.ndarray:
    """``l_net`` (an (h, w) float32 L* map) with its levels stretched to reach ``LEVELS``
    where they fall short (see the module's docstring); as it is where they do not.
    levels: the (low, high) percentiles to go by (a film's, ``film_levels``) in place of the
    picture's own."""
    if levels is None:
        levels = tuple(float(v) for v in np.percentile(l_net, [LEVELS_Q, 100 - LEVELS_Q]))
    lo, hi = levels
    to_lo, to_hi = min(lo, LEVELS[0]), max(hi, LEVELS[1])
    if (to_lo, to_hi) == (lo, hi) or hi - lo <= 0:
        return l_net
    gain = min((to_hi - to_lo) / (hi - lo), MAX_LIFT)
    # the middle of the picture's levels goes to the middle of the levels it is spread over
    out = (l_net - np.float32((lo + hi) / 2)) * np.float32(gain) + np.float32((to_lo + to_hi) / 2)
    return np.clip(out, 0, 100, out=out).astype(np.float32, copy=False)


def film_levels(pictures: list[np.ndarray], bars=None) -> tuple[float, float] | None:
    """A film's levels: the median over pictures sampled through it ((H, W) L* maps, all one
    size) of each one's ``LEVELS_Q``-th and ``100 - LEVELS_Q``-th percentiles, within its bars
    (``colorcli.filmbars.Bars``) where it has them, at most ``SIDE`` pixels on the short side
    as the network sees it; pictures spanning under ``FLAT`` L* (black leader, a fade's end)
    left out. None where none is left."""
    ends = []
    for p in pictures:
        if bars is not None:
            y0, y1, x0, x1 = bars.within(*p.shape, inward=True)
            p = p[y0:y1, x0:x1]
        lo, hi = np.percentile(shrunk_to(p, SIDE), [LEVELS_Q, 100 - LEVELS_Q])
        if hi - lo >= FLAT:
            ends.append((lo, hi))
    if not ends:
        return None
    lo, hi = np.median(np.array(ends), axis=0)
    return float(lo), float(hi)
