"""Loading pretrained weights: canonical URL -> cache directory, or an explicit path.

Order: an explicit path (`--weights PATH` / argument) wins; else the cache directory
($REMASTER_CACHE, default ~/.cache/remaster); else a download from the canonical URL into the
cache (atomic: temp file + rename). With no network the error names the URL, the cache path and
the override, so a user knows where to put the file.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

import torch

CANONICAL = {
    # torchvision ImageNet backbones (full model state dicts: keys features.N.*)
    "alexnet": "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    # LPIPS v0.1 linear heads (keys lin0.model.1.weight ...)
    "lpips-alex": "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth",
    "lpips-vgg": "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth",
}


class WeightsUnavailable(RuntimeError):
    """Weights could not be found locally nor downloaded."""


def cache_dir() -> Path:
    return Path(os.environ.get("REMASTER_CACHE", Path.home() / ".cache" / "remaster"))


def resolve_weights(name: str, path: str | os.PathLike | None = None, download: bool = True) -> Path:
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise WeightsUnavailable(f"{name}: weights file not found: {p}")
        return p
    if name not in CANONICAL:
        raise WeightsUnavailable(f"{name}: no canonical URL; pass a weights path")
    url = CANONICAL[name]
    cached = cache_dir() / Path(url).name
    if cached.is_file():
        return cached
    if not download:
        raise WeightsUnavailable(f"{name}: not in the cache ({cached}) and downloads are off; pass a weights path")
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            urllib.request.urlopen(url, timeout=30) as r,
            tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as tmp,
        ):
            while chunk := r.read(1 << 20):
                tmp.write(chunk)
        os.replace(tmp.name, cached)
    except Exception as e:  # no network, HTTP error, ...
        raise WeightsUnavailable(
            f"{name}: could not download {url} ({e}); put the file at {cached} or pass a weights path"
        ) from e
    return cached


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return state
