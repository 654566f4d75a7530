"""Diffusion arithmetic of the teacher and the consistency student (issue #12), on Stable
Diffusion's scaled-linear 1000-step schedule (model/scheduler.py):

- alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t); "step 0" of a sampler is the clean latent
  (alpha = 1, sigma = 0), written t = -1 here (t >= 0 are the schedule's 1000 noisy steps).
- DDIM (eta = 0) from t to s for an eps-prediction model:
  x0 = (x_t - sigma_t * eps) / alpha_t;  x_s = alpha_s * x0 + sigma_s * eps.
- Trailing timestep spacing for an N-step sampler: round(arange(T, 0, -T/N)) - 1 (starts at 999).
- Multi-boundary consistency: [0, T) split into K segments at `boundaries(K)`; the student's
  consistency function maps x_t to the start s of t's segment (the largest boundary below t),
  f(x_t, t, s) = c_skip(t - s) x_t + c_out(t - s) DDIM_{t->s}(x_t, eps_theta(x_t, t)),
  with LCM's scalings (sigma_data 0.5, timestep scaling 10): c_skip(0) = 1, c_out(0) = 0, so
  f(x_s, s, s) = x_s exactly (the boundary condition). K = 1 is a plain consistency model.

Tensors: latents (B, C, h, w) float; t, s are Python ints or (B,) integer tensors.
"""

from __future__ import annotations

import torch

from .scheduler import NUM_TRAIN_TIMESTEPS, alphas_cumprod

CLEAN = -1  # the sampler's final "timestep": the clean latent (alpha 1, sigma 0)
SIGMA_DATA = 0.5
TIMESTEP_SCALING = 10.0
_ABAR = alphas_cumprod().float()


def alpha_sigma(t, like: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha_t, sigma_t) broadcastable against a (B, C, h, w) latent; t = CLEAN gives (1, 0)."""
    t = torch.as_tensor(t, dtype=torch.long)
    abar = torch.where(t >= 0, _ABAR[t.clamp(min=0)], torch.ones(()))
    a, s = abar.sqrt(), (1.0 - abar).clamp(min=0).sqrt()
    if like is not None:
        a = a.to(like.device, like.dtype).reshape(-1, *([1] * (like.dim() - 1))) if a.dim() else a.to(like)
        s = s.to(like.device, like.dtype).reshape(-1, *([1] * (like.dim() - 1))) if s.dim() else s.to(like)
    return a, s


def add_noise(x0: torch.Tensor, eps: torch.Tensor, t) -> torch.Tensor:
    a, s = alpha_sigma(t, x0)
    return a * x0 + s * eps


def predict_x0(x_t: torch.Tensor, eps: torch.Tensor, t) -> torch.Tensor:
    a, s = alpha_sigma(t, x_t)
    return (x_t - s * eps) / a


def ddim_step(x_t: torch.Tensor, eps: torch.Tensor, t, s) -> torch.Tensor:
    """One deterministic DDIM step from t to s (s = CLEAN: the x0 estimate)."""
    a_s, s_s = alpha_sigma(s, x_t)
    return a_s * predict_x0(x_t, eps, t) + s_s * eps


def trailing_timesteps(n: int, num_train: int = NUM_TRAIN_TIMESTEPS) -> list[int]:
    """The N timesteps of an N-step sampler, trailing spacing (diffusers' "trailing"): 999 first."""
    if not 1 <= n <= num_train:
        raise ValueError(f"sampling steps must be in 1..{num_train}, got {n}")
    return [int(round(num_train - i * num_train / n)) - 1 for i in range(n)]


def boundaries(k: int, num_train: int = NUM_TRAIN_TIMESTEPS) -> list[int]:
    """Multi-boundary timesteps: the K segment starts [0, T/K, 2T/K, ...] (K = 1: [0])."""
    if not 1 <= k <= num_train:
        raise ValueError(f"num_boundaries must be in 1..{num_train}, got {k}")
    return [int(round(i * num_train / k)) for i in range(k)]


def segment_start(t: torch.Tensor, bounds: list[int]) -> torch.Tensor:
    """The boundary each timestep maps to: the largest boundary b <= t, except that a timestep on a
    boundary b > 0 belongs to the segment below it (the student maps it on; at t = 0 it is 0)."""
    t = torch.as_tensor(t, dtype=torch.long)
    b = torch.tensor(bounds, dtype=torch.long, device=t.device)
    below = (b[None, :] < t.reshape(-1, 1)) | (b[None, :] == 0)
    return (b[None, :] * below).max(dim=1).values.reshape(t.shape)


def consistency_scalings(delta, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """LCM's (c_skip, c_out) at delta = t - s timesteps from the boundary: (1, 0) at delta 0."""
    d = torch.as_tensor(delta, dtype=torch.float32).to(like.device) * TIMESTEP_SCALING
    c_skip = SIGMA_DATA**2 / (d**2 + SIGMA_DATA**2)
    c_out = d / (d**2 + SIGMA_DATA**2).sqrt()
    shape = (-1, *([1] * (like.dim() - 1))) if d.dim() else ()
    return c_skip.to(like.dtype).reshape(shape), c_out.to(like.dtype).reshape(shape)


def consistency_fn(x_t: torch.Tensor, eps: torch.Tensor, t, s) -> torch.Tensor:
    """f(x_t, t) onto boundary s from the network's eps at t (see the module doc)."""
    delta = torch.as_tensor(t) - torch.as_tensor(s).clamp(min=0)
    c_skip, c_out = consistency_scalings(delta, x_t)
    return c_skip * x_t + c_out * ddim_step(x_t, eps, t, s)


def student_timesteps(steps: int, num_boundaries: int, num_train: int = NUM_TRAIN_TIMESTEPS) -> list[int]:
    """Where an n-step student sample evaluates the network: 999, then the segment boundaries
    spread evenly (n = K: every boundary, from the top; n < K: every K/n-th)."""
    bounds = boundaries(num_boundaries, num_train)[1:][::-1]  # the upper boundaries, top first
    if steps < 1:
        raise ValueError(f"student steps must be >= 1, got {steps}")
    if steps == 1:
        return [num_train - 1]
    if steps > num_boundaries:
        raise ValueError(f"a student with {num_boundaries} segments samples in at most {num_boundaries} steps")
    stride = len(bounds) + 1
    picks = [bounds[int(round(i * stride / steps)) - 1] for i in range(1, steps)]
    return [num_train - 1, *picks]
