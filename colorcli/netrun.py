"""The network's forward passes for :class:`colorcli.colorizer.Colorizer`: the network made
ready on its device, its input's size and batch (and whether the pictures or the network took
the host's memory), the forward with out-of-memory back-off, logits decoded to chroma, and a
first tiny pass that loads what every photo needs.

A mixin of ``Colorizer``: it uses the colorizer's model, device, bins and settings.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from colorcli.checkpoint import decode_shift
from colorcli.chroma import net_input
from colorcli.compose import shrink_l, warm_kernels
from colorcli.device import annealed_mean_torch, is_oom, resolve_device, resolve_precision
from colorcli.errors import DeviceError
from colorcli.foldnorm import fold_norms
from colorcli.halftone import seen_by_network
from colorcli.kernels import annealed_mean
from colorcli.levels import lifted
from colorcli.models import ColorNet

# batches of one network input shape that run before cuDNN is asked to run it: cuDNN plans each
# new shape once, about 2 s in half precision on an H200 (bench/cuda_parity.py --only sizes,
# 2026-12-04: photos of new sizes 0.69/s, of sizes seen 121/s, of new sizes without cuDNN 43/s)
CUDNN_FROM = 3
# the network's input: its long side at most NET_LONG x size, and at most NET_PIXELS x size^2
# pixels, so a 3 x 20000 strip or a wide panorama cannot ask for gigabytes
NET_LONG = 4
NET_PIXELS = 4


@contextlib.contextmanager
def _cudnn(enabled: bool):
    """cuDNN allowed or not for what runs inside; the setting as it was after."""
    before = torch.backends.cudnn.enabled
    torch.backends.cudnn.enabled = enabled and before
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = before


@dataclass(frozen=True)
class Decoding:
    """How logits become colour: the annealed mean's temperature, the (Q,) logit shift of
    the prior correction on the model's device (None: none), and whether the mirrored
    input's logits are averaged in."""

    temperature: float
    shift: torch.Tensor | None = None
    flip: bool = False


def batch_part(batch: Any, sl: slice) -> Any:
    """A part of a batch's tensor or list (None stays None)."""
    return None if batch is None else batch[sl]


