"""LDR-FLIP (Andersson et al., "FLIP: A Difference Evaluator for Alternating Images", HPG 2020):
a perceptual error map for sRGB images in [0, 1], no learned weights. Written from the paper's
description and its published constants: colour pipeline (contrast-sensitivity filtering in
YCxCz, Hunt-adjusted L*a*b*, HyAB distance, error redistribution) combined with a feature pipeline
(edge and point detectors on luminance). Returns per-pixel errors in [0, 1]; lower is better.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

QC, QF, PC, PT = 0.7, 0.5, 0.4, 0.95
# Viewing a 0.7 m wide 4K monitor from 0.7 m: pixels per degree of visual angle.
DEFAULT_PPD = 0.7 * 3840 / 0.7 * math.pi / 180

_WHITE = torch.tensor([0.950428545, 1.0, 1.088900371]).view(1, 3, 1, 1)  # D65
_RGB2XYZ = torch.tensor(
    [
        [10135552 / 24577794, 8788810 / 24577794, 4435075 / 24577794],
        [2613072 / 12288897, 8788810 / 12288897, 887015 / 12288897],
        [1425312 / 73733382, 8788810 / 73733382, 70074185 / 73733382],
    ]
)
_XYZ2RGB = torch.linalg.inv(_RGB2XYZ.double()).float()


def _mat(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", m.to(x), x)


def srgb_to_linear(x):
    return torch.where(x > 0.04045, ((x.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4, x / 12.92)


def xyz_to_ycxcz(xyz):
    n = xyz / _WHITE.to(xyz)
    return torch.cat([116 * n[:, 1:2] - 16, 500 * (n[:, 0:1] - n[:, 1:2]), 200 * (n[:, 1:2] - n[:, 2:3])], 1)


def ycxcz_to_xyz(c):
    y = (c[:, 0:1] + 16) / 116
    return torch.cat([y + c[:, 1:2] / 500, y, y - c[:, 2:3] / 200], 1) * _WHITE.to(c)


def xyz_to_lab(xyz):
    n = xyz / _WHITE.to(xyz)
    d = 6 / 29
    f = torch.where(n > d**3, n.clamp_min(d**3) ** (1 / 3), n / (3 * d * d) + 4 / 29)
    return torch.cat([116 * f[:, 1:2] - 16, 500 * (f[:, 0:1] - f[:, 1:2]), 200 * (f[:, 1:2] - f[:, 2:3])], 1)


def hunt(lab):
    L = lab[:, 0:1]
    return torch.cat([L, 0.01 * L * lab[:, 1:2], 0.01 * L * lab[:, 2:3]], 1)


def hyab(a, b):
    d = a - b
    return d[:, 0:1].abs() + d[:, 1:3].norm(dim=1, keepdim=True)


def _csf_kernels(ppd: float) -> tuple[torch.Tensor, int]:
    """Contrast-sensitivity filters (sums of Gaussians in the frequency domain) for the achromatic,
    red-green and blue-yellow channels, sampled on a common (2r+1)^2 grid."""
    params = {"A": (1, 0.0047, 0, 1e-5), "RG": (1, 0.0053, 0, 1e-5), "BY": (34.1, 0.04, 13.5, 0.025)}
    b_max = max(max(p[1], p[3]) for p in params.values())
    r = int(math.ceil(3 * math.sqrt(b_max / (2 * math.pi**2)) * ppd))
    ax = torch.arange(-r, r + 1, dtype=torch.float64) / ppd
    z = ax[None, :] ** 2 + ax[:, None] ** 2
    ks = []
    for a1, b1, a2, b2 in params.values():
        g = a1 * math.sqrt(math.pi / b1) * torch.exp(-(math.pi**2) * z / b1) + a2 * math.sqrt(math.pi / b2) * torch.exp(
            -(math.pi**2) * z / b2
        )
        ks.append(g / g.sum())
    return torch.stack(ks)[:, None].float(), r  # (3, 1, k, k)


def _feature_kernels(ppd: float) -> tuple[torch.Tensor, torch.Tensor, int]:
    """First (edge) and second (point) derivative-of-Gaussian kernels in x, each normalised so its
    positive weights sum to 1 and its negative weights to -1."""
    sd = 0.5 * 0.082 * ppd
    r = int(math.ceil(3 * sd))
    ax = torch.arange(-r, r + 1, dtype=torch.float64)
    x, y = ax[None, :].expand(2 * r + 1, -1), ax[:, None].expand(-1, 2 * r + 1)
    g = torch.exp(-(x**2 + y**2) / (2 * sd * sd))

    def norm(k):
        pos, neg = k.clamp_min(0).sum(), -k.clamp_max(0).sum()
        return torch.where(k < 0, k / neg, k / pos).float()[None, None]

    return norm(-x * g), norm((x**2 / (sd * sd) - 1) * g), r


def _features(y: torch.Tensor, kernel: torch.Tensor, r: int) -> torch.Tensor:
    p = F.pad(y, (r, r, r, r), mode="replicate")
    return torch.cat([F.conv2d(p, kernel), F.conv2d(p, kernel.transpose(2, 3))], 1).norm(dim=1, keepdim=True)


def flip_map(test: torch.Tensor, reference: torch.Tensor, ppd: float = DEFAULT_PPD) -> torch.Tensor:
    """(B, 3, H, W) sRGB in [0, 1] -> (B, 1, H, W) LDR-FLIP error in [0, 1]."""
    test, reference = test.float().clamp(0, 1), reference.float().clamp(0, 1)
    to_ycxcz = lambda im: xyz_to_ycxcz(_mat(_RGB2XYZ, srgb_to_linear(im)))  # noqa: E731
    t, r_ = to_ycxcz(test), to_ycxcz(reference)

    csf, rad = _csf_kernels(ppd)
    csf = csf.to(t)

    def filtered_lab(im):
        f = F.conv2d(F.pad(im, (rad,) * 4, mode="replicate"), csf, groups=3)
        lin = _mat(_XYZ2RGB, ycxcz_to_xyz(f)).clamp(0, 1)
        return hunt(xyz_to_lab(_mat(_RGB2XYZ, lin)))

    de = hyab(filtered_lab(r_), filtered_lab(t)) ** QC
    green = hunt(xyz_to_lab(_mat(_RGB2XYZ, torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1))))
    blue = hunt(xyz_to_lab(_mat(_RGB2XYZ, torch.tensor([0.0, 0.0, 1.0]).view(1, 3, 1, 1))))
    cmax = float(hyab(green, blue) ** QC)
    pccmax = PC * cmax
    de_c = torch.where(de < pccmax, PT / pccmax * de, PT + (de - pccmax) / (cmax - pccmax) * (1 - PT))

    edge, point, frad = _feature_kernels(ppd)
    edge, point = edge.to(t), point.to(t)
    ry, ty = (r_[:, 0:1] + 16) / 116, (t[:, 0:1] + 16) / 116
    de_f = torch.maximum(
        (_features(ry, edge, frad) - _features(ty, edge, frad)).abs(),
        (_features(ry, point, frad) - _features(ty, point, frad)).abs(),
    )
    de_f = (de_f / math.sqrt(2)) ** QF
    return de_c ** (1 - de_f)


def flip(test: torch.Tensor, reference: torch.Tensor, ppd: float = DEFAULT_PPD) -> torch.Tensor:
    """Mean LDR-FLIP per image: (B,)."""
    return flip_map(test, reference, ppd).mean(dim=(1, 2, 3))
