"""Validation during training: metrics of the model on the first frames of the val split, and a
low | remastered | high grid of some of them (eval/step_N.png, shown in report.html)."""

from __future__ import annotations

from pathlib import Path

import torch

from .config import TrainConfig
from .data import PairedFrames
from .metrics import MetricSuite, summarise
from .model.health import ReluProbe
from .model.health import summary as relu_summary
from .model.remaster import RemasterNet
from .runtime import autocast


def save_eval_grid(path: Path, *columns: torch.Tensor) -> None:
    """Rows of the columns side by side, e.g. low | remastered | high; each (N, 3, H, W) in [0, 1]
    (a smaller one, low with upscale, is upsampled to the last column's size)."""
    from PIL import Image

    size = columns[-1].shape[-2:]
    cols = [
        c if c.shape[-2:] == size else torch.nn.functional.interpolate(c, size=size, mode="nearest") for c in columns
    ]
    rows = [torch.cat(list(frames), dim=2) for frames in zip(*cols, strict=True)]  # (3, H, len(cols) * W)
    grid = torch.cat(rows, dim=1).clamp(0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((grid.permute(1, 2, 0).float().numpy() * 255 + 0.5).astype("uint8")).save(path)


@torch.no_grad()
def evaluate_model(model: RemasterNet, val: PairedFrames, suite: MetricSuite, device, cfg: TrainConfig, n: int):
    """Metrics over the first `n` val frames (+ the ReLU health probe: dead channels, cut layers),
    and the first report_images of them as (lows, preds, highs)."""
    model.eval()
    per: dict[str, list[float]] = {}
    lows, preds, highs = [], [], []
    with ReluProbe(model) as probe:
        for i in range(min(n, len(val))):
            low, high = val.pair(i)
            low, high = low[None].to(device), high[None].to(device)
            with autocast(device, cfg.precision):
                pred = model(low).float()
            for k, v in suite.per_image(pred, high).items():
                per.setdefault(k, []).extend(v)
            if len(lows) < cfg.report_images:
                lows.append(low[0, :3].cpu()), preds.append(pred[0].cpu()), highs.append(high[0].cpu())
    model.train()
    return summarise(per, suite.unavailable) | relu_summary(probe.layers()), (lows, preds, highs)
