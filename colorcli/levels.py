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
"""

from __future__ import annotations

import numpy as np

LEVELS = (
    15.0,
    85.0,
)  # L*: the network sees a picture's levels reach at least from one to the other
LEVELS_Q = 1.0  # percentile: a picture's levels run from this one to 100 less it
MAX_LIFT = 4.0  # the most a picture's levels are stretched


def lifted(l_net: np.ndarray) -> np.ndarray:
    """``l_net`` (an (h, w) float32 L* map) with its levels stretched to reach ``LEVELS``
    where they fall short (see the module's docstring); as it is where they do not."""
    lo, hi = (float(v) for v in np.percentile(l_net, [LEVELS_Q, 100 - LEVELS_Q]))
    to_lo, to_hi = min(lo, LEVELS[0]), max(hi, LEVELS[1])
    if (to_lo, to_hi) == (lo, hi) or hi - lo <= 0:
        return l_net
    gain = min((to_hi - to_lo) / (hi - lo), MAX_LIFT)
    # the middle of the picture's levels goes to the middle of the levels it is spread over
    out = (l_net - np.float32((lo + hi) / 2)) * np.float32(gain) + np.float32((to_lo + to_hi) / 2)
    return np.clip(out, 0, 100, out=out).astype(np.float32, copy=False)
