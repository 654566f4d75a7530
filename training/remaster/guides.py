"""Guide planes: inputs beside the RGB frame that a game has and the frame does not show (issue #10:
the error the RGB-only model leaves is shadow and occlusion it has to guess from one frame).

One guide so far, `depth`: the renderer's camera-space depth (dataset `depth/<id>.f32`, raw float32
little-endian, H x W, view-space z in metres, 0 = background; `npm run dataset -- --depth`).

Contract of a guide plane fed to the network: (H, W) float32 in [-1, 1], at the low frame's size,
appended after the RGB channels (so the model's input is (B, 3 + len(guides), H, W)).
depth -> log2(z / g) / DEPTH_OCTAVES, clamped to [-1, 1], where g is the geometric mean of the frame's
geometry depths; background (z = 0) -> +1 (far). Relative to the frame's own mean, so a game in
centimetres and one in metres give the same plane; in octaves, so a crease 1 m away and one 10 m
away look alike (depth differences relative to distance, what occlusion depends on). The mean is
one reduction over the frame: a mip chain or a compute pass on the GPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .dataset import DatasetError

GUIDES: tuple[str, ...] = ("depth",)
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
            " with `npm run dataset -- --depth`"
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


def guide_planes(root: str | Path, row: dict[str, Any], guides: tuple[str, ...], height: int, width: int) -> np.ndarray:
    """(H, W, len(guides)) float32 planes of one pair, in the order of `guides` (empty: (H, W, 0))."""
    planes = []
    for g in guides:
        if g == "depth":
            planes.append(depth_plane(read_depth(root, row, height, width)))
        else:  # check_guides keeps this out
            raise ValueError(f"unknown guide {g!r}")
    return np.stack(planes, axis=-1) if planes else np.zeros((height, width, 0), np.float32)
