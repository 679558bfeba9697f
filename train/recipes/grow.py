"""Grow an effunet checkpoint's EfficientNet-lite0 encoder into lite1 without changing what it computes.

    python train/recipes/grow.py colorcli/weights/default.pt runs/grown-lite1.pt

lite1 has lite0's channels with one more block at the end of each middle stage (issue 16, item 4:
more capacity). Every lite0 block keeps its trained weights at the same place in its stage; each
new block is a residual block (stride 1, same channels) started as a copy of the block before it
with its output batch-norm's scale and shift at zero, so it adds nothing until training moves
them (zero-initialised residual branches, as Goyal et al. 2017 start ResNets). The decoder, head
and guidance inputs are the checkpoint's own. The grown file gives the same output as the one it
came from (checked before writing: the largest logit difference is printed) and is a starting
point for ``colorize train --init FILE --encoder lite1``.
"""

from __future__ import annotations

import dataclasses
import sys

import torch

from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.effnet import ENCODER_BLOCKS
from colorcli.models import build_model


def _stage_starts(blocks: list[tuple[int, int, int, int]]) -> list[int]:
    """Index of each stage's first block (a new stride or new channel count starts one)."""
    starts = [0]
    for i in range(1, len(blocks)):
        if (
            blocks[i][2] == 2
            or blocks[i][3] != blocks[i - 1][3]
            or blocks[i][:2] != blocks[i - 1][:2]
        ):
            starts.append(i)
    return starts


def block_map(small: str, big: str) -> dict[int, int]:
    """big block index -> the small block it starts from (a new block: the stage's last one)."""
    s, b = ENCODER_BLOCKS[small], ENCODER_BLOCKS[big]
    ss, bs = _stage_starts(s) + [len(s)], _stage_starts(b) + [len(b)]
    if len(ss) != len(bs):
        raise SystemExit(f"{small} and {big} have different stages")
    out = {}
    for k in range(len(ss) - 1):
        n_small, n_big = ss[k + 1] - ss[k], bs[k + 1] - bs[k]
        for j in range(n_big):
            out[bs[k] + j] = ss[k] + min(j, n_small - 1)
    return out


def grow(src: str, dst: str, big: str = "lite1") -> float:
    """Write ``src`` grown to the ``big`` encoder as ``dst``; return the largest logit change."""
    ck = load_checkpoint(src)
    small = ck.model_config.get("encoder", "lite0")
    if ENCODER_BLOCKS[small][-1][3] != ENCODER_BLOCKS[big][-1][3]:
        raise SystemExit(f"{big} is wider than {small}: only deeper encoders can be grown")
    mapping = block_map(small, big)
    old = ck.build().float().eval()
    state = old.state_dict()
    grown_cfg = dict(ck.model_config, encoder=big)
    new = build_model(ck.arch, grown_cfg).eval()
    own = new.state_dict()
    for key in own:
        if key.startswith("_blocks."):
            i, rest = key.split(".", 2)[1:]
            j = mapping[int(i)]
            own[key] = state[f"_blocks.{j}.{rest}"].clone()
            if _is_added(mapping, int(i)) and rest in ("_bn2.weight", "_bn2.bias"):
                own[key] = torch.zeros_like(own[key])  # the new residual branch adds nothing
        else:
            own[key] = state[key].clone()
    new.load_state_dict(own)
    torch.manual_seed(0)
    x = torch.rand(2, 1, 96, 128) - 0.5
    with torch.no_grad():
        diff = (old(x) - new(x)).abs().max().item()
    out = dataclasses.replace(
        ck, model_config=grown_cfg, state_dict={k: v.detach() for k, v in new.state_dict().items()}
    )
    save_checkpoint(out, dst)
    return diff


def _is_added(mapping: dict[int, int], i: int) -> bool:
    """A big block that repeats the small block its predecessor came from."""
    return i > 0 and mapping[i] == mapping.get(i - 1, -1)


if __name__ == "__main__":
    print(f"largest logit change: {grow(sys.argv[1], sys.argv[2]):.2e}")
