"""Paired frames from a dataset folder (written by `npm run dataset` or `remaster.import_pairs`).

Reads the split's rows of manifest.jsonl (remaster.dataset, the one reader) and decodes the PNGs
of the source and target render variants (`low` -> `high` by default) once into uint8 memory.
Batches are drawn by a generator seeded from (seed, step), so a resumed run draws exactly
the batches an uninterrupted one would.
Tensors out: (B, 3, H, W) float32 RGB in [0, 1] (sRGB-encoded values, as on disk); the source
frames carry the guide planes after RGB when `guides` asks for them ((B, 3 + planes, H, W), remaster.guides).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .dataset import DatasetError, contract, load_png, read_frame, resplit_by_path, round_robin, split_rows, take_evenly
from .guides import assemble, check_guides, crop_values, flip_values, guide_values

SOURCE = contract()["pairVariants"]["source"]
TARGET = contract()["pairVariants"]["target"]
# RGB channel orders for the colour_permute augmentation (TrainConfig); the first is the identity.
CHANNEL_ORDERS: tuple[tuple[int, int, int], ...] = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


__all__ = ["PairedFrames", "batch_generator", "load_png", "to_tensor", "SOURCE", "TARGET"]


def to_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, copy=True)).permute(2, 0, 1).float().div_(255.0)


class PairedFrames:
    """The pairs of one split of one or several datasets (e.g. randomised worlds + the courtyard)."""

    def __init__(
        self,
        roots: str | Path | list[str] | list[Path],
        split: str,
        source: str = SOURCE,
        target: str = TARGET,
        limit: int | None = None,
        path_val_fraction: float = 0.0,
        max_pairs: int = 0,
        seed: int = 0,
        masks: bool = False,
        guides: tuple[str, ...] = (),
    ):
        """`path_val_fraction` > 0: train/val are the dataset's train+val rows split again by camera
        path (dataset.resplit_by_path); `max_pairs` > 0: only that many rows per dataset, taken
        evenly over its camera paths (dataset.take_evenly); `masks`: also decode the geometry masks
        (for object-weighted losses; batches carry all-ones masks otherwise); `guides`: planes appended
        to each source frame (remaster.guides: "depth", "sun"), decoded once like the frames."""
        self.roots = [Path(r) for r in ([roots] if isinstance(roots, (str, Path)) else roots)]
        self.root = self.roots[0]
        need = (source, target)

        def rows_of(root: Path) -> list[dict]:
            if path_val_fraction > 0 and split in ("train", "val"):
                rows = resplit_by_path(root, path_val_fraction, seed, need)[split]
            else:
                rows = split_rows(root, split, need=need)
            return take_evenly(rows, max_pairs)

        found = [(root, r) for root in self.roots for r in rows_of(root)]
        # A limit takes frames from every dataset in turn, so validation sees each of them.
        found = round_robin(found, lambda item: item[0])[:limit] if limit else found
        self.names = [f"{root.name}/{r['id']}" if len(self.roots) > 1 else r["id"] for root, r in found]
        self.low = [read_frame(root, r, source) for root, r in found]  # (H, W, 3) uint8
        self.high = [read_frame(root, r, target) for root, r in found]
        self._found = found
        self.use_guides(guides)
        # Geometry masks (surfaces white), for object-weighted losses; None where not loaded or absent.
        self.masks = [
            (load_png(root / r["mask"])[..., 0] > 127) if masks and r.get("mask") else None for root, r in found
        ]
        for n, lo, hi in zip(self.names, self.low, self.high, strict=True):
            if (
                hi.shape[0] % lo.shape[0]
                or hi.shape[1] % lo.shape[1]
                or hi.shape[0] // lo.shape[0] != hi.shape[1] // lo.shape[1]
            ):
                raise DatasetError(f"pair {n}: high {hi.shape[:2]} is not an integer multiple of low {lo.shape[:2]}")
            if hi.shape[0] // lo.shape[0] != self.high[0].shape[0] // self.low[0].shape[0]:
                raise DatasetError(
                    f"pair {n}: high/low scale differs from pair {self.names[0]}'s (datasets of one scale only)"
                )

    def __len__(self) -> int:
        return len(self.low)

    @property
    def scale(self) -> int:
        """How many times larger the high frame is than the low one (1, or 2 with --low-scale 0.5)."""
        return self.high[0].shape[0] // self.low[0].shape[0]

    def use_guides(self, guides: tuple[str, ...]) -> None:
        """Reads these guides for every pair (DatasetError names a pair without them); the frames
        stay decoded, so a run whose base decides its inputs does not decode them again."""
        self.guide_names = check_guides(guides)
        # Per pair, each guide's planes at the low frame's size or its constants (guides.guide_values).
        self.guides = [
            guide_values(root, r, self.guide_names, *lo.shape[:2])
            for (root, r), lo in zip(self._found, self.low, strict=True)
        ]

    def source(self, lo: np.ndarray, guides: list[np.ndarray]) -> torch.Tensor:
        """(3 [+ planes], h, w): the RGB frame, then its guide planes (already in [-1, 1])."""
        rgb = to_tensor(lo)
        if not guides:
            return rgb
        planes = assemble(guides, *lo.shape[:2])  # (h, w, planes)
        return torch.cat([rgb, torch.from_numpy(planes).permute(2, 0, 1)])

    def pair(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(source (3 [+ planes], H, W), target (3, H', W'))."""
        return self.source(self.low[i], self.guides[i]), to_tensor(self.high[i])

    def batch(
        self,
        batch_size: int,
        crop: int,
        generator: torch.Generator,
        shard: tuple[int, int] = (0, 1),
        colour_permute: float = 0.0,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random pairs, the same random crop (`crop` in high-frame pixels) on both, random h-flip;
        with `colour_permute` > 0 that share of pairs has its RGB channels in another order (the same
        on both: one of CHANNEL_ORDERS[1:]; no draw is made at 0, so batches stay as before).
        `shard` = (rank, world): the global batch is world * batch_size draws from `generator`
        (the same on every rank), this rank takes its slice; so N processes train on exactly the
        pairs one process would with an N-times larger batch.
        Returns (low, high, mask): mask (B, 1, H, W) float, 1 on surfaces (all ones without a mask)."""
        rank, world = shard
        s = self.scale
        lows, highs, masks = [], [], []
        for k in range(batch_size * world):
            i = int(torch.randint(len(self), (1,), generator=generator))
            hi_shape = self.high[i].shape
            ch = min(crop, hi_shape[0]) // (8 * s) * (8 * s)
            cw = min(crop, hi_shape[1]) // (8 * s) * (8 * s)
            y = int(torch.randint(hi_shape[0] // s - ch // s + 1, (1,), generator=generator)) * s
            x = int(torch.randint(hi_shape[1] // s - cw // s + 1, (1,), generator=generator)) * s
            flip = bool(torch.randint(2, (1,), generator=generator))
            order = CHANNEL_ORDERS[0]
            if colour_permute > 0 and float(torch.rand(1, generator=generator)) < colour_permute:
                order = CHANNEL_ORDERS[1 + int(torch.randint(len(CHANNEL_ORDERS) - 1, (1,), generator=generator))]
            if k // batch_size != rank:
                continue  # another rank's part of the global batch
            lo, hi, mask, guide = self.low[i], self.high[i], self.masks[i], self.guides[i]
            lo_crop = lo[y // s : (y + ch) // s, x // s : (x + cw) // s]  # (ch/s, cw/s, 3)
            g_crop = crop_values(guide, slice(y // s, (y + ch) // s), slice(x // s, (x + cw) // s))
            hi_crop = hi[y : y + ch, x : x + cw]  # (ch, cw, 3)
            m_crop = mask[y : y + ch, x : x + cw] if mask is not None else np.ones(hi_crop.shape[:2], bool)
            if flip:
                lo_crop, hi_crop, m_crop = lo_crop[:, ::-1], hi_crop[:, ::-1], m_crop[:, ::-1]
                g_crop = flip_values(g_crop, self.guide_names)
            if order != CHANNEL_ORDERS[0]:  # colours only: the guides are not colours
                lo_crop, hi_crop = lo_crop[..., list(order)], hi_crop[..., list(order)]
            lows.append(self.source(lo_crop, g_crop))
            highs.append(to_tensor(hi_crop))
            masks.append(torch.from_numpy(np.ascontiguousarray(m_crop))[None].float())  # (1, ch, cw)
        return torch.stack(lows), torch.stack(highs), torch.stack(masks)


def batch_generator(seed: int, step: int) -> torch.Generator:
    """The generator of one micro-step's global batch: the same on every rank (see batch's shard)."""
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + step * 7919) % (2**63))
    return g
