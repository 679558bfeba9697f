"""Coloured stills carried through their scenes: ``DIR/<N>.png`` is the true colour of frame N,
carried onto every frame of N's scene, forward and backward: each pixel takes the still warped
along the optical flow of the lightness (where the flow holds both ways) or the still as it is,
whichever agrees with the frame's lightness; the model fills the scenes no still shows."""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from colorcli.compose import shrink_l
from colorcli.errors import ColorcliError, MediaError
from colorcli.imageio import read_image
from colorcli.kernels import rgb_to_lab
from colorcli.kernels.lab import AB_NORM
from colorcli.propagate import dense_flow, to_u8

STILL_EXTS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
FLOW_TOLERANCE = 2.0  # network pixels of forward-backward disagreement at 0.6 trust
# the optical flow that carries a still onto a frame (both ways, at each key frame): about 30%
# of a --refs run at 640x272; the FAST preset cost bigbuckbunny's --refs 30.08 -> 29.86 dB
# (train/recipes/refs_eval.py), so MEDIUM stays
STILL_FLOW = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
PICK_TOLERANCE = 2.0  # L* units: which reading of the still a pixel takes
# frames from the still at which its trust has fallen to 1/e. The trust does not fall with the
# lightness's disagreement: on the validation clip any reading of a still beat the model's own
# guess there (29.91 dB with a fall-back at 60 L* units, 30.06 without)
REACH = 500
REFERENCE_BLUR = 4.0  # network pixels: how far a --reference photo's reading is smoothed
# L* units: a --reference reading counts where its lightness agrees this well with the photo's
# (0.6 at this difference); chosen on bigbuckbunny: 25.90 dB, against 25.13 at 2 and 25.88 at 10
REFERENCE_TOLERANCE = 5.0
HELD_STILLS = 8  # stills whose readings at the network's size a film's guide keeps
COLOURLESS_CHROMA = 1.0  # mean C*ab under which a still or a reference is said to be gray (a
# gray frame: 0; the most neutral colour photos of the held-out and outside sets: 2.1 and 2.5)


def refs_identity(folder: str | None) -> dict[str, list[int]] | None:
    """What a resumed film must find again of its stills: each one's size and change time (a
    recoloured still makes the finished segments stale)."""
    if folder is None:
        return None
    return {f"{n}:{p.name}": file_identity(str(p)) for n, p in find_stills(Path(folder)).items()}


def file_identity(path: str | None) -> list[int] | None:
    """A ``--reference`` photo's size and change time, for a resumed film to find again."""
    if path is None:
        return None
    st = Path(path).stat()
    return [st.st_size, st.st_mtime_ns]


def colourless(rgb: np.ndarray, name: str | Path) -> str | None:
    """A notice when a still or reference photo (``name``) has almost no colour: its mean
    chroma is under ``COLOURLESS_CHROMA`` (a gray frame given by mistake guides toward gray;
    a sepia print, about 10, still counts as colour). rgb: (h, w, 3) uint8 / uint16."""
    h, w = rgb.shape[:2]
    scale = min(1.0, 256.0 / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))
    x = small.astype(np.float32) / (65535.0 if rgb.dtype == np.uint16 else 255.0)
    chroma = float(np.hypot(*rgb_to_lab(x)[..., 1:].transpose(2, 0, 1)).mean())
    if chroma >= COLOURLESS_CHROMA:
        return None
    return f"{name}: has almost no colour (mean chroma {chroma:.1f}), so it guides toward gray"


def read_reference(path: str | Path) -> tuple[np.ndarray, str | None]:
    """A ``--reference`` photo's (h, w, 3) RGB and, when it has almost no colour, the notice
    that says so (``colourless``)."""
    rgb = read_image(path).rgb
    return rgb, colourless(rgb, path)


