"""The self-describing checkpoint: one ``.pt`` that turns logits into pixels on its own.

It holds only types that ``torch.load(weights_only=True)`` accepts (dicts, lists, str, numbers,
tensors): format name and version, arch and model config, state_dict, the colour classes (bin
centres in the chroma of its colour space: Lab ab, or YUV's UV), the prior, the rebalancing
settings and weights, what inputs the network takes, the Lab constants, the colour space,
decode defaults (temperature, network size), the training config and step, and provenance.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import math
import pickle
import platform
import subprocess
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from colorcli import __version__
from colorcli.atomic import atomic_path
from colorcli.chroma import space_record
from colorcli.errors import CheckpointError, ConfigError, write_failure
from colorcli.kernels import LAB_CONSTANTS
from colorcli.models import ModelConfig, arch_strides, build_model, clean_state_dict
from colorcli.options import COLOR_SPACES

FORMAT = "colorcli-checkpoint"
FORMAT_VERSION = 1
DEFAULT_MODEL = Path(__file__).with_name("weights") / "default.pt"


@dataclass
class Checkpoint:
    """Everything needed to colorize, in memory.

    ab_bins: (Q, 2) float32 class centres, in the chroma of ``color_space`` (Lab ab unless
    it says otherwise; ``colorcli.chroma``). prior: (Q,) float64 smoothed empirical distribution
    (sums to 1). class_weights: (Q,) float64 rebalancing weights (E_prior[w] = 1).
    prior_correction: how much of the rebalancing's tilt the decode takes back, 0 to 1. A
    network trained with weighted cross-entropy predicts the true distribution times the
    weights (rare, saturated colours favoured); the decode divides by ``class_weights **
    prior_correction`` before the annealed mean (``decode_shift``), fitted on held-out photos.
    photo_decode: how photos (not films) are decoded, or None for as films are: {"flip": the
    logits averaged with those of the mirrored photo, "temperature", "prior_correction", and
    maybe "size": the network's size for a photo without hints, else ``net_size``} (fitted
    together on held-out photos: the average is broader, so it takes its own).
    """

    arch: str
    model_config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    ab_bins: np.ndarray
    prior: np.ndarray
    class_weights: np.ndarray
    rebalance: dict[str, float] = field(default_factory=dict)
    lab: dict[str, Any] = field(default_factory=lambda: dict(LAB_CONSTANTS))
    color_space: dict[str, Any] = field(default_factory=lambda: space_record("lab"))
    temperature: float = 0.38
    prior_correction: float = 0.0
    net_size: int = 256
    photo_decode: dict[str, Any] | None = None
    train_config: dict[str, Any] = field(default_factory=dict)
    step: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"
    # the learned head that spreads a photo's hints (colorcli.attend), or None
    hint_attention: dict[str, Any] | None = None

    @property
    def inputs(self) -> list[str]:
        """What the network takes: "l" always; "guide" (hinted ab and a mask) and "palette"
        (a distribution over the ab bins) for a hint model."""
        return ["l", "guide", "palette"] if self.model_config.get("hints") else ["l"]

    def build(self) -> torch.nn.Module:
        """The model with these weights, in eval mode, float32, on the CPU."""
        try:
            model = build_model(self.arch, self.model_config)
            state = {
                k: v.float() if v.is_floating_point() else v for k, v in self.state_dict.items()
            }
            model.load_state_dict(clean_state_dict(state))
        except ConfigError as e:
            raise CheckpointError(self.source, str(e)) from e
        except RuntimeError as e:
            raise CheckpointError(self.source, "weights do not match the architecture") from e
        return model.eval()


def file_digest(path: Path | str) -> str:
    """sha1 of a checkpoint file: its identity where a run must know it colours alike."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance() -> dict[str, str]:
    """Versions, host, time and git sha, for a checkpoint being written now."""
    import numba

    return {
        "colorcli": __version__,
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "numba": str(numba.__version__),
        "python": platform.python_version(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git_sha": _git_sha(),
    }


def to_payload(ckpt: Checkpoint, half: bool = False) -> dict[str, Any]:
    """The plain dict written to disk (``half`` stores float weights as fp16)."""
    state = {
        k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
        for k, v in clean_state_dict(ckpt.state_dict).items()
    }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": ckpt.arch,
        "model_config": dict(ckpt.model_config),
        "inputs": ckpt.inputs,
        "state_dict": state,
        "ab_bins": torch.as_tensor(np.asarray(ckpt.ab_bins, np.float32)),
        "prior": torch.as_tensor(np.asarray(ckpt.prior, np.float64)),
        "class_weights": torch.as_tensor(np.asarray(ckpt.class_weights, np.float64)),
        "rebalance": dict(ckpt.rebalance),
        "lab": dict(ckpt.lab),
        "color_space": dict(ckpt.color_space),
        "decode": {
            "temperature": float(ckpt.temperature),
            "prior_correction": float(ckpt.prior_correction),
            "net_size": int(ckpt.net_size),
            **({"photos": dict(ckpt.photo_decode)} if ckpt.photo_decode else {}),
        },
        "train": {"config": dict(ckpt.train_config), "step": int(ckpt.step)},
        "provenance": dict(ckpt.provenance) or provenance(),
        **({"hint_attention": ckpt.hint_attention} if ckpt.hint_attention else {}),
    }


