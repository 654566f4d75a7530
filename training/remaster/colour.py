"""Colour difference: CIEDE2000 (Sharma, Wu & Dalal 2005) between sRGB images, per pixel.

Input (B, 3, H, W) sRGB-encoded values in [0, 1]; output (B, 1, H, W) Delta E 2000 (about 1 is
a just-noticeable difference; 2-10 perceptible at a glance; > 10 a different colour). Lab uses
the D65 white, from the same sRGB -> XYZ matrices as flip.py.
"""

from __future__ import annotations

import math

import torch

from .flip import _RGB2XYZ, _mat, srgb_to_linear, xyz_to_lab


def srgb_to_lab(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) sRGB in [0, 1] -> (B, 3, H, W) CIE L*a*b* (D65)."""
    return xyz_to_lab(_mat(_RGB2XYZ, srgb_to_linear(x.float().clamp(0, 1))))


def ciede2000(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """Delta E 2000 between two (B, 3, H, W) Lab images -> (B, 1, H, W)."""
    L1, a1, b1 = lab1[:, 0:1], lab1[:, 1:2], lab1[:, 2:3]
    L2, a2, b2 = lab2[:, 0:1], lab2[:, 1:2], lab2[:, 2:3]
    c_bar = (torch.hypot(a1, b1) + torch.hypot(a2, b2)) / 2
    g = 0.5 * (1 - torch.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = torch.hypot(a1p, b1), torch.hypot(a2p, b2)
    h1p = torch.atan2(b1, a1p) % (2 * math.pi)
    h2p = torch.atan2(b2, a2p) % (2 * math.pi)
    dL = L2 - L1
    dC = c2p - c1p
    dh = h2p - h1p
    dh = torch.where(dh > math.pi, dh - 2 * math.pi, torch.where(dh < -math.pi, dh + 2 * math.pi, dh))
    dh = torch.where(c1p * c2p == 0, torch.zeros_like(dh), dh)
    dH = 2 * torch.sqrt(c1p * c2p) * torch.sin(dh / 2)
    L_bar = (L1 + L2) / 2
    cp_bar = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = torch.where(
        c1p * c2p == 0,
        h_sum,
        torch.where(
            (h1p - h2p).abs() <= math.pi,
            h_sum / 2,
            torch.where(h_sum < 2 * math.pi, (h_sum + 2 * math.pi) / 2, (h_sum - 2 * math.pi) / 2),
        ),
    )
    t = (
        1
        - 0.17 * torch.cos(h_bar - math.radians(30))
        + 0.24 * torch.cos(2 * h_bar)
        + 0.32 * torch.cos(3 * h_bar + math.radians(6))
        - 0.20 * torch.cos(4 * h_bar - math.radians(63))
    )
    d_theta = math.radians(30) * torch.exp(-(((torch.rad2deg(h_bar) - 275) / 25) ** 2))
    r_c = 2 * torch.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / torch.sqrt(20 + (L_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -torch.sin(2 * d_theta) * r_c
    return torch.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))


def delta_e2000(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel CIEDE2000 between two sRGB images: (B, 1, H, W)."""
    return ciede2000(srgb_to_lab(a), srgb_to_lab(b))
