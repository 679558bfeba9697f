"""Where the network runs: the device asked for, the annealed mean computed on it, and which
errors mean that memory ran out (so a batch can be split and retried)."""

from __future__ import annotations

import torch

from colorcli.errors import ConfigError, DeviceError
from colorcli.options import DEVICES, NUMBERED_DEVICE, PRECISIONS, numbered


def resolve_device(device: str) -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' (or 'cuda:N') without CUDA, or N past
    this machine's GPUs, is a DeviceError."""
    if device not in DEVICES and not numbered(device, NUMBERED_DEVICE):
        raise ConfigError(f"device must be one of {DEVICES} or cuda:N, got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} requested but CUDA is not available here (use --device cpu)"
        )
    try:
        dev = torch.device(device)
    except RuntimeError as e:  # torch's own refusals: "cuda:01", an index past 32 bits
        raise ConfigError(f"device must be one of {DEVICES} or cuda:N, got {device!r}") from e
    count = torch.cuda.device_count() if dev.type == "cuda" else 0
    if dev.index is not None and dev.index >= count:
        has = (
            "one CUDA device, cuda:0"
            if count == 1
            else f"{count} CUDA devices: cuda:0 to cuda:{count - 1}"
        )
        raise DeviceError(f"device {device!r} requested but this machine has {has}")
    return dev


def cpu_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), where oneDNN runs a
    bfloat16 convolution natively; elsewhere it would be emulated, slower than float32."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # a torch without the probes
        return False


def resolve_precision(device: torch.device, precision: str) -> torch.dtype | None:
    """The network's 16-bit type on ``device`` for ``precision`` (see ``PRECISIONS``), or None
    for float32: float16 on CUDA unless "full"; bfloat16 on a CPU only for "half", which a CPU
    without bfloat16 instructions refuses (ConfigError)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "full":
        return None
    if device.type == "cuda":
        return torch.float16
    if precision == "auto":
        return None
    if device.type == "cpu" and cpu_bf16():
        return torch.bfloat16
    raise ConfigError(
        f"--precision half: this {device.type.upper()} has no bfloat16 instructions (AVX512-BF16 or AMX); it would run slower, not faster (use --precision full)"
    )


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


def is_oom(err: BaseException) -> bool:
    """CUDA's OutOfMemoryError, the CPU allocator's RuntimeError, numpy's MemoryError,
    OpenCV's "Insufficient memory" error, or oneDNN's "could not create a primitive" (what
    the CPU convolutions say where they cannot get memory for their workspace)."""
    text = str(err).lower()
    return isinstance(err, torch.OutOfMemoryError | MemoryError) or any(
        m in text
        for m in (
            "out of memory",
            "can't allocate memory",
            "insufficient memory",
            "could not create a primitive",
        )
    )


__all__ = ["annealed_mean_torch", "cpu_bf16", "is_oom", "resolve_device", "resolve_precision"]
