"""Paired frames from a dataset folder (written by `npm run dataset` or `remaster.import_pairs`).

Reads the split's rows of manifest.jsonl (remaster.dataset, the one reader) and decodes the PNGs
of the source and target render variants (`low` -> `high` by default) once into uint8 memory.
Batches are drawn by a generator seeded from (seed, step, rank), so a resumed run draws exactly
the batches an uninterrupted one would.
Tensors out: (B, 3, H, W) float32 RGB in [0, 1] (sRGB-encoded values, as on disk).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .dataset import contract, split_rows

SOURCE = contract()["pairVariants"]["source"]
TARGET = contract()["pairVariants"]["target"]


def load_png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)  # (H, W, 3)


def to_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, copy=True)).permute(2, 0, 1).float().div_(255.0)


class PairedFrames:
    def __init__(
        self, root: str | Path, split: str, source: str = SOURCE, target: str = TARGET, limit: int | None = None
    ):
        self.root = Path(root)
        rows = split_rows(self.root, split, need=(source, target))
        rows = rows[:limit] if limit else rows
        self.names = [r["id"] for r in rows]
        self.low = [load_png(self.root / r["files"][source]) for r in rows]  # (H, W, 3) uint8
        self.high = [load_png(self.root / r["files"][target]) for r in rows]
        for n, lo, hi in zip(self.names, self.low, self.high, strict=True):
            if (
                hi.shape[0] % lo.shape[0]
                or hi.shape[1] % lo.shape[1]
                or hi.shape[0] // lo.shape[0] != hi.shape[1] // lo.shape[1]
            ):
                raise ValueError(f"pair {n}: high {hi.shape[:2]} is not an integer multiple of low {lo.shape[:2]}")

    def __len__(self) -> int:
        return len(self.low)

    @property
    def scale(self) -> int:
        """How many times larger the high frame is than the low one (1, or 2 with --low-scale 0.5)."""
        return self.high[0].shape[0] // self.low[0].shape[0]

    def pair(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return to_tensor(self.low[i]), to_tensor(self.high[i])

    def batch(self, batch_size: int, crop: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random pairs, the same random crop (`crop` in high-frame pixels) on both, random h-flip."""
        s = self.scale
        lows, highs = [], []
        for _ in range(batch_size):
            i = int(torch.randint(len(self), (1,), generator=generator))
            lo, hi = self.low[i], self.high[i]
            ch = min(crop, hi.shape[0]) // (8 * s) * (8 * s)
            cw = min(crop, hi.shape[1]) // (8 * s) * (8 * s)
            y = int(torch.randint(hi.shape[0] // s - ch // s + 1, (1,), generator=generator)) * s
            x = int(torch.randint(hi.shape[1] // s - cw // s + 1, (1,), generator=generator)) * s
            lo_crop = lo[y // s : (y + ch) // s, x // s : (x + cw) // s]  # (ch/s, cw/s, 3)
            hi_crop = hi[y : y + ch, x : x + cw]  # (ch, cw, 3)
            if bool(torch.randint(2, (1,), generator=generator)):
                lo_crop, hi_crop = lo_crop[:, ::-1], hi_crop[:, ::-1]
            lows.append(to_tensor(lo_crop))
            highs.append(to_tensor(hi_crop))
        return torch.stack(lows), torch.stack(highs)


def batch_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + step * 7919 + rank * 104_729) % (2**63))
    return g
