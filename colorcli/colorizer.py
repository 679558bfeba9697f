"""The library API: grayscale (or colour) images in, colour images out, at full resolution.

The network sees the lightness resized so its short side is ``size`` pixels; its ab prediction
is upsampled and joined to the ORIGINAL full-resolution L, so no detail of the scan is lost.
Colour inputs are treated as their lightness: a sepia or hand-tinted scan is recoloured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from colorcli.checkpoint import Checkpoint, load_checkpoint
from colorcli.errors import ConfigError, DeviceError
from colorcli.kernels import annealed_mean, compose_rgb8, lab_to_rgb, rgb_to_l

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' without CUDA is a DeviceError."""
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ConfigError(f"device must be one of {DEVICES} or cuda:N, got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} requested but CUDA is not available here (use --device cpu)"
        )
    return torch.device(device)


def annealed_mean_torch(
    logits: torch.Tensor, ab_bins: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Annealed mean on the model's device (CUDA): avoids moving Q-channel logits to the host.

    logits: (N, Q, h, w) any float dtype; ab_bins: (Q, 2) float32 on the same device.
    Returns (N, h, w, 2) float32 ab in Lab units; same result as ``kernels.annealed_mean``.
    """
    if temperature == 0.0:
        return ab_bins[logits.argmax(dim=1)]
    p = torch.softmax(logits.float() / temperature, dim=1)
    return torch.einsum("nqhw,qc->nhwc", p, ab_bins)


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in str(err).lower()


class Colorizer:
    """Colorize uint8 / uint16 images with a checkpoint.

    checkpoint: a loaded :class:`Checkpoint`, a path, or None for the shipped default model.
    device: "auto", "cpu", "cuda" or "cuda:N"; on CUDA the model runs in half precision.
    batch_size: images per forward pass; halved and retried on CUDA out-of-memory, down to one.
    temperature: annealed-mean temperature (None: the checkpoint's default, 0.38 usually).
    saturation: multiplies the predicted ab (1 = as predicted, 0 = gray).
    size: short side, in pixels, of the image the network sees (None: the checkpoint's).
    """

    def __init__(
        self,
        checkpoint: Checkpoint | Path | str | None = None,
        device: str = "auto",
        batch_size: int = 8,
        temperature: float | None = None,
        saturation: float = 1.0,
        size: int | None = None,
    ) -> None:
        self.ckpt = (
            checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        )
        self.device = resolve_device(device)
        if batch_size < 1:
            raise ConfigError("batch size must be >= 1")
        self.temperature = self.ckpt.temperature if temperature is None else float(temperature)
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ConfigError(f"temperature must be >= 0, got {temperature}")
        if not saturation >= 0:
            raise ConfigError(f"saturation must be >= 0, got {saturation}")
        self.saturation = float(saturation)
        self.size = int(size or self.ckpt.net_size)
        if self.size < 16:
            raise ConfigError(f"size must be >= 16 pixels, got {self.size}")
        self.batch_size = batch_size
        self.half = self.device.type == "cuda"
        model = self.ckpt.build().to(self.device)
        if self.half:
            model = model.half()
        if self.device.type == "cpu":
            # NHWC activations: the logits then reach the (N, Q)-row kernel without a transpose
            model = model.to(memory_format=torch.channels_last)
        self.model = model.eval()
        self.head = self.ckpt.model_config.get("head", "classification")
        self.multiple = int(getattr(model, "input_multiple", 32))
        self.ab_bins = np.ascontiguousarray(self.ckpt.ab_bins, np.float32)
        self._bins_dev = torch.as_tensor(self.ab_bins, device=self.device)
        self.l_cent = float(self.ckpt.lab.get("l_cent", 50.0))
        self.l_norm = float(self.ckpt.lab.get("l_norm", 100.0))
        self.ab_norm = float(self.ckpt.lab.get("ab_norm", 110.0))

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def lightness(image: np.ndarray) -> np.ndarray:
        """L* of an image. image: (H, W) or (H, W, 3) RGB, uint8 / uint16 / float in [0, 1].
        Returns (H, W) float32 in [0, 100]."""
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected (H, W) or (H, W, 3) image, got shape {image.shape}")
        return rgb_to_l(image)

    def net_shape(self, h: int, w: int) -> tuple[int, int]:
        """Network-resolution (h, w) for a full-resolution image: short side == size."""
        scale = self.size / min(h, w)
        return max(1, round(h * scale)), max(1, round(w * scale))

    def l_net(self, l_full: np.ndarray) -> np.ndarray:
        h, w = self.net_shape(*l_full.shape)
        interp = cv2.INTER_AREA if h < l_full.shape[0] else cv2.INTER_LINEAR
        return cv2.resize(l_full, (w, h), interpolation=interp)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """Model forward with out-of-memory back-off: split the batch in halves, down to one."""
        try:
            with torch.inference_mode():
                return self.model(x)
        except (torch.OutOfMemoryError, RuntimeError) as e:
            if not _is_oom(e):
                raise
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            if x.shape[0] == 1:
                raise DeviceError(
                    f"out of memory on {self.device} for a single image at size {self.size}; try a smaller --size or --device cpu"
                ) from e
            half = x.shape[0] // 2
            self.batch_size = max(1, min(self.batch_size, half))
            return torch.cat([self._forward(x[:half]), self._forward(x[half:])])

    def predict_ab(self, l_nets: Sequence[np.ndarray]) -> list[np.ndarray]:
        """ab at network-output resolution for a batch of network-size lightness maps.

        l_nets: (h, w) float32 L in [0, 100], any sizes (padded together by edge replication).
        Returns for each an (h', w', 2) float32 ab, h' = ceil(h / output_stride).
        """
        hmax = max(a.shape[0] for a in l_nets)
        wmax = max(a.shape[1] for a in l_nets)
        ph = -(-hmax // self.multiple) * self.multiple
        pw = -(-wmax // self.multiple) * self.multiple
        batch = np.empty((len(l_nets), 1, ph, pw), np.float32)
        for i, l_net in enumerate(l_nets):
            h, w = l_net.shape
            batch[i, 0] = np.pad(
                (l_net - self.l_cent) / self.l_norm, ((0, ph - h), (0, pw - w)), mode="edge"
            )
        x = torch.from_numpy(batch).to(self.device)
        if self.half:
            x = x.half()
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        out = self._forward(x)
        stride = ph // out.shape[-2]
        if self.head == "regression":
            ab = (out.float() * self.ab_norm).permute(0, 2, 3, 1).cpu().numpy()
        elif self.device.type == "cuda":
            ab = annealed_mean_torch(out, self._bins_dev, self.temperature).cpu().numpy()
        else:
            nhwc = out.float().permute(0, 2, 3, 1).contiguous()
            n, h2, w2, q = nhwc.shape
            ab = annealed_mean(nhwc.numpy().reshape(-1, q), self.ab_bins, self.temperature).reshape(
                n, h2, w2, 2
            )
        return [
            ab[i, : -(-ln.shape[0] // stride), : -(-ln.shape[1] // stride)]
            for i, ln in enumerate(l_nets)
        ]

    def compose(
        self, l_full: np.ndarray, ab_small: np.ndarray, dtype: np.dtype = np.uint8
    ) -> np.ndarray:
        """Join full-resolution L with upsampled ab.

        l_full: (H, W) float32 L*. ab_small: (h, w, 2) float32. Returns (H, W, 3) RGB of
        ``dtype`` (uint8, uint16 or float32 in [0, 1]); its L* equals l_full within quantization.
        """
        h, w = l_full.shape
        ab = cv2.resize(ab_small, (w, h), interpolation=cv2.INTER_LINEAR)
        if ab.ndim == 2:  # cv2 drops a trailing axis of size 1 only; guard 1-pixel edge cases
            ab = ab.reshape(h, w, 2)
        if dtype == np.uint8:
            return compose_rgb8(l_full, ab, self.saturation)
        lab = np.empty((h, w, 3), np.float32)
        lab[..., 0] = l_full
        lab[..., 1:] = ab * self.saturation
        rgb = lab_to_rgb(lab)
        if dtype == np.uint8:
            return np.rint(rgb * 255.0).astype(np.uint8)
        if dtype == np.uint16:
            return np.rint(rgb * 65535.0).astype(np.uint16)
        return rgb

    # ------------------------------------------------------------------ API
    def colorize_batch(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Colorize several images (any sizes) in batches of ``batch_size``.

        images: (H, W) gray or (H, W, 3) RGB, uint8 or uint16. Returns (H, W, 3) RGB of the
        same dtype and size for each.
        """
        out: list[np.ndarray] = []
        for s in range(0, len(images), self.batch_size):
            chunk = images[s : s + self.batch_size]
            l_fulls = [self.lightness(im) for im in chunk]
            abs_ = self.predict_ab([self.l_net(lf) for lf in l_fulls])
            for im, lf, ab in zip(chunk, l_fulls, abs_, strict=True):
                dtype = im.dtype if im.dtype in (np.uint8, np.uint16) else np.float32
                out.append(self.compose(lf, ab, dtype))
        return out

    def colorize(self, image: np.ndarray) -> np.ndarray:
        """Colorize one image; see :meth:`colorize_batch`."""
        return self.colorize_batch([image])[0]


__all__ = ["Colorizer", "annealed_mean_torch", "resolve_device"]