def save_checkpoint(
    ckpt: Checkpoint, path: Path | str, half: bool = False, extra: dict | None = None
) -> Path:
    """Write atomically (``colorcli.atomic``: a claimed temporary sibling, fsync, rename).

    ``extra`` adds keys (optimizer state for resuming, say); they must be weights_only-safe.
    A full disk is a NoSpaceError, any other failure to write a MediaError: serialized in
    memory first, so that the write's own error is raised (torch.save into a full disk said
    only "RuntimeError: [enforce fail at inline_container.cc:672] . unexpected pos").
    """
    path = Path(path)
    payload = to_payload(ckpt, half=half)
    if extra:
        payload.update(extra)
    data = io.BytesIO()
    torch.save(payload, data)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data.getbuffer())
    except OSError as e:
        raise write_failure(path, e) from e
    return path


def _require(payload: dict, key: str, kind: type | tuple, path: Path) -> Any:
    if key not in payload:
        raise CheckpointError(path, f"not a colorcli checkpoint (missing {key!r})")
    if not isinstance(payload[key], kind):
        raise CheckpointError(path, f"damaged checkpoint ({key!r} has the wrong type)")
    return payload[key]


def _prior_correction(decode: dict, weights: np.ndarray, path: Path) -> float:
    """The decode's prior correction (0 for files written before it), checked: a value
    outside [0, 1] or weights that are not all positive and finite would colour nonsense."""
    value = decode.get("prior_correction", 0.0)
    if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise CheckpointError(path, f"damaged checkpoint (prior correction {value!r})")
    if value and not (np.all(np.isfinite(weights)) and np.all(weights > 0)):
        raise CheckpointError(path, "damaged checkpoint (class weights not all positive)")
    return float(value)


def _photo_decode(decode: dict, weights: np.ndarray, path: Path) -> dict[str, Any] | None:
    """The decode of photos (None: as films), checked."""
    photos = decode.get("photos")
    if photos is None:
        return None
    t = photos.get("temperature") if isinstance(photos, dict) else None
    if not (
        isinstance(photos, dict)
        and isinstance(photos.get("flip", False), bool)
        and isinstance(t, int | float)
        and math.isfinite(t)
        and t >= 0
    ):
        raise CheckpointError(path, "damaged checkpoint (its photo decode)")
    k = _prior_correction(photos, weights, path)
    size = photos.get("size")
    if size is not None and not (
        isinstance(size, int) and not isinstance(size, bool) and size >= 16
    ):
        raise CheckpointError(path, "damaged checkpoint (its photo decode's size)")
    out = {"flip": bool(photos.get("flip", False)), "temperature": float(t), "prior_correction": k}
    return out if size is None else {**out, "size": size}


def decode_shift(ckpt: Checkpoint, correction: float | None = None) -> np.ndarray | None:
    """(Q,) float32 added to the logits before the annealed mean: minus the prior correction
    (``correction``, else the checkpoint's) times the log of the class weights (the weighted
    loss's tilt taken back); None when the decode takes nothing back."""
    k = ckpt.prior_correction if correction is None else correction
    if not k:
        return None
    return (-k * np.log(np.asarray(ckpt.class_weights, np.float64))).astype(np.float32)


