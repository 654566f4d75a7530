"""Tiny autoencoder in the TAESD architecture (madebyollin/taesd), with state-dict names of diffusers'
AutoencoderTiny (`encoder.layers.N...`, `decoder.layers.N...`) whenever the widths match TAESD's, so
TAESD weights can initialise it (`load_taesd_weights`).

Generalised for real time: per-stage widths and block counts, and an optional pixel-unshuffle in
front of the encoder (and pixel-shuffle after the decoder) that moves the full-resolution work to a
lower resolution. Encoder input: images in [0, 1] (TAESD convention). Decoder output: [0, 1]-ish
(clamped by the caller). Latents: 4 channels at 1/8 resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


def conv(n_in: int, n_out: int, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Block(nn.Module):
    """diffusers AutoencoderTinyBlock: three 3x3 convs with ReLU, a skip, and a ReLU after the sum."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.conv = nn.Sequential(conv(n_in, n_out), nn.ReLU(), conv(n_out, n_out), nn.ReLU(), conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(self.conv(x) + self.skip(x))


@dataclass(frozen=True)
class TinyAEConfig:
    """Stage i runs at 1/(unshuffle * 2**i) resolution. TAESD: unshuffle 1, widths (64,)*4,
    encoder blocks (1, 3, 3, 3), decoder blocks (3, 3, 3, 1)."""

    widths: tuple[int, ...] = (64, 64, 64, 64)
    encoder_blocks: tuple[int, ...] = (1, 3, 3, 3)
    decoder_blocks: tuple[int, ...] = (3, 3, 3, 1)
    unshuffle: int = 1
    latent_channels: int = 4
    image_channels: int = 3
    upscale: int = 1  # the decoder emits `upscale` x the input size

    def __post_init__(self):
        n = len(self.widths)
        if not (len(self.encoder_blocks) == len(self.decoder_blocks) == n):
            raise ValueError("widths, encoder_blocks and decoder_blocks need one entry per stage")
        if self.unshuffle * 2 ** (n - 1) != 8:
            raise ValueError(
                f"unshuffle {self.unshuffle} with {n} stages gives latents at 1/{self.unshuffle * 2 ** (n - 1)}"
                f", need 1/8"
            )
        if self.upscale not in (1, 2):
            raise ValueError(f"upscale must be 1 or 2, got {self.upscale}")


class EncoderTiny(nn.Module):
    """`guide_channels`: planes after the image's channels in its input (remaster.guides)."""

    def __init__(self, cfg: TinyAEConfig, guide_channels: int = 0):
        super().__init__()
        self.unshuffle = nn.PixelUnshuffle(cfg.unshuffle) if cfg.unshuffle > 1 else nn.Identity()
        layers: list[nn.Module] = []
        self.stage_ends: list[int] = []  # index of the last layer of each stage (skip taps)
        for i, (w, nb) in enumerate(zip(cfg.widths, cfg.encoder_blocks, strict=True)):
            if i == 0:
                layers.append(conv((cfg.image_channels + guide_channels) * cfg.unshuffle**2, w))
            else:
                layers.append(conv(cfg.widths[i - 1], w, stride=2, bias=False))
            layers += [Block(w, w) for _ in range(nb)]
            self.stage_ends.append(len(layers) - 1)
        layers.append(conv(cfg.widths[-1], cfg.latent_channels))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, return_skips: bool = False):
        x = self.unshuffle(x)
        skips = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if return_skips and i in self.stage_ends:
                skips.append(x)  # (B, widths[s], H/(u*2^s), W/(u*2^s))
        return (x, skips) if return_skips else x


