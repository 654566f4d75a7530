"""LPIPS v0.1 (Zhang et al. 2018) with AlexNet or VGG16 backbones, in plain torch (no torchvision):
the backbone layers are defined here with torchvision's state-dict keys (`features.N.*`), so
torchvision checkpoints and the official LPIPS linear heads load as they are.

Input contract: (B, 3, H, W) RGB in [-1, 1] (call `lpips_01` for [0, 1] images). Output: (B,)
distances (spatial mean per layer, summed over layers).
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from ..weights import load_state_dict, resolve_weights

# (conv layer specs, indices of the ReLUs whose outputs are tapped)
ALEX = {
    "layers": [
        ("conv", 3, 64, 11, 4, 2),
        ("relu",),
        ("pool",),
        ("conv", 64, 192, 5, 1, 2),
        ("relu",),
        ("pool",),
        ("conv", 192, 384, 3, 1, 1),
        ("relu",),
        ("conv", 384, 256, 3, 1, 1),
        ("relu",),
        ("conv", 256, 256, 3, 1, 1),
        ("relu",),
    ],
    "taps": [1, 4, 7, 9, 11],
    "channels": [64, 192, 384, 256, 256],
}
VGG16 = {
    "layers": [
        ("conv", 3, 64, 3, 1, 1),
        ("relu",),
        ("conv", 64, 64, 3, 1, 1),
        ("relu",),
        ("pool2",),
        ("conv", 64, 128, 3, 1, 1),
        ("relu",),
        ("conv", 128, 128, 3, 1, 1),
        ("relu",),
        ("pool2",),
        ("conv", 128, 256, 3, 1, 1),
        ("relu",),
        ("conv", 256, 256, 3, 1, 1),
        ("relu",),
        ("conv", 256, 256, 3, 1, 1),
        ("relu",),
        ("pool2",),
        ("conv", 256, 512, 3, 1, 1),
        ("relu",),
        ("conv", 512, 512, 3, 1, 1),
        ("relu",),
        ("conv", 512, 512, 3, 1, 1),
        ("relu",),
        ("pool2",),
        ("conv", 512, 512, 3, 1, 1),
        ("relu",),
        ("conv", 512, 512, 3, 1, 1),
        ("relu",),
        ("conv", 512, 512, 3, 1, 1),
        ("relu",),
    ],
    "taps": [3, 8, 15, 22, 29],
    "channels": [64, 128, 256, 512, 512],
}
NETS = {"alex": ALEX, "vgg": VGG16}


def make_features(spec) -> nn.Sequential:
    layers: list[nn.Module] = []
    for s in spec["layers"]:
        if s[0] == "conv":
            _, i, o, k, st, p = s
            layers.append(nn.Conv2d(i, o, k, stride=st, padding=p))
        elif s[0] == "relu":
            layers.append(nn.ReLU(inplace=False))
        elif s[0] == "pool":
            layers.append(nn.MaxPool2d(3, 2))
        else:
            layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


class LinHead(nn.Module):
    """LPIPS NetLinLayer: (dropout) + 1x1 conv without bias; key `model.1.weight`."""

    def __init__(self, c: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, bias=False))


class LPIPS(nn.Module):
    def __init__(self, net: str = "alex"):
        super().__init__()
        if net not in NETS:
            raise ValueError(f"LPIPS backbone must be one of {sorted(NETS)}, got {net!r}")
        self.net = net
        spec = NETS[net]
        self.features = make_features(spec)
        self.taps = spec["taps"]
        for i, c in enumerate(spec["channels"]):
            self.add_module(f"lin{i}", LinHead(c))
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def load_backbone(self, state: dict[str, torch.Tensor]) -> None:
        """Accepts a torchvision model state dict (`features.N.*`) or a `features` one (`N.*`)."""
        sub = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")} or state
        self.features.load_state_dict(sub, strict=True)

    def load_heads(self, state: dict[str, torch.Tensor]) -> None:
        heads = {k: v for k, v in state.items() if k.startswith("lin")}
        own = {k: v for k, v in self.state_dict().items() if k.startswith("lin")}
        if set(heads) != set(own):
            raise ValueError(f"LPIPS head keys do not match: expected {sorted(own)}, got {sorted(heads)}")
        self.load_state_dict(heads, strict=False)

    def _feats(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        x = (x - self.shift) / self.scale
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
            if i >= self.taps[-1]:
                break
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor, spatial: bool = False) -> torch.Tensor:
        """(B,) distances; with `spatial`, the (B, 1, H, W) map instead (each layer's distance map
        upsampled bilinearly to the input size and summed: LPIPS's own spatial mode)."""
        total = 0
        for i, (fa, fb) in enumerate(zip(self._feats(a), self._feats(b), strict=True)):
            na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            d = getattr(self, f"lin{i}").model[1]((na - nb) ** 2)  # (B, 1, h, w)
            if spatial:
                total = total + F.interpolate(d, size=a.shape[-2:], mode="bilinear", align_corners=False)
            else:
                total = total + d.mean(dim=(1, 2, 3))
        return total


def lpips_01(model: LPIPS, a: torch.Tensor, b: torch.Tensor, spatial: bool = False) -> torch.Tensor:
    """LPIPS for images in [0, 1] (the one place the [-1, 1] rescale happens)."""
    return model(a * 2 - 1, b * 2 - 1, spatial=spatial)


def load_lpips(
    net: str = "alex",
    backbone: str | os.PathLike | None = None,
    heads: str | os.PathLike | None = None,
    download: bool = True,
) -> LPIPS:
    """Real weights: backbone from torchvision's URL (or `backbone` path), heads from the LPIPS
    repository (or `heads` path), through the cache. Raises WeightsUnavailable with a clear message."""
    m = LPIPS(net)
    m.load_backbone(load_state_dict(resolve_weights("alexnet" if net == "alex" else "vgg16", backbone, download)))
    m.load_heads(load_state_dict(resolve_weights(f"lpips-{net}", heads, download)))
    return m
