"""Adversarial loss: a multi-scale PatchGAN discriminator (pix2pixHD style: the same architecture
at 1x, 1/2 and 1/4 input scale) trained from scratch with the hinge loss. Inputs in [0, 1]."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


class PatchDiscriminator(nn.Module):
    def __init__(self, channels: int = 64, layers: int = 3):
        super().__init__()
        seq: list[nn.Module] = [nn.Conv2d(3, channels, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = channels
        for _ in range(1, layers):
            c_next = min(c * 2, 512)
            seq += [spectral_norm(nn.Conv2d(c, c_next, 4, 2, 1)), nn.LeakyReLU(0.2)]
            c = c_next
        seq += [spectral_norm(nn.Conv2d(c, c, 4, 1, 1)), nn.LeakyReLU(0.2), nn.Conv2d(c, 1, 4, 1, 1)]
        self.net = nn.Sequential(*seq)

    def forward(self, x):
        return self.net(x * 2 - 1)  # (B, 1, h', w') patch logits


class MultiScaleDiscriminator(nn.Module):
    MIN_SIDE = 32  # a scale whose input would be smaller than this is skipped (tiny test crops)

    def __init__(self, scales: int = 3, channels: int = 64, layers: int = 3):
        super().__init__()
        self.discs = nn.ModuleList(PatchDiscriminator(channels, layers) for _ in range(scales))

    @classmethod
    def for_crop(cls, side: int, scales: int = 3) -> MultiScaleDiscriminator:
        """Only the scales a `side`-pixel crop reaches: no parameter without a gradient (DDP
        waits for every parameter's gradient; an unused scale would stall it)."""
        used = 1 + sum(1 for i in range(1, scales) if side // 2**i >= cls.MIN_SIDE)
        return cls(scales=used)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for i, d in enumerate(self.discs):
            if i > 0 and min(x.shape[-2:]) // 2**i < self.MIN_SIDE:
                break
            outs.append(d(x if i == 0 else F.avg_pool2d(x, 2**i)))
        return outs


def hinge_d_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real, fake, strict=True)) / len(real)


def hinge_g_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(-f.mean() for f in fake) / len(fake)
