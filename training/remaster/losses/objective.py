"""The training objective, as one unit: (prediction, target, step, config) -> (loss, logged parts).

Generator: mse_factor * MSE + colour_factor * L1 in CIE Lab (both with surface pixels weighted
by object_weight) + psnr_factor * mean per-image -PSNR (dB) + lpips_factor * LPIPS (from
lpips_start_step) + gan_factor * hinge GAN (from gan_start_step, through a frozen discriminator);
LPIPS and GAN weights ramp up linearly over loss_ramp_steps from their start. Discriminator: the
hinge loss on (target, detached prediction). Images (B, 3, H, W) in [0, 1]. train.py keeps the
loop: batches, accumulation, optimiser steps, logging; everything about what the loss is lives here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from ..colour import srgb_to_lab
from ..config import TrainConfig
from .gan import hinge_d_loss, hinge_g_loss
from .lpips import LPIPS, lpips_01

# Every part the loop logs (metrics.jsonl: loss_<part>); a part that is off logs 0.
LOSS_PARTS = ("mse", "colour", "psnr", "lpips", "gan_g", "gan_d")

# The per-image MSE floor of the PSNR term: 1e-5 is 50 dB, past which a frame gains nothing more.
PSNR_FLOOR_MSE = 1e-5


@dataclass
class LossNets:
    """The networks the objective needs besides the generator."""

    lpips: LPIPS | None
    # The discriminator as called (DDP-wrapped in distributed runs) and as a module to freeze.
    disc: Callable[[torch.Tensor], list[torch.Tensor]]
    disc_module: nn.Module


def lpips_active(cfg: TrainConfig, step: int, nets: LossNets) -> bool:
    return nets.lpips is not None and cfg.lpips_factor > 0 and step >= cfg.lpips_start_step


def gan_active(cfg: TrainConfig, step: int) -> bool:
    return cfg.gan_factor > 0 and step >= cfg.gan_start_step


def ramp(cfg: TrainConfig, step: int, start: int) -> float:
    """The fraction of a term's weight at `step` for a term that starts at `start`: 0 before it,
    rising linearly to 1 over cfg.loss_ramp_steps (1 from the start when that is 0)."""
    if step < start:
        return 0.0
    return min(1.0, (step - start + 1) / cfg.loss_ramp_steps) if cfg.loss_ramp_steps > 0 else 1.0


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """No gradients into `module`'s parameters (the generator's GAN term must not train the critic)."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def object_weighted_mean(err: torch.Tensor, mask: torch.Tensor | None, object_weight: float) -> torch.Tensor:
    """Mean of a per-pixel error (B, C, H, W) where a surface pixel (mask (B, 1, H, W) = 1) weighs
    1 + object_weight times a background pixel, normalised by the weights: with object_weight 0
    (or no mask) the plain mean."""
    if mask is None or object_weight == 0:
        return err.mean()
    w = 1.0 + object_weight * mask
    return (err * w).sum() / (w.sum() * err.shape[1])


def weighted_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None, object_weight: float):
    """MSE in sRGB, object pixels weighted (object_weighted_mean)."""
    return object_weighted_mean((pred.float() - target) ** 2, mask, object_weight)


def lab_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None, object_weight: float):
    """Mean |Lab(pred) - Lab(target)| (CIE L*a*b*, D65; one unit = one L* step), weighted like
    weighted_mse. It sees the small hue and lightness shifts of dark surfaces that sRGB MSE barely
    does (and that CIEDE2000, the evaluation's colour error, does)."""
    return object_weighted_mean((srgb_to_lab(pred) - srgb_to_lab(target)).abs(), mask, object_weight)


def neg_psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over images of -PSNR in dB (sRGB in [0, 1]), each image's MSE floored at PSNR_FLOOR_MSE:
    its gradient weighs an image's squared error by 1 / its MSE, as a mean of per-frame PSNR does."""
    mse = ((pred.float() - target) ** 2).mean(dim=(1, 2, 3))
    return (10 * torch.log10(mse + PSNR_FLOOR_MSE)).mean()


def generator_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    step: int,
    cfg: TrainConfig,
    nets: LossNets,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The generator's loss at `step` and its parts (unweighted, detached) for logging.
    `mask` (B, 1, H, W), 1 on surfaces: weighs the MSE by cfg.object_weight."""
    mse = weighted_mse(pred, target, mask, cfg.object_weight)
    loss = cfg.mse_factor * mse
    parts = {"mse": float(mse.detach())}
    if cfg.colour_factor > 0:
        col = lab_l1(pred, target, mask, cfg.object_weight)
        loss = loss + cfg.colour_factor * col
        parts["colour"] = float(col.detach())
    if cfg.psnr_factor > 0:
        neg = neg_psnr(pred, target)
        loss = loss + cfg.psnr_factor * neg
        parts["psnr"] = -float(neg.detach())
    if lpips_active(cfg, step, nets):
        lp = lpips_01(nets.lpips, pred, target).mean()
        loss = loss + cfg.lpips_factor * ramp(cfg, step, cfg.lpips_start_step) * lp
        parts["lpips"] = float(lp.detach())
    if gan_active(cfg, step):
        # The bare module, not the DDP wrapper: its frozen weights get no gradients to all-reduce
        # (through DDP, the reducer would wait for them and fail on the next step).
        with frozen(nets.disc_module):
            g = hinge_g_loss(nets.disc_module(pred))
        loss = loss + cfg.gan_factor * ramp(cfg, step, cfg.gan_start_step) * g
        parts["gan_g"] = float(g.detach())
    return loss, parts


def discriminator_loss(
    pred: torch.Tensor, target: torch.Tensor, nets: LossNets
) -> tuple[torch.Tensor, dict[str, float]]:
    """The critic's hinge loss on real (target) vs the generator's detached output."""
    # One forward over real and fake together (B each, no batch-statistics layers, so the same as
    # two calls): DDP reduces one forward's gradients per backward.
    both = nets.disc(torch.cat([target, pred.detach()]))  # per scale: (2B, 1, h, w)
    real, fake = [o[: target.shape[0]] for o in both], [o[target.shape[0] :] for o in both]
    d = hinge_d_loss(real, fake)
    return d, {"gan_d": float(d.detach())}
