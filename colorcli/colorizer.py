"""The library API: grayscale (or colour) images in, colour images out, at full resolution.

The network sees the lightness resized so its short side is ``size`` pixels (its long side and
pixel count bounded too, for strips and panoramas); its ab prediction is upsampled and joined to
the ORIGINAL full-resolution L, so no detail of the scan is lost. Colour inputs are treated as
their lightness: a sepia or hand-tinted scan is recoloured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from colorcli.attend import build_head, pixel_features, spread_with
from colorcli.cards import colour_share, is_card
from colorcli.checkpoint import Checkpoint, file_digest, load_checkpoint
from colorcli.chroma import chroma_to_ab
from colorcli.compose import shrink_l
from colorcli.device import annealed_mean_torch, resolve_device
from colorcli.errors import CheckpointError, ConfigError, DeviceError
from colorcli.exemplar import ExemplarMixin
from colorcli.models import ColorNet
from colorcli.netrun import NetRunMixin, batch_part
from colorcli.photobatch import PhotoBatchMixin

# full-resolution pixels colorized together on the host: a batch of huge scans goes one by one
MAX_BATCH_PIXELS = 64_000_000


class Colorizer(PhotoBatchMixin, NetRunMixin, ExemplarMixin):
    """Colorize uint8 / uint16 images with a checkpoint.

    checkpoint: a loaded :class:`Checkpoint`, a path, or None for the shipped default model.
    device: "auto", "cpu", "cuda" or "cuda:N".
    precision: "auto" (float16 on CUDA, float32 on a CPU), "full" (float32) or "half" (float16
    on CUDA, bfloat16 on a CPU with its instructions; see ``device.resolve_precision``).
    batch_size: images per forward pass; halved and retried when memory runs out, down to one.
    temperature: annealed-mean temperature (None: the checkpoint's default, fitted on held-out photos).
    saturation: multiplies the predicted ab (1 = as predicted, 0 = gray).
    size: short side, in pixels, of the image the network sees (None: the checkpoint's).
    model: an in-memory model to use as it is (float32, on its own device; training validates
    with it) in place of building one from the checkpoint's weights.
    margins: find a photo's uniform margins and colour only what they frame
    (``colorcli.borders``); False colours the whole picture.
    cards: a picture (or a film's key frame) that is a blank or lettering on a plain ground,
    and not guided, keeps its neutral tone (``colorcli.cards``); False colours it as any other.
    negative: every photo given is a scanned negative, coloured as the print it makes
    (``colorcli.negative``); the output is that print in colour.
    """

    def __init__(
        self,
        checkpoint: Checkpoint | Path | str | None = None,
        device: str = "auto",
        batch_size: int = 8,
        temperature: float | None = None,
        saturation: float = 1.0,
        size: int | None = None,
        model: ColorNet | None = None,
        margins: bool = True,
        precision: str = "auto",
        cards: bool = True,
        negative: bool = False,
    ) -> None:
        self.ckpt = (
            checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        )
        if batch_size < 1:
            raise ConfigError("batch size must be >= 1")
        self.temperature = self.ckpt.temperature if temperature is None else float(temperature)
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ConfigError(f"temperature must be >= 0, got {temperature}")
        if not saturation >= 0:
            raise ConfigError(f"saturation must be >= 0, got {saturation}")
        self.saturation = float(saturation)
        self.margins, self.cards = bool(margins), bool(cards)
        self.negative = bool(negative)
        # title cards and blanks left in their tone: how many since it was made (photos and
        # a film's key frames), and which of the last colorize_batch call's images were
        # ("card", "page", "blank" or None for each)
        self.cards_found, self.blanks_found = 0, 0
        self.last_plain: tuple[str | None, ...] = ()
        self.size = int(size or self.ckpt.net_size)
        if self.size < 16:
            raise ConfigError(f"size must be >= 16 pixels, got {self.size}")
        # an unguided photo's network size: the photo decode's where it has one (fitted with
        # it on held-out photos), unless a size is asked for
        self.photo_size = int(size or (self.ckpt.photo_decode or {}).get("size") or self.size)
        self.batch_size = batch_size
        self.max_batch_pixels = MAX_BATCH_PIXELS
        self.model: ColorNet = self._ready(model, device, precision)
        self.ab_bins = np.ascontiguousarray(self.ckpt.ab_bins, np.float32)
        self._bins_dev = torch.as_tensor(self.ab_bins, device=self.device)
        # how logits become colour: a film's frames, and photos (checkpoint.py)
        self._film_decode = self._decoding(self.temperature, self.ckpt.prior_correction, False)
        photos = self.ckpt.photo_decode or {}
        self._photo_decode = self._decoding(
            self.temperature if temperature is not None else photos.get("temperature"),
            photos.get("prior_correction", self.ckpt.prior_correction),
            photos.get("flip", False),
        )
        # the annealed mean runs where the logits are on CUDA: only ab comes to the host
        self._decode_on_device = self.device.type == "cuda"
        # network input shapes run so far (colorcli.netrun: cuDNN only for shapes that recur)
        self._gate_cudnn = self.device.type == "cuda"
        self._shapes_seen: dict[tuple, int] = {}
        self.l_cent = float(self.ckpt.lab.get("l_cent", 50.0))
        self.l_norm = float(self.ckpt.lab.get("l_norm", 100.0))
        self.ab_norm = float(self.ckpt.lab.get("ab_norm", 110.0))
        # what the network predicts in (colorcli.chroma): its output becomes Lab ab in predict_ab
        self.space = str(self.ckpt.color_space.get("name", "lab"))
        self.chroma_norm = float(self.ckpt.color_space.get("chroma_norm", self.ab_norm))
        # the learned head that spreads hints in the network's features (colorcli.attend)
        self.attention = self._hint_head()
        if self.device.type == "cpu":
            self._warm()

    def _hint_head(self):
        """The checkpoint's hint attention head on the device, or None (a model without
        one, or not a classifier); CheckpointError where it does not load."""
        if self.ckpt.hint_attention is None or self.model.head_kind != "classification":
            return None
        try:
            return build_head(self.ckpt.hint_attention).to(self.device)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(
                self.ckpt.source, "damaged checkpoint (its hint attention does not load)"
            ) from e

    @property
    def device_type(self) -> str:
        return self.device.type

    def fingerprint(self) -> dict[str, object]:
        """The settings that shape its colours (a resumed film must be coloured alike)."""
        src = Path(self.ckpt.source)
        model = (
            file_digest(src)
            if src.is_file()
            else f"{self.ckpt.arch} step {self.ckpt.step} (in memory)"
        )
        return {
            "model": model,
            "temperature": self.temperature,
            "saturation": self.saturation,
            "size": self.size,
            # only where given: work begun before the option was there still resumes
            **({"negative": True} if self.negative else {}),
        }

    @property
    def output_stride(self) -> int:
        """The network's ab is 1 / output_stride of its input's size."""
        return int(self.model.output_stride)

    @property
    def takes_hints(self) -> bool:
        """The network itself takes guidance (a hint model)."""
        return bool(self.model.takes_hints)

    @property
    def follows_hints(self) -> bool:
        """A user's hints count: the checkpoint has the hint attention, or its network takes
        them."""
        return self.takes_hints or self.attention is not None

    def _guidance(
        self,
        guides: Sequence[np.ndarray | None] | None,
        palettes: Sequence[np.ndarray | None] | None,
        shape: tuple[int, int, int],
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The batch's guide (N, 3, ph, pw) and palette (N, Q) tensors, zeros where an image
        has none (and outside each image); (None, None) when no image has any."""
        n, ph, pw = shape
        has_g = guides is not None and any(g is not None for g in guides)
        has_p = palettes is not None and any(p is not None for p in palettes)
        if not (has_g or has_p):
            return None, None
        if not self.takes_hints:
            raise ConfigError(
                f"{self.ckpt.source}: this model was not trained to take hints or a reference (train one with colorize train --hints)"
            )
        guide = palette = None
        if has_g:
            g = np.zeros((n, 3, ph, pw), np.float32)
            for i, gi in enumerate(guides or ()):
                if gi is not None:
                    g[i, :, : gi.shape[1], : gi.shape[2]] = gi
            guide = torch.from_numpy(g).to(self.device)
        if has_p:
            p = np.zeros((n, len(self.ab_bins)), np.float32)
            for i, pi in enumerate(palettes or ()):
                if pi is not None:
                    p[i] = pi
            palette = torch.from_numpy(p).to(self.device)
        if self.half:
            guide = guide.half() if guide is not None else None
            palette = palette.half() if palette is not None else None
        return guide, palette

    def pixel_features(self, l_net: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """What the hint attention sees of one image and the model's own colours, unguided:
        l_net (h, w) float32 L* at the network's size -> features (h', w', F) float32 tensor
        and ab (h', w', 2) float32 at the output resolution (a classification model only)."""
        logits, feats = self._forward_features(self._batch([l_net]), None)
        ab = self._decode(logits)[0]
        h, w = self._out_hw(l_net)
        return pixel_features(feats[..., :h, :w], logits[..., :h, :w])[0], ab[:h, :w]

    def predict_ab(
        self,
        l_nets: Sequence[np.ndarray],
        guides: Sequence[np.ndarray | None] | None = None,
        palettes: Sequence[np.ndarray | None] | None = None,
        spread: bool = False,
        photo: bool = False,
        levels: tuple[float, float] | None = None,
    ) -> list[np.ndarray]:
        """ab at network-output resolution for a batch of network-size lightness maps.

        l_nets: (h, w) float32 L in [0, 100], any sizes (padded together by edge replication).
        guides: per image None or (3, h, w) float32 (ab / 110, mask) at its l_net's size;
        palettes: per image None or (Q,) float32 (a hint model only; see ``colorcli.guide``).
        spread: the guides are a user's hints, spread by the hint attention where the
        checkpoint has one (else, and for a film's stills, they go into the network: with
        the head, --refs scored 0.1 dB lower on bikes). photo: decoded as photos are (the
        checkpoint's ``photo_decode``: maybe with the mirrored input too), not as a film's
        frames (whose cost counts twice as much). levels: a film's (``film_levels``), by which
        the network sees each map lifted where faded; a photo goes by its own, a film's frame
        without them as it is (``colorcli.levels``). Returns for each an (h', w', 2)
        float32 ab, h' = ceil(h / output_stride), scaled by the saturation.

        Where the GPU runs out of memory outside the forward's own back-off (the batch's
        upload, the join of its halves), the images go in two halves, down to one, which is
        then a DeviceError.
        """
        try:
            return self._predict(l_nets, guides, palettes, spread, photo, levels)
        except torch.OutOfMemoryError as e:
            if len(l_nets) == 1:
                self._free()
                raise DeviceError(self._oom_message(*l_nets[0].shape)) from e
        # out of the except block: the failed attempt's tensors are let go
        return self._in_halves(
            len(l_nets),
            lambda sl: self.predict_ab(
                l_nets[sl], batch_part(guides, sl), batch_part(palettes, sl), spread, photo, levels
            ),
            lambda first, second: first + second,
        )

    def _predict(
        self,
        l_nets: Sequence[np.ndarray],
        guides: Sequence[np.ndarray | None] | None,
        palettes: Sequence[np.ndarray | None] | None,
        spread: bool,
        photo: bool = False,
        levels: tuple[float, float] | None = None,
    ) -> list[np.ndarray]:
        """``predict_ab`` for one batch, as it is."""
        x = self._batch(l_nets, True if photo else levels or False)
        shape = (len(l_nets), *x.shape[-2:])
        decoding = self._photo_decode if photo else self._film_decode
        attend = spread and self.attention is not None and any(g is not None for g in guides or ())
        if attend:  # the hints are spread by the head, not fed to the network
            guide = None
            palette = self._guidance(None, palettes, shape)[1] if self.takes_hints else None
            logits, feats = self._forward_features(x, palette)
        else:
            guide, palette = self._guidance(guides, palettes, shape)
            logits, feats = self._forward(x, guide, palette), None
        if decoding.flip:  # the mirrored input's logits, mirrored back, averaged in (in place:
            # a batch's logits are some 100 MB, and a new buffer for each step costs as much)
            logits = self._mirrored(x, guide, palette).float().add_(logits).mul_(0.5)
        chroma = self._decode(logits, decoding)
        out = []
        for i, ln in enumerate(l_nets):
            h, w = self._out_hw(ln)
            c = chroma[i, :h, :w]
            if self.space != "lab":  # Lab ab at the lightness of the same (output) pixels
                c = chroma_to_ab(c, shrink_l(ln, c.shape[:2]), self.space)
            guided = guides is not None and guides[i] is not None
            if attend and guided:
                c = self._spread(c, ln, guides[i], feats[i : i + 1], logits[i : i + 1])
            elif self.cards and not guided:  # a blank or a title card: its own tone
                c = self._plain(c, ln)
            # the one place the saturation is applied: every route composes this ab as it is
            out.append(c if self.saturation == 1.0 else c * np.float32(self.saturation))
        return out

    def _plain(self, ab: np.ndarray, l_net: np.ndarray) -> np.ndarray:
        """``ab`` none of it where ``l_net`` is a blank or a title card (counted in
        ``blanks_found``, ``cards_found``), a share of it where nearly blank."""
        share = colour_share(l_net)
        if share == 0.0:
            self.blanks_found += 1
            return np.zeros_like(ab)
        if is_card(l_net):
            self.cards_found += 1
            return np.zeros_like(ab)
        return ab if share == 1.0 else ab * np.float32(share)

    def _spread(
        self,
        ab: np.ndarray,
        l_net: np.ndarray,
        guide: np.ndarray,
        feats: torch.Tensor,
        logits: torch.Tensor,
    ) -> np.ndarray:
        """One image's ab (h', w', 2) with its guide's hints spread by the attention head."""
        h, w = ab.shape[:2]
        pf = pixel_features(feats[..., :h, :w], logits[..., :h, :w])[0]
        g_out = cv2.resize(guide.transpose(1, 2, 0), (w, h), interpolation=cv2.INTER_AREA)
        assert self.attention is not None
        return spread_with(
            self.attention, pf, ab, shrink_l(l_net, (h, w)), g_out.transpose(2, 0, 1)
        )


__all__ = ["Colorizer", "annealed_mean_torch", "resolve_device"]