class NetRunMixin:
    """Forward passes of ``self.model`` on ``self.device`` (see the module's docstring)."""

    lift: bool = True  # faded pictures' levels lifted for the network (``colorcli.levels``)

    def _ready(self, model: ColorNet | None, device: str, precision: str) -> ColorNet:
        """The network, on its device in its arithmetic: ``model`` as it is (float32, on its
        own device), else built from the checkpoint with its norms folded. Sets ``device``,
        and ``half`` / ``bf16``: 16 bits as float16 (the model converted: CUDA) or bfloat16
        (autocast: a CPU's)."""
        self.half = self.bf16 = False
        if model is not None:
            self.device = next(model.parameters()).device
            return model.eval()
        self.device = resolve_device(device)
        low = resolve_precision(self.device, precision)
        self.half, self.bf16 = low == torch.float16, low == torch.bfloat16
        model = self.ckpt.build().eval()
        fold_norms(model, model.norm_sites())  # it colours, it never trains
        model = model.to(self.device)
        if self.half:
            model = model.half()
        if self.device.type == "cpu":
            # NHWC activations: the logits reach the (N, Q)-row kernel without a transpose
            model = model.to(memory_format=torch.channels_last)
        return model.eval()

    def _host_blamed(self, chunk: Sequence[np.ndarray], e: Exception) -> DeviceError | None:
        """What to say where colouring ``chunk`` failed with ``e``: the host's memory ran out
        for the pictures or for the network's input, else None (``e`` says it as it is)."""
        if not is_oom(e) or (isinstance(e, DeviceError) and not self._pictures_to_blame(chunk)):
            return None
        if not self._pictures_large(chunk):  # the network's input took it: --size
            return DeviceError(
                f"out of memory on the host making the network's input at size {self.size}; try a smaller --size"
            )
        what = (
            f"this {chunk[0].shape[1]}x{chunk[0].shape[0]} image"
            if len(chunk) == 1
            else f"{len(chunk)} images of {sum(im.shape[0] * im.shape[1] for im in chunk) / 1e6:.0f} megapixels"
        )
        return DeviceError(f"out of memory on the host for {what}")

    def _pictures_to_blame(self, chunk: Sequence[np.ndarray]) -> bool:
        """Whether the network ran out of memory for want of what the full-size pictures
        took: on the CPU, where both share the host's, and with pictures far larger than
        its input (else a smaller --size is the cure, as its own message says)."""
        return self.device.type == "cpu" and self._pictures_large(chunk)

    def _pictures_large(self, chunk: Sequence[np.ndarray]) -> bool:
        """Whether the pictures are far larger than the network's input (16 times its
        pixels): theirs is the memory a full-resolution step takes."""
        pixels = sum(im.shape[0] * im.shape[1] for im in chunk)
        return pixels > 16 * self.size * self.size * len(chunk)

    def net_shape(self, h: int, w: int, size: int | None = None) -> tuple[int, int]:
        """Network-resolution (h, w) for a full-resolution image: short side == size (the
        colorizer's unless given), unless that would make the long side over NET_LONG x size
        or the pixels over NET_PIXELS x size^2 (then smaller, same aspect)."""
        size = size or self.size
        scale = min(
            size / min(h, w),
            NET_LONG * size / max(h, w),
            math.sqrt(NET_PIXELS * size**2 / (h * w)),
        )
        return max(1, round(h * scale)), max(1, round(w * scale))

    def l_net(self, l_full: np.ndarray, size: int | None = None) -> np.ndarray:
        """(H, W) float32 L* -> the network's (h, w) float32 L* (``net_shape``)."""
        return shrink_l(l_full, self.net_shape(*l_full.shape, size))

    def photo_l_net(self, l_full: np.ndarray, size: int | None = None) -> np.ndarray:
        """``l_net`` of a photo: a halftone print's screen taken out where the network's input
        would show its dots (``colorcli.halftone``)."""
        shrink = l_full.shape[0] / self.net_shape(*l_full.shape, size)[0]
        return self.l_net(seen_by_network(l_full, shrink), size)

    def _warm(self) -> None:
        """Load the kernels every photo needs and start the network's runtime (oneDNN's
        code generator, the thread pool) on a tiny input, while memory is to be had: a first
        photo that takes nearly all there is left LLVM unable to load a kernel (the process
        aborted) and oneDNN unable to make any convolution for the rest of the run (every
        photo after it failed)."""
        warm_kernels()
        annealed_mean(np.zeros((1, len(self.ab_bins)), np.float32), self.ab_bins, 1.0)
        m = self.model.input_multiple
        with contextlib.suppress(DeviceError):  # out of memory now: the photo will say so
            self._forward(self._batch([np.full((m, m), 50.0, np.float32)]))

    def _forward(
        self,
        x: torch.Tensor,
        guide: torch.Tensor | None = None,
        palette: torch.Tensor | None = None,
        mirrored: bool = False,
    ) -> torch.Tensor:
        """Model forward with out-of-memory back-off: split the batch in halves, down to one.
        On CUDA a shape's first batches run without cuDNN (``CUDNN_FROM``): an archive of
        photos of many sizes does not wait for a plan per photo, a film waits once. A photo's
        ``mirrored`` pass is counted apart, so that it does not hasten the plan."""
        key = (tuple(x.shape), guide is None, palette is None, mirrored)
        count = self._shapes_seen[key] = self._shapes_seen.get(key, 0) + 1
        try:
            with (
                torch.inference_mode(),
                _cudnn(not self._gate_cudnn or count >= CUDNN_FROM),
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16),
            ):
                out = self.model(x, guide, palette) if self.takes_hints else self.model(x)
            return out.float() if self.bf16 else out
        except (torch.OutOfMemoryError, RuntimeError, MemoryError) as e:
            if not is_oom(e):
                raise
            if x.shape[0] == 1:
                self._free()
                raise DeviceError(self._oom_message(*x.shape[-2:])) from e
        # the halves run out here, not in the except block: the failed attempt's tensors stay
        # alive as long as its traceback does, and would take memory from the halves
        return self._in_halves(
            x.shape[0],
            lambda sl: self._forward(
                x[sl], batch_part(guide, sl), batch_part(palette, sl), mirrored
            ),
            lambda first, second: torch.cat([first, second]),
        )

    def _in_halves(
        self, n: int, run: Callable[[slice], Any], join: Callable[[Any, Any], Any]
    ) -> Any:
        """After running out of memory on ``n`` images: ``run`` on each half of them, the
        results joined, with the batch size cut to a half for what follows."""
        self._free()
        half = n // 2
        self.batch_size = max(1, min(self.batch_size, half))
        first = run(slice(None, half))
        return join(first, run(slice(half, None)))

    def _free(self) -> None:
        """Give the GPU's cached blocks back after running out of its memory."""
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def _oom_message(self, h: int, w: int) -> str:
        return (
            f"out of memory on {self.device} for one {h}x{w} network input at size {self.size}; try a smaller --size"
            + (" or --device cpu" if self.device.type == "cuda" else "")
        )

    def _forward_features(
        self, x: torch.Tensor, palette: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The unguided forward (a palette still counts) and the features the head sees,
        (N, C, h', w'), for the hint attention."""
        parts: list[torch.Tensor] = []
        hook = self.model.head.register_forward_hook(lambda _m, i, _o: parts.append(i[0]))
        try:
            out = self._forward(x, None, palette)
        finally:
            hook.remove()
        return out, torch.cat(parts).float() if self.bf16 else torch.cat(parts)

    def _decoding(self, temperature: float | None, correction: float, flip: bool) -> Decoding:
        """A decode's settings on this colorizer's device (a regression head takes none):
        ``temperature`` None is the colorizer's."""
        classes = self.model.head_kind == "classification"
        shift = decode_shift(self.ckpt, correction) if classes else None
        return Decoding(
            self.temperature if temperature is None else float(temperature),
            None if shift is None else torch.as_tensor(shift, device=self.device),
            bool(flip) and classes,
        )

    def _mirrored(
        self, x: torch.Tensor, guide: torch.Tensor | None, palette: torch.Tensor | None
    ) -> torch.Tensor:
        """The logits of the mirrored batch, mirrored back (the padding, right of each
        picture, is then on its left: the output's columns still match)."""
        g = None if guide is None else guide.flip(-1)
        return self._forward(x.flip(-1), g, palette, mirrored=True).flip(-1)

    def _decode(self, out: torch.Tensor, decoding: Decoding | None = None) -> np.ndarray:
        """Logits (or regression output) -> (N, h, w, 2) float32 chroma of the model's space,
        by ``decoding`` (a film's frames' by default): the logits shifted by its prior
        correction (``checkpoint.decode_shift``), then the annealed mean at its temperature."""
        if self.model.head_kind == "regression":
            return (out.float() * self.chroma_norm).permute(0, 2, 3, 1).cpu().numpy()
        d = decoding or self._film_decode
        if d.shift is not None:
            out = out.float() + d.shift.view(1, -1, 1, 1)
        if self._decode_on_device:
            try:  # the logits stay on the GPU: only ab comes to the host
                return annealed_mean_torch(out, self._bins_dev, d.temperature).cpu().numpy()
            except torch.OutOfMemoryError:  # its softmax is the size of the logits in float32
                pass
            self._free()  # then the host's annealed mean, which needs no more GPU memory
        return self._decode_host(out, d.temperature)

    def _decode_host(self, out: torch.Tensor, temperature: float) -> np.ndarray:
        """Logits -> (N, h, w, 2) ab with the annealed-mean kernel on the host."""
        nhwc = out.cpu().float().permute(0, 2, 3, 1).contiguous()
        n, h2, w2, q = nhwc.shape
        ab = annealed_mean(nhwc.numpy().reshape(-1, q), self.ab_bins, temperature)
        return ab.reshape(n, h2, w2, 2)

    def _batch(self, l_nets: Sequence[np.ndarray], lift: bool | tuple = True) -> torch.Tensor:
        """The network's input (N, 1, ph, pw) for lightness maps of any sizes, padded
        together by edge replication to the input multiple. lift: each map's levels lifted by
        its own (True: photos), by a film's (its (low, high)), or not at all (False)
        (``colorcli.levels``)."""
        m = self.model.input_multiple
        ph = -(-max(a.shape[0] for a in l_nets) // m) * m
        pw = -(-max(a.shape[1] for a in l_nets) // m) * m
        batch = np.empty((len(l_nets), 1, ph, pw), np.float32)
        for i, l_net in enumerate(l_nets):
            h, w = l_net.shape
            batch[i, 0] = np.pad(
                (net_input(self._lifted(l_net, lift), self.space) - self.l_cent) / self.l_norm,
                ((0, ph - h), (0, pw - w)),
                mode="edge",
            )
        x = torch.from_numpy(batch).to(self.device)
        if self.half:
            x = x.half()
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _lifted(self, l_net: np.ndarray, lift: bool | tuple) -> np.ndarray:
        """``l_net`` as the network sees it (``_batch``'s ``lift``)."""
        if not self.lift or lift is False:
            return l_net
        return lifted(l_net, None if lift is True else lift)

    def _out_hw(self, l_net: np.ndarray) -> tuple[int, int]:
        """The network's output size for a network-size lightness map (ceil of / stride)."""
        stride = self.model.output_stride
        return -(-l_net.shape[0] // stride), -(-l_net.shape[1] // stride)
