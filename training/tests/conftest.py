"""Shared fixtures: a small synthetic paired dataset as `npm run dataset` writes it (manifest.jsonl), and
self-made LPIPS weights (random, in the torchvision / LPIPS checkpoint layouts)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

SHARED_LPIPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "weights" / "lpips-alex"


def _pattern(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.zeros((size, size, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(1, 4, 3)
        img[..., c] = 0.5 + 0.4 * np.sin(2 * np.pi * (fx * x + fy * y) + ph)
    return img


def make_dataset(root: Path, size: int = 32, counts=(6, 2, 2), extras: bool = True) -> Path:
    """high = a smooth colour pattern; low = a darker, blockier version (a learnable mapping).
    Test pairs alternate between two scenes (layouts) and carry a geometry mask (left half)."""
    rng = np.random.default_rng(0)
    manifest = []
    for split, n in zip(("train", "val", "test"), counts, strict=True):
        for i in range(n):
            pid = f"{split}-{i:02d}"
            high = _pattern(rng, size)
            low = 0.7 * high.reshape(size // 4, 4, size // 4, 4, 3).mean(axis=(1, 3)).repeat(4, 0).repeat(4, 1)
            files = {"low": f"low/{pid}.png", "high": f"high/{pid}.png"}
            imgs = {"low": low, "high": high}
            if extras:
                files["low_fxaa_sharpen"] = f"low_fxaa_sharpen/{pid}.png"
                imgs["low_fxaa_sharpen"] = np.clip(low * 1.05, 0, 1)
            for k, a in imgs.items():
                (root / k).mkdir(parents=True, exist_ok=True)
                Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)).save(root / files[k])
            extra = {}
            if split == "test":
                (root / "mask").mkdir(exist_ok=True)
                m = np.zeros((size, size, 3), np.uint8)
                m[:, : size // 2] = 255
                Image.fromarray(m).save(root / f"mask/{pid}.png")
                extra["mask"] = f"mask/{pid}.png"
            manifest.append(
                {
                    **extra,
                    "id": pid,
                    "split": split,
                    "layout": f"scene-{'ab'[i % 2]}" if split == "test" else "synthetic",
                    "files": files,
                    "size": {"width": size, "height": size},
                    "renderMs": {"low": 1.0, "high": 9.0, "low_fxaa_sharpen": 1.5},
                }
            )
    manifest += _clip(root, rng, size) if counts[2] else []
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    (root / "dataset.json").write_text(json.dumps({"format": 2, "scene": "synthetic", "seed": 0}))
    return root


def _clip(root: Path, rng: np.random.Generator, size: int, frames: int = 3) -> list[dict]:
    """A still-camera clip of a plane 10 m away (depth maps and poses as `--clips` writes them)."""
    high = _pattern(rng, size)
    low = 0.7 * high
    pose = {"position": [0.0, 1.0, -10.0], "target": [0.0, 1.0, 0.0], "fov": 0.8}
    rows = []
    (root / "depth").mkdir(exist_ok=True)
    for i in range(frames):
        pid = f"clip00-f{i:02d}"
        files = {"low": f"low/{pid}.png", "high": f"high/{pid}.png"}
        for k, a in (("low", low), ("high", high)):
            Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)).save(root / files[k])
        np.full((size, size), 10.0, "<f4").tofile(root / f"depth/{pid}.f32")
        rows.append(
            {
                "id": pid,
                "split": "test",
                "layout": "scene-a",
                "files": files,
                "camera": pose,
                "clip": {"name": "clip00", "index": i},
                "depth": f"depth/{pid}.f32",
                "depthRange": [0.1, 250],
            }
        )
    return rows


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="session")
def lpips_weights(tmp_path_factory) -> tuple[Path, Path]:
    """Random LPIPS AlexNet weights saved like the real files: a torchvision model state dict
    (features.N.*) and the LPIPS heads (linK.model.1.weight)."""
    from remaster.losses.lpips import LPIPS

    torch.manual_seed(1)
    m = LPIPS("alex")
    for p in m.parameters():
        torch.nn.init.normal_(p, std=0.05)
    d = tmp_path_factory.mktemp("lpips")
    backbone = {f"features.{k}": v for k, v in m.features.state_dict().items()}
    backbone["classifier.1.weight"] = torch.zeros(1)  # torchvision checkpoints carry the classifier too
    heads = {k: v.abs() for k, v in m.state_dict().items() if k.startswith("lin")}
    torch.save(backbone, d / "alexnet.pth")
    torch.save(heads, d / "alex.pth")
    return d / "alexnet.pth", d / "alex.pth"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
