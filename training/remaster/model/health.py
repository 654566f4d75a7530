"""Dead ReLU channels: a network health check.

A ReLU channel whose output is 0 on every pixel of every frame passes no gradient back, so nothing
upstream of it learns through it again: it is dead for good. A layer with every channel dead cuts
the network's path through it (everything before it contributes nothing to the output). That
happened to the shipped realtime model's stage 1 (2026-11-23): the decoder's first block died at
the LPIPS onset (step ~450) and the UNet has done nothing since (configs/realtime.yaml:
`unet_lr_scale`, `loss_ramp_steps`). Nothing noticed: the metrics were fine. `train` logs this
probe at every evaluation and warns on a cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ReluLayer:
    name: str
    channels: int
    dead: int  # channels that were 0 on every pixel of every frame seen

    @property
    def cut(self) -> bool:
        return self.channels > 0 and self.dead == self.channels


class ReluProbe:
    """Records which channels of every nn.ReLU in `model` were ever positive while it is entered.

    with ReluProbe(model) as probe:
        model(frames)  # (B, C, H, W) activations; any number of calls
    probe.layers()  # [ReluLayer, ...] in module order
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.alive: dict[str, torch.Tensor] = {}
        self.handles: list = []

    def __enter__(self) -> ReluProbe:
        for name, mod in self.model.named_modules():
            if isinstance(mod, nn.ReLU):
                self.handles.append(mod.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def _hook(self, name: str):
        def record(_mod, _inp, out: torch.Tensor) -> None:
            if out.dim() != 4:  # (B, C, H, W) feature maps only
                return
            seen = (out.detach() > 0).any(dim=(0, 2, 3))  # on the model's device: no sync per layer
            prev = self.alive.get(name)
            self.alive[name] = seen if prev is None else prev | seen

        return record

    def layers(self) -> list[ReluLayer]:
        return [ReluLayer(n, int(a.numel()), int((~a).sum().item())) for n, a in self.alive.items()]


def summary(layers: list[ReluLayer]) -> dict:
    """For metrics.jsonl: dead channels in all, and the layers cut (every channel dead)."""
    return {
        "dead_relu_channels": sum(x.dead for x in layers),
        "relu_channels": sum(x.channels for x in layers),
        "cut_layers": [x.name for x in layers if x.cut],
    }
