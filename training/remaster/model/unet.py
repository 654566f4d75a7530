"""Unconditional UNet in the style of diffusers' UNet2DModel (DownBlock2D / UpBlock2D, ResnetBlock2D
with GroupNorm + SiLU + timestep embedding), with diffusers' state-dict names (`conv_in`,
`time_embedding.linear_1`, `down_blocks.i.resnets.j.*`, `down_blocks.i.downsamplers.0.conv`,
`mid_block.resnets.k`, `up_blocks.i.resnets.j`, `up_blocks.i.upsamplers.0.conv`, `conv_norm_out`,
`conv_out`). No attention (add_attention=False): it would cost O(tokens^2) at 720p.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    block_out_channels: tuple[int, ...] = (64, 128, 256)
    layers_per_block: int = 2
    norm_num_groups: int = 32
    in_channels: int = 4
    out_channels: int = 4
    mid_block: bool = True


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """diffusers Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    emb = t.float()[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)  # (B, dim), cos first (flipped)


class TimestepEmbedding(nn.Module):
    def __init__(self, dim: int, out: int):
        super().__init__()
        self.linear_1 = nn.Linear(dim, out)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(out, out)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, c_in: int, c_out: int, temb: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in, eps=1e-5)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out, eps=1e-5)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Downsample2D(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock2D(nn.Module):
    def __init__(self, c_in, c_out, temb, layers, groups, add_downsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock2D(c_in if i == 0 else c_out, c_out, temb, groups) for i in range(layers)
        )
        self.downsamplers = nn.ModuleList([Downsample2D(c_out)]) if add_downsample else None

    def forward(self, x, temb):
        states = []
        for r in self.resnets:
            x = r(x, temb)
            states.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            states.append(x)
        return x, states


class UpBlock2D(nn.Module):
    def __init__(self, c_in, c_prev, c_out, temb, layers, groups, add_upsample):
        super().__init__()
        self.resnets = nn.ModuleList()
        for i in range(layers):
            skip_c = c_in if i == layers - 1 else c_out
            res_in = c_prev if i == 0 else c_out
            self.resnets.append(ResnetBlock2D(res_in + skip_c, c_out, temb, groups))
        self.upsamplers = nn.ModuleList([Upsample2D(c_out)]) if add_upsample else None

    def forward(self, x, skips, temb):
        for r in self.resnets:
            x = r(torch.cat([x, skips.pop()], dim=1), temb)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNet2DMidBlock(nn.Module):
    def __init__(self, c, temb, groups):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, temb, groups), ResnetBlock2D(c, c, temb, groups)])

    def forward(self, x, temb):
        for r in self.resnets:
            x = r(x, temb)
        return x


class UNet2DModel(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.block_out_channels
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg.in_channels, ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList()
        c = ch[0]
        for i, c_out in enumerate(ch):
            self.down_blocks.append(
                DownBlock2D(c, c_out, temb, cfg.layers_per_block, cfg.norm_num_groups, add_downsample=i < len(ch) - 1)
            )
            c = c_out
        self.mid_block = UNet2DMidBlock(ch[-1], temb, cfg.norm_num_groups) if cfg.mid_block else None
        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList()
        prev = rev[0]
        for i, c_out in enumerate(rev):
            c_in = rev[min(i + 1, len(ch) - 1)]
            self.up_blocks.append(
                UpBlock2D(
                    c_in, prev, c_out, temb, cfg.layers_per_block + 1, cfg.norm_num_groups, add_upsample=i < len(ch) - 1
                )
            )
            prev = c_out
        self.conv_norm_out = nn.GroupNorm(min(cfg.norm_num_groups, ch[0]), ch[0], eps=1e-5)
        self.conv_out = nn.Conv2d(ch[0], cfg.out_channels, 3, padding=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        """sample: (B, 4, h, w) with h, w divisible by 2**(len(blocks)-1); timestep: (B,) or scalar."""
        if timestep.dim() == 0:
            timestep = timestep.expand(sample.shape[0])
        temb = self.time_embedding(timestep_embedding(timestep, self.cfg.block_out_channels[0]).to(sample.dtype))
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, states = block(x, temb)
            skips += states
        if self.mid_block is not None:
            x = self.mid_block(x, temb)
        for block in self.up_blocks:
            n = len(block.resnets)
            x = block(x, skips[len(skips) - n :], temb)  # the block pops its skips from the end
            del skips[len(skips) - n :]
        return self.conv_out(F.silu(self.conv_norm_out(x)))
