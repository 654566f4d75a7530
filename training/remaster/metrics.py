"""Image-quality metrics on (B, 3, H, W) tensors in [0, 1]. A metric whose weights are missing is
reported as unavailable with the reason, never skipped silently or faked.

With a geometry mask ((B, 1, H, W), true on surfaces, false on the background), every available
metric is also reported on object pixels alone as `<name>_obj`, from its per-pixel map: the whole
frame can improve because the background was repainted while the objects got worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .colour import delta_e2000
from .flip import flip_map
from .losses.lpips import lpips_01


def _gaussian(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, per channel, valid region:
    (B, 3, H, W) -> (B, 1, H - 10, W - 10), the channel mean."""
    c = a.shape[1]
    g = _gaussian().to(a)
    w = (g[:, None] * g[None, :]).expand(c, 1, 11, 11)
    blur = lambda x: F.conv2d(x, w, groups=c)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    saa = blur(a * a) - mu_a**2
    sbb = blur(b * b) - mu_b**2
    sab = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return s.mean(dim=1, keepdim=True)


def masked_mean(m: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of a (B, 1, h, w) map over the pixels where `mask` (B, 1, H, W) is true, per image;
    a map smaller than the mask (SSIM's valid region) takes the mask's centre. NaN where empty."""
    dy, dx = (mask.shape[-2] - m.shape[-2]) // 2, (mask.shape[-1] - m.shape[-1]) // 2
    k = mask[..., dy : dy + m.shape[-2], dx : dx + m.shape[-1]].to(m.dtype)
    n = k.sum(dim=(1, 2, 3))
    return torch.where(n > 0, (m * k).sum(dim=(1, 2, 3)) / n.clamp_min(1), torch.full_like(n, float("nan")))


@dataclass(frozen=True)
class Metric:
    lower_is_better: bool
    # Why it cannot be computed here, when its weights cannot be had offline; None: available.
    unavailable: str | None = None


# The one list of metric names (config validation, evaluate's defaults and table arrows read it).
METRICS: dict[str, Metric] = {
    "psnr": Metric(lower_is_better=False),
    "ssim": Metric(lower_is_better=False),
    "mse": Metric(lower_is_better=True),
    "lpips": Metric(lower_is_better=True),
    "flip": Metric(lower_is_better=True),
    "de2000": Metric(lower_is_better=True),  # CIEDE2000 colour difference (colour.py)
    "dists": Metric(True, "DISTS needs VGG16 + DISTS alpha/beta weights, which are not available offline here"),
    "fid": Metric(True, "FID needs Inception-v3 (pt_inception) weights, which are not available offline here"),
}

# (pred, target) -> (B, 1, h, w) per-pixel maps of the metrics that need no model of their own.
_MAPS = {"ssim": ssim_map, "flip": flip_map, "de2000": delta_e2000}


def lower_is_better(name: str) -> bool:
    """For a metric name or its object-pixel twin (`lpips_obj`)."""
    return METRICS[name.removesuffix(OBJ)].lower_is_better


OBJ = "_obj"


class MetricSuite:
    """Computes the requested metrics; `unavailable` maps a metric to why it cannot be computed."""

    def __init__(self, names: list[str], lpips_model=None, lpips_error: str | None = None):
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
        self.names = names
        self.lpips = lpips_model
        self.unavailable: dict[str, str] = {n: METRICS[n].unavailable for n in names if METRICS[n].unavailable}
        if "lpips" in names and lpips_model is None:
            self.unavailable["lpips"] = lpips_error or "LPIPS weights not loaded"

    @torch.no_grad()
    def per_image(
        self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> dict[str, list[float]]:
        """Whole-frame values, and `<name>_obj` on the mask's pixels when a mask is given. Each
        per-pixel map is computed once and serves both."""
        sq_err = None
        out: dict[str, torch.Tensor] = {}
        for n in self.names:
            if n in self.unavailable:
                continue
            if n in ("mse", "psnr"):
                sq_err = ((pred - target) ** 2).mean(dim=1, keepdim=True) if sq_err is None else sq_err
                m = sq_err
            elif n == "lpips":
                out[n] = lpips_01(self.lpips, pred, target)
                m = lpips_01(self.lpips, pred, target, spatial=True) if mask is not None else None
            else:
                m = _MAPS[n](pred, target)
            if n != "lpips":
                out[n] = m.mean(dim=(1, 2, 3))
            if mask is not None:
                out[n + OBJ] = masked_mean(m, mask)
        for key in ("psnr", "psnr" + OBJ):
            if key in out:  # from the squared-error mean to dB
                out[key] = 10 * torch.log10(1.0 / out[key].clamp_min(1e-10))
        return {k: [float(x) for x in v] for k, v in out.items()}


def summarise(per_image: dict[str, list[float]], unavailable: dict[str, str]) -> dict:
    res: dict = {k: sum(v) / len(v) for k, v in per_image.items() if v}
    for k, why in unavailable.items():
        res[k] = {"unavailable": why}
    return res