def read_payload(path: Path | str) -> dict[str, Any]:
    """``torch.load(weights_only=True)`` with every failure turned into a CheckpointError."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such model file")
    if path.is_dir():
        raise CheckpointError(path, "is a folder, not a model file")
    try:
        with warnings.catch_warnings():
            # a foreign pickle's protocol draws a UserWarning before the refusal below
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "global" in str(e).lower():  # a pickle that names a class or function to call
            raise CheckpointError(
                path, "refused: the file contains code or objects beyond plain weights"
            ) from e
        raise CheckpointError(path, "not a model file (cannot be unpickled)") from e
    except (RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError) as e:
        raise CheckpointError(path, "not a model file, or truncated/damaged") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(path, "not a colorcli checkpoint")
    version = payload.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(path, "damaged checkpoint (no format version)")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"checkpoint format {version} is newer than this colorcli reads ({FORMAT_VERSION}); upgrade colorcli",
        )
    return payload


def load_checkpoint(path: Path | str | None = None) -> Checkpoint:
    """Load and validate a checkpoint (the shipped default model when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_MODEL
    payload = read_payload(path)
    arch = _require(payload, "arch", str, path)
    cfg = _require(payload, "model_config", dict, path)
    state = _require(payload, "state_dict", dict, path)
    bins = _require(payload, "ab_bins", torch.Tensor, path).numpy().astype(np.float32)
    prior = _require(payload, "prior", torch.Tensor, path).numpy().astype(np.float64)
    weights = _require(payload, "class_weights", torch.Tensor, path).numpy().astype(np.float64)
    decode = _require(payload, "decode", dict, path)
    space = payload.get("color_space", {"name": "lab"})  # files before spaces were Lab
    if not isinstance(space, dict) or space.get("name") not in COLOR_SPACES:
        name = space.get("name") if isinstance(space, dict) else space
        raise CheckpointError(
            path, f"colour space {name!r} is not one this colorcli reads {COLOR_SPACES}"
        )
    train = payload.get("train", {}) if isinstance(payload.get("train"), dict) else {}
    try:
        mcfg = ModelConfig.from_dict(cfg)
        strides = arch_strides(arch)
    except (ConfigError, TypeError) as e:
        raise CheckpointError(path, f"bad model config: {e}") from e
    if len(strides) == 1 and mcfg.out_stride != strides[0]:
        # files written before strides were checked recorded the option's value, which an
        # architecture of one stride ignored; the weights are those of its own stride
        mcfg = ModelConfig(**{**mcfg.to_dict(), "out_stride": strides[0]})
    if bins.ndim != 2 or bins.shape[1] != 2:
        raise CheckpointError(path, f"damaged checkpoint (ab_bins shape {tuple(bins.shape)})")
    if mcfg.head == "classification" and mcfg.num_bins != len(bins):
        raise CheckpointError(
            path, f"model predicts {mcfg.num_bins} bins but the file has {len(bins)}"
        )
    attention = payload.get("hint_attention")
    if attention is not None and not (
        isinstance(attention, dict)
        and isinstance(attention.get("config"), dict)
        and isinstance(attention.get("state_dict"), dict)
    ):
        raise CheckpointError(path, "damaged checkpoint ('hint_attention' has the wrong type)")
    ckpt = Checkpoint(
        arch=arch,
        model_config=mcfg.to_dict(),
        state_dict=state,
        ab_bins=bins,
        prior=prior,
        class_weights=weights,
        rebalance=dict(payload.get("rebalance", {})),
        lab=dict(payload.get("lab", LAB_CONSTANTS)),
        color_space=space_record(space["name"]),
        temperature=float(decode.get("temperature", 0.38)),
        prior_correction=_prior_correction(decode, weights, path),
        photo_decode=_photo_decode(decode, weights, path),
        net_size=int(decode.get("net_size", 256)),
        train_config=dict(train.get("config", {})),
        step=int(train.get("step", 0)),
        provenance=dict(payload.get("provenance", {})),
        source=str(path),
        hint_attention=attention,
    )
    return ckpt
