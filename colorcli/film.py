"""Film colouring: decoded frames in, (pts, payload, ab) out, with keyframes, scene cuts,
temporal smoothing and optical-flow propagation. No containers, no files, no torch.

The network is reached through :class:`AbPredictor`, the one narrow interface a film needs of
the Colorizer. The network sees every K-th frame and every scene cut (a "key"); the frames after
a key until the next are carried from it along the optical flow of the lightness
(``colorcli.propagate``); every frame's ab then goes through the lightness-guided temporal
smoother, which a scene cut resets. A key seen through a veil (a fade to white or through gray)
is shown to the network with the veil taken off, and its colours get it back
(``colorcli.veil``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numba
import numpy as np

from colorcli.filmbars import Bars
from colorcli.filmsteady import SteadyLight, TemporalSmoother
from colorcli.incolour import ColourScenes
from colorcli.metrics import SceneCutDetector
from colorcli.propagate import FlowPropagator
from colorcli.refs import RefGuide, blend_still, guide_of
from colorcli.veil import SceneVeils, pale_blank, reveiled, unveiled
from colorcli.videoprobe import DIM


class AbPredictor(Protocol):
    """What film colouring needs of a colorizer (``colorcli.colorizer.Colorizer`` is one).

    batch_size: keys per network call (may shrink after an out-of-memory back-off).
    device_type: "cpu" or "cuda" (sets the default keyframe interval).
    output_stride: the network's ab is 1 / output_stride of its input's size (a film's bars).
    margins: a film's bars are looked for (``colorcli.filmbars``) and left gray.
    net_shape(h, w): the (h, w) the network sees for a frame of that size.
    predict_ab(l_nets, guides, palettes, levels=...): (h, w) float32 L* maps at network size ->
    (h', w', 2) float32 ab each, saturation applied; guides and palettes (a hint model:
    ``takes_hints``) as ``Colorizer.predict_ab`` takes them; ``levels`` (the film's, None
    where not measured) as it takes them.
    """

    batch_size: int
    ab_bins: np.ndarray  # (Q, 2) float32: the bins a palette is over
    margins: bool

    @property
    def output_stride(self) -> int: ...

    @property
    def takes_hints(self) -> bool: ...

    @property
    def device_type(self) -> str: ...

    def net_shape(self, h: int, w: int) -> tuple[int, int]: ...

    def predict_ab(
        self,
        l_nets: Sequence[np.ndarray],
        guides: Sequence[np.ndarray | None] | None = None,
        palettes: Sequence[np.ndarray | None] | None = None,
        levels: tuple[float, float] | None = None,
    ) -> list[np.ndarray]: ...


class Route(Protocol):
    """How decoded frames are split for the network and composed again (``colorcli.compose``)."""

    def split(
        self, arr: np.ndarray, net_shape: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]: ...


def _turned(a: np.ndarray, turns: int, stride: int, axes: tuple[int, int] = (0, 1)) -> np.ndarray:
    """``a`` grown to whole cells of the network's ``stride`` at its bottom and right (the
    edge repeated) and turned ``turns`` quarters counterclockwise in ``axes``: the cells of its
    ab, turned back, are the cells of the frame as stored."""
    pad = [(0, 0)] * a.ndim
    pad[axes[0]] = (0, -a.shape[axes[0]] % stride)
    pad[axes[1]] = (0, -a.shape[axes[1]] % stride)
    return np.ascontiguousarray(np.rot90(np.pad(a, pad, mode="edge"), turns, axes))


def kernel_threads(cores: int | None = None) -> int:
    """Threads for the numba and OpenCV work that runs beside the codec (annealed mean,
    smoothing, optical flow, composing). The decoder and the encoder keep up to two cores
    busy; on a machine with few cores a parallel kernel then stalls on a worker the codec has
    descheduled, and the workers burn CPU spinning. Measured with bench/video.py's trivial
    model on 2 cores: 1080p at 0.66 x the transcode floor with 2 numba threads, 0.75 with 1;
    OpenCV's pool at 1 thread saves about 2 ms of CPU a 480p frame. The shipped model's speed
    is unchanged (its convolutions keep PyTorch's threads)."""
    cores = cores or os.cpu_count() or 1
    return 1 if cores <= 4 else cores // 2


@contextlib.contextmanager
def side_threads() -> Iterator[int]:
    """Run this thread's numba kernels and OpenCV's (process-wide) pool on
    :func:`kernel_threads` threads for the duration; both are restored after. Yields the count,
    for other threads to apply with ``numba.set_num_threads`` (numba's setting is per thread)."""
    before = numba.get_num_threads(), cv2.getNumThreads()
    n = kernel_threads()
    numba.set_num_threads(min(before[0], n))
    cv2.setNumThreads(min(before[1], n))
    try:
        yield min(before[0], n)
    finally:
        numba.set_num_threads(before[0])
        cv2.setNumThreads(before[1])


@dataclass(frozen=True)
class Coloured:
    """One frame ready to compose: its pts, its index in the film, the route's payload and its
    ab at the network's output grid."""

    pts: int
    index: int
    payload: Any
    ab: np.ndarray | None  # None: a scene already in colour, written as it came (--keep-colour)


class FilmColourer:
    """Colour a film frame by frame, in presentation order.

    ``add(pts, arr)`` takes a decoded frame and returns the frames that are ready (a whole batch
    of keys and the frames carried from them at a time, else nothing); ``flush()`` returns the
    rest at the end. A frame is a key at a scene cut and wherever its index in the film is a
    multiple of ``every``: the keys do not depend on where colouring started, so a segment
    coloured on its own (after a warm-up) takes the keys a whole run would.
    """

    veils: bool = True  # veiled frames seen unveiled (``colorcli.veil``); off for comparisons

    def __init__(
        self,
        predictor: AbPredictor,
        route: Route,
        every: int,
        smooth: float,
        sigma_l: float,
        refs: RefGuide | None = None,
        bars: Bars | None = None,
        turns: int = 0,
        levels: tuple[float, float] | None = None,
    ) -> None:
        self.predictor, self.route, self.every, self.refs = predictor, route, every, refs
        self.levels = levels  # the film's, by which the network sees a faded film lifted
        self.turns = turns  # quarter turns that show a frame upright (``VideoInfo.turns``)
        self.bars = bars  # the network sees what they frame; they keep no colour
        self.smoother = TemporalSmoother(smooth, sigma_l)
        self.cuts = SceneCutDetector()
        self.steady = SteadyLight()
        self.propagator = FlowPropagator() if every > 1 else None
        # per frame: pts, index, payload, L* at network size (its own, and steadied), cut
        self._groups: list[list[tuple[int, int, Any, np.ndarray, np.ndarray, bool]]] = []
        self._kept: list[bool] = []  # per group: its scene is in colour, kept as it came
        self._after_blank: set[int] = set()  # keys that come out of a pale blank
        self._pale_blank = False  # the last frame was one
        self._veils = SceneVeils(levels) if levels is not None and self.veils else None
        # a route that keeps each frame's own pixels (--keep-colour): scenes in colour kept
        keep = getattr(route, "keep", False)
        self.colour_scenes = ColourScenes(DIM) if keep else None
        self._after_kept = False
        self._next_index = 0
        self._net_shape: tuple[int, int] | None = None

    def add(self, pts: int, arr: np.ndarray, index: int | None = None) -> list[Coloured]:
        """arr: the decoded frame as the route wants it ((H, W) luma or (H, W, 3) RGB);
        index: its place in the film (default: the one after the last frame added)."""
        index = self._next_index if index is None else index
        self._next_index = index + 1
        if self._net_shape is None:
            self._net_shape = self._frame_net_shape(*arr.shape[:2])
        payload, l_net = self.route.split(arr, self._net_shape)
        # inside the bars: they would damp a cut's jump and the light's swings
        picture = self._picture(l_net)
        after_blank = self._pale_blank
        self._pale_blank = self._veils is not None and pale_blank(picture)
        cut = self.cuts(picture[::2, ::2])  # a histogram needs no full resolution
        steady = self.steady(l_net, cut, picture)
        ready: list[Coloured] = []
        if cut or not self._groups or index % self.every == 0:
            if len(self._groups) >= self.predictor.batch_size:
                ready = self._run()
            self._groups.append([])
            self._kept.append(self._in_colour(arr, cut, picture))
            if after_blank:
                self._after_blank.add(index)
        if self.colour_scenes is not None and not self._kept[-1]:
            payload = (payload[0], None)  # coloured anew: its own pixels are not needed
        self._groups[-1].append((pts, index, payload, l_net, steady, cut))
        return ready

    def _in_colour(self, arr: np.ndarray, cut: bool, picture: np.ndarray) -> bool:
        """Whether a key's scene is in colour, to be kept as it came (``ColourScenes``; only
        what the bars frame is looked at: black bars would dilute its colours)."""
        if self.colour_scenes is None:
            return False
        if self.bars is not None:
            y0, y1, x0, x1 = self.bars.within(*arr.shape[:2], inward=True)
            arr = arr[y0:y1, x0:x1]
        return self.colour_scenes(arr, cut, float(picture.std()))

    def _frame_net_shape(self, h: int, w: int) -> tuple[int, int]:
        """The network's size for a whole frame: with bars, the size at which what they frame
        is the network's size for it alone (the network sees the picture at the scale it would
        without them: the bars of bikes made gray, 68 lines above and below, shrank it to 171
        lines where it has 256 alone). Not with --refs, whose stills were read at the frame's
        own network size."""
        if self.bars is None or self.refs is not None:
            return self.predictor.net_shape(h, w)
        ch, cw = h * (self.bars.bottom - self.bars.top), w * (self.bars.right - self.bars.left)
        th, tw = self.predictor.net_shape(max(1, round(ch)), max(1, round(cw)))
        k = (th / ch + tw / cw) / 2
        return max(1, round(h * k)), max(1, round(w * k))

    def flush(self) -> list[Coloured]:
        return self._run() if self._groups else []

    @property
    def resets(self) -> int:
        """Scene cuts at which the smoother started afresh."""
        return self.smoother.resets

    def _predict_keys(self, groups: list) -> tuple[list[np.ndarray], list]:
        """The network's ab for each group's key, and each key's still as ``RefGuide.warp``
        gives it (None without stills); a hint model is guided by it."""
        l_keys = [g[0][4] for g in groups]
        if not l_keys:
            return [], []
        if self.refs is None:
            return self._through_veils(groups), [None] * len(l_keys)
        warps = [self.refs.warp(g[0][1], g[0][3]) for g in groups]
        if not self.predictor.takes_hints:
            return self._network(l_keys), warps
        guides = [None if w is None else guide_of(w[0], w[1], w[0].shape[:2]) for w in warps]
        palettes = [None if w is None else self.refs.palette(w[2]) for w in warps]
        return self._network(l_keys, guides, palettes), warps

    def _through_veils(self, groups: list) -> list[np.ndarray]:
        """The network's ab for the groups' keys, each seen with its veil taken off and given
        with it laid on again (``colorcli.veil``: a fade to white or through gray, a flare);
        as they are where the film's levels were not measured."""
        l_keys = [g[0][4] for g in groups]
        veils = [None] * len(l_keys)
        if self._veils is not None:
            veils = [
                self._veils(self._picture(g[0][4]), g[0][5], g[0][1] in self._after_blank)
                for g in groups
            ]
        seen = [lk if v is None else unveiled(lk, v) for lk, v in zip(l_keys, veils, strict=True)]
        out = self._network(seen)
        for i, v in enumerate(veils):
            if v is not None:
                h, w = out[i].shape[:2]
                small = cv2.resize(seen[i], (w, h), interpolation=cv2.INTER_AREA)
                out[i] = reveiled(out[i], small, v)
        return out

    def _picture(self, l_net: np.ndarray) -> np.ndarray:
        """What the film's bars frame of a network-size map (all of it without bars)."""
        if self.bars is None:
            return l_net
        y0, y1, x0, x1 = self.bars.within(*l_net.shape, inward=True)
        return l_net[y0:y1, x0:x1]

    def _network(self, l_keys: list[np.ndarray], guides=None, palettes=None) -> list[np.ndarray]:
        """The predictor's ab for the keys; with bars, for what they frame only, gray over the
        bars. The network sees only the lines that hold nothing of a bar (a line of bar at the
        picture's edge moved its colours, as a photo's margins a pixel too wide did); the
        lines that hold some of each take the colour of the line beside them."""
        if self.bars is None:
            return self._predict(l_keys, guides, palettes)
        s = self.predictor.output_stride
        h, w = l_keys[0].shape
        y0, y1, x0, x1 = self.bars.within(h, w, s, inward=True)
        r0, r1, c0, c1 = self._grid(h, w)
        cut = [np.ascontiguousarray(lk[y0:y1, x0:x1]) for lk in l_keys]
        if guides is not None:
            guides = [
                None if g is None else np.ascontiguousarray(g[:, y0:y1, x0:x1]) for g in guides
            ]
        inner = self._predict(cut, guides, palettes)
        hi, wi = inner[0].shape[:2]  # every key's: the keys are of one size
        before = (y0 // s - r0, x0 // s - c0)  # the lines the bars' edges cross
        after = (max(0, r1 - r0 - before[0] - hi), max(0, c1 - c0 - before[1] - wi))
        out = []
        for ab in inner:
            grown = np.pad(ab, ((before[0], after[0]), (before[1], after[1]), (0, 0)), "edge")
            full = np.zeros((-(-h // s), -(-w // s), 2), np.float32)
            full[r0:r1, c0:c1] = grown[: r1 - r0, : c1 - c0]
            out.append(full)
        return out

    def _predict(self, l_nets: list[np.ndarray], guides, palettes) -> list[np.ndarray]:
        """The predictor's ab, given guides and palettes only where there are guides. The
        network sees a frame as the film is shown (``turns``: a phone's portrait film, stored
        on its side, costs its colours seen sideways), and its ab is turned back."""
        t = self.turns
        if t:
            s = self.predictor.output_stride
            cells = [(-(-h // s), -(-w // s)) for h, w in (lk.shape for lk in l_nets)]
            l_nets = [_turned(lk, t, s) for lk in l_nets]
            if guides is not None:
                guides = [None if g is None else _turned(g, t, s, (1, 2)) for g in guides]
        if guides is None:
            out = self.predictor.predict_ab(l_nets, levels=self.levels)
        else:
            out = self.predictor.predict_ab(l_nets, guides, palettes, levels=self.levels)
        if not t:
            return out
        return [
            np.ascontiguousarray(np.rot90(ab, -t)[:h, :w])
            for ab, (h, w) in zip(out, cells, strict=True)
        ]

    def _grid(self, h: int, w: int) -> tuple[int, int, int, int]:
        """Rows and columns of the network's output that hold some of the picture, for a
        network input of (h, w) (all of them without bars)."""
        s = self.predictor.output_stride
        y0, y1, x0, x1 = self.bars.within(h, w, s) if self.bars else (0, h, 0, w)
        return y0 // s, -(-y1 // s), x0 // s, -(-x1 // s)

    def _barred(self, ab: np.ndarray, net_hw: tuple[int, int]) -> np.ndarray:
        """A frame's ab with its bars gray: the flow carries colour into them, as it does
        anywhere flat."""
        if self.bars is None:
            return ab
        r0, r1, c0, c1 = self._grid(*net_hw)
        out = np.zeros_like(ab)
        out[r0:r1, c0:c1] = ab[r0:r1, c0:c1]
        return out

    def _with_still(self, ab: np.ndarray, warp) -> np.ndarray:
        """A frame's ab drawn to its scene's still (``warp``, or None) where it is trusted."""
        return ab if warp is None else blend_still(ab, warp[0], warp[1])

    def _still_of(self, index: int, l_net: np.ndarray):
        return self.refs.warp(index, l_net) if self.refs is not None else None

    def _run(self) -> list[Coloured]:
        live = [g for g, kept in zip(self._groups, self._kept, strict=True) if not kept]
        predicted = zip(*self._predict_keys(live), strict=True)
        out = []
        for group, kept in zip(self._groups, self._kept, strict=True):
            if kept:  # a scene in colour: its frames as they came
                out += [Coloured(f[0], f[1], f[2], None) for f in group]
                self._after_kept = True
                continue
            ab_key, key_warp = next(predicted)
            prev: tuple[np.ndarray, np.ndarray] | None = None
            for j, (pts, index, payload, l_net, steady, cut) in enumerate(group):
                hs, ws = ab_key.shape[:2]
                l_small = (
                    cv2.resize(steady, (ws, hs), interpolation=cv2.INTER_AREA)
                    if steady.shape != (hs, ws)
                    else steady
                )
                if j == 0:  # after frames kept as they came, the smoother starts afresh
                    ab = self._with_still(np.ascontiguousarray(ab_key), key_warp)
                    ab = self.smoother(ab, l_small, cut or self._after_kept)
                    self._after_kept = False
                else:
                    # the warped colour goes through the smoother like a prediction: where L is
                    # steady it keeps the previous colour (no wobble from flow noise), where L
                    # changed it takes the warped one
                    ab = self.propagator(prev[0], prev[1], l_small)
                    ab = self._with_still(ab, self._still_of(index, l_net))
                    ab = self.smoother(ab, l_small, False)
                ab = self._barred(ab, l_net.shape)
                prev = (ab, l_small)
                out.append(Coloured(pts, index, payload, ab))
        self._groups.clear()
        self._kept.clear()
        self._after_blank.clear()
        return out
