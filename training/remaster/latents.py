"""Latents of a dataset's pairs, for the teacher and the distillation (issue #12), and what both
runs share: batches drawn from (seed, step) for exact resume, validation of a frame -> frame
network, metrics rows and checkpoints.

Latents: the codec's scaled latents of whole frames, computed once (fp32, eval mode) into memory:
(4, H/8, W/8) float32 per frame, for the high frame (what the teacher learns to produce) and the
low frame (its condition). Batches: random latent crops of resolution / 8, random h-flip.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from tqdm import tqdm

from .checkpoint import atomic_save, checkpoint_dir, prune
from .data import PairedFrames, batch_generator
from .metrics import MetricSuite, summarise
from .model.latent import LatentCodec
from .runtime import LoadMeter, autocast
from .validation import save_eval_grid


class LatentPairs:
    @torch.no_grad()
    def __init__(self, frames: PairedFrames, codec: LatentCodec, device: torch.device, desc: str = "latents"):
        codec.eval()
        self.high, self.low = [], []
        for i in tqdm(range(len(frames)), desc=desc, leave=False, dynamic_ncols=True):
            low, high = frames.pair(i)
            self.low.append(codec.encoder(low[None].to(device))[0].float().cpu())
            self.high.append(codec.encoder(high[None].to(device))[0].float().cpu())
        self.rescale(float(codec.latent_scale))

    def rescale(self, factor: float) -> None:
        """Multiplies every latent by `factor` (the codec's latent_scale, as a Python float: one
        rounding, the same whether the scale was just measured or read from a checkpoint)."""
        self.high = [h * factor for h in self.high]
        self.low = [lo * factor for lo in self.low]

    def __len__(self) -> int:
        return len(self.high)

    def std(self) -> float:
        """The high latents' standard deviation (the codec's latent_scale makes it 1)."""
        return float(torch.cat([h.flatten() for h in self.high]).std())

    def residual_std(self) -> float:
        """The standard deviation of high - low latents (the codec's residual_scale makes it 1)."""
        return float(torch.cat([(h - lo).flatten() for h, lo in zip(self.high, self.low, strict=True)]).std())

    def batch(self, n: int, crop: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(high latents, low latents), each (n, 4, crop, crop) (smaller frames: whole)."""
        highs, lows = [], []
        for _ in range(n):
            i = int(torch.randint(len(self), (1,), generator=g))
            h, w = self.high[i].shape[-2:]
            ch, cw = min(crop, h), min(crop, w)
            y = int(torch.randint(h - ch + 1, (1,), generator=g))
            x = int(torch.randint(w - cw + 1, (1,), generator=g))
            flip = bool(torch.randint(2, (1,), generator=g))
            hi, lo = self.high[i][:, y : y + ch, x : x + cw], self.low[i][:, y : y + ch, x : x + cw]
            if flip:
                hi, lo = hi.flip(-1), lo.flip(-1)
            highs.append(hi)
            lows.append(lo)
        return torch.stack(highs), torch.stack(lows)


def step_generator(seed: int, step: int) -> torch.Generator:
    return batch_generator(seed, step)


@torch.no_grad()
def validate_frames(fn, val: PairedFrames, suite: MetricSuite, device, precision: str, n: int, keep: int):
    """Metrics of fn(low, high) -> prediction over the first n val pairs; (summary, grid columns)."""
    per: dict[str, list[float]] = {}
    cols: tuple[list, list, list] = ([], [], [])
    for i in range(min(n, len(val))):
        low, high = (t[None].to(device) for t in val.pair(i))
        with autocast(device, precision):
            pred = fn(low, high).float().clamp(0, 1)
        for k, v in suite.per_image(pred, high).items():
            per.setdefault(k, []).extend(v)
        if len(cols[0]) < keep:
            for c, t in zip(cols, (low, pred, high), strict=True):
                c.append(t[0].cpu())
    return summarise(per, suite.unavailable), cols


class RunLog:
    """metrics.jsonl rows, validation grids, checkpoints (atomic, the last two kept), progress bar."""

    def __init__(self, out: Path, total: int, start: int, desc: str):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.metrics = out / "metrics.jsonl"
        self.bar = tqdm(total=total, initial=start, desc=desc, dynamic_ncols=True)
        self.meter = LoadMeter()
        self.t0, self.items = time.time(), 0

    def step(self, items: int, **postfix) -> None:
        self.items += items
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()})

    def log(self, step: int, device, **values) -> None:
        now = time.time()
        row = {
            "step": step,
            **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in values.items()},
            "items_per_s": round(self.items / max(now - self.t0, 1e-6), 3),
            **self.meter.read(device),
            "time": now,
        }
        self.t0, self.items = now, 0
        with open(self.metrics, "a") as f:
            f.write(json.dumps(row) + "\n")

    def evaluation(self, step: int, phase: str, summary: dict, cols) -> None:
        if cols[0]:
            save_eval_grid(self.out / "eval" / f"step_{step}.png", *(torch.stack(c) for c in cols))
        with open(self.metrics, "a") as f:
            f.write(json.dumps({"step": step, "phase": phase, "eval": summary, "time": time.time()}) + "\n")
        self.bar.write(
            f"step {step} {phase} val " + " ".join(f"{k}={v:.4f}" for k, v in summary.items() if isinstance(v, float))
        )

    def checkpoint(self, state: dict, step: int) -> None:
        atomic_save(state, checkpoint_dir(self.out) / f"step_{step}.pt")
        prune(self.out)

    def close(self) -> None:
        self.bar.close()
