"""The one DDPM step of pix2pix-Turbo, with Stable Diffusion's scaled-linear schedule
(beta 0.00085..0.012 over 1000 steps): at t = 999 the model's noise prediction eps turns the
latent z into the clean-latent estimate  z_out = (z - sqrt(1 - abar_t) * eps) / sqrt(abar_t)."""

from __future__ import annotations

import torch

NUM_TRAIN_TIMESTEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012
TIMESTEP = 999


def alphas_cumprod(
    num_steps: int = NUM_TRAIN_TIMESTEPS, beta_start: float = BETA_START, beta_end: float = BETA_END
) -> torch.Tensor:
    betas = torch.linspace(beta_start**0.5, beta_end**0.5, num_steps, dtype=torch.float64, device="cpu") ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def one_step_coefficients(t: int = TIMESTEP) -> tuple[float, float]:
    """(sqrt(abar_t), sqrt(1 - abar_t)) as Python floats (constants in the exported graph)."""
    abar = float(alphas_cumprod()[t])
    return abar**0.5, (1.0 - abar) ** 0.5


def ddpm_one_step(z: torch.Tensor, eps: torch.Tensor, t: int = TIMESTEP) -> torch.Tensor:
    sqrt_abar, sqrt_one_minus = one_step_coefficients(t)
    return (z - sqrt_one_minus * eps) / sqrt_abar
