"""Progress events the library yields and the CLI draws: small frozen dataclasses, torch-free.

A film yields VideoStart, Notice, Scanned (with stills), Frames, then VideoDone; training
yields DataLoaded, PriorReady, Resumed, Step, Validation, Saved and TrainDone (``to_dict`` is
the line written to metrics.jsonl).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}


# ---------------------------------------------------------------- films
@dataclass(frozen=True)
class VideoStart(Event):
    """info: the input's ``VideoInfo``; total: frames expected (0 when the container is silent)."""

    kind: ClassVar[str] = "start"
    info: Any
    total: int


@dataclass(frozen=True)
class Notice(Event):
    kind: ClassVar[str] = "notice"
    message: str


@dataclass(frozen=True)
class Frames(Event):
    """n frames coloured since the last event; elapsed: seconds since the film started."""

    kind: ClassVar[str] = "frames"
    n: int
    elapsed: float


@dataclass(frozen=True)
class Scanned(Event):
    """n more frames read by the pass over the film that its stills need before the first
    frame is coloured (``--refs``: finding its scenes; ``--reference``: colouring a still for
    each); total: the frames it will read, where known."""

    kind: ClassVar[str] = "scanned"
    n: int
    total: int | None


@dataclass(frozen=True)
class VideoDone(Event):
    """frames written in ``seconds``; ``lost`` of ``promised`` frames did not decode (a damaged
    input: the film went to ``path``, which is then not the requested output when the job said
    where damaged films go); stats: the temporal metrics with --stats; kept: of the frames,
    those written as they came (scenes in colour, --keep-colour)."""

    kind: ClassVar[str] = "done"
    frames: int
    seconds: float
    lost: int
    promised: int
    bad_packets: int
    path: str
    stats: dict[str, float] | None = None
    kept: int = 0


# ---------------------------------------------------------------- training
@dataclass(frozen=True)
class Loading(Event):
    """Training photos read so far (``done`` of ``total``), before DataLoaded."""

    kind: ClassVar[str] = "loading"
    done: int
    total: int


@dataclass(frozen=True)
class DataLoaded(Event):
    kind: ClassVar[str] = "data"
    train: int
    dropped: int
    unreadable: int
    val: int
    pixels: int
    skipped: tuple[tuple[str, str], ...] = ()  # (path, why) of each unreadable photo
    in_val: int = 0  # photos under --data that are --val photos too: not trained on
    val_dropped: int = 0  # validation photos left out as colourless


@dataclass(frozen=True)
class PriorReady(Event):
    kind: ClassVar[str] = "prior"
    bins: int
    entropy: float


@dataclass(frozen=True)
class Resumed(Event):
    """step: where the run goes on; stretch: one line when --steps was raised, else None."""

    kind: ClassVar[str] = "resume"
    step: int
    stretch: str | None = None


@dataclass(frozen=True)
class Step(Event):
    kind: ClassVar[str] = "step"
    step: int
    steps: int
    loss: float
    lr: float
    grad_norm: float
    images_per_s: float
    data_wait: float
    d_loss: float | None = None  # --loss gan: the discriminator's loss this step


@dataclass(frozen=True)
class Validation(Event):
    kind: ClassVar[str] = "val"
    step: int
    psnr: float
    gray_psnr: float


@dataclass(frozen=True)
class Saved(Event):
    kind: ClassVar[str] = "save"
    step: int
    path: str


@dataclass(frozen=True)
class TrainDone(Event):
    kind: ClassVar[str] = "done"
    step: int
    best_psnr: float
    path: str
