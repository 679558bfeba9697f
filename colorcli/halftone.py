"""Halftone prints: a photograph printed with a screen of dots (a newspaper's, a book's, a
postcard's) and scanned. Found by its screen, a square lattice of one period across the whole
picture; the network sees it descreened (the screen's frequencies filtered out) where its
input would show the dots, the output keeps the scan's own lightness. No model, no files.

Seen dot by dot, a coarse screen is a texture of black and white that the network colours as
gravel or foliage: on the held-out photos printed with a screen of 6 or 8 pixels the automatic
colours were 23.5 and 23.8 ab units from the truth, further than gray's 20.4
(bench/halftone.py). A fine one it sees through well enough: that is left as it is.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from colorcli.kernels.lab import lightness_of, luminance_of

TILE = 256  # side of the squares whose spectra are read (smaller pictures: their short side)
GRID = 3  # squares read across and down (up to GRID * GRID)
# periods (pixels) of a screen that is found: below 2.4 the dots are all but gone in the scan,
# above 12 they are a pattern the picture may have of its own
BAND = (1 / 12, 1 / 2.4)
LOWEST = 1 / 40  # the peaks of longer periods looked at (a pattern's own is not a screen)
# a screen's peak stands this many times above the spectrum at its frequency in other
# directions (the median of its ring), and its partner a quarter turn away a third of that.
# On the held-out photos screened at 4.5-8 pixels and scanned (blur, grain, JPEG) the peaks
# stood 1400-7700 times above; no ordinary photo's stood more than 200 times
PEAK = 300.0
PARTNER = PEAK / 3
AGREE = 0.08  # the squares' periods within this fraction of their median
FLAT = 2.0  # a square whose L* varies less than this (paper, solid ink) tells nothing
# the low-pass, in fractions of the screen's frequency: all kept below the first, none above
# the second (a Gaussian that took the screen down as far blurred the picture more)
CUT = (0.6, 0.85)
# which screens are taken out: a period of at least COARSE pixels of the scan, and of RESOLVED
# pixels of the network's input. Finer in the input, its own area averaging takes most of the
# dots; coarser, the picture is so small beside its screen (under 64 periods across) that the
# low-pass leaves it little; finer in the scan, the dots are all but blurred into one another
# and the low-pass takes more of the picture than of them. Per photo (held-out photos at short
# sides up to 768 and 1152, the mean gain in ab error, bench/halftone.py's prints): periods 6
# and 8 with 2-4 input pixels +3.84 and +4.24, under 2 +1.57 and +0.71 (9 photos), over 4 -2.33
# and -2.64; periods 3 and 4.5 with 2-4 input pixels -1.36 and -1.47, under 2 +0.15 and +0.23
COARSE = 5.0
RESOLVED = (2.0, 4.0)


@functools.lru_cache(maxsize=4)
def _geometry(
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """For squares of side n: the Hann window, each frequency's radius (cycles a pixel, zero
    centred), its ring (radius in whole cycles a square), the flat indices of each ring
    looked at, and the frequencies a peak is looked for at."""
    win = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    f = (np.arange(n, dtype=np.float32) - n // 2) / n
    r = np.hypot(f[None, :], f[:, None])
    ring = np.minimum((r * n).round().astype(np.int32), n)
    seen = (r >= LOWEST) & (r <= BAND[1] * 1.1)
    rings = [np.flatnonzero(ring == k) for k in range(n + 1)]
    looked = (r >= LOWEST) & (r <= BAND[1])
    return win, r, ring, [idx if seen.flat[idx].any() else idx[:0] for idx in rings], looked


def _spectrum(tile: np.ndarray, win: np.ndarray) -> np.ndarray:
    """Power spectrum of a square (windowed, mean removed), zero frequency centred."""
    t = np.ascontiguousarray((tile - tile.mean()) * win, np.float32)
    spec = cv2.dft(t, flags=cv2.DFT_COMPLEX_OUTPUT)
    return np.fft.fftshift(spec[..., 0] ** 2 + spec[..., 1] ** 2)


def _tile_period(tile: np.ndarray) -> float | None:
    """The period (pixels) of a square screen in one square of the picture (not flat), or
    None."""
    n = tile.shape[0]
    win, r, ring, rings, looked = _geometry(n)
    p = _spectrum(tile, win)
    # how far each frequency stands above the spectrum's median at its radius (a drawn
    # pattern's rings are empty between its peaks: a millionth of its power at least)
    flat = p.ravel()
    floor = np.array([np.median(flat[idx]) if len(idx) else 0.0 for idx in rings])
    floor = np.maximum(floor, 1e-6 * float(p.sum()) + 1e-12)
    peaky = np.where(looked, p / floor[ring], 0.0).astype(np.float32)
    # the sharpest peak may be a harmonic of the screen's lattice (its (1, 1) the first, which
    # can stand higher than the fundamental): the fundamental is the lowest of the lattice's
    # frequencies it is a harmonic of, (1, 0), (1, 1) or (2, 1) times it, that stands out too.
    # (Not simply the lowest sharp peak: near the Nyquist frequency harmonics fold below it.)
    at = np.unravel_index(np.argmax(peaky), p.shape)
    if peaky[at] < PEAK:
        return None
    v = np.array([at[0] - n // 2, at[1] - n // 2], np.float64)
    turn = np.array([v[1], -v[0]])
    for cand in (v / 2, (v - turn) / 2, (v + turn) / 2, (2 * v - turn) / 5, (2 * v + turn) / 5):
        cy, cx = np.rint(cand).astype(int) + n // 2
        if np.hypot(*cand) / n < BAND[0] or not (0 < cy < n - 1 and 0 < cx < n - 1):
            continue
        near = peaky[cy - 1 : cy + 2, cx - 1 : cx + 2]
        if near.max() >= PARTNER and np.hypot(*cand) < np.hypot(at[0] - n // 2, at[1] - n // 2):
            dy, dx = np.unravel_index(np.argmax(near), near.shape)
            at = (cy - 1 + dy, cx - 1 + dx)
    r0 = float(r[at])
    if r0 < BAND[0]:
        return None
    y, x = at[0] - n // 2, at[1] - n // 2
    if min(abs(y), abs(x)) <= 1 and min(abs(r0 * 8 - k) for k in (1, 2, 3)) < 0.02 * r0 * 8:
        return None  # the 8 x 8 blocks of JPEG or WebP, not a screen
    # its partner a quarter turn away: (fx, fy) -> (-fy, fx), within a pixel of the spectrum
    py, px = x + n // 2, -y + n // 2
    if not (0 < py < n - 1 and 0 < px < n - 1):
        return None
    if peaky[py - 1 : py + 2, px - 1 : px + 2].max() < PARTNER:
        return None
    return 1.0 / r0


def screen_period(l_full: np.ndarray) -> float | None:
    """The period (pixels) of the halftone screen a picture was printed with, or None where
    it shows none: a square lattice of sharp peaks in the spectra of most of the squares of
    it that are not flat (squares apart from each other: a screen covers the whole print, a
    pattern of the picture's own rarely does), at one period. l_full: (H, W) L*."""
    h, w = l_full.shape
    side = min(TILE, h // 2, w // 2)
    side -= side % 2
    if side < 64:
        return None
    ys = np.linspace(0, h - side, min(GRID, h // side)).round().astype(int)
    xs = np.linspace(0, w - side, min(GRID, w // side)).round().astype(int)
    seen, periods = 0, []
    for y in ys:
        for x in xs:
            tile = np.asarray(l_full[y : y + side, x : x + side], np.float32)
            if float(tile.std()) < FLAT:
                continue
            seen += 1
            if (period := _tile_period(tile)) is not None:
                periods.append(period)
    if seen < 2 or len(periods) * 3 < seen * 2:
        return None
    mid = float(np.median(periods))
    if sum(abs(q - mid) <= AGREE * mid for q in periods) * 3 < seen * 2:
        return None
    return mid


def descreened(l_full: np.ndarray, period: float) -> np.ndarray:
    """The picture's L* with its screen taken out, in linear light (what the eye sees of the
    dots from afar, as the printer meant it): every frequency from ``CUT[0]`` of the screen's
    up kept less and less, none from ``CUT[1]`` (a raised cosine), the edges mirrored so the
    picture's wrap-around makes no false edge."""
    lum = np.asarray(l_full, np.float32)
    y = luminance_of(lum).astype(np.float32)
    h, w = lum.shape
    pad = int(np.ceil(4 * period))
    ph, pw = cv2.getOptimalDFTSize(h + 2 * pad), cv2.getOptimalDFTSize(w + 2 * pad)
    big = cv2.copyMakeBorder(y, pad, ph - h - pad, pad, pw - w - pad, cv2.BORDER_REFLECT_101)
    spec = cv2.dft(big, flags=cv2.DFT_COMPLEX_OUTPUT)
    fy = np.fft.fftfreq(ph).astype(np.float32)[:, None]
    fx = np.fft.fftfreq(pw).astype(np.float32)[None, :]
    t = np.clip((np.hypot(fx, fy) * period - CUT[0]) / (CUT[1] - CUT[0]), 0.0, 1.0)
    spec *= (0.5 + 0.5 * np.cos(np.pi * t))[..., None]
    y = np.maximum(cv2.idft(spec, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT), 0.0)
    y = y[pad : pad + h, pad : pad + w]
    return lightness_of(y).astype(np.float32)


def seen_by_network(l_full: np.ndarray, shrink: float) -> np.ndarray:
    """A picture's L* as the network should see it: descreened where it is a halftone print
    whose screen the low-pass helps the network with (``COARSE``, ``RESOLVED``; ``shrink``:
    the picture's size over the network's input's), as it is otherwise."""
    if not RESOLVED[0] * shrink <= 1 / BAND[0] or COARSE / shrink >= RESOLVED[1]:
        return l_full  # no screen that is found would be taken out: not looked for
    period = screen_period(l_full)
    if period is None or period < COARSE or not RESOLVED[0] <= period / shrink < RESOLVED[1]:
        return l_full
    return descreened(l_full, period)


__all__ = ["descreened", "screen_period", "seen_by_network"]
