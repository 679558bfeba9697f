"""A film's colour held steady over time: the lightness-guided temporal smoother of ab and the
steadying of each frame's exposure for the network. No model, no files."""

from __future__ import annotations

import numpy as np

from colorcli.kernels import temporal_smooth


class TemporalSmoother:
    """Lightness-guided EMA of ab across frames, reset at scene cuts."""

    def __init__(self, strength: float, sigma_l: float = 3.0) -> None:
        self.strength, self.sigma_l = strength, sigma_l
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self.resets = 0

    def __call__(self, ab: np.ndarray, lum: np.ndarray, cut: bool) -> np.ndarray:
        """ab: (h, w, 2) float32 this frame's colour; lum: (h, w) float32 L* at that size;
        cut: whether a scene cut precedes this frame. Returns the smoothed (h, w, 2) ab."""
        self.resets += int(cut)
        if self.strength > 0 and self._prev is not None and not cut:
            ab = temporal_smooth(ab, lum, self._prev[0], self._prev[1], self.strength, self.sigma_l)
        self._prev = (ab, lum)
        return ab


class SteadyLight:
    """Each frame's network-size L* brought to its scene's running brightness and contrast
    (one gain and offset per frame) for the network, the flow and the smoother; the output
    keeps the frame's own L*. Old film flickers: its exposure varies from frame to frame by
    10-20%. The network then saw a brighter or darker picture at each key and coloured it
    otherwise, and the smoother, which holds a colour only where L* holds, held none.

    The running mean and spread follow the frames' own with a trend (Holt's smoothing:
    ``level`` of each new frame, ``trend`` of each new step), so a fade, whose light moves
    one way frame after frame, is followed without lagging behind, while a flicker, which
    moves to and fro, is not; a lamp switched on comes through within about a second. A
    scene cut starts them afresh.
    """

    def __init__(self, level: float = 0.2, trend: float = 0.1, max_gain: float = 1.5) -> None:
        self.level, self.trend, self.max_gain = level, trend, max_gain
        self._state: tuple[np.ndarray, np.ndarray] | None = None  # (mean, spread), its step

    def __call__(
        self, l_net: np.ndarray, cut: bool, picture: np.ndarray | None = None
    ) -> np.ndarray:
        """picture: the part of ``l_net`` whose brightness counts (inside a film's bars)."""
        seen = l_net if picture is None else picture
        own = np.array([seen.mean(), seen.std()], np.float64)
        if cut or self._state is None:
            self._state = (own, np.zeros(2))
            return l_net
        last, step = self._state
        now = self.level * own + (1 - self.level) * (last + step)
        step = self.trend * (now - last) + (1 - self.trend) * step
        self._state = (now, step)
        gain = min(max(now[1] / max(own[1], 1e-3), 1 / self.max_gain), self.max_gain)
        steady = (l_net - np.float32(own[0])) * np.float32(gain) + np.float32(now[0])
        return np.clip(steady, 0, 100, out=steady).astype(np.float32, copy=False)
