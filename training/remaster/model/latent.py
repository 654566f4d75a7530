"""The latent route of issue #12: an autoencoder whose latents the teacher diffuses in, a
conditional eps-prediction UNet (teacher or student), and the frame -> frame sampler that wraps
them into one network with the plugin's contract (fixed timesteps unrolled, fixed noise).

- LatentCodec: the project's TAESD-architecture encoder and decoder (model/taesd.py). encode(x)
  gives the latent (B, 4, H/8, W/8), times `latent_scale` (unit variance over the training
  frames, like Stable Diffusion's scaling factor), and the encoder's stage features. The decoder
  reconstructs the high frame from a latent plus the *low* frame's stage features (the
  encoder->decoder skips of the realtime model) and adds the low frame (residual): the latent has
  to carry only what the low frame lacks. Images: (B, 3, H, W) RGB in [0, 1], sRGB-encoded.
- What is diffused: the high frame's latent as a residual over the low frame's,
  x0 = (z_high - z_low) * residual_scale (unit variance over the training frames); the sampler
  returns z_high = z_low + x0 / residual_scale. Measured first without it (x0 = z_high, same
  codec and recipe): after 3,500 teacher steps, 50 DDIM steps from pure noise sampled at 8.3 dB
  PSNR on 8 validation frames whose low frames score 26.8 dB: at high noise the teacher predicted
  x0 ~ 0, reading the high latent from the schedule's leak at t = 999 (sqrt(abar) = 0.068) rather
  than from the condition; from the true x_999 it sampled well. Most of z_high is already in z_low
  and the small decoder is sensitive to small latent errors: the residual asks only for what low
  lacks, and a teacher that has learnt nothing gives the low frame's latent back.
- Denoiser: UNet2DModel on cat(noisy residual latent, latent of the low frame) -> eps.
- LatentSampler: low frame -> encode -> x_T (a fixed noise tile) -> the sampler's steps (DDIM
  for the teacher, the consistency function for the student) -> z_high -> decode. Deterministic:
  the same frame gives the same output, and the noise is screen-locked (no flicker from fresh noise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

from . import diffusion as D
from .remaster import PRESETS
from .taesd import DecoderTiny, EncoderTiny, TinyAEConfig
from .unet import UNet2DModel, UNetConfig

LATENT_CHANNELS = 4
NOISE_TILE = 64  # latent pixels (512 frame pixels): the fixed noise repeats with this period
NOISE_SEED = 12


# The denoisers' sizes (in_channels: the noisy latent and the low frame's latent, concatenated).
DENOISERS: dict[str, UNetConfig] = {
    # The student: the realtime preset's UNet (model/remaster.py), so a 1-step student costs what
    # the shipped model costs (plus 4 input channels in conv_in).
    "realtime": replace(PRESETS["realtime"].unet, in_channels=2 * LATENT_CHANNELS),
    # The teacher: ~10x the student's UNet, small enough to train on a 2-core CPU in latent space
    # (0.19 s per step of 16 latents of 32x32 there, bf16).
    "teacher": UNetConfig(
        block_out_channels=(32, 64, 128), layers_per_block=2, norm_num_groups=8, in_channels=2 * LATENT_CHANNELS
    ),
    "tiny": replace(PRESETS["tiny"].unet, in_channels=2 * LATENT_CHANNELS),
}
CODECS: dict[str, TinyAEConfig] = {"realtime": PRESETS["realtime"].ae, "tiny": PRESETS["tiny"].ae}


@dataclass(frozen=True)
class SamplerConfig:
    """What one exported latent-diffusion network is: its parts and its fixed sampling schedule."""

    codec: TinyAEConfig = field(default_factory=lambda: CODECS["realtime"])
    denoiser: UNetConfig = field(default_factory=lambda: DENOISERS["realtime"])
    timesteps: tuple[int, ...] = (999,)  # where the network is evaluated, top first
    consistency: bool = True  # the student's consistency function (else DDIM, the teacher)
    guidance_scale: float = 1.0  # classifier-free guidance of a teacher trained with cond dropout
    preset: str = "distilled"

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> SamplerConfig:
        def tup(x: dict) -> dict:
            return {k: tuple(v) if isinstance(v, list) else v for k, v in x.items()}

        return SamplerConfig(
            codec=TinyAEConfig(**tup(d["codec"])),
            denoiser=UNetConfig(**tup(d["denoiser"])),
            timesteps=tuple(d["timesteps"]),
            consistency=d["consistency"],
            guidance_scale=d.get("guidance_scale", 1.0),
            preset=d.get("preset", "distilled"),
        )


class LatentCodec(nn.Module):
    def __init__(self, cfg: TinyAEConfig):
        super().__init__()
        if cfg.upscale != 1:
            raise ValueError("the latent route decodes at the input's size (upscale 1)")
        self.cfg = cfg
        self.encoder = EncoderTiny(cfg)
        self.decoder = DecoderTiny(cfg, skip_connections=True)
        last = self.decoder.layers[-1]
        nn.init.zeros_(last.weight)  # residual: starts as the low frame
        nn.init.zeros_(last.bias)
        self.register_buffer("latent_scale", torch.tensor(1.0))
        self.register_buffer("residual_scale", torch.tensor(1.0))  # 1 / std(z_high - z_low), scaled latents

    def to_target(self, z_high: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """What the diffusion models produce (x0): the residual latent, unit variance."""
        return (z_high - cond) * self.residual_scale

    def from_target(self, x0: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return cond + x0 / self.residual_scale

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(scaled latent (B, 4, H/8, W/8), the encoder's stage features)."""
        z, skips = self.encoder(x, return_skips=True)
        return z * self.latent_scale, skips

    def decode(self, z: torch.Tensor, skips: list[torch.Tensor], low: torch.Tensor) -> torch.Tensor:
        """The high frame from a scaled latent and the low frame's features (unclamped)."""
        return low + self.decoder(z / self.latent_scale, skips)

    def reconstruct(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        z_high, _ = self.encode(high)
        _, skips = self.encode(low)
        return self.decode(z_high, skips, low)


class Denoiser(nn.Module):
    """eps_theta(x_t, t | latent of the low frame). cond None: unconditional (a zero latent),
    what the teacher sees with condition dropout and classifier-free guidance uses."""

    def __init__(self, cfg: UNetConfig):
        super().__init__()
        if cfg.in_channels != 2 * LATENT_CHANNELS or cfg.out_channels != LATENT_CHANNELS:
            raise ValueError(f"a denoiser takes {2 * LATENT_CHANNELS} channels in, {LATENT_CHANNELS} out")
        self.cfg = cfg
        self.unet = UNet2DModel(cfg)

    def forward(self, x_t: torch.Tensor, cond: torch.Tensor | None, t) -> torch.Tensor:
        m = 2 ** (len(self.cfg.block_out_channels) - 1)
        h, w = x_t.shape[-2:]
        ph, pw = (m - h % m) % m, (m - w % m) % m
        cond = torch.zeros_like(x_t) if cond is None else cond
        x = F.pad(torch.cat([x_t, cond], dim=1), (0, pw, 0, ph), mode="replicate")
        t = torch.as_tensor(t, device=x.device)
        t = t.float().expand(x.shape[0]) if t.dim() == 0 else t.float()
        return self.unet(x, t)[..., :h, :w]

    def guided(self, x_t: torch.Tensor, cond: torch.Tensor, t, scale: float) -> torch.Tensor:
        eps = self(x_t, cond, t)
        if scale == 1.0:
            return eps
        return self(x_t, None, t) + scale * (eps - self(x_t, None, t))


def noise_tile(channels: int = LATENT_CHANNELS, size: int = NOISE_TILE, seed: int = NOISE_SEED) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, channels, size, size, generator=g)


