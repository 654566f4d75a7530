"""LoRA adapters on a RemasterNet (pix2pix-Turbo's recipe, scaled to this network), with peft.

Every Conv2d under the targeted parts (`lora_targets`: encoder, unet, decoder) gets a low-rank
update W + B @ A (peft's Conv2d LoRA: A is a conv with the layer's kernel and `rank` outputs,
B a 1x1 conv back to the layer's outputs, B zero-initialised so training starts at the base).
UNet layers get `lora_rank`, autoencoder layers `lora_rank_ae` (-1: half, pix2pix-Turbo's 8/4).
The encoder->decoder skip convs are trained fully (as in pix2pix-Turbo); with `lora_bias`, every
bias of the network trains too (BitFit: a bias is a per-channel offset, what a change of overall
tone or colour needs, at one number per channel); the modules named in `lora_full` train fully
(peft's modules_to_save: small layers whose change needs their full rank, e.g. the UNet's convs
into and out of the latent); everything else is frozen.
A layer's rank is capped at its full rank min(out, in*k*k): more adds parameters, not capacity.

The adapter alone is saved (adapter.safetensors + adapter.json: ranks, targets, the base's
weights hash); `merge` folds it into plain conv weights, so the exported graph is the base's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .model.remaster import RemasterNet

ADAPTER_FORMAT = 1
ADAPTER_FILE = "adapter.safetensors"
ADAPTER_CONFIG = "adapter.json"
TARGETS = ("encoder", "unet", "decoder")
SKIP_PREFIX = "decoder.skip_convs."


class AdapterError(ValueError):
    pass


@dataclass(frozen=True)
class FullyTrained:
    """What an adapter trains at full rank beside its LoRA matrices and the skip convs (the config
    keys lora_bias and lora_full; read from a TrainConfig or an adapter.json by `of`)."""

    bias: bool = False  # every bias of the network (BitFit)
    modules: tuple[str, ...] = ()  # every weight of these modules (full module names)

    @classmethod
    def of(cls, config: Any) -> FullyTrained:
        return cls(bool(_key(config, "lora_bias", False)), tuple(_key(config, "lora_full", ()) or ()))

    def holds(self, key: str) -> bool:
        """Does the state-dict tensor `key` belong to the adapter?"""
        return (
            "lora_" in key
            or key.startswith(SKIP_PREFIX)
            or (self.bias and key.endswith(".bias"))
            or any(key.startswith(m + ".") for m in self.modules)
        )


def _key(config: Any, key: str, default: Any = None) -> Any:
    """A config key of a TrainConfig or of a config dict (a checkpoint's, an adapter.json)."""
    return config.get(key, default) if isinstance(config, Mapping) else getattr(config, key, default)


ADAPTER_ONLY = FullyTrained()  # the LoRA matrices and the skip convs, nothing more


def check_full_modules(model: nn.Module, modules: tuple[str, ...] | list[str]) -> None:
    """lora_full names modules of this network that have weights (an error names the one that does not)."""
    named = dict(model.named_modules())
    for m in modules:
        if m not in named or not any(True for _ in named[m].parameters()):
            near = sorted(n for n, x in named.items() if isinstance(x, nn.Conv2d) and n.startswith(m.split(".")[0]))
            raise AdapterError(f"lora_full: no module {m!r} with weights in this network (e.g. {', '.join(near[:4])})")


def weights_hash(model: nn.Module) -> str:
    """sha256 over the state dict (sorted names, float32 little-endian bytes): the same weights
    give the same hash whether they came from a checkpoint or a safetensors file."""
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().to(torch.float32).contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def full_rank(conv: nn.Conv2d) -> int:
    return min(conv.out_channels, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1] // conv.groups)


def plan_ranks(
    model: RemasterNet, rank: int, rank_ae: int, targets: list[str], full: tuple[str, ...] | list[str] = ()
) -> dict[str, int]:
    """The rank of every adapted Conv2d (full module name -> rank); the modules in `full` train
    fully instead (no adapter). Errors name what is wrong."""
    if rank < 1:
        raise AdapterError(f"lora_rank must be >= 1 for adapters (0 means a full fine-tune); got {rank}")
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise AdapterError(f"lora_targets must name some of {', '.join(TARGETS)}; got {targets}")
    ae = rank // 2 if rank_ae < 0 else rank_ae
    ranks: dict[str, int] = {}
    for name, m in model.named_modules():
        if not isinstance(m, nn.Conv2d) or name.startswith(SKIP_PREFIX) or name.split(".")[0] not in targets:
            continue
        if any(name == f or name.startswith(f + ".") for f in full):
            continue
        r = rank if name.startswith("unet.") else ae
        if r >= 1:
            ranks[name] = min(r, full_rank(m))
    if not ranks:
        raise AdapterError(f"no layer to adapt: lora_targets {targets} with lora_rank_ae {ae}")
    widest = max(full_rank(m) for n, m in model.named_modules() if n in ranks)
    if rank > widest:
        raise AdapterError(
            f"lora_rank {rank} does not fit this network: its widest adapted layer has full rank {widest}"
            f" (a rank that high is a full fine-tune with extra steps: use lora_rank=0)"
        )
    return ranks


def add_adapters(model: RemasterNet, ranks: dict[str, int], extra: FullyTrained = ADAPTER_ONLY) -> RemasterNet:
    """Injects peft LoRA layers in place, freezes the base, leaves the adapters, the skip convs and
    what `extra` names trainable."""
    from peft import LoraConfig, inject_adapter_in_model

    # One config: exact module names as targets; per-layer ranks (alpha = rank: scale 1).
    first = next(iter(ranks.values()))
    pattern = {f"^{n.replace('.', '[.]')}$": r for n, r in ranks.items()}
    cfg = LoraConfig(
        r=first,
        lora_alpha=first,
        target_modules=list(ranks),
        rank_pattern=pattern,
        alpha_pattern=dict(pattern),
        lora_dropout=0.0,
        init_lora_weights=True,
    )
    check_full_modules(model, extra.modules)
    inject_adapter_in_model(cfg, model)
    for name, p in model.named_parameters():
        p.requires_grad = extra.holds(name)
    got = adapter_ranks(model)
    if got != ranks:
        raise RuntimeError(f"peft made adapters {got}, expected {ranks}")
    return model


def add_configured_adapters(model: RemasterNet, config: Any) -> RemasterNet:
    """`add_adapters` as a training config (a TrainConfig, or a checkpoint's config dict) asks:
    lora_rank, lora_rank_ae, lora_targets, lora_full, lora_bias."""
    extra = FullyTrained.of(config)
    rank, rank_ae, targets = (
        _key(config, k, d) for k, d in (("lora_rank", 0), ("lora_rank_ae", -1), ("lora_targets", []))
    )
    ranks = plan_ranks(model, rank, rank_ae, targets, extra.modules)
    return add_adapters(model, ranks, extra)


def adapter_ranks(model: nn.Module) -> dict[str, int]:
    """The rank of every LoRA layer of `model` (full module name -> rank)."""
    return {n: m.r["default"] for n, m in model.named_modules() if hasattr(m, "lora_A") and "default" in m.r}


def adapter_state(model: nn.Module, extra: FullyTrained = ADAPTER_ONLY) -> dict[str, torch.Tensor]:
    """What the adapter is: the LoRA matrices, the skip convs and what `extra` names (everything trainable)."""
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if extra.holds(k)}


