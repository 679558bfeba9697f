"""How GIMP shows a file's layers as one picture: the visible ones blended bottom up in
normal mode (offsets, opacity, layer masks), each in its composite space (GIMP 2.10's modes
in linear light, the legacy ones on the stored values), a layer in a hidden group hidden.
Layers come decoded from ``colorcli.xcf``; no file, no model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorcli.icc import srgb_decode, srgb_encode

PASS_THROUGH = 61  # a group's mode in GIMP 2.10 by default: its layers blended in the stack
NORMAL_MODES = {0, 28}  # legacy normal and GIMP 2.10's normal
# GIMP 2.10's legacy modes (all of 0-22 but dissolve) composite on the stored (perceptual)
# values; its own modes in linear light unless a layer says otherwise (PROP_COMPOSITE_SPACE)
LEGACY_MODES = frozenset(range(23)) - {1}
LINEAR, PERCEPTUAL = 1, 2  # a layer's composite space (0: its mode's own)


@dataclass
class Layer:
    width: int
    height: int
    kind: int  # 0 RGB, 1 RGBA, 2 gray, 3 gray+alpha, 4 indexed, 5 indexed+alpha
    x: int = 0
    y: int = 0
    opacity: float = 1.0
    visible: bool = True
    mode: int = 0
    space: int = 0  # its composite space: LINEAR, PERCEPTUAL or 0 (its mode's)
    group: bool = False
    path: tuple[int, ...] = ()  # its place in the layer tree (PROP_ITEM_PATH; none at the top)
    apply_mask: bool = True
    floating: bool = False
    hierarchy: int = 0  # where its pixels are
    mask_at: int = 0  # where its layer mask is (0: none)
    pixels: np.ndarray | None = None  # (h, w, channels) float in [0, 1], on the canvas
    mask: np.ndarray | None = None


def grouped(layers: list[Layer], notes: list[str]) -> list[Layer]:
    """The layers with their groups' own settings: a layer in a hidden group is hidden, and a
    group's opacity multiplies its layers' (as GIMP shows a group of layers that do not
    overlap; said where a group has another mode than pass-through or normal, or an
    opacity of its own). GIMP gives a group's layers their path in the tree, and a top-level
    item none: its place among the top-level items is its path here."""
    top = 0
    for la in layers:
        if len(la.path) <= 1:
            la.path = la.path or (top,)
            top = la.path[0] + 1
    groups = {la.path: la for la in layers if la.group}
    told = False
    for la in layers:
        for depth in range(1, len(la.path)):
            group = groups.get(la.path[:depth])
            if group is None:
                continue
            la.visible = la.visible and group.visible
            la.opacity *= group.opacity
            odd = group.mode not in (*NORMAL_MODES, PASS_THROUGH) or group.opacity < 1
            if odd and la.visible and not la.group and not told:
                notes.append(
                    "a layer group with a blend mode or opacity of its own: its layers blended one by one"
                )
                told = True
    return layers


def _linear_light(la: Layer) -> bool:
    if la.space in (LINEAR, PERCEPTUAL):
        return la.space == LINEAR
    return la.mode not in LEGACY_MODES


def _into(v: np.ndarray, linear: bool, was_linear: bool) -> np.ndarray:
    """``v`` in linear light or sRGB-encoded (GIMP's perceptual space), from the other."""
    if linear == was_linear:
        return v
    return (srgb_decode(v) if linear else srgb_encode(v)).astype(np.float32)


def blend(
    layers: list[Layer], w: int, h: int, gray: bool, linear: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Visible layers, bottom (the last listed) up, over transparency, each in its composite
    space: colour (h, w, c) and alpha (h, w) in [0, 1] (straight, not multiplied), in the
    samples' own encoding (``linear``: GIMP's linear precisions)."""
    c = 1 if gray else 3
    color = np.zeros((h, w, c), np.float32)
    alpha = np.zeros((h, w), np.float32)
    held = linear  # the encoding ``color`` is in now
    drawn = False
    for la in reversed(layers):
        if la.pixels is None:
            continue
        # the first layer drawn lands on nothing: the same in either space
        space = _linear_light(la) if drawn else held
        color, held, drawn = _into(color, space, held), space, True
        px = la.pixels  # the part on the canvas (``_pixels``)
        a = px[..., c] if px.shape[-1] > c else np.ones(px.shape[:2], np.float32)
        sa = a * la.opacity * (la.mask if la.mask is not None else 1.0)
        where = np.s_[la.y : la.y + la.height, la.x : la.x + la.width]
        da = alpha[where]
        out_a = sa + da * (1 - sa)
        safe = np.where(out_a > 0, out_a, 1.0)
        color[where] = (
            _into(px[..., :c], space, linear) * sa[..., None]
            + color[where] * (da * (1 - sa))[..., None]
        ) / safe[..., None]
        alpha[where] = out_a
    return _into(color, linear, held), alpha


__all__ = [
    "LEGACY_MODES",
    "LINEAR",
    "NORMAL_MODES",
    "PASS_THROUGH",
    "PERCEPTUAL",
    "Layer",
    "blend",
    "grouped",
]
