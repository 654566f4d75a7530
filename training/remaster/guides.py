"""Guide planes: inputs beside the RGB frame that a game has and the frame does not show (issue #10:
the error the RGB-only model leaves is shadow and occlusion it has to guess from one frame).

Both come from `npm run dataset -- --guides`:
- `depth` (1 plane): the renderer's camera-space depth (dataset `depth/<id>.f32`, raw float32
  little-endian, H x W, view-space z in metres, 0 = background) ->
  log2(z / g) / DEPTH_OCTAVES, clamped to [-1, 1], where g is the geometric mean of the frame's
  geometry depths; background (z = 0) -> +1 (far). Relative to the frame's own mean, so a game in
  centimetres and one in metres give the same plane; in octaves, so a crease 1 m away and one 10 m
  away look alike (depth differences relative to distance, what occlusion depends on). The mean is
  one reduction over the frame: a mip chain or a compute pass on the GPU.
- `sun` (3 planes, each constant): the direction the sun's light travels (the row's `sun`, world
  space) in the camera's frame: right, up, forward components (Babylon's left-handed view axes), so
  the network knows which way shadows fall on screen. A uniform a game has.

Contract of the planes fed to the network: (H, W) float32 in [-1, 1] each, at the low frame's size,
appended after the RGB channels in the order of the model's `guides` (so its input is
(B, 3 + guide_channels(guides), H, W)). A horizontal flip of the frame negates the sun's right
component (`flip_values`). Training data keeps constant guides as numbers (`guide_values`) and
assembles planes per crop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .dataset import DatasetError
from .temporal import camera_axes

# Planes per guide: the one list of guides there are.
GUIDE_PLANES: dict[str, int] = {"depth": 1, "sun": 3}
GUIDES: tuple[str, ...] = tuple(GUIDE_PLANES)
DEPTH_OCTAVES = 4.0  # the plane spans 2^-4 .. 2^4 of the frame's mean depth


def check_guides(guides: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The guides as a tuple, or ValueError naming an unknown or repeated one."""
    g = tuple(guides)
    unknown = [x for x in g if x not in GUIDES]
    if unknown:
        raise ValueError(f"unknown guide(s) {unknown}; expected some of {list(GUIDES)}")
    if len(set(g)) != len(g):
        raise ValueError(f"guides repeated: {list(g)}")
    return g


def guide_channels(guides: tuple[str, ...] | list[str]) -> int:
    """How many planes these guides add to the input."""
    return sum(GUIDE_PLANES[g] for g in guides)


def depth_plane(z: np.ndarray) -> np.ndarray:
    """(H, W) view-space depth (0 = background) -> (H, W) float32 guide plane (module docstring)."""
    z = np.asarray(z, dtype=np.float32)
    geo = z > 0
    if not geo.any():
        return np.ones(z.shape, np.float32)
    logz = np.zeros(z.shape, np.float32)
    logz[geo] = np.log2(z[geo])
    rel = (logz - float(logz[geo].mean())) / DEPTH_OCTAVES
    return np.where(geo, np.clip(rel, -1.0, 1.0), 1.0).astype(np.float32)


def read_depth(root: str | Path, row: dict[str, Any], height: int, width: int) -> np.ndarray:
    """The row's raw depth map (H, W) float32, or DatasetError naming the row or file."""
    if not row.get("depth"):
        raise DatasetError(
            f"pair {row['id']!r} has no depth map: the model takes depth as an input; render the dataset"
            " with `npm run dataset -- --guides`"
        )
    path = Path(root) / row["depth"]
    if not path.is_file():
        raise DatasetError(f"{path}: depth map of pair {row['id']!r} is missing")
    raw = np.fromfile(path, dtype="<f4")
    if raw.size != height * width:
        raise DatasetError(
            f"{path}: {raw.size} depth values, but pair {row['id']!r}'s low frame is {width}x{height}"
            " (a torn write, or depth rendered at another size)"
        )
    return raw.reshape(height, width)


def sun_in_view(sun: list[float], pose: dict[str, Any]) -> np.ndarray:
    """(3,) the light's travel direction in the camera's right / up / forward axes (Babylon:
    left-handed, Y up, looking from `position` at `target`)."""
    _, right, up, fwd = camera_axes(pose)  # the temporal metrics' camera convention, one source
    d = torch.tensor(sun, dtype=torch.float64)
    d = d / d.norm()
    return np.array([float(d @ right), float(d @ up), float(d @ fwd)], np.float32)


def read_sun(row: dict[str, Any]) -> list[float]:
    sun = row.get("sun")
    if not (isinstance(sun, list) and len(sun) == 3 and any(abs(float(v)) > 0 for v in sun)):
        raise DatasetError(
            f"pair {row['id']!r} has no sun direction (the row's `sun`): the model takes it as an input;"
            " render the dataset with `npm run dataset -- --guides`"
        )
    return sun


# One guide of one pair: (H, W, k) planes that vary per pixel, or (k,) values each constant over
# the frame (kept as k numbers, not k full planes, until a batch is assembled).
GuideValue = np.ndarray


def guide_values(
    root: str | Path, row: dict[str, Any], guides: tuple[str, ...], height: int, width: int
) -> list[GuideValue]:
    """Per guide, in the order of `guides`: depth (H, W, 1) float32, sun (3,) float32."""
    values: list[GuideValue] = []
    for g in guides:
        if g == "depth":
            values.append(depth_plane(read_depth(root, row, height, width))[..., None])
        elif g == "sun":
            values.append(sun_in_view(read_sun(row), row["camera"]))
        else:  # check_guides keeps this out
            raise ValueError(f"unknown guide {g!r}")
    return values


def crop_values(values: list[GuideValue], ys: slice, xs: slice) -> list[GuideValue]:
    """The values of a crop of the frame (constants stay as they are)."""
    return [v[ys, xs] if v.ndim == 3 else v for v in values]


def flip_values(values: list[GuideValue], guides: tuple[str, ...]) -> list[GuideValue]:
    """The values of the horizontally mirrored frame: planes mirrored, the sun's right component negated."""
    out = []
    for g, v in zip(guides, values, strict=True):
        if v.ndim == 3:
            out.append(v[:, ::-1])
        elif g == "sun":
            out.append(v * np.array([-1, 1, 1], np.float32))
        else:
            out.append(v)
    return out


def assemble(values: list[GuideValue], height: int, width: int) -> np.ndarray:
    """(H, W, planes) float32: the per-pixel planes as they are, each constant as a full plane."""
    planes = [v if v.ndim == 3 else np.broadcast_to(v, (height, width, v.shape[0])) for v in values]
    return np.concatenate(planes, axis=-1).astype(np.float32) if planes else np.zeros((height, width, 0), np.float32)


def guide_planes(root: str | Path, row: dict[str, Any], guides: tuple[str, ...], height: int, width: int) -> np.ndarray:
    """(H, W, guide_channels(guides)) float32 planes of one pair, in the order of `guides`."""
    return assemble(guide_values(root, row, guides, height, width), height, width)
