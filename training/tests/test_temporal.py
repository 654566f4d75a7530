import math

import torch

from remaster.temporal import clip_metrics, reproject, valid_warp, warp

W, H = 64, 48
POSE = {"position": [0.0, 1.0, -10.0], "target": [0.0, 1.0, 0.0], "fov": 0.8}


def test_a_still_camera_maps_every_pixel_to_itself():
    depth = torch.full((H, W), 10.0)
    grid, z_prev = reproject(depth, POSE, POSE)
    img = torch.rand(1, 3, H, W)
    assert torch.allclose(warp(img, grid), img, atol=1e-5)
    assert valid_warp(depth, depth, grid, z_prev).all()


def test_a_sideways_camera_step_shifts_a_plane_by_the_pinhole_amount():
    # A fronto-parallel plane at 10 m; the camera moves 0.5 m to the right between t-1 and t.
    depth = torch.full((H, W), 10.0)
    prev = POSE
    cur = {**POSE, "position": [0.5, 1.0, -10.0], "target": [0.5, 1.0, 0.0]}
    grid, z_prev = reproject(depth, cur, prev)
    focal_px = W / (2 * math.tan(0.4) * (W / H))  # pixels per unit of x/z
    shift = focal_px * 0.5 / 10  # frame t's pixel was this many pixels further right in t-1
    dx = (grid[0, ..., 0] + 1) / 2 * W - (torch.arange(W) + 0.5)
    assert torch.allclose(dx, torch.full_like(dx, shift), atol=1e-3)
    assert torch.allclose(z_prev, torch.full_like(z_prev, 10.0), atol=1e-4)
    ok = valid_warp(depth, depth, grid, z_prev)
    assert not ok[:, -1].any() and ok[:, 0].all()  # the right edge was outside frame t-1


def test_occluded_and_background_pixels_are_not_scored():
    depth = torch.full((H, W), 10.0)
    depth[:, :8] = 0  # background
    nearer = depth.clone()
    nearer[20:30, 20:30] = 3.0  # something in front in t-1
    grid, z_prev = reproject(depth, POSE, POSE)
    ok = valid_warp(depth, nearer, grid, z_prev)
    assert not ok[:, :8].any() and not ok[20:30, 20:30].any() and ok[0, 40]


def test_clip_metrics_flicker_costs_tlp_and_warping_error():
    torch.manual_seed(0)
    base = torch.rand(1, 3, H, W)
    frames = []
    for t in range(3):
        noise = torch.rand(1, 3, H, W) * 0.3 if t % 2 else torch.zeros(1, 3, H, W)
        frames.append(
            {
                "high": base,
                "outs": {"steady": base.clone(), "flicker": (base + noise).clamp(0, 1)},
                "depth": torch.full((H, W), 10.0),
                "pose": POSE,
            }
        )
    l1 = lambda a, b: (a - b).abs().mean(dim=(1, 2, 3))  # noqa: E731  a stand-in perceptual distance
    m = clip_metrics(frames, l1)
    assert len(m["steady"]["tlp"]) == 2 and max(m["steady"]["tlp"]) < 1e-6 and max(m["steady"]["warp_error"]) < 1e-6
    assert min(m["flicker"]["tlp"]) > 1 and min(m["flicker"]["warp_error"]) > 1
    assert m["high"]["tlp"] == [0.0, 0.0]
