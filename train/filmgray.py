"""Gray as archives make it: the lightness a film stock records of a colour scene, with its tone
curve, blur, grain and the scan's JPEG, for training (``--film-gray``) and ``colorize eval
--gray``.

A stock sees linear light through its own spectral weights: ``Y' = w . (R, G, B)_linear``, then
L* of that. Weights per stock (sums to 1; the red share is what differs most):

- ``modern``: panchromatic, close to the eye (CIE Y: 0.2126, 0.7152, 0.0722);
- ``early-pan``: early panchromatic (1920s-40s), weak in red, strong in blue;
- ``ortho``: orthochromatic (before the 1920s), blind to red: reds print dark, skies pale;
- ``blue``: plain silver (19th-century), blue and violet only.

A random stock jitters its weights (Dirichlet around the stock's), then a tone curve (gamma,
lifted blacks, lowered whites), a slight Gaussian blur, grain (noise correlated over about a
pixel, stronger in the mid-tones) and a JPEG pass at a random quality. The targets stay the
true ab; colouring keeps the input's own L, so a model trained so learns to read chroma from
such grays without being asked to mend their lightness.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorcli.kernels.lab import _LUT_U8, _f_np

STOCKS = {
    "modern": (0.2126, 0.7152, 0.0722),
    "early-pan": (0.12, 0.48, 0.40),
    "ortho": (0.0, 0.55, 0.45),
    "blue": (0.0, 0.15, 0.85),
}
STOCK_ODDS = {"modern": 0.4, "early-pan": 0.25, "ortho": 0.25, "blue": 0.1}


@dataclass(frozen=True)
class FilmLook:
    """One draw of a film's look. weights: linear-RGB weights; gamma, black, white: the tone
    curve on Y in [0, 1]; blur: Gaussian sigma in pixels; grain: noise sigma in L* units at
    mid-gray; jpeg: quality, or 0 for none."""

    weights: tuple[float, float, float]
    gamma: float = 1.0
    black: float = 0.0
    white: float = 1.0
    blur: float = 0.0
    grain: float = 0.0
    jpeg: int = 0


def fixed_look(kind: str) -> FilmLook:
    """The look of an eval kind that is not random: a stock alone, 'grainy' or 'faded'."""
    if kind == "grainy":
        return FilmLook(STOCKS["modern"], blur=0.5, grain=5.0, jpeg=75)
    if kind == "faded":  # a faded print: its blacks lifted to L* 46, its whites dulled to 96
        return FilmLook(STOCKS["modern"], black=0.15, white=0.9)
    return FilmLook(STOCKS[kind])


def random_look(rng: np.random.Generator) -> FilmLook:
    """A random film: stock by STOCK_ODDS, jittered weights, tone, blur, grain, JPEG."""
    names = list(STOCK_ODDS)
    stock = names[rng.choice(len(names), p=np.array(list(STOCK_ODDS.values())))]
    w = rng.dirichlet(np.array(STOCKS[stock]) * 40.0 + 0.05)
    return FilmLook(
        weights=(float(w[0]), float(w[1]), float(w[2])),
        gamma=float(np.exp(rng.uniform(-0.3, 0.3))),
        black=float(rng.uniform(0.0, 0.08)),
        white=float(rng.uniform(0.9, 1.0)),
        blur=float(rng.uniform(0.0, 1.2)) if rng.random() < 0.6 else 0.0,
        grain=float(rng.uniform(0.0, 6.0)) if rng.random() < 0.7 else 0.0,
        jpeg=int(rng.integers(35, 95)) if rng.random() < 0.5 else 0,
    )


def _l_of_y(y: np.ndarray) -> np.ndarray:
    """L* of relative luminance Y, by the Lab kernels' own f."""
    return (116.0 * _f_np(y) - 16.0).astype(np.float32)


def film_lightness(rgb: np.ndarray, look: FilmLook, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> (H, W) float32 L* in [0, 100] as ``look``'s film and scan saw it."""
    lin = _LUT_U8[rgb]  # linear light
    y = lin @ np.asarray(look.weights, np.float32)
    y = np.clip(y, 0.0, 1.0) ** np.float32(look.gamma)
    y = look.black + (look.white - look.black) * y
    lum = _l_of_y(np.clip(y, 0.0, 1.0))
    if look.blur > 0:
        lum = cv2.GaussianBlur(lum, (0, 0), look.blur)
    if look.grain > 0:  # silver grain: correlated over ~1 px, strongest in the mid-tones
        noise = cv2.GaussianBlur(rng.standard_normal(lum.shape).astype(np.float32), (0, 0), 0.7)
        noise *= np.float32(look.grain / max(1e-6, float(noise.std())))
        lum = lum + noise * (0.4 + 0.6 * np.sin(np.pi * np.clip(lum / 100.0, 0, 1)))
    lum = np.clip(lum, 0.0, 100.0).astype(np.float32)
    if look.jpeg:
        code = np.rint(lum * 2.55).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", code, [cv2.IMWRITE_JPEG_QUALITY, look.jpeg])
        if ok:
            lum = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 2.55
    return lum


def gray_look(kind: str, rng: np.random.Generator) -> FilmLook | None:
    """The look an eval kind asks for (None for plain: the photo's own L*)."""
    if kind == "plain":
        return None
    return random_look(rng) if kind == "film" else fixed_look(kind)
