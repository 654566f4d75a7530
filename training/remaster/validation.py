"""Validation during training: metrics of the model on the first frames of the val split, and a
low | remastered | high grid of some of them (eval/step_N.png, shown in report.html)."""

from __future__ import annotations

from pathlib import Path

import torch

from .config import TrainConfig
from .data import PairedFrames
from .metrics import MetricSuite, summarise
from .model.remaster import RemasterNet
from .runtime import autocast


def save_eval_grid(path: Path, low: torch.Tensor, pred: torch.Tensor, high: torch.Tensor) -> None:
    """Rows of low | remastered | high (low upsampled to the output size when smaller)."""
    from PIL import Image

    if low.shape[-1] != pred.shape[-1]:
        low = torch.nn.functional.interpolate(low, size=pred.shape[-2:], mode="nearest")
    rows = [torch.cat([lo, p, hi], dim=2) for lo, p, hi in zip(low, pred, high, strict=True)]  # (3, H, 3W)
    grid = torch.cat(rows, dim=1).clamp(0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((grid.permute(1, 2, 0).float().numpy() * 255 + 0.5).astype("uint8")).save(path)


@torch.no_grad()
def evaluate_model(model: RemasterNet, val: PairedFrames, suite: MetricSuite, device, cfg: TrainConfig, n: int):
    model.eval()
    per: dict[str, list[float]] = {}
    lows, preds, highs = [], [], []
    for i in range(min(n, len(val))):
        low, high = val.pair(i)
        low, high = low[None].to(device), high[None].to(device)
        with autocast(device, cfg.precision):
            pred = model(low).float()
        for k, v in suite.per_image(pred, high).items():
            per.setdefault(k, []).extend(v)
        if len(lows) < cfg.report_images:
            lows.append(low[0].cpu()), preds.append(pred[0].cpu()), highs.append(high[0].cpu())
    model.train()
    return summarise(per, suite.unavailable), (lows, preds, highs)
