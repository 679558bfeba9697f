"""The adversary of ``--loss gan``: a conditional PatchGAN discriminator on (L, chroma), its
optimizer, and its two losses (least squares, as the seeds' GAN: real patches toward 1, made ones
toward 0; the generator's term pulls its patches toward 1).

pix2pix-style: the generator is a regression model trained with L1 on the chroma plus
``gan_weight`` times this term. The discriminator sees the lightness and the chroma at the
model's output resolution and scores overlapping patches (70 x 70 input pixels for its five
layers), so it judges local colour, not the whole picture. Its weights and optimizer live in
``last.pt`` (``state`` / ``load``) so a resumed run continues exactly; a checkpoint read back by
``load_checkpoint`` (what is exported and shipped) does not carry it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

D_WIDTH = 64
D_BETAS = (0.5, 0.999)  # pix2pix's Adam momentum for both networks of the pair


class PatchDiscriminator(nn.Module):
    """(L, chroma) -> a map of realness scores, one per overlapping 70 x 70 patch."""

    def __init__(self, width: int = D_WIDTH, chroma_channels: int = 2) -> None:
        super().__init__()
        w = width

        def block(cin: int, cout: int, stride: int, norm: bool) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride, 1, bias=not norm)]
            if norm:
                layers.append(nn.BatchNorm2d(cout))
            return [*layers, nn.LeakyReLU(0.2, inplace=True)]

        self.net = nn.Sequential(
            *block(1 + chroma_channels, w, 2, False),
            *block(w, 2 * w, 2, True),
            *block(2 * w, 4 * w, 2, True),
            *block(4 * w, 4 * w, 1, True),
            nn.Conv2d(4 * w, 1, 4, 1, 1),
        )

    def forward(self, l_norm: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        if l_norm.shape[-2:] != chroma.shape[-2:]:  # the model predicts at 1/stride
            l_norm = F.adaptive_avg_pool2d(l_norm, chroma.shape[-2:])
        return self.net(torch.cat([l_norm, chroma.to(l_norm.dtype)], dim=1))


class Adversary:
    """The discriminator, its Adam, and the step and loss the training loop calls."""

    def __init__(self, device: torch.device, distributed: bool = False) -> None:
        self.disc = PatchDiscriminator().to(device)
        self.opt = torch.optim.Adam(self.disc.parameters(), lr=1e-4, betas=D_BETAS)
        self.trained = self.disc
        if distributed:
            # broadcast_buffers off: the discriminator runs twice a step (real, then fake), and
            # torch 2.4 and 2.6 copied rank 0's batch-norm statistics in place before the second
            # run, under the first's graph ("modified by an inplace operation" in backward; 2.13
            # does not). It always runs in training mode, on batch statistics, so the running
            # ones it would share are never used.
            self.trained = nn.parallel.DistributedDataParallel(
                self.disc,
                device_ids=[device.index] if device.type == "cuda" else None,
                broadcast_buffers=False,
            )
        self.disc.train()

    def step(
        self, l_norm: torch.Tensor, fake: torch.Tensor, real: torch.Tensor, lr: float, amp: bool
    ) -> float:
        """One discriminator update on a batch (``fake``: the model's chroma / norm, detached
        here; ``real``: the truth's). Returns its loss."""
        for g in self.opt.param_groups:
            g["lr"] = lr
        with torch.autocast(l_norm.device.type, dtype=torch.bfloat16, enabled=amp):
            s_real = self.trained(l_norm, real)
            s_fake = self.trained(l_norm, fake.detach())
        loss = 0.5 * (((s_real.float() - 1.0) ** 2).mean() + (s_fake.float() ** 2).mean())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def generator_loss(self, l_norm: torch.Tensor, fake: torch.Tensor, amp: bool) -> torch.Tensor:
        """The generator's adversarial term: its patches scored toward real. The gradient
        reaches the generator only (the discriminator's own are not kept)."""
        self.disc.requires_grad_(False)
        try:
            with torch.autocast(l_norm.device.type, dtype=torch.bfloat16, enabled=amp):
                score = self.disc(l_norm, fake)
            return ((score.float() - 1.0) ** 2).mean()
        finally:
            self.disc.requires_grad_(True)

    def state(self) -> dict[str, Any]:
        """Weights and optimizer, weights_only-safe, for last.pt."""
        return {"state_dict": self.disc.state_dict(), "optimizer": self.opt.state_dict()}

    def load(self, state: dict[str, Any]) -> None:
        self.disc.load_state_dict(state["state_dict"])
        self.opt.load_state_dict(state["optimizer"])