def find_stills(folder: Path) -> dict[int, Path]:
    """``<N>.png|jpg|tif`` under ``folder`` by frame number N; MediaError naming the folder when
    it is not one or holds none, or naming the two files that claim one frame."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MediaError(folder, "no such folder of stills (--refs)")
    found: dict[int, Path] = {}
    for p, n in _images(folder):
        if n is None:
            continue
        if n in found:
            raise MediaError(p, f"frame {n} has two stills ({found[n].name} and {p.name})")
        found[n] = p
    if not found:
        raise MediaError(folder, "no stills named <N>.png, .jpg or .tif (N: a frame number from 0)")
    return found


def _images(folder: Path) -> list[tuple[Path, int | None]]:
    """The images of a folder of stills, by name, each with the frame number its name gives
    (``<N>.png``) or None."""
    return [
        (p, int(p.stem) if re.fullmatch(r"\d+", p.stem) else None)
        for p in sorted(Path(folder).iterdir())
        if p.suffix.lower() in STILL_EXTS and p.is_file()
    ]


def stray_stills(folder: Path) -> str | None:
    """A notice naming the images in ``folder`` that no frame number names ('120 copy.png',
    'frame_120.png', as an editor saves a still), which would go unused without a word."""
    stray = [p.name for p, n in _images(folder) if n is None and not p.name.startswith(".")]
    if not stray:
        return None
    shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
    return f"{folder}: not used, as no frame number names them (<N>.png, .jpg or .tif): {shown}"


@dataclass
class _Still:
    source: np.ndarray | Path  # the still as given (full size), or its file: read when needed
    at: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # grid shape -> (L, ab) there
    palette: np.ndarray | None


def _pixels(source: np.ndarray | Path) -> np.ndarray:
    if isinstance(source, np.ndarray):
        return source
    try:
        return read_image(source).rgb
    except ColorcliError as e:
        raise MediaError(source, f"unreadable still ({getattr(e, 'reason', e)})") from e


class RefGuide:
    """The stills of a film, ready to guide each of its frames.

    stills: frame number -> (H, W, 3) uint8 / uint16 RGB, or the still's file, read when its
    scene comes (a two-hour film's 1,500 stills at 1080p held whole took 9 GB); starts: first
    frame of each scene; palette_of: ab (..., 2) -> (Q,) distribution over the model's bins
    (None: no palette). The readings of the last ``HELD_STILLS`` stills used are kept.
    """

    def __init__(
        self,
        stills: dict[int, np.ndarray | Path],
        starts: list[int],
        palette_of: Callable[[np.ndarray], np.ndarray] | None = None,
        notices: Sequence[str] = (),
        turns: int = 0,
    ) -> None:
        self.starts = sorted(starts)
        self.turns = turns  # the stills are as the film is shown: turned so from its frames
        self.stills = {n: _Still(source, {}, None) for n, source in stills.items()}
        self._held: list[int] = []  # stills whose readings are kept, the last used last
        self._by_scene: dict[int, list[int]] = {}
        for n in sorted(self.stills):
            self._by_scene.setdefault(self.scene(n), []).append(n)
        self.palette_of = palette_of
        self.dis = cv2.DISOpticalFlow_create(STILL_FLOW)
        self.notices = list(notices)  # what a user should hear of the stills (``colourless``)
        # keeps the pass that found ``starts`` (and made the stills) in a run's work folder,
        # once it is open (colorcli.scenestarts); None where there is nothing to keep
        self.keep: Callable[[Path], None] | None = None

    def held_in(self, files: dict[int, Path]) -> None:
        """The stills made in memory, kept in ``files`` now: read from there when their scene
        comes, as ``--refs`` stills are, so that they need not all be held."""
        for n, path in files.items():
            self.stills[n].source = path

    def scene(self, index: int) -> int:
        return bisect.bisect_right(self.starts, index) - 1

    def nearest(self, index: int) -> int | None:
        """The still of ``index``'s scene nearest to it, or None."""
        ns = self._by_scene.get(self.scene(index))
        return None if not ns else min(ns, key=lambda n: (abs(n - index), n))

    def _at(self, n: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        still = self.stills[n]
        self._hold(n)
        if shape not in still.at:
            h, w = shape
            rgb = as_stored(_pixels(still.source), self.turns, shape)
            if rgb.dtype == np.uint16:
                rgb = rgb.astype(np.float32) / 65535.0
            lab = rgb_to_lab(cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA))
            still.at[shape] = (
                np.ascontiguousarray(lab[..., 0]),
                np.ascontiguousarray(lab[..., 1:]),
            )
            if self.palette_of is not None and still.palette is None:
                still.palette = self.palette_of(still.at[shape][1])
        return still.at[shape]

    def _hold(self, n: int) -> None:
        """Keep still ``n``'s readings; let go of those of the stills used longest ago (a
        film goes forward, and a still is read again if its scene is met again)."""
        if n in self._held:
            self._held.remove(n)
        self._held.append(n)
        while len(self._held) > HELD_STILLS:
            self.stills[self._held.pop(0)].at.clear()

    def warp(self, index: int, l_cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
        """The nearest still's colour on a frame, and how far to trust it.

        Two readings of the still compete at each pixel: the still warped along the optical
        flow from it to the frame (right where things moved, if the flow holds both ways) and
        the still as it is (right where nothing moved, or where the flow fails); each counts as
        much as its own lightness agrees with the frame's; the trust falls only with the
        distance from the still (``REACH``). l_cur: (h, w) float32 L* of
        frame ``index`` at the network's size. Returns (ab (h, w, 2) float32, trust (h, w)
        float32 in [0, 1], the still's number), or None when no still is in its scene.
        """
        read = self.read(index, l_cur)
        return None if read is None else read[:3]

    def read(
        self, index: int, l_cur: np.ndarray, tolerance: float = PICK_TOLERANCE
    ) -> tuple[np.ndarray, np.ndarray, int, np.ndarray] | None:
        """``warp``'s reading and, fourth, how well its better reading's lightness agrees with
        the frame's at each pixel, (h, w) float32 in [0, 1] (``tolerance`` L* units at 0.6).

        The reading as it is counts in the agreement only as far as the two pictures are of
        one view: scaled by the share of pixels where the flow holds both ways. Lightness that
        matches pixel for pixel between two views of other things (a reference of another
        shot: the flow holds nowhere) is chance, not evidence."""
        n = self.nearest(index)
        if n is None:
            return None
        l_ref, ab_ref = self._at(n, l_cur.shape)
        if n == index:
            one = np.ones(l_cur.shape, np.float32)
            return ab_ref.copy(), one, n, one
        h, w = l_cur.shape
        ab_w, l_w, held = self._follow(l_ref, ab_ref, l_cur)
        w_moved = _agree(l_cur, l_w, PICK_TOLERANCE) * held
        w_still = _agree(l_cur, l_ref, PICK_TOLERANCE)
        total = w_moved + w_still + 1e-6
        ab = (w_moved[..., None] * ab_w + w_still[..., None] * ab_ref) / total[..., None]
        trust = np.full((h, w), np.exp(-abs(index - n) / REACH), np.float32)
        same_view = float(held.mean())
        agree = np.maximum(
            _agree(l_cur, l_w, tolerance) * held, _agree(l_cur, l_ref, tolerance) * same_view
        )
        return ab.astype(np.float32), trust.astype(np.float32), n, agree.astype(np.float32)

    def _follow(self, l_ref: np.ndarray, ab_ref: np.ndarray, l_cur: np.ndarray):
        """The still's ab and L warped onto ``l_cur``, and where the flow holds both ways (and
        stays inside the picture), in [0, 1]."""
        h, w = l_cur.shape
        u8 = [to_u8(x) for x in (l_cur, l_ref)]
        back = dense_flow(self.dis, u8[0], u8[1])  # frame pixel -> where it is in the still
        fwd = dense_flow(self.dis, u8[1], u8[0])  # still pixel -> where it is in the frame
        gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
        mx, my = gx + back[..., 0], gy + back[..., 1]

        def pull(a: np.ndarray) -> np.ndarray:
            return cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

        err = np.hypot(back[..., 0] + pull(fwd[..., 0]), back[..., 1] + pull(fwd[..., 1]))
        inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
        held = np.exp(-0.5 * (err / FLOW_TOLERANCE) ** 2) * inside
        return pull(ab_ref).reshape(h, w, 2), pull(l_ref), held.astype(np.float32)

    def palette(self, n: int) -> np.ndarray | None:
        return self.stills[n].palette


def as_stored(rgb: np.ndarray, turns: int, shape: tuple[int, int]) -> np.ndarray:
    """A still of a film shown turned (``turns`` quarter turns counterclockwise from how its
    frames of ``shape`` are stored) as its frames are stored. One whose sides are nearer the
    stored frame's than the shown one's (made when stills were written as stored) is taken as
    it is."""
    if turns % 2 and shape[0] != shape[1]:
        aspect = math.log(rgb.shape[0] / rgb.shape[1])
        stored = math.log(shape[0] / shape[1])
        if abs(aspect - stored) < abs(aspect + stored):
            return rgb
    return np.ascontiguousarray(np.rot90(rgb, -turns)) if turns else rgb


def blend_still(
    ab: np.ndarray, warped: np.ndarray, trust: np.ndarray, scale: float = 1.0
) -> np.ndarray:
    """``ab`` (h', w', 2) drawn to a still's colour ``warped`` (h, w, 2, times ``scale``) where
    it is trusted (``trust`` (h, w) in [0, 1]), on ``ab``'s grid; float32."""
    hs, ws = ab.shape[:2]
    still = cv2.resize(warped, (ws, hs), interpolation=cv2.INTER_AREA) * np.float32(scale)
    t = cv2.resize(trust, (ws, hs), interpolation=cv2.INTER_AREA)[..., None]
    return (t * still + (1.0 - t) * ab).astype(np.float32)


def _agree(l_cur: np.ndarray, l_other: np.ndarray, tolerance: float) -> np.ndarray:
    """How well two lightness maps agree, per pixel, in [0, 1]."""
    return np.exp(-0.5 * ((l_cur - l_other) / tolerance) ** 2).astype(np.float32)


def guide_of(ab: np.ndarray, trust: np.ndarray, net_hw: tuple[int, int]) -> np.ndarray:
    """A warped still as a hint model's guide at the network's input size: (3, h, w) float32."""
    h, w = net_hw
    pm = np.dstack([ab * trust[..., None] / AB_NORM, trust])  # premultiplied, as guides are
    up = cv2.resize(pm, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(up.transpose(2, 0, 1), np.float32)


def load_refs(
    folder: Path,
    scenes: tuple[list[int], int, bool],
    frames: int,
    palette_of: Callable[[np.ndarray], np.ndarray] | None = None,
    turns: int = 0,
    frame: tuple[int, int, float] | None = None,
) -> RefGuide:
    """The stills of ``folder`` for a film: MediaError naming a still that cannot be read or
    whose N is past the film's end; a notice for each whose shape is none of the frame's
    (``frame``: its stored width, height and pixel aspect ratio), as stored or as shown,
    either way up: scaled onto the frame, a cropped still's colours land off their places.
    ``scenes``: the film's scene starts, the frames the pass over it counted and whether it
    went to the film's end (``colorcli.scenestarts``); ``frames``: the film's frame count,
    where its container gives one; ``turns``: the film is shown turned so
    (``VideoInfo.turns``), as its stills are (``colorize scenes``)."""
    paths = find_stills(folder)
    starts, counted, whole = scenes
    total = (counted if whole else 0) or frames
    stills: dict[int, np.ndarray | Path] = {}
    notices: list[str] = []
    for n, p in paths.items():
        if total and n >= total:
            raise MediaError(
                p,
                f"frame {n} is past the film's end (it has "
                + (f"{total} frames, 0 to {total - 1})" if total > 1 else "one frame, 0)"),
            )
        rgb = _pixels(p)  # each read now (a still that cannot be is said before any work),
        if m := colourless(rgb, p):  # and again when its scene comes
            notices.append(m)
        if frame is not None and (m := off_shape(rgb.shape[:2], frame, p)):
            notices.append(m)
        stills[n] = p
    if stray := stray_stills(folder):
        notices.insert(0, stray)
    return RefGuide(stills, starts, palette_of, notices, turns)


ASPECT_SLACK = 0.03  # a still's aspect ratio this far (in log) from the frame's still fits


def off_shape(hw: tuple[int, int], frame: tuple[int, int, float], name: Path) -> str | None:
    """A notice where a still of ``hw`` (height, width) has none of the frame's shapes: its
    stored or shown aspect ratio, either way up (``frame``: width, height, pixel aspect)."""
    w, h, sar = frame
    mine = math.log(hw[0] / hw[1])
    theirs = [math.log(h / w), math.log(h / (w * sar))]
    if any(abs(abs(mine) - abs(a)) <= ASPECT_SLACK for a in theirs):  # either way up
        return None
    shown = round(w * sar)
    size = f"{w}x{h}" + (f", shown {shown}x{h}" if shown != w else "")
    return (
        f"{name}: {hw[1]}x{hw[0]}, not the shape of the film's frames ({size}): stretched onto "
        "them, so its colours may land beside their places (a cropped or resized canvas?)"
    )


def reference_colours(
    ref_rgb: np.ndarray, l_full: np.ndarray, net_hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A colour photo of similar content (``--reference``) read onto a gray one, as a still is
    (``RefGuide.warp``: warped along the flow where it holds, or as it is, whichever agrees
    with the lightness), at the network's size: ab (h, w, 2) float32, trust (h, w) and where
    the reading's lightness agrees with the photo's (h, w) in [0, 1]
    (``REFERENCE_TOLERANCE``; elsewhere the reading is of other things, and the colours that
    the hint attention matches by features do better: ``Colorizer.colorize_like``). Its mean
    colour as a third reading, where neither agrees, scored lower on the validation clip
    (22.80 dB against 24.51). The reading and the agreement are smoothed (a Gaussian of
    ``REFERENCE_BLUR`` network pixels): a photo of other things matches lightness pixel by
    pixel only by chance, and the smoothing gained 0.3 dB on bigbuckbunny and on bikes
    (train/recipes/reference_eval.py)."""
    guide = RefGuide({1: ref_rgb}, [0])
    ab, trust, _, agree = guide.read(0, shrink_l(l_full, net_hw), REFERENCE_TOLERANCE)
    blur = (0, 0), REFERENCE_BLUR
    return cv2.GaussianBlur(ab, *blur), trust, cv2.GaussianBlur(agree, *blur)


__all__ = [
    "RefGuide",
    "as_stored",
    "blend_still",
    "colourless",
    "find_stills",
    "guide_of",
    "load_refs",
    "read_reference",
    "file_identity",
    "reference_colours",
    "refs_identity",
]
