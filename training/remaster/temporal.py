"""Temporal metrics on clips of consecutive frames (rendered with `npm run dataset -- --clips N`).

- tLP (TecoGAN): |LPIPS(high[t-1], high[t]) - LPIPS(out[t-1], out[t])|, x100 in tables: how far
  the method's frame-to-frame perceptual change is from the reference's (flicker, or frozen detail).
- Warping error: out[t-1] warped into frame t with motion from depth reprojection (camera-space
  depth of frame t, the poses of t and t-1), mean squared difference to out[t] over the pixels
  that are geometry in both frames and not occluded (depth test), x1000 in tables. Reprojection
  only knows the camera's motion: moving objects mostly fail the depth test and drop out.

Camera conventions (Babylon): left-handed, Y up, LookAtLH(position, target, up = +Y), vertical fov,
aspect = width / height; depth maps hold view-space z in metres (0 = background), top row first.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def camera_axes(pose: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Eye position and the view's x (right), y (up), z (forward) axes in world space, float64."""
    eye = torch.tensor(pose["position"], dtype=torch.float64)
    z = torch.tensor(pose["target"], dtype=torch.float64) - eye
    z = z / z.norm()
    up = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    x = torch.linalg.cross(up, z)
    x = x / x.norm()
    y = torch.linalg.cross(z, x)
    return eye, x, y, z


def reproject(depth_t: torch.Tensor, pose_t: dict, pose_prev: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each pixel of frame t was in frame t-1, from t's depth (H, W) and both poses.

    Returns grid (1, H, W, 2) for grid_sample (align_corners=False) and z_prev (H, W): the point's
    view depth in the previous camera (for the occlusion test).
    """
    h, w = depth_t.shape
    d = depth_t.double()
    v, u = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    eye, x, y, z = camera_axes(pose_t)
    ty = math.tan(pose_t["fov"] / 2)
    nx, ny = (u + 0.5) / w * 2 - 1, 1 - (v + 0.5) / h * 2
    world = eye + (nx * d * ty * (w / h))[..., None] * x + (ny * d * ty)[..., None] * y + d[..., None] * z  # (H, W, 3)
    eye_p, xp, yp, zp = camera_axes(pose_prev)
    rel = world - eye_p
    xv, yv, zv = rel @ xp, rel @ yp, rel @ zp
    typ = math.tan(pose_prev["fov"] / 2)
    safe = zv.clamp_min(1e-6)
    gx = xv / (safe * typ * (w / h))
    gy = -(yv / (safe * typ))
    return torch.stack([gx, gy], dim=-1)[None].float(), zv.float()


def valid_warp(depth_t: torch.Tensor, depth_prev: torch.Tensor, grid: torch.Tensor, z_prev: torch.Tensor, tol=0.03):
    """(H, W) bool: geometry in t, lands inside t-1 on geometry, and is not hidden there (depth test)."""
    inside = (grid[0].abs() <= 1).all(dim=-1) & (z_prev > 0) & (depth_t > 0)
    seen = F.grid_sample(depth_prev[None, None], grid, mode="nearest", align_corners=False)[0, 0]
    return inside & (seen > 0) & ((seen - z_prev).abs() <= tol * z_prev)


def warp(img_prev: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """(1, 3, H, W) frame t-1 resampled at t's pixels."""
    return F.grid_sample(img_prev, grid, mode="bilinear", padding_mode="border", align_corners=False)


def load_depth(path: Path, height: int, width: int) -> torch.Tensor:
    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(height, width).copy())


def clip_metrics(frames: list[dict], lpips_01) -> dict[str, dict[str, list[float]]]:
    """Per method, per consecutive pair of a clip: tLP x100 and warping error x1000.

    `frames`: the clip in order, each {"outs": {method: (1,3,H,W)}, "high": (1,3,H,W), "depth": (H,W),
    "pose": camera pose}. `lpips_01(a, b)` -> (B,); None skips tLP.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for prev, cur in zip(frames, frames[1:], strict=False):
        grid, z_prev = reproject(cur["depth"], cur["pose"], prev["pose"])
        ok = valid_warp(cur["depth"], prev["depth"], grid, z_prev)[None, None]  # (1, 1, H, W)
        n = float(ok.sum())
        ref = float(lpips_01(prev["high"], cur["high"])) if lpips_01 else None
        for m in ["high", *cur["outs"]]:
            a, b = (prev["high"], cur["high"]) if m == "high" else (prev["outs"][m], cur["outs"][m])
            r = out.setdefault(m, {"tlp": [], "warp_error": []})
            if n > 0:
                r["warp_error"].append(
                    float((((warp(a, grid) - b) ** 2).mean(dim=1, keepdim=True) * ok).sum() / n) * 1000
                )
            if ref is not None:
                r["tlp"].append(abs(ref - float(lpips_01(a, b))) * 100)
    return out