def tiled_noise(tile: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The fixed noise at `like`'s (B, C, h, w): the tile repeated, cropped (dynamic in ONNX)."""
    h, w = like.shape[-2], like.shape[-1]
    n = tile.shape[-1]
    reps_h, reps_w = (h + n - 1) // n, (w + n - 1) // n
    return tile.repeat(1, 1, reps_h, reps_w)[:, :, :h, :w].expand(like.shape[0], -1, -1, -1).to(like.dtype)


class LatentSampler(nn.Module):
    """Frame -> frame with a fixed schedule: the teacher at N DDIM steps or the student at n steps.
    Contract as RemasterNet: (B, 3, H, W) in [0, 1], H and W multiples of 8 -> same shape in [0, 1]."""

    def __init__(self, cfg: SamplerConfig):
        super().__init__()
        self.cfg = cfg
        self.codec = LatentCodec(cfg.codec)
        self.denoiser = Denoiser(cfg.denoiser)
        self.register_buffer("noise", noise_tile())
        self.upscale = 1

    @property
    def preset(self) -> str:
        return self.cfg.preset

    def sample_latent(self, cond: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        times = list(self.cfg.timesteps)
        for i, t in enumerate(times):
            s = times[i + 1] if i + 1 < len(times) else D.CLEAN
            eps = self.denoiser.guided(x, cond, t, self.cfg.guidance_scale)
            x = D.consistency_fn(x, eps, t, s) if self.cfg.consistency else D.ddim_step(x, eps, t, s)
        return x

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        if low.shape[-1] % 8 or low.shape[-2] % 8:
            raise ValueError(f"height and width must be multiples of 8, got {tuple(low.shape[-2:])}")
        cond, skips = self.codec.encode(low)
        x0 = self.sample_latent(cond, tiled_noise(self.noise, cond))
        return self.codec.decode(self.codec.from_target(x0, cond), skips, low).clamp(0.0, 1.0)

    def describe(self, height: int = 720, width: int = 1280) -> dict:
        from torch.utils.flop_counter import FlopCounterMode

        with torch.device("meta"):
            model = LatentSampler(self.cfg)
            x = torch.zeros(1, 3, height, width)
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            model(x)
        flops = int(fc.get_total_flops())
        return {
            "preset": self.cfg.preset,
            "parameters": sum(p.numel() for p in self.parameters()),
            "flops_per_frame": flops,
            "frame": f"{width}x{height}",
            "flops_per_output_pixel": flops / (height * width),
            "sampling_steps": len(self.cfg.timesteps),
            "timesteps": list(self.cfg.timesteps),
        }
