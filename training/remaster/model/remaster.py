"""RemasterNet: encoder -> UNet at t=999 -> one DDPM step -> decoder, and the model presets.

Contract: forward(x) takes (B, 3 + guide_channels(cfg.guides), H, W) float: RGB in [0, 1], sRGB-encoded, then
the guide planes in [-1, 1] (remaster.guides; none by default), H and W multiples of 8, and returns
(B, 3, H*upscale, W*upscale) RGB in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..guides import check_guides, guide_channels
from .scheduler import TIMESTEP, one_step_coefficients
from .taesd import DecoderTiny, EncoderTiny, TinyAEConfig
from .unet import UNet2DModel, UNetConfig


@dataclass(frozen=True)
class ModelConfig:
    preset: str = "realtime"
    ae: TinyAEConfig = field(default_factory=TinyAEConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    skip_connections: bool = False
    # Training from scratch (no SD-Turbo weights): eps gets a fixed linear path from z, scaled so
    # that with a zero-initialised conv_out the one-step output starts equal to the input latent.
    identity_init: bool = True
    # Output = input (upsampled when upscale > 1) + the decoder's correction, the decoder's last conv
    # zero-initialised: pixels the upgrade does not touch pass through exactly instead of being
    # re-synthesised through the 1/8-resolution latent (whose small errors everywhere raised the
    # colour error of a model trained without it, although its PSNR and LPIPS improved).
    residual: bool = False
    # With residual, at inference (eval mode and the exported graph): corrections of at most this
    # many 8-bit levels (of 255) per channel are dropped and larger ones shrunk by it (a soft
    # threshold: out = x + c - clamp(c, -t, t)). A network that cannot tell which pixels the upgrade
    # changes (a shadow it cannot place) leaves a small correction everywhere; on the many pixels
    # that low already renders as high, that is pure error. Not applied in training: the correction
    # starts at zero there, and a threshold has no gradient below it. Chosen on validation frames
    # (remaster.evaluate --deadzone; configs/realtime.yaml says which).
    deadzone: float = 0.0
    # What the input carries after RGB (remaster.guides: "depth", "sun"); () = the frame alone.
    guides: tuple[str, ...] = ()

    @property
    def input_channels(self) -> int:
        return 3 + guide_channels(self.guides)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> ModelConfig:
        return ModelConfig(
            preset=d["preset"],
            ae=TinyAEConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["ae"].items()}),
            unet=UNetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["unet"].items()}),
            skip_connections=d["skip_connections"],
            identity_init=d["identity_init"],
            residual=d.get("residual", False),  # absent in checkpoints made before it existed
            deadzone=float(d.get("deadzone", 0.0)),  # likewise
            guides=tuple(d.get("guides", ())),  # likewise
        )


PRESETS: dict[str, ModelConfig] = {
    # The original size (TAESD width 64, UNet (64,128,256)): about 1 TFLOP per 720p frame.
    "seed": ModelConfig(
        preset="seed",
        ae=TinyAEConfig(),
        unet=UNetConfig(block_out_channels=(64, 128, 256), layers_per_block=2, norm_num_groups=32),
    ),
    # Real time: the same family at <= 10 kFLOP per output pixel (~9 GFLOP at 720p). Pixel-unshuffle
    # by 2 moves the full-resolution stage to half resolution; widths 12/24/32; the only
    # autoencoder blocks sit at 1/8 resolution, where a 3x3 conv costs 1/64 per output pixel.
    "realtime": ModelConfig(
        preset="realtime",
        ae=TinyAEConfig(widths=(12, 24, 32), encoder_blocks=(0, 0, 1), decoder_blocks=(1, 0, 0), unshuffle=2),
        unet=UNetConfig(block_out_channels=(24, 48), layers_per_block=1, norm_num_groups=8),
    ),
    # For tests: tiny and fast.
    "tiny": ModelConfig(
        preset="tiny",
        ae=TinyAEConfig(widths=(8, 8, 8), encoder_blocks=(0, 1, 1), decoder_blocks=(1, 1, 0), unshuffle=2),
        unet=UNetConfig(block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4),
    ),
}


def build_model(preset: str = "realtime", **overrides) -> RemasterNet:
    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; expected one of {sorted(PRESETS)}")
    cfg = PRESETS[preset]
    ae_over = {k: v for k, v in overrides.items() if k in ("upscale",)}
    if ae_over:
        cfg = replace(cfg, ae=replace(cfg.ae, **ae_over))
    rest = {k: v for k, v in overrides.items() if k not in ae_over}
    unknown = set(rest) - {"skip_connections", "identity_init", "residual", "deadzone", "guides"}
    if unknown:
        raise ValueError(f"unknown model option(s): {sorted(unknown)}")
    return RemasterNet(replace(cfg, **rest))


def check_deadzone(levels: float, residual: bool) -> None:
    """ValueError unless `levels` (8-bit levels) is a deadzone a model with this `residual` can take."""
    if levels < 0:
        raise ValueError(f"deadzone must be >= 0 levels (of 255), got {levels}")
    if levels > 0 and not residual:
        raise ValueError("deadzone needs a residual model (residual: true): this one re-synthesises every pixel")


def with_deadzone(model: RemasterNet, levels: float) -> RemasterNet:
    """The same network (weights shared) with another inference deadzone (8-bit levels)."""
    check_deadzone(levels, model.cfg.residual)
    model.cfg = replace(model.cfg, deadzone=float(levels))
    return model


class RemasterNet(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        check_deadzone(cfg.deadzone, cfg.residual)
        check_guides(cfg.guides)
        self.cfg = cfg
        self.encoder = EncoderTiny(cfg.ae, guide_channels=guide_channels(cfg.guides))
        self.decoder = DecoderTiny(cfg.ae, skip_connections=cfg.skip_connections)
        self.unet = UNet2DModel(cfg.unet)
        sqrt_abar, sqrt_one_minus = one_step_coefficients(TIMESTEP)
        self.sqrt_abar = sqrt_abar
        self.sqrt_one_minus_abar = sqrt_one_minus
        self.eps_identity = (1.0 - sqrt_abar) / sqrt_one_minus if cfg.identity_init else 0.0
        if cfg.identity_init:
            nn.init.zeros_(self.unet.conv_out.weight)
            nn.init.zeros_(self.unet.conv_out.bias)
        if cfg.residual:
            last = self.decoder.layers[-1]
            nn.init.zeros_(last.weight)
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        self.register_buffer("timestep", torch.tensor(float(TIMESTEP)), persistent=False)

    @property
    def upscale(self) -> int:
        return self.cfg.ae.upscale

    def predict_eps(self, z: torch.Tensor) -> torch.Tensor:
        # The UNet halves the latent len(blocks)-1 times: pad it (replicate) to a multiple of that,
        # so any frame size that is a multiple of 8 works (720p latents are 90 x 160).
        m = 2 ** (len(self.cfg.unet.block_out_channels) - 1)
        h, w = z.shape[-2:]
        ph, pw = (m - h % m) % m, (m - w % m) % m
        zp = F.pad(z, (0, pw, 0, ph), mode="replicate")  # unconditional: no shape branch in the exported graph
        eps = self.unet(zp, self.timestep)[..., :h, :w]
        return eps + self.eps_identity * z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f"height and width must be multiples of 8, got {tuple(x.shape[-2:])}")
        if x.shape[1] != self.cfg.input_channels:
            raise ValueError(
                f"input has {x.shape[1]} channels; this model takes {self.cfg.input_channels}"
                f" (RGB + guides {list(self.cfg.guides)})"
            )
        skips = None
        if self.cfg.skip_connections:
            z, skips = self.encoder(x, return_skips=True)
        else:
            z = self.encoder(x)  # (B, 4, H/8, W/8)
        eps = self.predict_eps(z)
        z_out = (z - self.sqrt_one_minus_abar * eps) / self.sqrt_abar  # one DDPM step at t=999
        y = self.decoder(z_out, skips)
        if self.cfg.residual:
            rgb = x[:, :3]
            base = rgb if self.upscale == 1 else F.interpolate(rgb, scale_factor=self.upscale, mode="bilinear")
            if self.cfg.deadzone > 0 and not self.training:
                t = self.cfg.deadzone / 255.0
                y = y - y.clamp(-t, t)  # soft threshold (see ModelConfig.deadzone)
            y = base + y
        return y.clamp(0.0, 1.0)


def count_flops(cfg: ModelConfig, height: int, width: int) -> int:
    """FLOPs (2 x multiply-adds of convs and matmuls) of one forward pass on a (1, C, H, W) input.
    Counted on the meta device: shapes only, no arithmetic, so even the seed preset at 1080p is instant."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = RemasterNet(cfg)
        x = torch.zeros(1, cfg.input_channels, height, width)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(x)
    return int(fc.get_total_flops())


def describe(model: RemasterNet, height: int = 720, width: int = 1280) -> dict:
    flops = count_flops(model.cfg, height, width)
    out_pixels = height * width * model.upscale**2
    return {
        "preset": model.cfg.preset,
        "parameters": sum(p.numel() for p in model.parameters()),
        "flops_per_frame": flops,
        "frame": f"{width}x{height}",
        "flops_per_output_pixel": flops / out_pixels,
    }