def adapter_parameters(model: nn.Module, extra: FullyTrained = ADAPTER_ONLY) -> int:
    return sum(v.numel() for v in adapter_state(model, extra).values())


def load_adapter_state(
    model: nn.Module, state: dict[str, torch.Tensor], source: str, extra: FullyTrained = ADAPTER_ONLY
) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    unknown = list(unexpected)
    lacking = [k for k in missing if extra.holds(k)]
    if unknown or lacking:
        raise AdapterError(
            f"{source} does not fit the adapted network: unknown tensors {unknown[:4]}, missing {lacking[:4]}"
        )


def merge(model: RemasterNet) -> RemasterNet:
    """Folds every LoRA update into its conv (W += scale * B @ A) and removes the peft wrappers:
    a plain RemasterNet with the base's graph and cost."""
    from peft.tuners.lora import LoraLayer

    for name, module in list(model.named_modules()):
        if isinstance(module, LoraLayer):
            module.merge(safe_merge=True)
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, module.get_base_layer())
    for p in model.parameters():
        p.requires_grad = True
    return model


def save_adapter(model: nn.Module, out_dir: Path, config: dict) -> dict:
    """adapter.safetensors (tensors; the config in its metadata too) + adapter.json, atomically.
    `config["lora_bias"]` / `config["lora_full"]`: the adapter carries every bias / those modules too."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = adapter_state(model, FullyTrained.of(config))
    meta = {"format": ADAPTER_FORMAT, **config, "parameters": sum(v.numel() for v in state.values())}
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    os.close(fd)
    try:
        save_file(state, tmp, metadata={"remaster_adapter": json.dumps(meta)})
        os.replace(tmp, out_dir / ADAPTER_FILE)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    meta["bytes"] = (out_dir / ADAPTER_FILE).stat().st_size
    tmp_json = out_dir / (ADAPTER_CONFIG + ".tmp")
    tmp_json.write_text(json.dumps(meta, indent=1))
    os.replace(tmp_json, out_dir / ADAPTER_CONFIG)
    return meta


def read_adapter(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """An adapter folder (or its adapter.safetensors): (config, tensors)."""
    from safetensors import safe_open

    p = Path(path)
    file = p / ADAPTER_FILE if p.is_dir() else p
    if not file.is_file():
        raise AdapterError(f"{path}: no {ADAPTER_FILE} (an adapter folder written by `npm run adapt`)")
    with safe_open(str(file), framework="pt") as f:
        meta = (f.metadata() or {}).get("remaster_adapter")
        if meta is None:
            raise AdapterError(f"{file}: no remaster_adapter metadata: not an adapter written by `npm run adapt`")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    config = json.loads(meta)
    if config.get("format") != ADAPTER_FORMAT:
        raise AdapterError(f"{file}: adapter format {config.get('format')}, this version reads {ADAPTER_FORMAT}")
    return config, tensors


def apply_adapter(
    base: RemasterNet, base_sha256: str, adapter_path: str | Path, adapter: tuple[dict, dict] | None = None
) -> tuple[RemasterNet, dict]:
    """The base with the adapter at `adapter_path` (or its `read_adapter` result, when already
    read) merged in; refuses an adapter trained on another base."""
    config, tensors = adapter or read_adapter(adapter_path)
    if config["base"]["sha256"] != base_sha256:
        raise AdapterError(
            f"{adapter_path} was trained on another base (weights sha256 {config['base']['sha256'][:12]}...,"
            f" from {config['base'].get('path')}); the base given has {base_sha256[:12]}..."
        )
    extra = FullyTrained.of(config)
    model = add_adapters(base, {k: int(v) for k, v in config["ranks"].items()}, extra)
    load_adapter_state(model, tensors, str(adapter_path), extra)
    return merge(model), config