class DecoderTiny(nn.Module):
    """Mirror of the encoder: tanh clamp, conv, then per stage (coarse to fine) blocks, upsample, conv.
    With skips (pix2pix-Turbo), encoder stage s is added before decoder stage s through a zero-init
    1x1 conv, so a freshly enabled skip changes nothing until it is trained."""

    def __init__(self, cfg: TinyAEConfig, skip_connections: bool = False):
        super().__init__()
        widths = cfg.widths[::-1]
        blocks = cfg.decoder_blocks
        n = len(widths)
        out_ch = cfg.image_channels * (cfg.unshuffle * cfg.upscale) ** 2
        layers: list[nn.Module] = [conv(cfg.latent_channels, widths[0]), nn.ReLU()]
        self.stage_starts: list[int] = []
        for i, nb in enumerate(blocks):
            final = i == n - 1
            self.stage_starts.append(len(layers))
            layers += [Block(widths[i], widths[i]) for _ in range(nb)]
            if not final:
                layers.append(nn.Upsample(scale_factor=2))
                layers.append(conv(widths[i], widths[i + 1], bias=False))
            else:
                if cfg.unshuffle == 1 and cfg.upscale > 1:
                    layers.append(nn.Upsample(scale_factor=cfg.upscale))
                    layers.append(conv(widths[i], widths[i], bias=False))
                    out_ch = cfg.image_channels
                layers.append(conv(widths[i], out_ch))
        self.layers = nn.Sequential(*layers)
        factor = cfg.unshuffle * cfg.upscale if cfg.unshuffle > 1 else 1
        self.shuffle = nn.PixelShuffle(factor) if factor > 1 else nn.Identity()
        self.skip_convs = None
        if skip_connections:
            # Decoder stage i (coarse to fine) meets encoder stage n-1-i (same resolution and width).
            self.skip_convs = nn.ModuleList(nn.Conv2d(widths[i], widths[i], 1) for i in range(n))
            for c in self.skip_convs:
                nn.init.zeros_(c.weight)
                nn.init.zeros_(c.bias)

    def forward(self, z: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        x = torch.tanh(z / 3) * 3  # TAESD's latent clamp
        for i, layer in enumerate(self.layers):
            if self.skip_convs is not None and skips is not None and i in self.stage_starts:
                s = self.stage_starts.index(i)
                x = x + self.skip_convs[s](skips[len(skips) - 1 - s])
            x = layer(x)
        return self.shuffle(x)


def load_taesd_weights(encoder: EncoderTiny, decoder: DecoderTiny, state: dict[str, torch.Tensor]) -> list[str]:
    """Loads TAESD weights in either layout: diffusers AutoencoderTiny (`encoder.layers.N.*`,
    `decoder.layers.N.*`) or the original taesd_encoder/decoder.pth merged with prefixes `encoder.`
    / `decoder.` (decoder indices there are shifted by one: the original puts its Clamp at index 0).
    Returns the keys that did not fit. Raises if the architecture does not match TAESD's."""
    enc, dec = {}, {}
    for k, v in state.items():
        if k.startswith("encoder.layers."):
            enc[k[len("encoder.layers.") :]] = v
        elif k.startswith("decoder.layers."):
            dec[k[len("decoder.layers.") :]] = v
        elif k.startswith("encoder."):
            enc[k[len("encoder.") :]] = v
        elif k.startswith("decoder."):
            idx, rest = k[len("decoder.") :].split(".", 1)
            dec[f"{int(idx) - 1}.{rest}"] = v
    if not enc and not dec:
        raise ValueError("no TAESD encoder/decoder keys found (expected encoder.layers.* / decoder.layers.*)")
    try:
        missing_e, unexpected_e = encoder.layers.load_state_dict(enc, strict=False)
        missing_d, unexpected_d = decoder.layers.load_state_dict(dec, strict=False)
    except RuntimeError as e:  # size mismatches
        raise ValueError(
            f"TAESD weights do not fit this autoencoder (use the seed preset): {str(e).splitlines()[1].strip()}"
        ) from e
    if missing_e or missing_d:
        raise ValueError(
            f"TAESD weights do not fit this autoencoder (missing {list(missing_e)[:3] + list(missing_d)[:3]}...)"
            f": use the seed preset"
        )
    return [f"encoder.layers.{k}" for k in unexpected_e] + [f"decoder.layers.{k}" for k in unexpected_d]
